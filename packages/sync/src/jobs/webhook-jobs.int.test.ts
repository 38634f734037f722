import { createDb, type DbHandle, runMigrations, tenants, WebhookInboxRepository } from "@zb/db";
import { createTestDatabase, createTestRedis, type TestDatabase } from "@zb/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobProducer } from "../queues/producer.js";
import { QUEUES } from "../queues/queues.js";
import type { JobRun } from "./define-job.js";
import { blingWebhookJob, zydonOrderWebhookJob } from "./webhook-jobs.js";

/** The inbox jobs process a row only under its own tenant (issue 21, finding 9). */
const redisT = createTestRedis();
let tdb: TestDatabase;
let h: DbHandle;
let redis: Redis;
let producer: JobProducer;
let mine: string;
let theirs: string;
const warned: string[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 2 });
  redis = new Redis(redisT.url, { maxRetriesPerRequest: null });
  producer = new JobProducer(redis, redisT.prefix);
  const rows = await h.db
    .insert(tenants)
    .values([{ zydonOrganizationId: "org-wj-a" }, { zydonOrganizationId: "org-wj-b" }])
    .returning();
  mine = rows[0]?.id as string;
  theirs = rows[1]?.id as string;
});
afterAll(async () => {
  await producer?.close();
  redis?.disconnect();
  await h?.close();
  await tdb?.drop();
  await redisT.cleanup();
});

function jobRun(): JobRun {
  return {
    db: h.db,
    redis,
    prefix: redisT.prefix,
    producer,
    log: { info: () => undefined, warn: (_o, msg) => void warned.push(msg ?? "") },
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

async function queued(queue: string): Promise<Array<{ name: string; data: { tenantId?: string } }>> {
  const { Queue } = await import("bullmq");
  const q = new Queue(queue, { connection: redis, prefix: redisT.prefix });
  try {
    return (await q.getJobs(["waiting", "delayed", "prioritized"])).map((j) => ({
      name: j.name,
      data: j.data,
    }));
  } finally {
    await q.close();
  }
}

describe("inbox jobs refuse another tenant's row", () => {
  it("a Zydon order row of tenant B is not exported under tenant A's job, and stays unprocessed", async () => {
    const inbox = new WebhookInboxRepository(h.db);
    const rowId = (await inbox.insertOnce({
      provider: "zydon",
      eventId: "order:wj-1",
      tenantId: theirs,
      eventType: "order.created",
      payload: { orderId: "wj-1", organizationId: "org-wj-b" },
    })) as number;
    const before = (await queued(QUEUES.orders)).length;
    await zydonOrderWebhookJob.run({ tenantId: mine, inboxId: rowId }, jobRun());
    expect(await queued(QUEUES.orders)).toHaveLength(before);
    expect((await inbox.get(rowId))?.processedAt).toBeNull();
    expect(warned).toContain("inbox row belongs to another tenant: refused");
  });

  it("a Bling row of tenant B is not dispatched under tenant A's job; under B's it is", async () => {
    const inbox = new WebhookInboxRepository(h.db);
    const rowId = (await inbox.insertOnce({
      provider: "bling",
      eventId: "e-wj-stock",
      tenantId: theirs,
      eventType: "stock.updated",
      payload: {
        eventId: "e-wj-stock",
        date: "2025-01-10T12:18:46Z",
        version: "v1",
        event: "stock.updated",
        companyId: "d4475854366a36c86a37e792f9634a51",
        data: {
          produto: { id: 4242 },
          deposito: { id: 1, saldoFisico: 3, saldoVirtual: 3 },
          operacao: "E",
          quantidade: 1,
          saldoFisicoTotal: 3,
          saldoVirtualTotal: 3,
        },
      },
    })) as number;
    await blingWebhookJob.run({ tenantId: mine, inboxId: rowId }, jobRun());
    expect((await queued(QUEUES.events)).filter((j) => j.data.tenantId === mine)).toHaveLength(0);
    expect((await inbox.get(rowId))?.processedAt).toBeNull();
    await blingWebhookJob.run({ tenantId: theirs, inboxId: rowId }, jobRun());
    expect((await inbox.get(rowId))?.processedAt).toBeInstanceOf(Date);
    expect((await queued(QUEUES.events)).filter((j) => j.data.tenantId === theirs).length).toBeGreaterThan(0);
  });
});

describe("Zydon order-update rows (zydon-api.md §9 [ZS-233])", () => {
  it("ask for the order to be read again (one zydon-order-update per burst), never for an export directly", async () => {
    const inbox = new WebhookInboxRepository(h.db);
    const ids: number[] = [];
    for (const [i, statusId] of ["st-a", "st-b"].entries())
      ids.push(
        (await inbox.insertOnce({
          provider: "zydon",
          eventId: `order-update:wj-upd:${i}`,
          tenantId: mine,
          eventType: "order.updated",
          payload: { orderId: "wj-upd", organizationId: "org-wj-a", statusId, event: "STATUS" },
        })) as number,
      );
    const orders = (await queued(QUEUES.orders)).length;
    for (const inboxId of ids) await zydonOrderWebhookJob.run({ tenantId: mine, inboxId }, jobRun());
    const updates = (await queued(QUEUES.events)).filter((j) => j.name === "zydon-order-update");
    expect(updates).toEqual([
      { name: "zydon-order-update", data: { tenantId: mine, zydonOrderId: "wj-upd" } },
    ]);
    expect(await queued(QUEUES.orders)).toHaveLength(orders);
    for (const id of ids) expect((await inbox.get(id))?.processedAt).toBeInstanceOf(Date);
  });

  it("a created row still exports (the update branch is only for order.updated)", async () => {
    const inbox = new WebhookInboxRepository(h.db);
    const rowId = (await inbox.insertOnce({
      provider: "zydon",
      eventId: "order:wj-new",
      tenantId: mine,
      eventType: "order.created",
      payload: { orderId: "wj-new", organizationId: "org-wj-a" },
    })) as number;
    await zydonOrderWebhookJob.run({ tenantId: mine, inboxId: rowId }, jobRun());
    const exports = (await queued(QUEUES.orders)).filter((j) => j.name === "export-order");
    expect(exports.map((j) => j.data)).toContainEqual({ tenantId: mine, zydonOrderId: "wj-new" });
  });
});
