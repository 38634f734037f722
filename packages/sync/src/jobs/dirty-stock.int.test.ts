import { createDb, type DbHandle, runMigrations } from "@zb/db";
import { createTestDatabase, createTestRedis, type TestDatabase } from "@zb/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobProducer } from "../queues/producer.js";
import { QUEUES } from "../queues/queues.js";
import type { JobRun } from "./define-job.js";
import { DirtyStock } from "./dirty-stock.js";
import { dispatchBlingWebhook } from "./webhook-jobs.js";

const redisT = createTestRedis();
let tdb: TestDatabase;
let h: DbHandle;
let redis: Redis;
let producer: JobProducer;
const logged: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 2 });
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

function jobRun(): JobRun {
  return {
    db: h.db,
    redis,
    prefix: redisT.prefix,
    producer,
    log: { info: (_o, msg) => void logged.push(msg), warn: (_o, msg) => void logged.push(msg) },
    maintenance: {
      keepAliveAll: async () => undefined,
      purgeSecrets: async () => undefined,
      pruneRetention: async () => undefined,
    },
    jobId: "test",
    again(ms): never {
      throw new Error(`again ${ms}`);
    },
  };
}

const stored = (payload: { event: string; eventId?: string }) => ({
  payload,
  eventId: payload.eventId ?? "e-1",
  eventType: payload.event,
});

const tenantId = "8f0c2a8e-1b7d-4c1e-9a44-3d2b6c1f0a11";

describe("DirtyStock (the one owner of the dirty-stock key)", () => {
  it("marks, drains in batches and counts what is left, per tenant", async () => {
    const dirty = new DirtyStock(redis, redisT.prefix);
    for (const id of ["1", "2", "3", "2"]) await dirty.mark(tenantId, id);
    await dirty.mark("other-tenant", "9");
    expect(await dirty.pending(tenantId)).toBe(3);
    const first = await dirty.take(tenantId, 2);
    expect(first).toHaveLength(2);
    expect(await dirty.pending(tenantId)).toBe(1);
    const rest = await dirty.take(tenantId, 100);
    expect([...first, ...rest].sort()).toEqual(["1", "2", "3"]);
    expect(await dirty.take(tenantId, 100)).toEqual([]);
    expect(await dirty.pending("other-tenant")).toBe(1);
    expect(dirty.key(tenantId)).toBe(`${redisT.prefix}:dirty-stock:${tenantId}`);
  });

  it("a stored stock webhook marks its product dirty and queues one debounced refresh", async () => {
    const stock = {
      eventId: "e-stock-1",
      date: "2025-01-10T12:18:46Z",
      version: "v1",
      event: "stock.updated",
      companyId: "d4475854366a36c86a37e792f9634a51",
      data: {
        produto: { id: 777 },
        deposito: { id: 1, saldoFisico: 3, saldoVirtual: 3 },
        saldoFisicoTotal: 3,
        saldoVirtualTotal: 3,
      },
    };
    await dispatchBlingWebhook(jobRun(), tenantId, stored(stock));
    await dispatchBlingWebhook(jobRun(), tenantId, stored({ ...stock, eventId: "e-stock-2" }));
    expect(await new DirtyStock(redis, redisT.prefix).take(tenantId, 10)).toEqual(["777"]);
    const jobs = await producer.queue(QUEUES.events).getJobs(["delayed", "waiting"]);
    const refresh = jobs.filter((j) => j.name === "refresh-stock");
    expect(refresh).toHaveLength(1);
    expect(refresh[0]?.data).toEqual({ tenantId, blingProductIds: ["777"] });
  });

  it("a product webhook queues the parent's refresh; an unreadable payload is skipped", async () => {
    const product = {
      eventId: "e-prod-1",
      event: "product.updated",
      companyId: "d4475854366a36c86a37e792f9634a51",
      data: { id: 501, idProdutoPai: 500 },
    };
    await dispatchBlingWebhook(jobRun(), tenantId, stored(product));
    const jobs = await producer.queue(QUEUES.events).getJobs(["delayed", "waiting"]);
    expect(jobs.filter((j) => j.name === "refresh-product").map((j) => j.data)).toEqual([
      { tenantId, blingProductId: "500" },
    ]);
    await dispatchBlingWebhook(jobRun(), tenantId, stored({ event: "stock.updated" }));
    expect(logged).toContain("stored Bling webhook unreadable: skipped");
  });
});
