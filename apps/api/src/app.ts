import type { FastifyInstance } from "fastify";
import type { AppDeps } from "./deps.js";
import { healthRoutes } from "./routes/health.js";

/**
 * The whole HTTP app as a plugin: server.ts registers it on a listening instance, tests register it on
 * an instance they `inject` into. Nothing here listens or reads the environment.
 */
export async function app(instance: FastifyInstance, deps: AppDeps): Promise<void> {
  // 5xx bodies never carry internals; 4xx keep their message (validation, not found...).
  instance.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, "request failed");
      return reply
        .code(status)
        .send({ error: "internal_error", message: "Erro interno. Tente novamente em instantes." });
    }
    return reply.code(status).send({ error: "bad_request", message: err.message });
  });
  await healthRoutes(instance, deps);
}
