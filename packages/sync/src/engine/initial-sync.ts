import { CursorsRepository, type Database, SyncRunsRepository, TenantsRepository } from "@zb/db";
import { z } from "zod";
import { safeJobId } from "../queues/job-ids.js";
import type { JobProducer } from "../queues/producer.js";
import { type SyncEntity, syncEntities } from "../queues/queues.js";
import type { RunFailure } from "./run-failure.js";

export interface PageResult {
  hasMore: boolean;
  synced: number;
  skipped: number;
  failed: number;
  /** Total records for the entity when the page reveals it (progress and ETA). */
  total?: number | undefined;
}

/** Counts of the page so far, reported while a long page runs (the page shows them as they go). */
export type PageProgress = (sofar: { synced: number; skipped: number; failed: number }) => Promise<void>;

/** One entity of the initial sync, page by page. `runPage` must be safe to run twice for the same page. */
export interface EntityPipeline<Ctx> {
  entity: SyncEntity;
  runPage(ctx: Ctx, page: number, progress?: PageProgress): Promise<PageResult>;
}

const countsSchema = z.object({
  done: z.number().int().min(0),
  failed: z.number().int().min(0),
  skipped: z.number().int().min(0),
});
type RunCounts = z.infer<typeof countsSchema>;

export const INITIAL_STREAM = "initial";

const cursorSchema = z.object({
  order: z.array(z.enum(syncEntities)),
  runIds: z.record(z.string(), z.uuid()),
  index: z.number().int().min(0),
  page: z.number().int().min(1),
  finishedAt: z.string().optional(),
  /**
   * The run's counts when the current page began. Progress inside a page is written as base + so far, and
   * the page's end as base + result, so a page retried after a crash never counts twice.
   */
  base: countsSchema.optional(),
});
export type InitialCursor = z.infer<typeof cursorSchema>;

/**
 * The order the product promises: payment methods → categories (the tree the products are written into) →
 * products → stock → prices → customers.
 */
export const initialOrder: SyncEntity[] = [
  "payment_methods",
  "categories",
  "products",
  "stock",
  "prices",
  "customers",
];

/**
 * The initial sync as a chain of page-sized jobs. The checkpoint (entity index + page) lives in
 * sync_cursors and moves in the same transaction as the run's progress; the next job's id is derived from
 * (run, page), so a step retried after a crash neither skips nor duplicates a page, and tenants interleave
 * because each tenant has at most one step queued at a time.
 */
export class InitialSyncOrchestrator {
  constructor(
    private readonly db: Database,
    private readonly producer: JobProducer,
  ) {}

  async start(tenantId: string, entities: SyncEntity[] = initialOrder): Promise<InitialCursor> {
    const order = initialOrder.filter((e) => entities.includes(e));
    const cursor = await this.db.transaction(async (tx) => {
      const runs = new SyncRunsRepository(tx);
      const runIds: Record<string, string> = {};
      for (const entity of order)
        runIds[entity] = (await runs.create({ tenantId, kind: "initial", entity })).id;
      const c: InitialCursor = { order, runIds, index: 0, page: 1 };
      await new CursorsRepository(tx).set(tenantId, INITIAL_STREAM, c);
      return c;
    });
    await this.enqueueCurrent(tenantId, cursor);
    return cursor;
  }

  /**
   * Re-enqueue the current step from the checkpoint (its job id is the step's, so a step still queued is not
   * doubled): what a lost queue (Redis came back empty) needs. Starts the sync when it never got a checkpoint.
   */
  async resume(tenantId: string): Promise<"resumed" | "started" | "finished"> {
    const c = await this.cursor(tenantId);
    if (!c) {
      await this.start(tenantId);
      return "started";
    }
    if (c.finishedAt) return "finished";
    await this.enqueueCurrent(tenantId, c);
    return "resumed";
  }

  async cursor(tenantId: string): Promise<InitialCursor | undefined> {
    return new CursorsRepository(this.db).get(tenantId, INITIAL_STREAM, cursorSchema);
  }

  /**
   * Run one step. Returns "stale" when the checkpoint already moved past this step (a duplicate delivery):
   * nothing is redone, but the current step is (re-)enqueued in case the crash happened before that.
   */
  async step<Ctx>(
    tenantId: string,
    step: { runId: string; entity: SyncEntity; page: number },
    pipeline: EntityPipeline<Ctx>,
    ctx: Ctx,
  ): Promise<"ran" | "stale" | "finished"> {
    const before = await this.cursor(tenantId);
    if (!before || before.finishedAt) return "stale";
    const currentEntity = before.order[before.index];
    if (
      before.runIds[step.entity] !== step.runId ||
      currentEntity !== step.entity ||
      before.page !== step.page
    ) {
      await this.enqueueCurrent(tenantId, before);
      return "stale";
    }
    // Every page, not only the first: a step continued after a stop ("Tentar de novo", a reconnect's
    // catch-up) reads "running" again from the page it resumes at.
    await new SyncRunsRepository(this.db).start(step.runId);
    // A cursor written before `base` existed, mid-run: keep adding deltas as then.
    const base: RunCounts | undefined =
      before.base ?? (step.page === 1 ? { done: 0, failed: 0, skipped: 0 } : undefined);
    const plus = (b: RunCounts, r: { synced: number; skipped: number; failed: number }): RunCounts => ({
      done: b.done + r.synced,
      failed: b.failed + r.failed,
      skipped: b.skipped + r.skipped,
    });
    const progress: PageProgress | undefined = base
      ? (sofar) => new SyncRunsRepository(this.db).setProgress(step.runId, plus(base, sofar))
      : undefined;
    const result = await pipeline.runPage(ctx, step.page, progress);
    const next = await this.db.transaction(async (tx) => {
      const runs = new SyncRunsRepository(tx);
      const after = base ? plus(base, result) : undefined;
      if (after) await runs.setProgress(step.runId, after);
      else
        await runs.addProgress(step.runId, {
          done: result.synced,
          skipped: result.skipped,
          failed: result.failed,
        });
      if (result.total !== undefined) await runs.setTotal(step.runId, result.total);
      let c: InitialCursor;
      if (result.hasMore) {
        const { base: _old, ...rest } = before;
        c = { ...rest, page: step.page + 1, ...(after ? { base: after } : {}) };
      } else {
        await runs.finish(step.runId, "done");
        const { base: _old, ...rest } = before;
        c = { ...rest, index: before.index + 1, page: 1 };
        if (c.index >= c.order.length) {
          c.finishedAt = new Date().toISOString();
          await new TenantsRepository(tx).markInitialSyncDone(tenantId);
        }
      }
      await new CursorsRepository(tx).set(tenantId, INITIAL_STREAM, c);
      return c;
    });
    if (next.finishedAt) return "finished";
    await this.enqueueCurrent(tenantId, next);
    return "ran";
  }

  /**
   * The current step's job gave up (no retry left): its run reads "failed" with `failure`, the steps after it
   * "cancelled" (nothing would start them), and the checkpoint stays where it stopped, so `retryStopped` (the
   * page's "Tentar de novo") or a reconnect's catch-up continues from there. A job of a step the checkpoint
   * has already moved past changes nothing (returns false).
   */
  async stop(
    tenantId: string,
    step: { runId: string; entity: SyncEntity },
    failure: RunFailure,
  ): Promise<boolean> {
    const c = await this.cursor(tenantId);
    if (!c || c.finishedAt || c.order[c.index] !== step.entity || c.runIds[step.entity] !== step.runId)
      return false;
    const later = c.order.slice(c.index + 1).flatMap((e) => c.runIds[e] ?? []);
    await this.db.transaction(async (tx) => {
      const runs = new SyncRunsRepository(tx);
      await runs.finish(step.runId, "failed", JSON.stringify(failure));
      await runs.cancelQueued(later);
    });
    return true;
  }

  /**
   * "Tentar de novo" on a stopped step: the pass continues from its checkpoint (the page it stopped at, then
   * the steps it held back), under a job id of its own — the given-up job keeps the step's usual id in
   * BullMQ's failed set. False when `entity` is not a stopped current step (nothing is enqueued); of two
   * clicks at once only one moves the run back to "queued", so only one enqueues.
   */
  async retryStopped(tenantId: string, entity: SyncEntity, stamp: number): Promise<boolean> {
    const c = await this.cursor(tenantId);
    const runId = c?.runIds[entity];
    if (!c || !runId || c.finishedAt || c.order[c.index] !== entity) return false;
    const later = c.order.slice(c.index + 1).flatMap((e) => c.runIds[e] ?? []);
    const moved = await this.db.transaction(async (tx) => {
      const runs = new SyncRunsRepository(tx);
      const [current] = await runs.requeue([runId], ["failed"]);
      if (!current) return false;
      await runs.requeue(later, ["cancelled"]);
      return true;
    });
    if (!moved) return false;
    await this.producer.enqueue(
      "initial-sync-step",
      { tenantId, runId, entity, page: c.page },
      { jobId: safeJobId("init", runId, c.page, "retry", stamp) },
    );
    return true;
  }

  private async enqueueCurrent(tenantId: string, c: InitialCursor): Promise<void> {
    if (c.finishedAt) return;
    const entity = c.order[c.index] as SyncEntity;
    const runId = c.runIds[entity] as string;
    await this.producer.enqueue(
      "initial-sync-step",
      { tenantId, runId, entity, page: c.page },
      { jobId: safeJobId("init", runId, c.page) },
    );
  }
}
