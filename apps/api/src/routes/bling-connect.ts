import type { BlingConnectStartResponse } from "@zb/contract";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AppDeps } from "../deps.js";
import { rateLimit } from "../http/limits.js";
import { loggable, providerErrorMessage, sendConfirmPage, sendError, sendResultPage } from "../http/pages.js";
import { tenantFromSession } from "../http/tenant-auth.js";
import { bearerToken } from "../session/session-token.js";
import {
  BLING_STATE_TTL_MS,
  type CompleteResult,
  cancelBlingConnect,
  completeBlingConnect,
  confirmBlingConnect,
  issueConnectNonce,
  redeemConnectNonce,
  TOO_MANY_CONNECT_ATTEMPTS,
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
 * below.
 *
 * The flow, so that a connect link someone forwarded can never bind the clicker's Bling to the sender's
 * organization: the page `POST /bling/connect`s (Bearer session, our Origin only) and gets a URL with a
 * single-use nonce valid a minute; its Bling window opens `GET /bling/connect?nonce=` (state cookie, then
 * Bling); Bling's callback exchanges the code but binds nothing until the merchant answers "Conectar a
 * empresa X do Bling à organização Y da Zydon?" (`POST /bling/confirm`, the state in the form and in the
 * SameSite cookie). No session token travels in a URL.
 */
export async function blingConnectRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const settingsUrl = new URL("/app", deps.config.PUBLIC_BASE_URL).toString();
  const secureCookie = deps.config.PUBLIC_BASE_URL.startsWith("https:");
  // The page is served by this API (/app) or framed by Zydon's admin (the federation remote).
  const allowedOrigins = new Set([
    new URL(deps.config.PUBLIC_BASE_URL).origin,
    ...(deps.web?.frameAncestors ?? []).map((o) => new URL(o).origin),
  ]);
  const failedStart = "Não foi possível iniciar a conexão";

  // The confirmation form posts url-encoded fields (this plugin's scope only; the API speaks JSON).
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: 4 * 1024 },
    (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  app.post("/bling/connect", { config: rateLimit(deps, "public") }, async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin || !allowedOrigins.has(origin)) {
      req.log.warn({ origin: origin ? loggable(origin) : null }, "Bling connect start from a foreign origin");
      return sendError(reply, 403, "forbidden_origin", "Abra a conexão pela página de configurações do app.");
    }
    const auth = await tenantFromSession(deps, bearerToken(req.headers.authorization));
    if (!auth.ok) return sendError(reply, auth.status, auth.error, auth.message);
    const r = await issueConnectNonce(deps, auth.tenant.id);
    if (!r.ok) {
      return r.reason === "too_many_attempts"
        ? sendError(reply, 429, "too_many_attempts", TOO_MANY_CONNECT_ATTEMPTS)
        : sendError(
            reply,
            403,
            "tenant_unavailable",
            "O app não está instalado nesta organização. Instale-o pelo App Center da Zydon.",
          );
    }
    const url = new URL("/bling/connect", deps.config.PUBLIC_BASE_URL);
    url.searchParams.set("nonce", r.nonce);
    const body: BlingConnectStartResponse = { url: url.toString() };
    return reply.code(200).header("cache-control", "no-store").send(body);
  });

  app.get("/bling/connect", { config: rateLimit(deps, "public") }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const nonce = first(q.nonce);
    const r = nonce
      ? await redeemConnectNonce(deps, nonce)
      : ({ ok: false, reason: "invalid_nonce" } as const);
    if (!r.ok) {
      return r.reason === "invalid_nonce"
        ? sendResultPage(reply, 400, {
            title: failedStart,
            message:
              "Este link de conexão não vale mais (expirou, já foi usado ou não foi aberto pelo app). Volte às configurações e clique em Conectar ao Bling.",
            backUrl: settingsUrl,
          })
        : sendResultPage(reply, 403, {
            title: failedStart,
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

  app.post("/bling/confirm", { config: rateLimit(deps, "public") }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const state = first(body.state);
    const decision = first(body.decision);
    const back = { backUrl: settingsUrl };
    // Only the page's own form answers (a script elsewhere could not send the SameSite cookie anyway).
    const isForm = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    if (!isForm || !stateMatchesCookie(req, state) || (decision !== "confirm" && decision !== "cancel")) {
      req.log.warn({ hasState: Boolean(state) }, "Bling confirmation refused");
      return sendResultPage(reply, 400, {
        title: "Conexão com o Bling não concluída",
        message:
          "Esta confirmação não corresponde a uma conexão iniciada neste navegador, ou expirou. Volte às configurações e clique em Conectar ao Bling.",
        ...back,
      });
    }
    reply.clearCookie(BLING_STATE_COOKIE, { path: "/" });
    if (decision === "cancel") {
      await cancelBlingConnect(deps, state as string);
      return sendResultPage(reply, 200, {
        title: "Conexão cancelada",
        message: "Nada foi conectado e o acesso recém-concedido foi revogado no Bling.",
        ...back,
      });
    }
    return sendCompletion(reply, await confirmBlingConnect(deps, state as string));
  });

  function stateMatchesCookie(req: FastifyRequest, state: string | undefined): boolean {
    const cookieState = req.cookies[BLING_STATE_COOKIE];
    return Boolean(state && cookieState && cookieState === state);
  }

  function sendCompletion(
    reply: Parameters<typeof sendResultPage>[0],
    r: Exclude<CompleteResult, { kind: "confirm" }>,
  ) {
    const back = { backUrl: settingsUrl };
    switch (r.kind) {
      case "connected":
        return reply.redirect(`${settingsUrl}?bling=connected`, 302);
      case "nothing_pending":
        return sendResultPage(reply, 400, {
          title: "Conexão com o Bling não concluída",
          message:
            "Esta confirmação expirou ou já foi usada. Volte às configurações e clique em Conectar ao Bling.",
          ...back,
        });
      case "too_many_attempts":
        return sendResultPage(reply, 429, {
          title: "Conexão com o Bling não concluída",
          message: TOO_MANY_CONNECT_ATTEMPTS,
          ...back,
        });
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
  }

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
    const error = first(q.error);
    if (error) {
      reply.clearCookie(BLING_STATE_COOKIE, { path: "/" });
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
    if (r.kind !== "confirm") {
      reply.clearCookie(BLING_STATE_COOKIE, { path: "/" });
      return sendCompletion(reply, r);
    }
    // The state cookie stays until the answer: it is what makes the confirmation POST this browser's.
    // Both sides by name (the organization's id beside it: two organizations may share a name).
    const organization = r.organizationName
      ? `${r.organizationName} (${r.organizationId})`
      : r.organizationId;
    return sendConfirmPage(reply, {
      title: "Confirme a conexão com o Bling",
      question: `Conectar a empresa ${r.companyName ?? "(sem nome)"} do Bling à organização ${organization} da Zydon? Produtos, estoque, preços e clientes desta empresa passarão a ser enviados a essa organização, e os pedidos feitos nela, ao Bling desta empresa. Se você não reconhece a organização, clique em Cancelar.`,
      action: "/bling/confirm",
      fields: { state },
    });
  });
}
