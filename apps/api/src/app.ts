import cookie from "@fastify/cookie";
import helmet from "@fastify/helmet";
import rateLimitPlugin from "@fastify/rate-limit";
import {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import type { AppDeps } from "./deps.js";
import { containsNul } from "./http/nul.js";
import { staticWebRoutes } from "./http/static-web.js";
import { opsRoutes } from "./ops/ops-routes.js";
import { blingConnectRoutes } from "./routes/bling-connect.js";
import { healthRoutes } from "./routes/health.js";
import { sessionRoutes } from "./routes/session.js";
import { settingsRoutes } from "./routes/settings.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { zydonInstallRoutes } from "./routes/zydon-install.js";

const errorNames: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

const errorMessages: Record<number, string> = {
  // Fastify's own 400s (body that is not JSON, empty JSON body): its messages are English internals.
  400: "Requisição inválida.",
  413: "Conteúdo grande demais.",
  415: "Tipo de conteúdo não suportado.",
  429: "Muitas requisições. Aguarde um instante e tente de novo.",
};

/**
 * Server options the API needs from whoever creates the Fastify instance (server.ts and tests): the
 * built-in request log is off because it prints full URLs, and ours carry OAuth codes and `?session=`.
 */
export function apiServerOptions(
  logger: FastifyBaseLogger,
  opts: {
    /**
     * `API_TRUST_PROXY`: whose X-Forwarded-For sets `req.ip` (every per-IP rate limit keys on it). Default
     * false: the socket's address. Never `true`, which believes the leftmost value a client writes itself.
     */
    trustProxy?: false | string[];
  } = {},
): FastifyServerOptions & {
  loggerInstance: FastifyBaseLogger;
} {
  const trust = opts.trustProxy ?? false;
  return {
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1_048_576,
    trustProxy: Array.isArray(trust) ? trust.join(",") : trust,
  };
}

/**
 * The whole HTTP app as a plugin: server.ts registers it on a listening instance, tests register it on
 * an instance they `inject` into. Nothing here listens or reads the environment.
 */
export async function app(instance: FastifyInstance, deps: AppDeps): Promise<void> {
  // 5xx bodies never carry internals; 4xx keep a short message (validation, not found...).
  instance.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err: { name: err.name, message: err.message, stack: err.stack } }, "request failed");
      return reply
        .code(status)
        .send({ error: "internal_error", message: "Erro interno. Tente novamente em instantes." });
    }
    return reply
      .code(status)
      .send({ error: errorNames[status] ?? "bad_request", message: errorMessages[status] ?? err.message });
  });
  instance.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ error: "not_found", message: "Rota não encontrada." }),
  );
  // Path template only: query strings (codes, states, sessions) never reach the log.
  instance.addHook("onResponse", async (req, reply) => {
    req.log.info(
      {
        method: req.method,
        route: req.routeOptions.url ?? "(unmatched)",
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request",
    );
  });

  // The API speaks JSON only: a text/plain body would otherwise reach the handlers as a string.
  instance.removeContentTypeParser("text/plain");
  // A NUL anywhere in the query, path or JSON body would reach Postgres and fail there (500).
  instance.addHook("preValidation", async (req, reply) => {
    if (containsNul(req.query) || containsNul(req.params) || containsNul(req.body)) {
      return reply.code(400).send({ error: "bad_request", message: "Requisição inválida." });
    }
  });

  await instance.register(helmet, {
    // The settings page is framed by Zydon's admin; API answers themselves are never framed.
    contentSecurityPolicy: { directives: { "frame-ancestors": ["'none'"] } },
    // "Conectar ao Bling" opens /bling/connect in a popup that goes to Bling and back through /bling/callback:
    // COOP same-origin on any hop severs the page's window reference, so the popup could never close itself.
    crossOriginOpenerPolicy: false,
  });
  await instance.register(cookie);
  await instance.register(rateLimitPlugin, {
    global: false,
    redis: deps.redis,
    nameSpace: `${deps.config.REDIS_PREFIX}:rl:`,
    // Redis down: serve rather than fail closed; the limits are abuse protection, not accounting.
    skipOnError: true,
  });

  await instance.register(async (s) => healthRoutes(s, deps));
  await instance.register(async (s) => zydonInstallRoutes(s, deps));
  await instance.register(async (s) => blingConnectRoutes(s, deps));
  await instance.register(async (s) => webhookRoutes(s, deps));
  await instance.register(async (s) => sessionRoutes(s, deps));
  await instance.register(async (s) => settingsRoutes(s, deps));
  await instance.register(async (s) => staticWebRoutes(s, deps.web));
  // Operator routes exist only with OPS_TOKEN configured: unset, /metrics and /ops/* are plain 404s.
  const ops = deps.ops;
  if (ops) await instance.register(async (s) => opsRoutes(s, ops, deps.now ?? (() => new Date())));
}
