import { and, eq, gt, max, sql } from "drizzle-orm";
import type { Database } from "../client.js";
import { type OAuthProvider, syncLedger, syncRuns, webhookInbox } from "../schema/index.js";

/** Webhook traffic of one provider over a window: count, last arrival and lag (receivedAt − occurredAt). */
export type WebhookLag = {
  provider: OAuthProvider;
  count: number;
  lastReceivedAt: Date | null;
  /** Lag of the most recent event that carried an occurredAt; null when none did. */
  lastLagMs: number | null;
  p95LagMs: number | null;
};

/** Read-only aggregates behind the health view (per tenant). */
export class HealthRepository {
  constructor(private readonly db: Database) {}

  /**
   * Last success per entity: the newest synced ledger row and the newest finished sync run, merged (the
   * later one wins). Entities without any success are absent.
   */
  async lastSuccessByEntity(tenantId: string): Promise<Record<string, Date>> {
    const [ledgerRows, runRows] = await Promise.all([
      this.db
        .select({ entity: syncLedger.entity, at: max(syncLedger.updatedAt) })
        .from(syncLedger)
        .where(and(eq(syncLedger.tenantId, tenantId), eq(syncLedger.outcome, "synced")))
        .groupBy(syncLedger.entity),
      this.db
        .select({ entity: syncRuns.entity, at: max(syncRuns.finishedAt) })
        .from(syncRuns)
        .where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.status, "done")))
        .groupBy(syncRuns.entity),
    ]);
    const out: Record<string, Date> = {};
    for (const r of [...ledgerRows, ...runRows]) {
      if (!r.at) continue;
      const at = new Date(r.at);
      const prev = out[r.entity];
      if (!prev || prev < at) out[r.entity] = at;
    }
    return out;
  }

  /** Webhook count and lag per provider for the events received after `since`. */
  async webhookLagSince(tenantId: string, since: Date): Promise<WebhookLag[]> {
    const rows = await this.db
      .select({
        provider: webhookInbox.provider,
        lastReceivedAt: max(webhookInbox.receivedAt),
        count: sql<number>`count(*)::int`,
        p95LagMs: sql<
          number | null
        >`percentile_cont(0.95) within group (order by extract(epoch from (${webhookInbox.receivedAt} - ${webhookInbox.occurredAt})) * 1000)`,
        lastLagMs: sql<
          number | null
        >`(array_agg(extract(epoch from (${webhookInbox.receivedAt} - ${webhookInbox.occurredAt})) * 1000 order by ${webhookInbox.receivedAt} desc) filter (where ${webhookInbox.occurredAt} is not null))[1]`,
      })
      .from(webhookInbox)
      .where(and(eq(webhookInbox.tenantId, tenantId), gt(webhookInbox.receivedAt, since)))
      .groupBy(webhookInbox.provider);
    return rows.map((r) => ({
      provider: r.provider,
      count: r.count,
      lastReceivedAt: r.lastReceivedAt ? new Date(r.lastReceivedAt) : null,
      lastLagMs: r.lastLagMs === null ? null : Math.max(0, Math.round(Number(r.lastLagMs))),
      p95LagMs: r.p95LagMs === null ? null : Math.max(0, Math.round(Number(r.p95LagMs))),
    }));
  }
}
