import { AlertsRepository, type Database, type Tenant } from "@zb/db";
import { saoPauloDate, saoPauloHour } from "../domain/brasilia-time.js";
import type { SyncLog } from "../pipelines/context.js";
import type { AlertKind, AlertSettings, AnyAlertKind } from "./alert-settings.js";
import { hasAlertChannel, readAlertSettings } from "./alert-settings.js";
import { type AlertFacts, alertSubject } from "./messages.js";

/** At most one alert of a kind per tenant per hour (issue 18 #1); the rest are counted, not sent. */
export const ALERT_THROTTLE_MS = 3_600_000;
/** How far back the watcher looks for failures to alert on. */
const LOOKBACK_MS = 24 * 3_600_000;
/** The daily summary goes out once a day from this hour on (São Paulo). */
export const DAILY_SUMMARY_HOUR = 8;

export interface AlertWatchDeps {
  db: Database;
  /** Enqueues the delivery of a raised alert (the alert-deliver job). */
  deliver(tenantId: string, alertId: number): Promise<void>;
  log: SyncLog;
  now?: () => Date;
}

interface Occurrence<K extends AnyAlertKind = AnyAlertKind> {
  kind: K;
  dedupeKey: string;
  facts: AlertFacts<K>;
}

/**
 * Alerts are derived from state, not fired from inside the pipelines: once a minute the watcher reads, per
 * tenant with a channel set, what is true now (the connection needs reauthorization, Bling's daily limit
 * paused the account, an order or NF-e failure is open, work waits while nothing succeeds, the first sync
 * finished) and raises each occurrence under a stable key. Raising a key twice is a no-op, so a crash, a
 * restart or two workers watching at once cannot send one occurrence twice, and a condition that became
 * true while a worker was down is still seen. The hourly limit is the repository's (`raise`).
 */
export async function watchAlerts(deps: AlertWatchDeps): Promise<{ raised: number; suppressed: number }> {
  const repo = new AlertsRepository(deps.db);
  const now = deps.now?.() ?? new Date();
  let raised = 0;
  let suppressed = 0;
  for (const w of await repo.watchedTenants()) {
    const settings = readAlertSettings(w.config);
    if (!hasAlertChannel(settings)) continue;
    let found: Occurrence[];
    try {
      found = await occurrences(repo, w.tenant, w.connection, settings, now);
    } catch (err) {
      deps.log.warn({ tenantId: w.tenant.id, err: (err as Error).name }, "alert watch failed for tenant");
      continue;
    }
    for (const o of found) {
      const r = await raiseAlert(deps, repo, w.tenant.id, o, now);
      if (r === "raised") raised++;
      if (r === "suppressed") suppressed++;
    }
  }
  // A pending alert untouched for longer than any retry wait lost its delivery job: hand it over again (one
  // job per alert id, so one still waiting is not doubled; a delivered one is a no-op).
  for (const a of await repo.stalePending(new Date(now.getTime() - STALE_PENDING_MS))) {
    await deps.deliver(a.tenantId, a.id);
  }
  return { raised, suppressed };
}

/** Longer than the longest wait between two delivery tries (alertRetryDelayMs at its last try: 4 min). */
const STALE_PENDING_MS = 15 * 60_000;

/** Raise one occurrence and, when it is to be sent, hand it to delivery. */
export async function raiseAlert(
  deps: AlertWatchDeps,
  repo: AlertsRepository,
  tenantId: string,
  o: Occurrence,
  now: Date,
): Promise<"raised" | "suppressed" | "exists"> {
  const throttled = o.kind !== "test" && o.kind !== "daily_summary" && o.kind !== "first_sync";
  const r = await repo.raise({
    tenantId,
    kind: o.kind,
    dedupeKey: o.dedupeKey,
    subject: alertSubject(o.kind, o.facts),
    facts: o.facts as Record<string, unknown>,
    throttleMs: throttled ? ALERT_THROTTLE_MS : 0,
    now,
  });
  if (r.kind === "raised") {
    await deps.deliver(tenantId, r.alert.id);
    deps.log.info({ tenantId, alertId: r.alert.id, kind: o.kind }, "alert raised");
  }
  return r.kind;
}

async function occurrences(
  repo: AlertsRepository,
  tenant: Tenant,
  connection: { status: string; tokenVersion: number; companyName: string | null } | null,
  settings: AlertSettings,
  now: Date,
): Promise<Occurrence[]> {
  const on = (k: AlertKind) => settings.kinds[k];
  const out: Occurrence[] = [];
  const since = new Date(now.getTime() - LOOKBACK_MS);
  const needsReauth = tenant.state === "needs_reauth" || connection?.status === "needs_reauth";
  const limitPaused = tenant.blingPausedUntil !== null && tenant.blingPausedUntil > now;
  const merchantPaused = tenant.state === "paused";

  if (on("bling_reconnect") && needsReauth)
    out.push({
      kind: "bling_reconnect",
      // A new authorization bumps the token version: the next loss of access is a new occurrence.
      dedupeKey: `v${connection?.tokenVersion ?? 0}`,
      facts: { companyName: connection?.companyName ?? null },
    });
  if (on("daily_limit") && limitPaused && tenant.blingPausedUntil)
    out.push({
      kind: "daily_limit",
      dedupeKey: tenant.blingPausedUntil.toISOString(),
      facts: { until: tenant.blingPausedUntil.toISOString() },
    });
  const wantOrders = on("order_failed");
  const wantNfe = on("nfe_failed");
  if (wantOrders || wantNfe) {
    const entities = [...(wantOrders ? ["order"] : []), ...(wantNfe ? ["nfe"] : [])];
    for (const f of await repo.openFailures(tenant.id, entities, since)) {
      const kind = f.entity === "order" ? "order_failed" : "nfe_failed";
      out.push({
        kind,
        // The ledger row and its count of failures: a failure after a retry is a new occurrence.
        dedupeKey: `${f.id}:${f.attempts}`,
        facts: { zydonOrderId: f.entityKey, reason: f.reason },
      });
    }
  }
  if (on("stalled") && tenant.state === "active" && !limitPaused) {
    const cutoff = new Date(now.getTime() - settings.stalledMinutes * 60_000);
    const last = await repo.lastSuccessAt(tenant.id);
    if (last === null || last < cutoff) {
      const pending = await repo.pendingSince(tenant.id, cutoff);
      if (pending)
        out.push({
          kind: "stalled",
          // One occurrence per stretch without a success: the next success starts a new one.
          dedupeKey: `since:${last?.toISOString() ?? "never"}`,
          facts: {
            minutes: settings.stalledMinutes,
            pendingSince: pending.toISOString(),
            lastSuccessAt: last?.toISOString() ?? null,
          },
        });
    }
  }
  if (on("first_sync") && tenant.initialSyncDoneAt && tenant.initialSyncDoneAt > since) {
    const seen = new Set<string>();
    const counts = (await repo.initialSyncCounts(tenant.id)).filter((c) => {
      if (seen.has(c.entity)) return false;
      seen.add(c.entity);
      return true;
    });
    out.push({
      kind: "first_sync",
      dedupeKey: tenant.initialSyncDoneAt.toISOString(),
      facts: { finishedAt: tenant.initialSyncDoneAt.toISOString(), counts },
    });
  }
  if (settings.dailySummary && !merchantPaused && saoPauloHour(now) >= DAILY_SUMMARY_HOUR) {
    const date = saoPauloDate(now);
    const outcomes = await repo.outcomesSince(tenant.id, new Date(now.getTime() - 24 * 3_600_000));
    const recent = await repo.since(tenant.id, new Date(now.getTime() - 24 * 3_600_000));
    const [y, m, d] = date.split("-");
    out.push({
      kind: "daily_summary",
      dedupeKey: date,
      facts: {
        date: `${d}/${m}/${y}`,
        synced: outcomes.synced ?? 0,
        skipped: outcomes.skipped ?? 0,
        failed: outcomes.failed ?? 0,
        alerts: recent.filter((a) => a.status === "sent" && a.kind !== "daily_summary").length,
        suppressed: recent.filter((a) => a.status === "suppressed").length,
      },
    });
  }
  return out;
}
