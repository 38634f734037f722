import type { BlingConnection, LedgerOutcome, Tenant } from "@zb/db";
import { readTenantSettings, SETTINGS_ENTITY, type SyncEntity, syncEntities } from "@zb/sync";
import { z } from "zod";
import type { AppDeps } from "../deps.js";
import { nowOf, repos } from "./repos.js";

type Deps = Pick<AppDeps, "db" | "secretBox" | "now" | "budget" | "config" | "logger">;

export type BlingState = "not_connected" | "connected" | "needs_reauth";
export type TokenState = "none" | "valid" | "renewing" | "refresh_failing" | "expired" | "needs_reauth";

/** The Bling access in a merchant's words (never "token"). */
const tokenLabels: Record<TokenState, string> = {
  none: "Bling não conectado.",
  valid: "Acesso ao Bling em dia.",
  renewing: "Acesso ao Bling sendo renovado automaticamente.",
  refresh_failing: "Não conseguimos renovar o acesso ao Bling; nova tentativa em breve.",
  expired: "A autorização do Bling expirou. Reconecte.",
  needs_reauth: "O Bling recusou a renovação do acesso. Clique em Reconectar.",
};

export function tokenState(conn: BlingConnection | undefined, now: Date): TokenState {
  if (!conn || conn.status === "disconnected" || !conn.tokens) return "none";
  if (conn.status === "needs_reauth") return "needs_reauth";
  if (conn.tokens.refreshExpiresAt <= now) return "expired";
  if (conn.refreshFailures > 0) return "refresh_failing";
  if (conn.tokens.accessExpiresAt <= now) return "renewing";
  return "valid";
}

export function blingStateOf(conn: BlingConnection | undefined, now: Date): BlingState {
  const t = tokenState(conn, now);
  if (t === "none") return "not_connected";
  if (t === "needs_reauth" || t === "expired") return "needs_reauth";
  return "connected";
}

/** What the Conexão card shows. Never a token: only states, names and times. */
export async function connectionView(deps: Deps, tenant: Tenant) {
  const now = nowOf(deps);
  const conn = await repos(deps).credentials.getBlingConnection(tenant.id);
  const state = blingStateOf(conn, now);
  const t = tokenState(conn, now);
  const settings = readTenantSettings(tenant.settings);
  const label =
    state === "connected"
      ? `Conectado como ${conn?.companyName ?? "empresa sem nome"}`
      : state === "needs_reauth"
        ? "Reconexão necessária"
        : "Não conectado";
  return {
    tenant: { id: tenant.id, state: tenant.state, paused: settings.paused, installedAt: tenant.installedAt },
    bling: {
      state,
      label,
      companyName: state === "not_connected" ? null : (conn?.companyName ?? null),
      blingCompanyId: state === "not_connected" ? null : (conn?.blingCompanyId ?? null),
    },
    token: {
      state: t,
      label: tokenLabels[t],
      accessExpiresAt: conn?.tokens?.accessExpiresAt ?? null,
      refreshExpiresAt: conn?.tokens?.refreshExpiresAt ?? null,
      lastRefreshAt: conn?.lastRefreshAt ?? null,
      refreshFailures: conn?.refreshFailures ?? 0,
    },
  };
}

/** Health: last success per entity, webhook lag, Bling requests today, token state, paused/active. */
export async function healthView(deps: Deps, tenant: Tenant) {
  const now = nowOf(deps);
  const { health, credentials } = repos(deps);
  const [successes, lagRows, conn, settingsErrors] = await Promise.all([
    health.lastSuccessByEntity(tenant.id),
    health.webhookLagSince(tenant.id, new Date(now.getTime() - 86_400_000)),
    credentials.getBlingConnection(tenant.id),
    // Open configuration errors the sync recorded (packages/sync pipelines/config-errors.ts).
    repos(deps).ledger.list({
      tenantId: tenant.id,
      entity: SETTINGS_ENTITY,
      outcome: "failed",
      onlyOpen: true,
      pageSize: 10,
    }),
  ]);
  const lastSuccess: Record<string, string | null> = {};
  for (const [entity, at] of Object.entries(successes)) lastSuccess[entity] = at.toISOString();
  const webhooks: Record<
    string,
    { last24h: number; lastReceivedAt: string | null; lastLagMs: number | null; p95LagMs: number | null }
  > = {};
  for (const r of lagRows) {
    webhooks[r.provider] = {
      last24h: r.count,
      lastReceivedAt: r.lastReceivedAt ? r.lastReceivedAt.toISOString() : null,
      lastLagMs: r.lastLagMs,
      p95LagMs: r.p95LagMs,
    };
  }
  let requests: { today: number; dailyLimit: number; lastSecond: number | null } | null = null;
  if (deps.budget && conn?.blingCompanyId) {
    try {
      const u = await deps.budget.usage({ tenantId: tenant.id, blingCompanyId: conn.blingCompanyId });
      requests = { today: u.today, dailyLimit: u.dailyLimit, lastSecond: u.lastSecond ?? null };
    } catch (err) {
      deps.logger.warn({ tenantId: tenant.id, err: (err as Error).name }, "budget usage unavailable");
    }
  }
  const t = tokenState(conn, now);
  const settings = readTenantSettings(tenant.settings);
  return {
    tenantState: tenant.state,
    paused: settings.paused || tenant.state === "paused",
    attention: settingsErrors.items.map((r) => ({
      setting: r.entityKey,
      reason: r.reason,
      since: r.createdAt,
    })),
    blingPausedUntil:
      tenant.blingPausedUntil && tenant.blingPausedUntil > now ? tenant.blingPausedUntil : null,
    lastSuccess,
    webhooks,
    requests,
    token: { state: t, label: tokenLabels[t] },
  };
}

const readinessSchema = z
  .object({ generatedAt: z.string(), problems: z.array(z.record(z.string(), z.unknown())) })
  .loose();

/** Latest readiness report, written by the sync engine to the `readiness` cursor stream. */
export async function readinessView(deps: Deps, tenantId: string) {
  return repos(deps).cursors.get(tenantId, "readiness", readinessSchema);
}

/**
 * Rough Bling requests per remaining record, used only for the ETA: list pages hold 100 records, product
 * details are read one by one, stock balances many products per request, contacts need a detail each.
 */
const requestsPerRecord: Record<SyncEntity, number> = {
  payment_methods: 0.01,
  products: 1.01,
  stock: 0.01,
  prices: 0.01,
  customers: 1.01,
};

/** Initial sync per entity (done/total) with an ETA from the request budget share. */
export async function progressView(deps: Deps, tenant: Tenant) {
  const runs = await repos(deps).runs.latestByEntity(tenant.id, "initial");
  const rate = Math.max(0.1, deps.config.BLING_RATE_SHARE);
  const byEntity = new Map(runs.map((r) => [r.entity, r]));
  let etaKnown = true;
  let remainingRequests = 0;
  const entities = syncEntities
    .filter((e) => byEntity.has(e))
    .map((entity) => {
      const r = byEntity.get(entity) as (typeof runs)[number];
      const processed = r.done + r.failed + r.skipped;
      const remaining = r.total === null ? null : Math.max(0, r.total - processed);
      const active = r.status === "queued" || r.status === "running";
      let etaSeconds: number | null = null;
      if (active && remaining !== null) {
        const reqs = Math.ceil(remaining * requestsPerRecord[entity]);
        etaSeconds = Math.ceil(reqs / rate);
        remainingRequests += reqs;
      } else if (active) etaKnown = false;
      return {
        entity,
        status: r.status,
        done: r.done,
        failed: r.failed,
        skipped: r.skipped,
        total: r.total,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        etaSeconds,
      };
    });
  const running = entities.some((e) => e.status === "queued" || e.status === "running");
  return {
    initialSyncDoneAt: tenant.initialSyncDoneAt,
    running,
    entities,
    etaSeconds: running && etaKnown ? Math.ceil(remainingRequests / rate) : null,
    requestsPerSecond: rate,
  };
}

export function ledgerItem(r: {
  id: number;
  entity: string;
  entityKey: string;
  action: string;
  outcome: LedgerOutcome;
  reason: string | null;
  details: Record<string, unknown> | null;
  attempts: number;
  retryable: number;
  resolvedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}) {
  return {
    id: r.id,
    entity: r.entity,
    entityKey: r.entityKey,
    action: r.action,
    outcome: r.outcome,
    reason: r.reason,
    details: r.details,
    attempts: r.attempts,
    retryable: r.retryable === 1,
    resolvedAt: r.resolvedAt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
