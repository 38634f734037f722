import { createTestRedis } from "@zb/testing";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { JobProducer } from "../queues/producer.js";
import { QUEUES } from "../queues/queues.js";
import {
  ensureGlobalSchedulers,
  ensureTenantSchedulers,
  removeTenantSchedulers,
} from "./tenant-schedulers.js";

const redisT = createTestRedis();
const redis = new Redis(redisT.url, { maxRetriesPerRequest: null });
const producer = new JobProducer(redis, redisT.prefix);
afterAll(async () => {
  await producer.close();
  redis.disconnect();
  await redisT.cleanup();
});

describe("tenant schedulers", () => {
  it("are idempotent per tenant and removed on pause", async () => {
    const t1 = crypto.randomUUID();
    const t2 = crypto.randomUUID();
    await ensureTenantSchedulers(producer, t1);
    await ensureTenantSchedulers(producer, t1);
    await ensureTenantSchedulers(producer, t2);
    await ensureGlobalSchedulers(producer);
    const sync = producer.queue(QUEUES.sync);
    const list = async () => (await sync.getJobSchedulers()).map((s) => s.key).sort();
    expect(await list()).toEqual(
      [
        `drift-audit-${t1}`,
        `drift-audit-${t2}`,
        `poll-changes-${t1}`,
        `poll-changes-${t2}`,
        `reconcile-stock-${t1}`,
        `reconcile-stock-${t2}`,
        `watch-zydon-orders-${t1}`,
        `watch-zydon-orders-${t2}`,
      ].sort(),
    );
    await removeTenantSchedulers(producer, t1);
    expect(await list()).toEqual(
      [`drift-audit-${t2}`, `poll-changes-${t2}`, `reconcile-stock-${t2}`, `watch-zydon-orders-${t2}`].sort(),
    );
    const maintenance = await producer.queue(QUEUES.maintenance).getJobSchedulers();
    expect(maintenance.map((s) => s.key).sort()).toEqual([
      "alert-watch",
      "prune-retention",
      "purge-secrets",
      "token-keepalive",
    ]);
    // The retention prune is daily (issue 21 #6), at night in São Paulo, and upserting again keeps one schedule.
    await ensureGlobalSchedulers(producer);
    const prune = (await producer.queue(QUEUES.maintenance).getJobSchedulers()).filter(
      (s) => s.key === "prune-retention",
    );
    expect(prune).toHaveLength(1);
    expect(prune[0]?.pattern).toBe("17 3 * * *");
    expect(prune[0]?.tz).toBe("America/Sao_Paulo");
    expect(prune[0]?.name).toBe("prune-retention");
  });
});
