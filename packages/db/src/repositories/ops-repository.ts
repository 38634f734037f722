import { and, count, eq, inArray, isNull, max, sql } from "drizzle-orm";
import type { Database } from "../client.js";
import {
  blingConnections,
  orderExports,
  syncLedger,
  syncRuns,
  type TenantState,
  tenants,
  webhookInbox,
} from "../schema/index.js";

/**
 * One tenant as the operators' page shows it: ids, states, times and counts only — never a token, a
 * company or organization name, a document or any other field of the merchant's customers.
 */
export interface OpsTenantRow {
  tenantId: string;
  state: TenantState;
  installedAt: Date;
  initialSyncDoneAt: Date | null;
  blingPausedUntil: Date | null;
  blingStatus: string | null;
  /** The per-account budget key (Bling company id, or the tenant id before it is known); null without Bling. */
  budgetAccount: string | null;
  lastSuccess: Record<string, Date>;
  /** Webhooks stored and not processed yet; order exports not created yet. */
  backlog: { webhooks: number; orders: number };
  /** History rows failed and still open; failed rows touched since `since`. */
  errors: { open: number; today: number };
}

/** Operator-wide read models (the ops page and metrics): aggregates across every tenant. */
export class OpsRepository {
  constructor(private readonly db: Database) {}

  /** Budget keys of every connected Bling account (the keys `BlingBudget.usage` reads). */
  async budgetAccounts(): Promise<string[]> {
    const rows = await this.db
      .select({
        account: sql<string>`coalesce(${blingConnections.blingCompanyId}, ${blingConnections.tenantId}::text)`,
      })
      .from(blingConnections)
      .where(eq(blingConnections.status, "connected"));
    return rows.map((r) => r.account);
  }

  /** Installed tenants (uninstalled ones left out), oldest first, at most `limit`. */
  async tenantsOverview(opts: { since: Date; limit?: number }): Promise<OpsTenantRow[]> {
    const base = await this.db
      .select({
        tenantId: tenants.id,
        state: tenants.state,
        installedAt: tenants.installedAt,
        initialSyncDoneAt: tenants.initialSyncDoneAt,
        blingPausedUntil: tenants.blingPausedUntil,
        blingStatus: blingConnections.status,
        budgetAccount: sql<
          string | null
        >`case when ${blingConnections.tenantId} is null then null else coalesce(${blingConnections.blingCompanyId}, ${blingConnections.tenantId}::text) end`,
      })
      .from(tenants)
      .leftJoin(blingConnections, eq(blingConnections.tenantId, tenants.id))
      .where(isNull(tenants.uninstalledAt))
      .orderBy(tenants.installedAt)
      .limit(opts.limit ?? 1_000);
    if (base.length === 0) return [];
    const ids = base.map((t) => t.tenantId);
    const [ledgerOk, runsOk, inbox, orders, errors] = await Promise.all([
      this.db
        .select({ tenantId: syncLedger.tenantId, entity: syncLedger.entity, at: max(syncLedger.updatedAt) })
        .from(syncLedger)
        .where(and(inArray(syncLedger.tenantId, ids), eq(syncLedger.outcome, "synced")))
        .groupBy(syncLedger.tenantId, syncLedger.entity),
      this.db
        .select({ tenantId: syncRuns.tenantId, entity: syncRuns.entity, at: max(syncRuns.finishedAt) })
        .from(syncRuns)
        .where(and(inArray(syncRuns.tenantId, ids), eq(syncRuns.status, "done")))
        .groupBy(syncRuns.tenantId, syncRuns.entity),
      this.db
        .select({ tenantId: webhookInbox.tenantId, n: count() })
        .from(webhookInbox)
        .where(and(inArray(webhookInbox.tenantId, ids), isNull(webhookInbox.processedAt)))
        .groupBy(webhookInbox.tenantId),
      this.db
        .select({ tenantId: orderExports.tenantId, n: count() })
        .from(orderExports)
        .where(and(inArray(orderExports.tenantId, ids), inArray(orderExports.state, ["pending", "creating"])))
        .groupBy(orderExports.tenantId),
      this.db
        .select({
          tenantId: syncLedger.tenantId,
          open: sql<number>`count(*) filter (where ${syncLedger.resolvedAt} is null)::int`,
          today: sql<number>`count(*) filter (where ${syncLedger.updatedAt} >= ${opts.since.toISOString()})::int`,
        })
        .from(syncLedger)
        .where(and(inArray(syncLedger.tenantId, ids), eq(syncLedger.outcome, "failed")))
        .groupBy(syncLedger.tenantId),
    ]);
    const success = new Map<string, Record<string, Date>>();
    for (const r of [...ledgerOk, ...runsOk]) {
      if (!r.at) continue;
      const at = new Date(r.at);
      const m = success.get(r.tenantId) ?? {};
      const prev = m[r.entity];
      if (!prev || prev < at) m[r.entity] = at;
      success.set(r.tenantId, m);
    }
    const countBy = (rows: Array<{ tenantId: string | null; n: number }>) =>
      new Map(rows.map((r) => [r.tenantId, Number(r.n)]));
    const inboxBy = countBy(inbox);
    const ordersBy = countBy(orders);
    const errorsBy = new Map(errors.map((r) => [r.tenantId, r]));
    return base.map((t) => ({
      ...t,
      lastSuccess: success.get(t.tenantId) ?? {},
      backlog: { webhooks: inboxBy.get(t.tenantId) ?? 0, orders: ordersBy.get(t.tenantId) ?? 0 },
      errors: {
        open: Number(errorsBy.get(t.tenantId)?.open ?? 0),
        today: Number(errorsBy.get(t.tenantId)?.today ?? 0),
      },
    }));
  }
}
