import { createTestRedis } from "@zb/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisCallAttempts } from "./call-attempts.js";
import { TenantSlots } from "./tenant-slots.js";

const redisT = createTestRedis();
let redis: Redis;

beforeAll(() => {
  redis = new Redis(redisT.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis.disconnect();
  await redisT.cleanup();
});

describe("TenantSlots (per-tenant fairness, issue 21 #4)", () => {
  it("gives one tenant at most `limit` running jobs per queue; other tenants and queues are not affected", async () => {
    const slots = new TenantSlots(redis, redisT.prefix);
    const a1 = await slots.acquire("t-a", "events", "j1", 2);
    const a2 = await slots.acquire("t-a", "events", "j2", 2);
    const a3 = await slots.acquire("t-a", "events", "j3", 2);
    expect([a1.ok, a2.ok, a3.ok]).toEqual([true, true, false]);
    expect((await slots.acquire("t-b", "events", "k1", 2)).ok).toBe(true);
    expect((await slots.acquire("t-a", "files", "j3", 2)).ok).toBe(true);
    // The same job asking again (a stalled job picked up again) takes its own slot back, not a third.
    expect((await slots.acquire("t-a", "events", "j1", 2)).ok).toBe(true);
    expect(await slots.holders("t-a", "events")).toBe(2);
    if (a1.ok) await a1.lease.release();
    expect((await slots.acquire("t-a", "events", "j3", 2)).ok).toBe(true);
  });

  it("frees the slot of a worker that died (its lease expires) but keeps a live job's (renewed)", async () => {
    const slots = new TenantSlots(redis, redisT.prefix, { leaseMs: 3_000 });
    const live = await slots.acquire("t-c", "events", "live", 2);
    // A dead process: its lease is written and never renewed nor released.
    await redis.zadd(slots.key("t-c", "events"), Date.now() + 1_000, "dead");
    expect((await slots.acquire("t-c", "events", "new", 2)).ok).toBe(false);
    await new Promise((r) => setTimeout(r, 3_500));
    // The dead lease is gone; the live one was renewed (every second here) and still counts.
    expect(await slots.holders("t-c", "events")).toBe(1);
    expect((await slots.acquire("t-c", "events", "new", 2)).ok).toBe(true);
    if (live.ok) await live.lease.release();
  });
});

describe("TenantSlots fair share of a saturated queue", () => {
  it("below capacity a tenant may use its limit; saturated, each active tenant gets capacity ÷ active, at least one", async () => {
    const slots = new TenantSlots(redis, `${redisT.prefix}:fair`);
    const capacity = { capacity: 4 };
    // Alone and below capacity: the flooding tenant takes its whole limit (3 of 4).
    const flood = [];
    for (const id of ["f1", "f2", "f3"]) flood.push(await slots.acquire("flood", "events", id, 3, capacity));
    expect(flood.map((r) => r.ok)).toEqual([true, true, true]);
    // Others become active, one job each: the 4th running job saturates the queue.
    expect((await slots.acquire("n1", "events", "a", 3, capacity)).ok).toBe(true);
    for (const t of ["n2", "n3", "n4"]) await slots.acquire(t, "events", `${t}-probe`, 3, capacity);
    // Saturated with 5 active tenants: share = max(1, floor(4 / 5)) = 1. The flood gets no 4th job…
    const first = flood[0];
    if (first?.ok) await first.lease.release();
    expect((await slots.acquire("flood", "events", "f4", 3, capacity)).ok).toBe(false);
    // …while a tenant with nothing running still gets its one.
    const n5 = await slots.acquire("n5", "events", "b", 3, capacity);
    expect(n5.ok).toBe(true);
    // Without a capacity (the old rule) only the fixed limit counts.
    expect((await slots.acquire("flood", "events", "f4", 3)).ok).toBe(true);
    for (const r of flood) if (r.ok) await r.lease.release();
    if (n5.ok) await n5.lease.release();
  });
});

describe("RedisCallAttempts (retry cap across layers, issue 17 #5)", () => {
  it("allows 10 failed requests of one call in a job's whole life, then refuses; a success ends the call", async () => {
    const cap = new RedisCallAttempts(redis, `${redisT.prefix}:callcap:events:j-1`);
    const other = new RedisCallAttempts(redis, `${redisT.prefix}:callcap:events:j-2`);
    for (let i = 0; i < 10; i++) {
      expect((await cap.allow("GET /produtos/1")).ok).toBe(true);
      await cap.failed("GET /produtos/1", 500);
    }
    expect(await cap.allow("GET /produtos/1")).toEqual({ ok: false, failures: 10, reason: "attempts" });
    // Another call of the same job, and the same call of another job, have their own counts.
    expect((await cap.allow("GET /produtos/2")).ok).toBe(true);
    expect((await other.allow("GET /produtos/1")).ok).toBe(true);
    await other.failed("GET /produtos/1", 500);
    await other.succeeded("GET /produtos/1");
    expect(await other.allow("GET /produtos/1")).toEqual({ ok: true, failures: 0 });
  });

  it("stops a call whose first failure is older than the time bound; a 429 alone does not start the clock", async () => {
    let now = 1_000_000;
    const cap = new RedisCallAttempts(redis, `${redisT.prefix}:callcap:events:j-3`, {
      windowMs: 60_000,
      now: () => now,
    });
    await cap.failed("GET /a", 429);
    now += 120_000;
    expect((await cap.allow("GET /a")).ok).toBe(true);
    await cap.failed("GET /a", 503);
    now += 61_000;
    expect(await cap.allow("GET /a")).toEqual({ ok: false, failures: 2, reason: "time" });
  });
});
