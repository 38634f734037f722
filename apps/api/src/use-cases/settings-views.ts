import { describeLedgerRow, describeProgress } from "@zb/contract";
import type { BlingConnection, LedgerOutcome, Tenant } from "@zb/db";
import { readRunFailure, readTenantSettings, SETTINGS_ENTITY, type SyncEntity, syncEntities } from "@zb/sync";
import { z } from "zod";
import type { AppDeps } from "../deps.js";
import { estimateProgress } from "./progress-estimate.js";
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

const readinessCountsSchema = z
  .object({
    counts: z
      .object({
        products: z.number().optional(),
        topLevelProducts: z.number().optional(),
        contactsListed: z.number().optional(),
        paymentMethods: z.number().optional(),
      })
      .loose(),
  })
  .loose();

/**
 * The initial sync (or the latest resync) per step, with done/total, whole-sync progress and an ETA from
 * the remaining Bling requests over the account's share (progress-estimate.ts). The first sync's finish time
 * stays apart from a later resync's.
 */
export async function progressView(deps: Deps, tenant: Tenant) {
  const { runs, cursors, credentials } = repos(deps);
  const [rows, readiness, conn] = await Promise.all([
    runs.latestByEntity(tenant.id, "initial"),
    cursors.get(tenant.id, "readiness", readinessCountsSchema).catch(() => undefined),
    credentials.getBlingConnection(tenant.id),
  ]);
  let share = deps.config.BLING_RATE_SHARE;
  if (
    deps.budget &&
    conn?.blingCompanyId &&
    rows.some((r) => r.status === "queued" || r.status === "running")
  ) {
    try {
      const u = await deps.budget.usage({ tenantId: tenant.id, blingCompanyId: conn.blingCompanyId });
      if (typeof u.share === "number" && u.share > 0) share = u.share;
    } catch (err) {
      deps.logger.warn({ tenantId: tenant.id, err: (err as Error).name }, "budget usage unavailable");
    }
  }
  const settings = readTenantSettings(tenant.settings);
  const est = estimateProgress({
    runs: rows.filter((r): r is typeof r & { entity: SyncEntity } =>
      (syncEntities as readonly string[]).includes(r.entity),
    ),
    order: syncEntities,
    share,
    counts: readiness?.counts,
    pricesWithProducts: settings.price.source !== "store",
  });
  const firstDoneAt = tenant.initialSyncDoneAt;
  // Each step's and the pass's one outcome (@zb/contract run-outcome.ts), with the reason a stopped step stored.
  const stored = new Map(rows.map((r) => [r.entity, readRunFailure(r.error)]));
  const outcomes = describeProgress(
    est.steps.map((s) => ({ ...s, failure: stored.get(s.entity) ?? null })),
    { initialSyncDone: Boolean(firstDoneAt) },
  );
  // A stopped or cancelled step has a finish time too; "concluída em" is only a step that finished.
  const finished = est.steps
    .filter((s) => s.status === "done")
    .map((s) => s.finishedAt)
    .filter((d): d is Date => d !== null);
  const lastFinish = finished.length > 0 ? new Date(Math.max(...finished.map((d) => d.getTime()))) : null;
  const lastResyncDoneAt =
    firstDoneAt && lastFinish && lastFinish.getTime() > firstDoneAt.getTime() + 1000 ? lastFinish : null;
  return {
    initialSyncDoneAt: firstDoneAt,
    lastResyncDoneAt,
    running: est.running,
    entities: outcomes.steps.map(({ step: { failure: _stored, ...step }, outcome }) => ({
      ...step,
      outcome,
    })),
    outcome: outcomes.overall,
    overall: est.overall,
    remainingRequests: est.remainingRequests,
    etaSeconds: est.etaSeconds,
    requestsPerSecond: share,
  };
}

const HOUR_MS = 3_600_000;

/** The last 24 whole hours (oldest first), missing hours filled with zeros. */
export function hourBuckets(
  rows: Array<{ hour: Date; synced: number; skipped: number; failed: number }>,
  now: Date,
  hours = 24,
) {
  const current = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const byHour = new Map(rows.map((r) => [r.hour.getTime(), r]));
  return Array.from({ length: hours }, (_, i) => {
    const start = current - (hours - 1 - i) * HOUR_MS;
    const r = byHour.get(start);
    return {
      start: new Date(start),
      synced: r?.synced ?? 0,
      skipped: r?.skipped ?? 0,
      failed: r?.failed ?? 0,
    };
  });
}

/** Sincronização charts: records per hour over the last day and the day's Bling requests vs the limit. */
export async function activityView(deps: Deps, tenant: Tenant) {
  const now = nowOf(deps);
  const { ledger, credentials } = repos(deps);
  const since = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - 23 * HOUR_MS);
  const [rows, conn] = await Promise.all([
    ledger.hourly(tenant.id, since),
    credentials.getBlingConnection(tenant.id),
  ]);
  let requests: { today: number; dailyLimit: number } | null = null;
  if (deps.budget && conn?.blingCompanyId) {
    try {
      const u = await deps.budget.usage({ tenantId: tenant.id, blingCompanyId: conn.blingCompanyId });
      requests = { today: u.today, dailyLimit: u.dailyLimit };
    } catch (err) {
      deps.logger.warn({ tenantId: tenant.id, err: (err as Error).name }, "budget usage unavailable");
    }
  }
  return { hours: hourBuckets(rows, now), requests };
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
    ...describeLedgerRow(r),
  };
}
