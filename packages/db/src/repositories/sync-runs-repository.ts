import { and, desc, eq, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { type SyncRunStatus, syncRuns } from "../schema/index.js";

export type SyncRun = typeof syncRuns.$inferSelect;

export class SyncRunsRepository {
  constructor(private readonly db: DbOrTx) {}

  async create(input: {
    tenantId: string;
    kind: string;
    entity: string;
    total?: number | null;
  }): Promise<SyncRun> {
    const [row] = await this.db
      .insert(syncRuns)
      .values({ ...input, total: input.total ?? null, status: "queued" })
      .returning();
    return row as SyncRun;
  }

  async get(id: string): Promise<SyncRun | undefined> {
    const [row] = await this.db.select().from(syncRuns).where(eq(syncRuns.id, id));
    return row;
  }

  /** Running (again, after a stop): the first start's time is kept, a stop's finish and reason cleared. */
  async start(id: string, total?: number | null): Promise<void> {
    await this.db
      .update(syncRuns)
      .set({
        status: "running",
        startedAt: sql`coalesce(${syncRuns.startedAt}, now())`,
        finishedAt: null,
        error: null,
        ...(total !== undefined ? { total } : {}),
        updatedAt: new Date(),
      })
      .where(eq(syncRuns.id, id));
  }

  async addProgress(id: string, delta: { done?: number; failed?: number; skipped?: number }): Promise<void> {
    await this.db
      .update(syncRuns)
      .set({
        done: sql`${syncRuns.done} + ${delta.done ?? 0}`,
        failed: sql`${syncRuns.failed} + ${delta.failed ?? 0}`,
        skipped: sql`${syncRuns.skipped} + ${delta.skipped ?? 0}`,
        updatedAt: new Date(),
      })
      .where(eq(syncRuns.id, id));
  }

  /** Absolute counts (the orchestrator's page base + what the page handled so far): idempotent. */
  async setProgress(id: string, counts: { done: number; failed: number; skipped: number }): Promise<void> {
    await this.db
      .update(syncRuns)
      .set({ done: counts.done, failed: counts.failed, skipped: counts.skipped, updatedAt: new Date() })
      .where(eq(syncRuns.id, id));
  }

  async setTotal(id: string, total: number): Promise<void> {
    await this.db.update(syncRuns).set({ total, updatedAt: new Date() }).where(eq(syncRuns.id, id));
  }

  async finish(
    id: string,
    status: Extract<SyncRunStatus, "done" | "failed" | "cancelled">,
    error?: string | null,
  ): Promise<void> {
    await this.db
      .update(syncRuns)
      .set({ status, finishedAt: new Date(), error: error ?? null, updatedAt: new Date() })
      .where(eq(syncRuns.id, id));
  }

  /** Steps that will not start (an earlier step of their pass stopped): "cancelled", if still queued. */
  async cancelQueued(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(syncRuns)
      .set({ status: "cancelled", finishedAt: new Date(), updatedAt: new Date() })
      .where(and(inArray(syncRuns.id, ids), eq(syncRuns.status, "queued")));
  }

  /**
   * Back to "queued" the runs among `ids` in `from` (a stopped step and the ones it held back), their finish
   * and reason cleared. Returns the ids it moved: a conditional update, so of two concurrent callers only one
   * moves a given run.
   */
  async requeue(
    ids: string[],
    from: Array<Extract<SyncRunStatus, "failed" | "cancelled">>,
  ): Promise<string[]> {
    if (ids.length === 0 || from.length === 0) return [];
    const rows = await this.db
      .update(syncRuns)
      .set({ status: "queued", finishedAt: null, error: null, updatedAt: new Date() })
      .where(and(inArray(syncRuns.id, ids), inArray(syncRuns.status, from)))
      .returning({ id: syncRuns.id });
    return rows.map((r) => r.id);
  }

  /**
   * Retention: deletes up to `limit` runs finished before `olderThan`, except each tenant's latest run per
   * entity (what the page shows). Returns how many were deleted; call again until 0.
   */
  async pruneFinished(olderThan: Date, limit = 1000): Promise<number> {
    const batch = this.db
      .select({ id: syncRuns.id })
      .from(syncRuns)
      .where(
        and(
          isNotNull(syncRuns.finishedAt),
          lt(syncRuns.finishedAt, olderThan),
          sql`exists (select 1 from sync_runs newer where newer.tenant_id = ${syncRuns.tenantId} and newer.kind = ${syncRuns.kind} and newer.entity = ${syncRuns.entity} and newer.created_at > ${syncRuns.createdAt})`,
        ),
      )
      .limit(limit);
    const rows = await this.db
      .delete(syncRuns)
      .where(inArray(syncRuns.id, batch))
      .returning({ id: syncRuns.id });
    return rows.length;
  }

  /** The latest run per entity for a tenant (the page's progress view). */
  async latestByEntity(tenantId: string, kind?: string): Promise<SyncRun[]> {
    const rows = await this.db
      .select()
      .from(syncRuns)
      .where(
        kind
          ? and(eq(syncRuns.tenantId, tenantId), eq(syncRuns.kind, kind))
          : eq(syncRuns.tenantId, tenantId),
      )
      .orderBy(desc(syncRuns.createdAt));
    const seen = new Map<string, SyncRun>();
    for (const r of rows) if (!seen.has(r.entity)) seen.set(r.entity, r);
    return [...seen.values()];
  }
}
