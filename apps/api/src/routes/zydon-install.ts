import { createHmac } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AppDeps } from "../deps.js";
import { BODY_LIMITS, rateLimit } from "../http/limits.js";
import { loggable, providerErrorMessage, sendError, sendResultPage } from "../http/pages.js";
import { rawBodyOf, useRawBody } from "../http/raw-body.js";
import { signSession } from "../session/session-token.js";
import { repos } from "../use-cases/repos.js";
import { installTenant, uninstallTenant } from "../use-cases/tenant-lifecycle.js";
import { verifyNotification } from "../use-cases/webhooks.js";

const ZYDON_STATE_TTL_MS = 15 * 60_000;

/** Ties the install's OAuth round trip to the browser that started it (a forwarded link fails elsewhere). */
export const ZYDON_STATE_COOKIE = "zb_zydon_state";

/** Live install states one client address keeps (its newest ones): a flood leaves this many rows. */
export const INSTALL_STATES_PER_CLIENT = 5;

/** Who asked, for the per-client cap: a keyed hash of the client address (no address is stored). */
function installIssuer(deps: Pick<AppDeps, "config">, req: FastifyRequest): string {
  const mac = createHmac("sha256", deps.config.SESSION_SECRET).update(`zb-install-client.${req.ip}`);
  return `ip:${mac.digest("base64url").slice(0, 32)}`;
}

/** pt-BR for the `error=` values Zydon's authorize screen sends back (zydon-api.md §2.2 step 4). */
const zydonErrors: Record<string, string> = {
  access_denied: "A instalação foi cancelada na Zydon. Nada foi alterado.",
  invalid_client: "A Zydon não reconheceu este app. Fale com o suporte do app.",
  server_error: "A Zydon teve um erro ao autorizar o app. Tente instalar de novo em alguns minutos.",
};

export function zydonRedirectUri(deps: Pick<AppDeps, "config">): string {
  return new URL("/zydon/callback", deps.config.PUBLIC_BASE_URL).toString();
}

/** App Center install (App Studio OAuth) and the install/uninstall notifications. */
export async function zydonInstallRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const settingsUrl = new URL("/app", deps.config.PUBLIC_BASE_URL).toString();
  const secureCookie = deps.config.PUBLIC_BASE_URL.startsWith("https:");

  app.get("/zydon/install", { config: rateLimit(deps, "public") }, async (req, reply) => {
    const state = await repos(deps).states.create({
      provider: "zydon",
      ttlMs: ZYDON_STATE_TTL_MS,
      issuer: installIssuer(deps, req),
      maxLivePerIssuer: INSTALL_STATES_PER_CLIENT,
    });
    // Lax: sent on Zydon's top-level redirect back to our callback, never on a cross-site subrequest.
    reply.setCookie(ZYDON_STATE_COOKIE, state, {
      path: "/zydon",
      httpOnly: true,
      sameSite: "lax",
      secure: secureCookie,
      maxAge: Math.floor(ZYDON_STATE_TTL_MS / 1000),
    });
    return reply.redirect(deps.zydon.authorizeUrl({ redirectUri: zydonRedirectUri(deps), state }), 302);
  });

  app.get("/zydon/callback", { config: rateLimit(deps, "public") }, async (req, reply) => {
    const cb = deps.zydon.parseCallback(req.query as Record<string, unknown>);
    const cookieState = req.cookies[ZYDON_STATE_COOKIE];
    // A callback link opened in another browser than the install's (a forwarded link): refused, and the
    // state is left for the browser it belongs to.
    if (!cb.state || !cookieState || cookieState !== cb.state) {
      req.log.warn(
        { hasState: Boolean(cb.state), hasCookie: Boolean(cookieState) },
        "Zydon install callback state refused",
      );
      return sendResultPage(reply, 400, {
        title: "Link de instalação inválido",
        message:
          "Este link de instalação não foi aberto neste navegador, expirou ou já foi usado. Volte ao App Center da Zydon e clique em Instalar.",
      });
    }
    reply.clearCookie(ZYDON_STATE_COOKIE, { path: "/zydon" });
    // The state is single-use whatever the outcome: an error callback burns it too.
    const consumed = cb.state ? await repos(deps).states.consume(cb.state, "zydon") : undefined;
    if (!consumed) {
      return sendResultPage(reply, 400, {
        title: "Link de instalação inválido",
        message:
          "Este link de instalação expirou ou já foi usado. Volte ao App Center da Zydon e clique em Instalar.",
      });
    }
    if (!cb.ok) {
      req.log.info({ error: loggable(cb.error) }, "Zydon install callback with error");
      return sendResultPage(reply, 400, {
        title: "Instalação não concluída",
        message: providerErrorMessage(zydonErrors, cb.error, {
          withCode: (c) => `A Zydon recusou a instalação (${c}). Tente novamente pelo App Center.`,
          generic: "A Zydon recusou a instalação. Tente novamente pelo App Center.",
        }),
      });
    }
    let creds: Awaited<ReturnType<AppDeps["zydon"]["exchangeCode"]>>;
    try {
      creds = await deps.zydon.exchangeCode(cb.code, zydonRedirectUri(deps));
    } catch (err) {
      req.log.warn({ err: (err as Error).name }, "Zydon code exchange failed");
      return sendResultPage(reply, 502, {
        title: "Instalação não concluída",
        message:
          "Não conseguimos confirmar a instalação com a Zydon. Tente instalar de novo em alguns minutos.",
      });
    }
    const r = await installTenant(deps, {
      organizationId: creds.organizationId,
      accessKey: { accessKeyCode: creds.accessKeyCode, accessKeyToken: creds.accessKeyToken },
    });
    // A short-lived launch session in the fragment: never sent to a server, never in an access log.
    const launch = signSession(
      deps.config.SESSION_SECRET,
      {
        tenantId: r.tenant.id,
        organizationId: creds.organizationId,
        kind: "launch",
        generation: r.tenant.sessionGeneration,
      },
      deps.now?.() ?? new Date(),
    );
    return reply.redirect(`${settingsUrl}#launch=${encodeURIComponent(launch.token)}`, 302);
  });

  // Notifications need the raw body (signature over the exact bytes): own encapsulated scope.
  await app.register(async (scope) => {
    useRawBody(scope, BODY_LIMITS.webhook);
    for (const event of ["install", "uninstall"] as const) {
      scope.post(
        `/zydon/notifications/${event}`,
        { config: rateLimit(deps, "webhooks"), bodyLimit: BODY_LIMITS.webhook },
        async (req, reply) => {
          const v = verifyNotification(deps, {
            rawBody: rawBodyOf(req),
            headers: req.headers,
            expected: event,
          });
          if (v.status !== 200) {
            req.log.warn({ event, reason: v.reason }, "Zydon notification refused");
            return sendError(
              reply,
              v.status,
              v.status === 401 ? "invalid_signature" : "bad_request",
              v.reason,
            );
          }
          if (event === "install") {
            const r = await installTenant(deps, { organizationId: v.organizationId });
            return { status: "installed", tenantState: r.tenant.state };
          }
          const r = await uninstallTenant(deps, v.organizationId);
          if (r.status === "unknown") req.log.info({ event }, "uninstall for an unknown organization");
          return { status: r.status };
        },
      );
    }
  });
}
