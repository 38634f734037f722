import type { ReissuedSession } from "@zb/contract";
import type { Tenant } from "@zb/db";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppDeps } from "../deps.js";
import { bearerToken, signSession, type TenantSession, verifySession } from "../session/session-token.js";
import { repos } from "../use-cases/repos.js";
import { sendError } from "./pages.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by `requireTenant`: the only tenant this request may read or change. */
    tenant: Tenant | null;
    tenantSession: TenantSession | null;
  }
}

export type SessionFailure = { status: 401 | 403; error: string; message: string };

/**
 * Resolve a session token to its tenant. The token names the tenant; the row must still belong to the same
 * organization and must not be uninstalled (a paused tenant's page gets nothing, and nothing reaches Zydon
 * or Bling for it). A launch session (the install callback's, in the page's fragment) opens nothing by
 * itself: it is only traded, once, for a page session (`POST /api/session/launch`, `kind: "launch"`), and
 * each kind is signed under its own domain, so neither verifies as the other. Either kind is revoked when the
 * tenant's session generation moved on since it was issued.
 */
export async function tenantFromSession(
  deps: Pick<AppDeps, "db" | "secretBox" | "config" | "now">,
  token: string | undefined,
  kind: TenantSession["kind"] = "page",
): Promise<{ ok: true; tenant: Tenant; session: TenantSession } | ({ ok: false } & SessionFailure)> {
  const check = verifySession(deps.config.SESSION_SECRET, token, deps.now?.() ?? new Date(), kind);
  if (!check.ok) {
    return {
      ok: false,
      status: 401,
      error: check.reason === "expired" ? "session_expired" : "unauthorized",
      message:
        check.reason === "expired"
          ? "Sua sessão expirou. Recarregue a página no App Center."
          : "Sessão inválida. Abra o app pelo App Center da Zydon.",
    };
  }
  const tenant = await repos(deps).tenants.findById(check.session.tenantId);
  if (!tenant || tenant.zydonOrganizationId !== check.session.organizationId) {
    return {
      ok: false,
      status: 401,
      error: "unauthorized",
      message: "Sessão inválida. Abra o app pelo App Center da Zydon.",
    };
  }
  if (tenant.state === "paused") {
    return {
      ok: false,
      status: 403,
      error: "tenant_uninstalled",
      message: "O app foi desinstalado desta organização. Instale-o novamente pelo App Center.",
    };
  }
  // Revoked: issued before the tenant's last uninstall, Bling disconnect or purge (issue 21 #8).
  if (check.session.generation !== tenant.sessionGeneration) {
    return {
      ok: false,
      status: 401,
      error: "session_revoked",
      message: "Sua sessão foi encerrada. Abra o app de novo pelo App Center da Zydon.",
    };
  }
  return { ok: true, tenant, session: check.session };
}

/** onRequest hook for every `/api/settings*` route: `Authorization: Bearer <session token>`. */
export function requireTenant(deps: Pick<AppDeps, "db" | "secretBox" | "config" | "now">) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const r = await tenantFromSession(deps, bearerToken(req.headers.authorization));
    if (!r.ok) return sendError(reply, r.status, r.error, r.message);
    req.tenant = r.tenant;
    req.tenantSession = r.session;
  };
}

/** The tenant a guarded handler works for; throws if a route forgot the hook (a bug, answered as 500). */
export function tenantOf(req: FastifyRequest): Tenant {
  if (!req.tenant) throw new Error("route is missing the tenant session hook");
  return req.tenant;
}

/**
 * After a revocation this request caused (Desconectar, Excluir meus dados): a session of the tenant's new
 * generation for the tab that asked, with the expiry of the one it sent (never longer), so the merchant stays
 * on the page while every other session of the tenant is out. Nothing when that session is already over.
 */
export async function reissueSession(
  deps: Pick<AppDeps, "db" | "secretBox" | "config" | "now">,
  req: FastifyRequest,
): Promise<ReissuedSession | undefined> {
  const old = req.tenantSession;
  if (!old) return undefined;
  const tenant = await repos(deps).tenants.findById(old.tenantId);
  const now = deps.now?.() ?? new Date();
  const ttlSec = old.exp - Math.floor(now.getTime() / 1000);
  if (!tenant || ttlSec <= 0) return undefined;
  const s = signSession(
    deps.config.SESSION_SECRET,
    {
      tenantId: tenant.id,
      organizationId: old.organizationId,
      kind: "page",
      ttlSec,
      generation: tenant.sessionGeneration,
    },
    now,
  );
  return { token: s.token, expiresAt: s.expiresAt.toISOString(), tenantId: tenant.id };
}
