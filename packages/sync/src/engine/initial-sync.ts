import { CursorsRepository, type Database, SyncRunsRepository, TenantsRepository } from "@zb/db";
import { z } from "zod";
import { safeJobId } from "../queues/job-ids.js";
import type { JobProducer } from "../queues/producer.js";
import { type SyncEntity, syncEntities } from "../queues/queues.js";

export interface PageResult {
  hasMore: boolean;
  synced: number;
  skipped: number;
  failed: number;
  /** Total records for the entity when the page reveals it (progress and ETA). */
  total?: number | undefined;
}

/** One entity of the initial sync, page by page. `runPage` must be safe to run twice for the same page. */
export interface EntityPipeline<Ctx> {
  entity: SyncEntity;
  runPage(ctx: Ctx, page: number): Promise<PageResult>;
}

export const INITIAL_STREAM = "initial";

const cursorSchema = z.object({
  order: z.array(z.enum(syncEntities)),
  runIds: z.record(z.string(), z.uuid()),
  index: z.number().int().min(0),
  page: z.number().int().min(1),
  finishedAt: z.string().optional(),
});
export type InitialCursor = z.infer<typeof cursorSchema>;

/** The order the product promises: payment methods → products → stock → prices → customers. */
export const initialOrder: SyncEntity[] = ["payment_methods", "products", "stock", "prices", "customers"];

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
    if (step.page === 1) await new SyncRunsRepository(this.db).start(step.runId);
    const result = await pipeline.runPage(ctx, step.page);
    const next = await this.db.transaction(async (tx) => {
      const runs = new SyncRunsRepository(tx);
      await runs.addProgress(step.runId, {
        done: result.synced,
        skipped: result.skipped,
        failed: result.failed,
      });
      if (result.total !== undefined) await runs.setTotal(step.runId, result.total);
      let c: InitialCursor;
      if (result.hasMore) {
        c = { ...before, page: step.page + 1 };
      } else {
        await runs.finish(step.runId, "done");
        c = { ...before, index: before.index + 1, page: 1 };
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
