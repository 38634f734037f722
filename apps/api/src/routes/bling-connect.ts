import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../deps.js";
import { rateLimit } from "../http/limits.js";
import { loggable, providerErrorMessage, sendResultPage } from "../http/pages.js";
import { tenantFromSession } from "../http/tenant-auth.js";
import {
  BLING_STATE_TTL_MS,
  completeBlingConnect,
  startBlingConnect,
} from "../use-cases/bling-connection.js";
import { repos } from "../use-cases/repos.js";

/** Binds the OAuth round trip to the browser that started it (login-CSRF: someone else's code + state). */
export const BLING_STATE_COOKIE = "zb_bling_state";

/** pt-BR for Bling's `error=` values (reference §2.1). */
const blingErrors: Record<string, string> = {
  access_denied:
    "Você cancelou a autorização no Bling. Nada foi alterado; clique em Conectar ao Bling para tentar de novo.",
  app_inativo:
    "Este app está inativo no Bling. Peça ao administrador da conta Bling para reativá-lo e tente de novo.",
  UNAUTHORIZED_ERROR:
    "O Bling recusou a autorização: o usuário não tem permissão ou a conta Bling está com pendências. Verifique no Bling e tente de novo.",
};

function first(v: unknown): string | undefined {
  if (Array.isArray(v)) return first(v[0]);
  return typeof v === "string" && v.length > 0 ? v : undefined;
}

/**
 * "Conectar ao Bling" by hand, with the gateway's OAuth helpers, rather than @fastify/oauth2: that plugin
 * exchanges codes through simple-oauth2's own HTTP client (not global fetch, so not the Bling port, its
 * typed errors or the test doubles), and its state pair would still need the DB-backed, tenant-bound state
 * below. The start route opens in a top-level window, so the session comes as `?session=`.
 */
export async function blingConnectRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const settingsUrl = new URL("/app", deps.config.PUBLIC_BASE_URL).toString();
  const secureCookie = deps.config.PUBLIC_BASE_URL.startsWith("https:");

  app.get("/bling/connect", { config: rateLimit(deps, "public") }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const auth = await tenantFromSession(deps, first(q.session));
    if (!auth.ok) {
      return sendResultPage(reply, auth.status, {
        title: "Não foi possível iniciar a conexão",
        message: auth.message,
      });
    }
    const r = await startBlingConnect(deps, auth.tenant.id);
    if (!r.ok) {
      return sendResultPage(reply, 403, {
        title: "Não foi possível iniciar a conexão",
        message: "O app não está instalado nesta organização. Instale-o pelo App Center da Zydon.",
      });
    }
    reply.setCookie(BLING_STATE_COOKIE, r.state, {
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      secure: secureCookie,
      maxAge: Math.floor(BLING_STATE_TTL_MS / 1000),
    });
    return reply.redirect(r.url, 302);
  });

  app.get("/bling/callback", { config: rateLimit(deps, "public") }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const state = first(q.state);
    const cookieState = req.cookies[BLING_STATE_COOKIE];
    const back = { backUrl: settingsUrl };
    if (!state || !cookieState || cookieState !== state) {
      req.log.warn(
        { hasState: Boolean(state), hasCookie: Boolean(cookieState) },
        "Bling callback state refused",
      );
      return sendResultPage(reply, 400, {
        title: "Conexão com o Bling não concluída",
        message:
          "Este retorno do Bling não corresponde a uma conexão iniciada neste navegador, ou o link expirou. Volte às configurações e clique em Conectar ao Bling.",
        ...back,
      });
    }
    reply.clearCookie(BLING_STATE_COOKIE, { path: "/" });
    const error = first(q.error);
    if (error) {
      // Burn the state: an error callback ends this attempt.
      await repos(deps).states.consume(state, "bling");
      req.log.info({ error: loggable(error) }, "Bling authorization returned an error");
      return sendResultPage(reply, 200, {
        title: "Conexão com o Bling não concluída",
        message: providerErrorMessage(blingErrors, error, {
          withCode: (c) => `O Bling recusou a autorização (${c}). Tente conectar novamente.`,
          generic: "O Bling recusou a autorização. Tente conectar novamente.",
        }),
        ...back,
      });
    }
    const code = first(q.code);
    if (!code) {
      return sendResultPage(reply, 400, {
        title: "Conexão com o Bling não concluída",
        message: "O Bling não enviou o código de autorização. Tente conectar novamente.",
        ...back,
      });
    }
    const r = await completeBlingConnect(deps, { state, code });
    switch (r.kind) {
      case "connected":
        return reply.redirect(`${settingsUrl}?bling=connected`, 302);
      case "invalid_state":
        return sendResultPage(reply, 400, {
          title: "Conexão com o Bling não concluída",
          message:
            "Este link de conexão expirou ou já foi usado. Volte às configurações e clique em Conectar ao Bling.",
          ...back,
        });
      case "tenant_unavailable":
        return sendResultPage(reply, 403, {
          title: "Conexão com o Bling não concluída",
          message: "O app não está mais instalado nesta organização. Instale-o pelo App Center da Zydon.",
        });
      case "company_taken":
        return sendResultPage(reply, 409, {
          title: "Esta conta Bling já está em uso",
          message: `A empresa ${r.companyName ?? "desta conta Bling"} já está conectada a outra organização da Zydon. Uma conta Bling só pode alimentar uma organização. Desconecte-a lá ou entre com outra conta Bling.`,
          ...back,
        });
      case "code_rejected":
        return sendResultPage(reply, 400, {
          title: "Conexão com o Bling não concluída",
          message:
            "O código de autorização do Bling não vale mais (expirou ou já foi usado). Volte às configurações e clique em Conectar ao Bling.",
          ...back,
        });
      case "exchange_failed":
      case "company_unreadable":
        return sendResultPage(reply, 502, {
          title: "Conexão com o Bling não concluída",
          message: "O Bling não confirmou a autorização. Tente conectar novamente em alguns minutos.",
          ...back,
        });
    }
  });
}
