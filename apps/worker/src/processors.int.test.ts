import { createLogger } from "@zb/config";
import {
  createDb,
  type DbHandle,
  LedgerRepository,
  runMigrations,
  SyncRunsRepository,
  TenantsRepository,
} from "@zb/db";
import {
  type BlingLane,
  BlingReauthRequiredError,
  InitialSyncOrchestrator,
  JobProducer,
  readRunFailure,
} from "@zb/sync";
import { createTestDatabase, createTestRedis, type TestDatabase } from "@zb/testing";
import { Queue, UnrecoverableError } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { createProcessor, createStalledGiveUp, type WorkerDeps } from "./processors.js";
import { createWorkerRuntime } from "./runtime.js";

const redisT = createTestRedis();
let tdb: TestDatabase;
let h: DbHandle;
let redis: Redis;
let producer: JobProducer;
let queue: Queue;
const lines: string[] = [];
/** Lanes the processor asked a context for, in order. */
const contexts: BlingLane[] = [];

/** Stands for "the pipeline got as far as building the job's context". */
class ContextRequested extends Error {}

function deps(contextError: (lane: BlingLane) => Error = (lane) => new ContextRequested(lane)): WorkerDeps {
  return {
    db: h.db,
    redis,
    producer,
    prefix: redisT.prefix,
    log: createLogger({ level: "info", destination: { write: (s) => void lines.push(s) } }),
    async contextFor(_tenant, _settings, lane) {
      contexts.push(lane);
      throw contextError(lane);
    },
    maintenance: {
      keepAliveAll: async () => undefined,
      purgeSecrets: async () => undefined,
      pruneRetention: async () => undefined,
    },
  };
}

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 4 });
  redis = new Redis(redisT.url, { maxRetriesPerRequest: null });
  producer = new JobProducer(redis, redisT.prefix);
  queue = new Queue("processor-test", { connection: redis, prefix: redisT.prefix });
});
afterAll(async () => {
  await queue.close();
  await producer.close();
  redis.disconnect();
  await h.close();
  await tdb.drop();
  await redisT.cleanup();
});

async function activeTenant(org: string, opts: { initialSyncDone: boolean }): Promise<string> {
  const tenants = new TenantsRepository(h.db);
  const { tenant } = await tenants.install(org);
  await tenants.setState(tenant.id, "active");
  if (opts.initialSyncDone) await tenants.markInitialSyncDone(tenant.id);
  return tenant.id;
}

const run = async (name: string, data: object) =>
  createProcessor(deps())(await queue.add(name, data), "token");

describe("the worker's processor (registry lookup + one pipeline)", () => {
  it("fails a job whose name no job declares, without retries", async () => {
    await expect(run("no-such-job", {})).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it("rejects a payload its job's schema refuses", async () => {
    await expect(run("reconcile-stock", { tenantId: "not-a-uuid" })).rejects.toBeInstanceOf(ZodError);
  });

  it("skips a job that needs the initial sync before it finished, without a Bling context", async () => {
    const tenantId = await activeTenant("org-proc-before", { initialSyncDone: false });
    contexts.length = 0;
    await expect(run("reconcile-stock", { tenantId })).resolves.toBeUndefined();
    await expect(run("drift-audit", { tenantId })).resolves.toBeUndefined();
    expect(contexts).toEqual([]);
    // Jobs that do not need it still get their context, for their own lane.
    await expect(run("refresh-product", { tenantId, blingProductId: "1" })).rejects.toBeInstanceOf(
      ContextRequested,
    );
    expect(contexts).toEqual(["stock_price"]);
  });

  it("runs it once the initial sync is done, with a context for the job's lane", async () => {
    const tenantId = await activeTenant("org-proc-after", { initialSyncDone: true });
    contexts.length = 0;
    await expect(run("reconcile-stock", { tenantId })).rejects.toBeInstanceOf(ContextRequested);
    await expect(run("drift-audit", { tenantId })).rejects.toBeInstanceOf(ContextRequested);
    await expect(run("export-order", { tenantId, zydonOrderId: "z-1" })).rejects.toBeInstanceOf(
      ContextRequested,
    );
    expect(contexts).toEqual(["stock_price", "catalog", "orders"]);
  });

  it("skips a paused tenant's job and logs why", async () => {
    const tenantId = await activeTenant("org-proc-paused", { initialSyncDone: true });
    await new TenantsRepository(h.db).setState(tenantId, "paused");
    contexts.length = 0;
    await expect(run("export-order", { tenantId, zydonOrderId: "z-2" })).resolves.toBeUndefined();
    expect(contexts).toEqual([]);
    expect(lines.some((l) => l.includes("job skipped: tenant not active") && l.includes('"paused"'))).toBe(
      true,
    );
  });

  it("an order whose export fails through its last attempt becomes a ledger failure (never a silent stop)", async () => {
    const tenantId = await activeTenant("org-proc-give-up", { initialSyncDone: true });
    const p = createProcessor(deps());
    // Not the last attempt: BullMQ retries it, nothing is recorded yet.
    await expect(
      p(await queue.add("export-order", { tenantId, zydonOrderId: "z-9" }, { attempts: 3 }), "token"),
    ).rejects.toBeInstanceOf(ContextRequested);
    const ledger = new LedgerRepository(h.db);
    expect((await ledger.list({ tenantId, pageSize: 10 })).items).toEqual([]);
    // The last one: the order is an open, retryable failure with its reason.
    await expect(
      p(await queue.add("export-order", { tenantId, zydonOrderId: "z-9" }, { attempts: 1 }), "token"),
    ).rejects.toBeInstanceOf(ContextRequested);
    const [row] = (await ledger.list({ tenantId, pageSize: 10 })).items;
    expect(row).toMatchObject({ entity: "order", entityKey: "z-9", action: "export", outcome: "failed" });
    expect(row?.reason).toBe(
      "O pedido z-9 não foi enviado ao Bling depois de 1 tentativa: orders. Tente de novo pelo Histórico; se persistir, verifique se o Bling está no ar.",
    );
  });

  it("runs a job that needs nothing without any tenant check", async () => {
    let purged = 0;
    const d = deps();
    d.maintenance.purgeSecrets = async () => {
      purged++;
    };
    await createProcessor(d)(await queue.add("purge-secrets", {}), "token");
    expect(purged).toBe(1);
    let pruned = 0;
    d.maintenance.pruneRetention = async () => {
      pruned++;
    };
    await createProcessor(d)(await queue.add("prune-retention", {}), "token");
    expect(pruned).toBe(1);
  });

  describe("a sync step that fails for the last time", () => {
    async function stepJob(org: string, attempts: number, error: Error) {
      const tenantId = await activeTenant(org, { initialSyncDone: false });
      const cursor = await new InitialSyncOrchestrator(h.db, producer).start(tenantId, ["products", "stock"]);
      const ids = { products: cursor.runIds.products as string, stock: cursor.runIds.stock as string };
      const job = await queue.add(
        "initial-sync-step",
        { tenantId, runId: ids.products, entity: "products", page: 1 },
        { attempts },
      );
      await expect(createProcessor(deps(() => error))(job, "token")).rejects.toBeInstanceOf(Error);
      const runs = new SyncRunsRepository(h.db);
      return { products: await runs.get(ids.products), stock: await runs.get(ids.stock) };
    }

    it("stops its pass with the reason and the next step (the steps after it will not start)", async () => {
      const r = await stepJob("org-proc-giveup", 1, new Error("socket hang up"));
      expect(r.products?.status).toBe("failed");
      expect(readRunFailure(r.products?.error)).toEqual({
        reason: "A etapa parou por uma falha interna da integração na única tentativa.",
        nextStep: expect.stringContaining("Tentar de novo"),
      });
      expect(r.stock?.status).toBe("cancelled");
    });

    it("a Bling access refused ends it at once and says to reconnect", async () => {
      const r = await stepJob("org-proc-reauth", 8, new BlingReauthRequiredError("t"));
      expect(r.products?.status).toBe("failed");
      expect(readRunFailure(r.products?.error)?.nextStep).toMatch(/^Reconecte o Bling em Conexão/);
    });

    it("an attempt BullMQ will retry leaves the run as it was", async () => {
      const r = await stepJob("org-proc-retry", 3, new Error("socket hang up"));
      expect(r.products?.status).toBe("queued");
      expect(r.products?.error).toBeNull();
      expect(r.stock?.status).toBe("queued");
    });
  });

  describe("a job BullMQ fails without running it (it stalled more often than the limit allows)", () => {
    /** Runs `name` through a real worker runtime after marking it as BullMQ's stall checker does. */
    async function failStalled(name: string, data: object): Promise<number> {
      const q = new Queue("stall-test", { connection: redis, prefix: redisT.prefix });
      let ran = 0;
      const runtime = createWorkerRuntime({
        redisUrl: redisT.url,
        prefix: redisT.prefix,
        processors: {
          "stall-test": async () => {
            ran++;
          },
        },
        concurrency: 1,
        logger: createLogger({ level: "silent" }),
        onFailedUnrun: createStalledGiveUp(deps(), 10),
      });
      try {
        await runtime.workers[0]?.pause();
        const job = await q.add(name, data);
        // What BullMQ's moveStalledJobsToWait writes once a job stalled more than maxStalledCount times.
        await redis.hset(
          `${redisT.prefix}:stall-test:${job.id}`,
          "defa",
          "job stalled more than allowable limit",
        );
        runtime.workers[0]?.resume();
        const deadline = Date.now() + 10_000;
        while ((await job.getState()) !== "failed" || !(await q.getJob(job.id as string))?.finishedOn) {
          if (Date.now() > deadline) throw new Error("the job never failed");
          await new Promise((r) => setTimeout(r, 50));
        }
        // The failed listener runs the give-up asynchronously.
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        await runtime.close();
        await q.close();
      }
      return ran;
    }

    it("an order export still becomes an open ledger failure, in pt-BR", async () => {
      const tenantId = await activeTenant("org-proc-stalled", { initialSyncDone: true });
      expect(await failStalled("export-order", { tenantId, zydonOrderId: "z-stall" })).toBe(0);
      const [row] = (await new LedgerRepository(h.db).list({ tenantId, pageSize: 10 })).items;
      expect(row).toMatchObject({ entity: "order", entityKey: "z-stall", outcome: "failed", retryable: 1 });
      expect(row?.reason).toContain("o processo da integração parou 11 vezes durante o trabalho");
    });

    it("a sync step stops its pass with why, instead of reading “Em andamento” forever", async () => {
      const tenantId = await activeTenant("org-proc-stalled-step", { initialSyncDone: false });
      const cursor = await new InitialSyncOrchestrator(h.db, producer).start(tenantId, ["products", "stock"]);
      const runId = cursor.runIds.products as string;
      expect(await failStalled("initial-sync-step", { tenantId, runId, entity: "products", page: 1 })).toBe(
        0,
      );
      const runs = new SyncRunsRepository(h.db);
      expect((await runs.get(runId))?.status).toBe("failed");
      expect(readRunFailure((await runs.get(runId))?.error)?.reason).toBe(
        "A etapa foi interrompida: o processo da integração parou 11 vezes enquanto a executava (reinício ou falta de memória).",
      );
      expect((await runs.get(cursor.runIds.stock as string))?.status).toBe("cancelled");
    });
  });
});
