import { and, desc, eq, gt, gte, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { withAdvisoryLock } from "../advisory-lock.js";
import type { Database } from "../client.js";
import {
  type AlertStatus,
  alertSettings,
  alerts,
  blingConnections,
  syncLedger,
  syncRuns,
  tenants,
  webhookInbox,
} from "../schema/index.js";

export type AlertRow = typeof alerts.$inferSelect;

export interface RaiseAlert {
  tenantId: string;
  kind: string;
  /** One occurrence of the kind (an order's failure, one pause): raising the same key again is a no-op. */
  dedupeKey: string;
  subject: string;
  facts: Record<string, unknown>;
  /** Another alert of this kind sent or pending within this window suppresses this one (0 = never). */
  throttleMs: number;
  now: Date;
}

export type RaiseResult =
  | { kind: "raised"; alert: AlertRow }
  | { kind: "suppressed"; alertId: number; by: number }
  | { kind: "exists"; alertId: number };

/** A ledger failure the watcher may alert on (orders not exported, NF-e not emitted). */
export interface OpenFailure {
  tenantId: string;
  id: number;
  entity: string;
  entityKey: string;
  reason: string | null;
  attempts: number;
  updatedAt: Date;
}

/**
 * Alerts and their settings (issue 18 #1). `raise` is the only way in: one row per occurrence, and at most
 * one alert of a kind per tenant per throttle window actually delivered — both decided under one advisory
 * lock per tenant and kind, so two workers raising at once cannot both send.
 */
export class AlertsRepository {
  constructor(private readonly db: Database) {}

  async getConfig(tenantId: string): Promise<Record<string, unknown> | undefined> {
    const [row] = await this.db
      .select({ config: alertSettings.config })
      .from(alertSettings)
      .where(eq(alertSettings.tenantId, tenantId));
    return row?.config;
  }

  async saveConfig(tenantId: string, config: Record<string, unknown>): Promise<void> {
    await this.db
      .insert(alertSettings)
      .values({ tenantId, config })
      .onConflictDoUpdate({ target: alertSettings.tenantId, set: { config, updatedAt: new Date() } });
  }

  /** Tenants with alert settings that are installed (the watcher's scope), with their settings. */
  async watchedTenants(): Promise<
    Array<{
      tenant: typeof tenants.$inferSelect;
      config: Record<string, unknown>;
      connection: { status: string; tokenVersion: number; companyName: string | null } | null;
    }>
  > {
    const rows = await this.db
      .select({
        tenant: tenants,
        config: alertSettings.config,
        status: blingConnections.status,
        tokenVersion: blingConnections.tokenVersion,
        companyName: blingConnections.companyName,
      })
      .from(alertSettings)
      .innerJoin(tenants, eq(tenants.id, alertSettings.tenantId))
      .leftJoin(blingConnections, eq(blingConnections.tenantId, alertSettings.tenantId))
      .where(isNull(tenants.uninstalledAt));
    return rows.map((r) => ({
      tenant: r.tenant,
      config: r.config,
      connection:
        r.status === null
          ? null
          : { status: r.status, tokenVersion: r.tokenVersion ?? 0, companyName: r.companyName },
    }));
  }

  async raise(a: RaiseAlert): Promise<RaiseResult> {
    return withAdvisoryLock(this.db, `alerts:${a.tenantId}:${a.kind}`, async (tx) => {
      const [same] = await tx
        .select({ id: alerts.id })
        .from(alerts)
        .where(
          and(eq(alerts.tenantId, a.tenantId), eq(alerts.kind, a.kind), eq(alerts.dedupeKey, a.dedupeKey)),
        );
      if (same) return { kind: "exists", alertId: same.id };
      const [recent] =
        a.throttleMs > 0
          ? await tx
              .select({ id: alerts.id })
              .from(alerts)
              .where(
                and(
                  eq(alerts.tenantId, a.tenantId),
                  eq(alerts.kind, a.kind),
                  inArray(alerts.status, ["pending", "sent", "failed"]),
                  gt(alerts.createdAt, new Date(a.now.getTime() - a.throttleMs)),
                ),
              )
              .orderBy(desc(alerts.createdAt))
              .limit(1)
          : [];
      const values = {
        tenantId: a.tenantId,
        kind: a.kind,
        dedupeKey: a.dedupeKey,
        subject: a.subject,
        facts: a.facts,
        createdAt: a.now,
        updatedAt: a.now,
      };
      if (recent) {
        const [row] = await tx
          .insert(alerts)
          .values({ ...values, status: "suppressed" })
          .returning({ id: alerts.id });
        await tx
          .update(alerts)
          .set({ suppressedCount: sql`${alerts.suppressedCount} + 1` })
          .where(eq(alerts.id, recent.id));
        return { kind: "suppressed", alertId: row?.id ?? 0, by: recent.id };
      }
      const [row] = await tx
        .insert(alerts)
        .values({ ...values, status: "pending" })
        .returning();
      if (!row) throw new Error("alert insert returned nothing");
      return { kind: "raised", alert: row };
    });
  }

  async get(id: number): Promise<AlertRow | undefined> {
    const [row] = await this.db.select().from(alerts).where(eq(alerts.id, id));
    return row;
  }

  async recordDelivery(
    id: number,
    patch: { status: AlertStatus; deliveries: Record<string, unknown>; sentAt?: Date | null; at?: Date },
  ): Promise<void> {
    await this.db
      .update(alerts)
      .set({
        status: patch.status,
        deliveries: patch.deliveries,
        ...(patch.sentAt !== undefined ? { sentAt: patch.sentAt } : {}),
        updatedAt: patch.at ?? new Date(),
      })
      .where(eq(alerts.id, id));
  }

  /**
   * Alerts still pending that nobody touched since `before`: their delivery job was lost (Redis restarted
   * empty) or never enqueued (a crash between the insert and the enqueue). The watcher hands them over again.
   */
  async stalePending(before: Date, limit = 100): Promise<Array<{ id: number; tenantId: string }>> {
    return this.db
      .select({ id: alerts.id, tenantId: alerts.tenantId })
      .from(alerts)
      .where(and(eq(alerts.status, "pending"), lt(alerts.updatedAt, before)))
      .orderBy(alerts.id)
      .limit(limit);
  }

  /** The page's list, newest first. */
  async recent(tenantId: string, limit: number): Promise<AlertRow[]> {
    return this.db
      .select()
      .from(alerts)
      .where(eq(alerts.tenantId, tenantId))
      .orderBy(desc(alerts.createdAt), desc(alerts.id))
      .limit(limit);
  }

  /** Alerts raised since `since` (the daily summary's). */
  async since(tenantId: string, since: Date): Promise<AlertRow[]> {
    return this.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.tenantId, tenantId), gte(alerts.createdAt, since)))
      .orderBy(desc(alerts.createdAt));
  }

  /** Open failures of `entities` changed since `since` (orders not exported, NF-e not emitted). */
  async openFailures(tenantId: string, entities: string[], since: Date): Promise<OpenFailure[]> {
    return this.db
      .select({
        tenantId: syncLedger.tenantId,
        id: syncLedger.id,
        entity: syncLedger.entity,
        entityKey: syncLedger.entityKey,
        reason: syncLedger.reason,
        attempts: syncLedger.attempts,
        updatedAt: syncLedger.updatedAt,
      })
      .from(syncLedger)
      .where(
        and(
          eq(syncLedger.tenantId, tenantId),
          inArray(syncLedger.entity, entities),
          eq(syncLedger.outcome, "failed"),
          isNull(syncLedger.resolvedAt),
          gt(syncLedger.updatedAt, since),
        ),
      )
      .orderBy(desc(syncLedger.updatedAt))
      .limit(50);
  }

  /** The newest success recorded for the tenant (any entity), or null. */
  async lastSuccessAt(tenantId: string): Promise<Date | null> {
    const [row] = await this.db
      .select({ at: syncLedger.updatedAt })
      .from(syncLedger)
      .where(and(eq(syncLedger.tenantId, tenantId), eq(syncLedger.outcome, "synced")))
      .orderBy(desc(syncLedger.updatedAt))
      .limit(1);
    return row?.at ?? null;
  }

  /**
   * Work waiting since before `before`: a received webhook not processed yet, or a sync run queued or running
   * that has not moved. Its oldest instant, or null when nothing waits that long.
   */
  async pendingSince(tenantId: string, before: Date): Promise<Date | null> {
    const [inbox] = await this.db
      .select({ at: sql<Date | null>`min(${webhookInbox.receivedAt})` })
      .from(webhookInbox)
      .where(
        and(
          eq(webhookInbox.tenantId, tenantId),
          isNull(webhookInbox.processedAt),
          lt(webhookInbox.receivedAt, before),
        ),
      );
    const [run] = await this.db
      .select({ at: sql<Date | null>`min(${syncRuns.updatedAt})` })
      .from(syncRuns)
      .where(
        and(
          eq(syncRuns.tenantId, tenantId),
          or(eq(syncRuns.status, "queued"), eq(syncRuns.status, "running")),
          lt(syncRuns.updatedAt, before),
        ),
      );
    const dates = [inbox?.at, run?.at]
      .filter((d): d is Date => d !== null && d !== undefined)
      .map((d) => new Date(d));
    return dates.length === 0 ? null : new Date(Math.min(...dates.map((d) => d.getTime())));
  }

  /** The initial sync's counts per entity (the "first sync finished" alert). */
  async initialSyncCounts(
    tenantId: string,
  ): Promise<Array<{ entity: string; done: number; skipped: number; failed: number }>> {
    return this.db
      .select({
        entity: syncRuns.entity,
        done: syncRuns.done,
        skipped: syncRuns.skipped,
        failed: syncRuns.failed,
      })
      .from(syncRuns)
      .where(and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.kind, "initial")))
      .orderBy(desc(syncRuns.createdAt));
  }

  /** Rows per outcome since `since` (the daily summary). */
  async outcomesSince(tenantId: string, since: Date): Promise<Record<string, number>> {
    const rows = await this.db
      .select({ outcome: syncLedger.outcome, n: sql<number>`count(*)::int` })
      .from(syncLedger)
      .where(and(eq(syncLedger.tenantId, tenantId), gte(syncLedger.updatedAt, since)))
      .groupBy(syncLedger.outcome);
    return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
  }
}
