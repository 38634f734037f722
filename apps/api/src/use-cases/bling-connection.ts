import { BlingInvalidGrantError } from "@zb/bling";
import { CompanyAlreadyBoundError } from "@zb/db";
import type { AppDeps } from "../deps.js";
import { repos } from "./repos.js";
import { type CatchUp, queueCatchUp } from "./tenant-lifecycle.js";

type Deps = Pick<AppDeps, "db" | "secretBox" | "producer" | "hooks" | "config" | "logger" | "now" | "bling">;

/** A state lives long enough for a Bling login with a password manager, not longer. */
export const BLING_STATE_TTL_MS = 10 * 60_000;

export type StartResult =
  | { ok: true; url: string; state: string }
  | { ok: false; reason: "tenant_unavailable" };

/** "Conectar ao Bling": a single-use state bound to the tenant, then Bling's authorize URL. */
export async function startBlingConnect(deps: Deps, tenantId: string): Promise<StartResult> {
  const { tenants, states } = repos(deps);
  const tenant = await tenants.findById(tenantId);
  if (!tenant || tenant.state === "paused") return { ok: false, reason: "tenant_unavailable" };
  const state = await states.create({ provider: "bling", tenantId, ttlMs: BLING_STATE_TTL_MS });
  return { ok: true, url: deps.bling.authorizeUrl(state), state };
}

export type CompleteResult =
  | {
      kind: "connected";
      tenantId: string;
      companyName: string | null;
      catchUp: CatchUp;
    }
  | { kind: "invalid_state" }
  | { kind: "tenant_unavailable" }
  | { kind: "exchange_failed" }
  /** Bling said invalid_grant: a made-up, expired or already used code (the merchant's side, not Bling's). */
  | { kind: "code_rejected" }
  | { kind: "company_unreadable" }
  | { kind: "company_taken"; companyName: string | null };

/**
 * Bling's callback: the state must be ours, unused, unexpired and bound to a tenant; then code → tokens →
 * company id → store (a company bound to another tenant is refused and the fresh tokens revoked) →
 * tenant active → initial sync (or a catch-up when it already ran once).
 */
export async function completeBlingConnect(
  deps: Deps,
  input: { state: string; code: string },
): Promise<CompleteResult> {
  const { tenants, states, credentials } = repos(deps);
  const consumed = await states.consume(input.state, "bling");
  if (!consumed?.tenantId) return { kind: "invalid_state" };
  const tenantId = consumed.tenantId;
  const tenant = await tenants.findById(tenantId);
  if (!tenant || tenant.state === "paused") return { kind: "tenant_unavailable" };

  let tokens: Awaited<ReturnType<Deps["bling"]["exchangeCode"]>>;
  try {
    tokens = await deps.bling.exchangeCode(input.code);
  } catch (err) {
    deps.logger.warn({ tenantId, err: errName(err) }, "Bling code exchange failed");
    return err instanceof BlingInvalidGrantError ? { kind: "code_rejected" } : { kind: "exchange_failed" };
  }
  const revokeFresh = () => revokeBoth(deps, tenantId, tokens);

  let company: { id: string; name: string | null };
  try {
    company = await deps.bling.companyInfo(tokens.accessToken);
  } catch (err) {
    deps.logger.warn({ tenantId, err: errName(err) }, "Bling company lookup failed");
    await revokeFresh();
    return { kind: "company_unreadable" };
  }
  try {
    await credentials.connectBling(tenantId, {
      blingCompanyId: company.id,
      companyName: company.name,
      tokens,
    });
  } catch (err) {
    if (err instanceof CompanyAlreadyBoundError) {
      deps.logger.warn(
        { tenantId, blingCompanyId: company.id },
        "Bling company already bound to another tenant",
      );
      await revokeFresh();
      return { kind: "company_taken", companyName: company.name };
    }
    throw err;
  }

  if (tenant.state !== "active") await tenants.setState(tenantId, "active");
  const fresh = (await tenants.findById(tenantId)) ?? tenant;
  // First activation: the sync engine runs the readiness check, then the initial sync.
  const catchUp = fresh.initialSyncDoneAt
    ? await queueCatchUp(deps, fresh)
    : await startInitial(deps, tenantId);
  deps.logger.info({ tenantId, blingCompanyId: company.id, catchUp }, "Bling connected");
  return { kind: "connected", tenantId, companyName: company.name, catchUp };
}

async function startInitial(deps: Deps, tenantId: string): Promise<"initial-sync-started"> {
  await deps.producer.enqueue("initial-sync-start", { tenantId });
  return "initial-sync-started";
}

async function revokeBoth(
  deps: Deps,
  tenantId: string,
  tokens: { accessToken: string; refreshToken: string },
): Promise<boolean> {
  const results = await Promise.allSettled([
    deps.bling.revoke(tokens.refreshToken, "refresh_token"),
    deps.bling.revoke(tokens.accessToken, "access_token"),
  ]);
  const failed = results.filter((r) => r.status === "rejected");
  if (failed.length > 0) {
    deps.logger.warn(
      { tenantId, failures: failed.map((f) => errName((f as PromiseRejectedResult).reason)) },
      "Bling token revoke failed",
    );
  }
  return failed.length === 0;
}

/**
 * "Desconectar Bling": revoke at Bling (refresh, then access token), forget the tokens locally whatever
 * Bling answered (the merchant asked us to stop), stop the recurring jobs.
 */
export async function disconnectBling(
  deps: Deps,
  tenantId: string,
): Promise<{ wasConnected: boolean; revokedAtBling: boolean }> {
  const { tenants, credentials } = repos(deps);
  const conn = await credentials.getBlingConnection(tenantId);
  if (!conn || conn.status === "disconnected") return { wasConnected: false, revokedAtBling: false };
  const revoked = conn.tokens ? await revokeBoth(deps, tenantId, conn.tokens) : false;
  await credentials.disconnectBling(tenantId);
  const tenant = await tenants.findById(tenantId);
  if (tenant && tenant.state !== "paused") await tenants.setState(tenantId, "awaiting_bling");
  await deps.hooks.onTenantPaused(tenantId);
  deps.logger.info({ tenantId, revokedAtBling: revoked }, "Bling disconnected");
  return { wasConnected: true, revokedAtBling: revoked };
}

/** Error class name only: messages of outside errors may quote request details. */
function errName(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { status?: unknown }).status;
    return typeof status === "number" ? `${err.name}(${status})` : err.name;
  }
  return "unknown";
}
