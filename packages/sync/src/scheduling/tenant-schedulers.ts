import type { JobProducer } from "../queues/producer.js";
import { QUEUES } from "../queues/queues.js";

/**
 * Per-tenant recurring work. Scheduler ids are stable per tenant, so upserting twice (restart, reinstall)
 * never duplicates a schedule (BullMQ v6 `upsertJobScheduler`).
 */
export const schedulerIntervals = {
  /** Products/prices `dataAlteracao` window and new Zydon orders: bounds the delay when webhooks are lost. */
  pollChangesMs: 60_000,
  /** Rolling stock reconciliation (Bling stock has no change filter): one batch per run. */
  reconcileStockMs: 60_000,
  /**
   * Zydon-side order statuses (polling fallback of the order-update webhook): one batch of waiting orders
   * re-read per run (pipelines/zydon-status-watch.ts).
   */
  watchZydonOrdersMs: 120_000,
};

/**
 * The daily drift audit runs at night in São Paulo (02:00–05:59), at a minute derived from the tenant id so
 * thousands of tenants do not start together. A cron pattern (not `every`) because re-upserting it at each
 * worker start must not reset it, and it must not run right after the initial sync.
 */
export function driftAuditPattern(tenantId: string): string {
  let h = 0;
  for (const ch of tenantId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `${h % 60} ${2 + (Math.floor(h / 60) % 4)} * * *`;
}

function ids(tenantId: string) {
  return {
    poll: `poll-changes-${tenantId}`,
    reconcile: `reconcile-stock-${tenantId}`,
    drift: `drift-audit-${tenantId}`,
    watch: `watch-zydon-orders-${tenantId}`,
  };
}

export async function ensureTenantSchedulers(
  producer: JobProducer,
  tenantId: string,
  intervals: Partial<typeof schedulerIntervals> = {},
): Promise<void> {
  const every = { ...schedulerIntervals, ...intervals };
  const q = producer.queue(QUEUES.sync);
  const { poll, reconcile, drift } = ids(tenantId);
  await q.upsertJobScheduler(
    drift,
    { pattern: driftAuditPattern(tenantId), tz: "America/Sao_Paulo" },
    { name: "drift-audit", data: { tenantId } },
  );
  await q.upsertJobScheduler(
    poll,
    { every: every.pollChangesMs },
    { name: "poll-changes", data: { tenantId } },
  );
  await q.upsertJobScheduler(
    reconcile,
    { every: every.reconcileStockMs },
    { name: "reconcile-stock", data: { tenantId } },
  );
  await q.upsertJobScheduler(
    ids(tenantId).watch,
    { every: every.watchZydonOrdersMs },
    { name: "watch-zydon-orders", data: { tenantId } },
  );
}

/** Uninstall/pause: stop the tenant's recurring jobs within seconds. */
export async function removeTenantSchedulers(producer: JobProducer, tenantId: string): Promise<void> {
  const q = producer.queue(QUEUES.sync);
  const { poll, reconcile, drift } = ids(tenantId);
  await q.removeJobScheduler(drift);
  await q.removeJobScheduler(poll);
  await q.removeJobScheduler(reconcile);
  await q.removeJobScheduler(ids(tenantId).watch);
}

/** Daily retention at 03:17 in São Paulo (a cron pattern, so re-upserting at each worker start never resets it). */
export const pruneRetentionPattern = "17 3 * * *";

/** Deployment-wide maintenance: token keep-alive, secret purge and the daily retention prune. */
export async function ensureGlobalSchedulers(producer: JobProducer): Promise<void> {
  const q = producer.queue(QUEUES.maintenance);
  await q.upsertJobScheduler("token-keepalive", { every: 3_600_000 }, { name: "token-keepalive", data: {} });
  await q.upsertJobScheduler("purge-secrets", { every: 3_600_000 }, { name: "purge-secrets", data: {} });
  await q.upsertJobScheduler("alert-watch", { every: 60_000 }, { name: "alert-watch", data: {} });
  await q.upsertJobScheduler(
    "prune-retention",
    { pattern: pruneRetentionPattern, tz: "America/Sao_Paulo" },
    { name: "prune-retention", data: {} },
  );
}
