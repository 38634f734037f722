import { createDb, type DbHandle, runMigrations, SyncRunsRepository, TenantsRepository } from "@zb/db";
import { createTestDatabase, createTestRedis, type TestDatabase } from "@zb/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initialSyncStepJob } from "../jobs/catalog-jobs.js";
import { JobProducer } from "../queues/producer.js";
import { QUEUES, type SyncEntity } from "../queues/queues.js";
import { type EntityPipeline, InitialSyncOrchestrator } from "./initial-sync.js";
import { readRunFailure } from "./run-failure.js";

const redisT = createTestRedis();
let tdb: TestDatabase;
let h: DbHandle;
let redis: Redis;
let producer: JobProducer;

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 4 });
  redis = new Redis(redisT.url, { maxRetriesPerRequest: null });
  producer = new JobProducer(redis, redisT.prefix);
});
afterAll(async () => {
  await producer.close();
  redis.disconnect();
  await h.close();
  await tdb.drop();
  await redisT.cleanup();
});

const pages: Record<SyncEntity, number> = {
  payment_methods: 1,
  products: 3,
  stock: 2,
  prices: 1,
  customers: 2,
  categories: 1,
};
const calls: string[] = [];
const pipelines = Object.fromEntries(
  Object.entries(pages).map(([entity, n]) => [
    entity,
    {
      entity: entity as SyncEntity,
      async runPage(_ctx: unknown, page: number) {
        calls.push(`${entity}:${page}`);
        return { hasMore: page < n, synced: 10, skipped: 1, failed: 0, total: n * 11 };
      },
    } satisfies EntityPipeline<unknown>,
  ]),
) as Record<SyncEntity, EntityPipeline<unknown>>;

async function waitingSteps() {
  const jobs = await producer.queue(QUEUES.sync).getJobs(["waiting", "prioritized"]);
  return jobs.filter((j) => j.name === "initial-sync-step");
}

describe("InitialSyncOrchestrator", () => {
  it("walks every entity in order, page by page, with one queued step at a time, and survives duplicates", async () => {
    const { tenant } = await new TenantsRepository(h.db).install("org-initial");
    const orch = new InitialSyncOrchestrator(h.db, producer);
    await orch.start(tenant.id);
    let steps = 0;
    let stale = 0;
    for (;;) {
      const queued = await waitingSteps();
      expect(queued.length).toBeLessThanOrEqual(1);
      const job = queued[0];
      if (!job) break;
      const data = initialSyncStepJob.schema.parse(job.data);
      await job.remove();
      const r = await orch.step(tenant.id, data, pipelines[data.entity], {});
      steps++;
      // Deliver the same step again (a retry after a crash): it must be recognised as stale.
      if (steps % 3 === 0) {
        const again = await orch.step(tenant.id, data, pipelines[data.entity], {});
        expect(again).toBe("stale");
        stale++;
      }
      if (r === "finished") break;
    }
    expect(calls).toEqual([
      "payment_methods:1",
      "categories:1",
      "products:1",
      "products:2",
      "products:3",
      "stock:1",
      "stock:2",
      "prices:1",
      "customers:1",
      "customers:2",
    ]);
    expect(stale).toBeGreaterThan(0);
    const runs = await new SyncRunsRepository(h.db).latestByEntity(tenant.id, "initial");
    const products = runs.find((r) => r.entity === "products");
    expect(products).toMatchObject({ status: "done", done: 30, skipped: 3, total: 33 });
    expect(runs.every((r) => r.status === "done")).toBe(true);
    expect((await new TenantsRepository(h.db).findById(tenant.id))?.initialSyncDoneAt).toBeInstanceOf(Date);
    expect(await waitingSteps()).toHaveLength(0);
  });

  it("shows a long page's counts as it goes, never counts a crashed page twice, and keeps the first finish", async () => {
    const { tenant } = await new TenantsRepository(h.db).install("org-progress");
    const orch = new InitialSyncOrchestrator(h.db, producer);
    const runs = new SyncRunsRepository(h.db);
    const cursor = await orch.start(tenant.id, ["customers"]);
    const runId = cursor.runIds.customers as string;
    const seen: number[] = [];
    let crash = true;
    const customers: EntityPipeline<unknown> = {
      entity: "customers",
      async runPage(_ctx, page, progress) {
        for (let i = 1; i <= 4; i++) {
          await progress?.({ synced: i * 5, skipped: 0, failed: 0 });
          seen.push((await runs.get(runId))?.done ?? -1);
          if (page === 2 && crash && i === 2) {
            crash = false;
            throw new Error("worker crashed mid-page");
          }
        }
        return { hasMore: page < 2, synced: 20, skipped: 1, failed: 0 };
      },
    };
    expect(await orch.step(tenant.id, { runId, entity: "customers", page: 1 }, customers, {})).toBe("ran");
    expect(seen).toEqual([5, 10, 15, 20]);
    await expect(
      orch.step(tenant.id, { runId, entity: "customers", page: 2 }, customers, {}),
    ).rejects.toThrow();
    // Half of page 2 was shown, then the retry starts page 2 again from page 1's counts.
    expect(seen.slice(4)).toEqual([25, 30]);
    expect(await orch.step(tenant.id, { runId, entity: "customers", page: 2 }, customers, {})).toBe(
      "finished",
    );
    expect(seen.slice(6)).toEqual([25, 30, 35, 40]);
    expect(await runs.get(runId)).toMatchObject({ status: "done", done: 40, skipped: 2 });
    const first = (await new TenantsRepository(h.db).findById(tenant.id))?.initialSyncDoneAt;
    expect(first).toBeInstanceOf(Date);

    // A later resync runs through the same orchestrator: the first sync's finish time stays.
    const again = await orch.start(tenant.id, ["customers"]);
    const rerun = again.runIds.customers as string;
    const quick: EntityPipeline<unknown> = {
      entity: "customers",
      runPage: async () => ({ hasMore: false, synced: 1, skipped: 0, failed: 0 }),
    };
    expect(await orch.step(tenant.id, { runId: rerun, entity: "customers", page: 1 }, quick, {})).toBe(
      "finished",
    );
    expect((await new TenantsRepository(h.db).findById(tenant.id))?.initialSyncDoneAt).toEqual(first);
  });

  it("a step that gave up stops its pass with the reason; 'Tentar de novo' continues it from the checkpoint", async () => {
    const { tenant } = await new TenantsRepository(h.db).install("org-stopped");
    const orch = new InitialSyncOrchestrator(h.db, producer);
    const runs = new SyncRunsRepository(h.db);
    for (const j of await waitingSteps()) await j.remove();
    const cursor = await orch.start(tenant.id, ["products", "stock", "customers"]);
    const id = (e: SyncEntity) => cursor.runIds[e] as string;
    const run = async (entity: SyncEntity, page: number, p: EntityPipeline<unknown> = pipelines[entity]) => {
      for (const j of await waitingSteps()) await j.remove();
      return orch.step(tenant.id, { runId: id(entity), entity, page }, p, {});
    };
    expect(await run("products", 1)).toBe("ran");
    const failure = {
      reason: "O Bling respondeu com erro (HTTP 503).",
      nextStep: "Clique em “Tentar de novo”.",
    };

    // A job of a step the checkpoint is not at (stale, or another entity) stops nothing.
    expect(await orch.stop(tenant.id, { runId: id("stock"), entity: "stock" }, failure)).toBe(false);
    expect(await orch.stop(tenant.id, { runId: id("products"), entity: "products" }, failure)).toBe(true);
    const stopped = await runs.get(id("products"));
    expect(stopped).toMatchObject({ status: "failed", done: 10, skipped: 1 });
    expect(stopped?.finishedAt).toBeInstanceOf(Date);
    expect(readRunFailure(stopped?.error)).toEqual(failure);
    // The steps behind it will not start: "cancelled", not "queued" forever.
    expect((await runs.get(id("stock")))?.status).toBe("cancelled");
    expect((await runs.get(id("customers")))?.status).toBe("cancelled");
    expect((await new TenantsRepository(h.db).findById(tenant.id))?.initialSyncDoneAt).toBeNull();

    // Only the stopped step can be retried, and two clicks enqueue one step, at the page it stopped at.
    for (const j of await waitingSteps()) await j.remove();
    expect(await orch.retryStopped(tenant.id, "stock", 1)).toBe(false);
    expect(await orch.retryStopped(tenant.id, "products", 1)).toBe(true);
    expect(await orch.retryStopped(tenant.id, "products", 2)).toBe(false);
    const queued = await waitingSteps();
    expect(queued.map((j) => j.data)).toEqual([
      { tenantId: tenant.id, runId: id("products"), entity: "products", page: 2 },
    ]);
    expect(await runs.get(id("products"))).toMatchObject({ status: "queued", error: null, finishedAt: null });
    expect((await runs.get(id("stock")))?.status).toBe("queued");

    // The continued pass reads "running" from the page it resumes at, then walks on to the end.
    const watch: EntityPipeline<unknown> = {
      entity: "products",
      async runPage(ctx, page) {
        expect((await runs.get(id("products")))?.status).toBe("running");
        return pipelines.products.runPage(ctx, page);
      },
    };
    expect(await run("products", 2, watch)).toBe("ran");
    expect(await run("products", 3)).toBe("ran");
    expect(await run("stock", 1)).toBe("ran");
    expect(await run("stock", 2)).toBe("ran");
    expect(await run("customers", 1)).toBe("ran");
    expect(await run("customers", 2)).toBe("finished");
    const after = await runs.latestByEntity(tenant.id, "initial");
    expect(after.map((r) => [r.entity, r.status, r.error])).toEqual(
      expect.arrayContaining([
        ["products", "done", null],
        ["stock", "done", null],
        ["customers", "done", null],
      ]),
    );
    expect((await new TenantsRepository(h.db).findById(tenant.id))?.initialSyncDoneAt).toBeInstanceOf(Date);
  });
});
