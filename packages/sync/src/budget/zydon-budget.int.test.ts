import { createTestRedis } from "@zb/testing";
import { ZydonClient } from "@zb/zydon";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { BlingBudget } from "./bling-budget.js";
import { BudgetWaitError } from "./errors.js";
import { ZydonBudget, zydonBudgetHook } from "./zydon-budget.js";

const t = createTestRedis();
const conns: Redis[] = [];
let n = 0;
function conn(): Redis {
  const r = new Redis(t.url, { maxRetriesPerRequest: 1 });
  conns.push(r);
  return r;
}
afterAll(async () => {
  for (const r of conns) r.disconnect();
  await t.cleanup();
});

describe("the per-tenant Zydon budget (issue 21 #4)", () => {
  it("10 req/s per tenant across two processes: grants ≥ 100 ms apart, rate ≥ 0.97 × 10; tenants apart", async () => {
    const prefix = `${t.prefix}:z${++n}`;
    const a = new ZydonBudget({ redis: conn(), keyPrefix: prefix, ratePerSecond: 10, restartHoldMs: 0 });
    const b = new ZydonBudget({ redis: conn(), keyPrefix: prefix, ratePerSecond: 10, restartHoldMs: 0 });
    const grants: number[] = [];
    const deadline = Date.now() + 2_000;
    const loop = async (zb: ZydonBudget) => {
      while (Date.now() < deadline) grants.push((await zb.waitFor("tenant-a")).grantedAt);
    };
    await Promise.all([loop(a), loop(a), loop(b), loop(b)]);
    grants.sort((x, y) => x - y);
    for (let i = 1; i < grants.length; i++) {
      expect((grants[i] as number) - (grants[i - 1] as number)).toBeGreaterThanOrEqual(99);
    }
    const rate = ((grants.length - 1) * 1000) / ((grants.at(-1) as number) - (grants[0] as number));
    expect(rate).toBeGreaterThanOrEqual(9.7);
    expect(rate).toBeLessThanOrEqual(10.01);
    // Another tenant has its own schedule: granted at once.
    expect(await a.take("tenant-b")).toMatchObject({ ok: true });
    expect(await a.take("tenant-a")).toMatchObject({ ok: false, reason: "second" });
  });

  it("honours the tenant pause flag the Bling budget sets (uninstall), and lets go again on resume", async () => {
    const prefix = `${t.prefix}:z${++n}`;
    const bling = new BlingBudget({ redis: conn(), keyPrefix: prefix });
    const zb = new ZydonBudget({ redis: conn(), keyPrefix: prefix, ratePerSecond: 5, restartHoldMs: 0 });
    await bling.pauseTenant("tenant-p");
    expect(await zb.take("tenant-p")).toMatchObject({ ok: false, reason: "paused" });
    const err = await zb.waitFor("tenant-p").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetWaitError);
    expect(err).toMatchObject({ reason: "paused", action: "wait", period: "second" });
    expect(await zb.take("tenant-other")).toMatchObject({ ok: true });
    await bling.resumeTenant("tenant-p");
    expect(await zb.take("tenant-p")).toMatchObject({ ok: true });
  });

  it("the Zydon client awaits the hook before every HTTP request, its retries included", async () => {
    const prefix = `${t.prefix}:z${++n}`;
    const zb = new ZydonBudget({ redis: conn(), keyPrefix: prefix, ratePerSecond: 20, restartHoldMs: 0 });
    const seen: string[] = [];
    const hook = zydonBudgetHook(zb, "tenant-h");
    let calls = 0;
    const client = new ZydonClient({
      baseUrl: "https://api.zydon.test",
      accessKey: { code: "kc", token: "kt" },
      retry: { baseDelayMs: 1, sleep: async () => {} },
      budget: async (req) => {
        seen.push(`${req.method} ${new URL(req.url).pathname}`);
        await hook(req);
      },
      fetch: async () => {
        calls += 1;
        return calls < 3
          ? new Response("{}", { status: 503 })
          : new Response(JSON.stringify({ id: 1, sku: "A", name: "A" }), { status: 200 });
      },
    });
    await client.products.get("1").catch(() => undefined);
    expect(calls).toBe(3);
    expect(seen).toHaveLength(3);
    // A paused tenant: the request is never sent.
    await new BlingBudget({ redis: conn(), keyPrefix: prefix }).pauseTenant("tenant-h");
    const before = calls;
    await expect(client.products.get("1")).rejects.toBeInstanceOf(BudgetWaitError);
    expect(calls).toBe(before);
  });
});
