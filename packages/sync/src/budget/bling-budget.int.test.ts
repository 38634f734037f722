import { nextSaoPauloMidnight } from "@zb/bling";
import { createTestRedis } from "@zb/testing";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import type { BlingLane } from "../ports/bling-port.js";
import { BlingBudget, type BlingBudgetOptions } from "./bling-budget.js";
import { budgetHook } from "./budget-hook.js";
import { BudgetWaitError } from "./errors.js";

const t = createTestRedis();
const conns: Redis[] = [];
let n = 0;

function conn(): Redis {
  const r = new Redis(t.url, { maxRetriesPerRequest: 1 });
  conns.push(r);
  return r;
}

/** A budget under its own key prefix, so each test has its own egress counters too. */
function budget(opts: Partial<BlingBudgetOptions> = {}, redis = conn(), sub = `t${++n}`): BlingBudget {
  // No hold after a new epoch unless a test asks: each test starts a fresh budget state on purpose.
  return new BlingBudget({ redis, keyPrefix: `${t.prefix}:${sub}`, restartHoldMs: 0, ...opts });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  for (const r of conns) r.disconnect();
  await t.cleanup();
});

/** The simulator's definition (Limiter.checkAccount, stats().maxPerSecond): most arrivals within < 1000 ms. */
function maxInAnySecond(times: number[]): number {
  const xs = [...times].sort((x, y) => x - y);
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < xs.length; hi++) {
    while ((xs[hi] as number) - (xs[lo] as number) >= 1000) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

/** `takers` loops of waitFor on `budgets` for `ms`; grant times (Redis clock) and local send times. */
async function saturate(budgets: BlingBudget[], takers: number, ms: number, accountId: string) {
  const grants: number[] = [];
  const sends: number[] = [];
  const deadline = Date.now() + ms;
  const lanes: BlingLane[] = ["catalog", "customers", "stock_price"];
  const loop = async (bb: BlingBudget, lane: BlingLane) => {
    while (Date.now() < deadline) {
      try {
        const g = await bb.waitFor({ accountId, lane, maxWaitMs: Math.max(1, deadline - Date.now()) });
        sends.push(Date.now());
        grants.push(g.grantedAt);
      } catch (err) {
        if (err instanceof BudgetWaitError) return;
        throw err;
      }
    }
  };
  await Promise.all(
    Array.from({ length: takers }, (_, i) =>
      loop(budgets[i % budgets.length] as BlingBudget, lanes[i % 3] as BlingLane),
    ),
  );
  grants.sort((x, y) => x - y);
  return { grants, sends };
}

describe("per-second share (spaced grants, issue 16 #1)", () => {
  it("6 takers in 2 processes for 4 s: share + 1 grants always span ≥ 1000 ms, rate ≥ 0.97 × the spacing's", async () => {
    const sub = `t${++n}`;
    const share = 2;
    const a = budget({ share }, conn(), sub);
    const b = budget({ share }, conn(), sub);
    const { grants, sends } = await saturate([a, b], 6, 4_000, "acct-rate");
    for (let i = 1; i < grants.length; i++) {
      // Consecutive grants at least one spacing apart (1 ms of integer rounding on the reply).
      expect((grants[i] as number) - (grants[i - 1] as number)).toBeGreaterThanOrEqual(a.spacingMs - 1);
    }
    for (let i = 0; i + share < grants.length; i++) {
      expect((grants[i + share] as number) - (grants[i] as number)).toBeGreaterThanOrEqual(1000);
    }
    expect(maxInAnySecond(grants)).toBeLessThanOrEqual(share);
    // Where a caller would send: the simulator's counter over the local send times.
    expect(maxInAnySecond(sends)).toBeLessThanOrEqual(share);
    const first = grants[0] as number;
    const last = grants[grants.length - 1] as number;
    const rate = ((grants.length - 1) * 1000) / (last - first);
    // Saturated, the schedule is the spacing's (1000 / spacingMs = share / 1.05 by default), never above the share.
    expect(rate).toBeGreaterThanOrEqual(0.97 * (1000 / a.spacingMs));
    expect(rate).toBeLessThanOrEqual(share);
  });

  it("a process starved past its slot gives the grant back instead of landing next to later grants", async () => {
    const sub = `t${++n}`;
    let calls = 0;
    // Every third sleep of this "process" ends 300 ms late, as a starved event loop would.
    const starved = (ms: number, signal?: AbortSignal) =>
      sleep(ms + (++calls % 3 === 0 ? 300 : 0)).then(() => signal?.throwIfAborted());
    const a = budget({ share: 2, sleep: starved }, conn(), sub);
    const b = budget({ share: 2 }, conn(), sub);
    const { grants, sends } = await saturate([a, b], 4, 4_000, "acct-starved");
    expect(a.lateRetakes).toBeGreaterThanOrEqual(1);
    expect(maxInAnySecond(sends)).toBeLessThanOrEqual(2);
    for (let i = 0; i + 2 < grants.length; i++) {
      expect((grants[i + 2] as number) - (grants[i] as number)).toBeGreaterThanOrEqual(1000);
    }
  });

  it("a fractional share (1.5) is spaced too: never 2 within one spacing, rate ≥ 0.97 × the spacing's", async () => {
    const bb = budget({ share: 1.5 });
    const first = await bb.take({ accountId: "acct-frac", lane: "catalog" });
    expect(first.ok).toBe(true);
    const second = await bb.take({ accountId: "acct-frac", lane: "catalog" });
    expect(second).toMatchObject({ ok: false, reason: "second" });
    expect(second.ok ? 0 : second.waitMs).toBeGreaterThan(600);
    const { grants } = await saturate([bb], 3, 4_000, "acct-frac-2");
    for (let i = 0; i + 2 < grants.length; i++) {
      expect((grants[i + 2] as number) - (grants[i] as number)).toBeGreaterThanOrEqual(1000);
    }
    for (let i = 0; i + 3 < grants.length; i++) {
      expect((grants[i + 3] as number) - (grants[i] as number)).toBeGreaterThanOrEqual(2000);
    }
    const rate = ((grants.length - 1) * 1000) / ((grants.at(-1) as number) - (grants[0] as number));
    expect(rate).toBeGreaterThanOrEqual(0.97 * (1000 / bb.spacingMs));
    expect(rate).toBeLessThanOrEqual(1.5);
  });

  it("a cost-2 grant pushes the next one two spacings later (a pair never sits next to a third)", async () => {
    const bb = budget({ share: 2 });
    const acct = "acct-pair";
    await bb.waitFor({ accountId: acct, lane: "orders" });
    const pair = await bb.waitFor({ accountId: acct, lane: "orders", cost: 2 });
    const next = await bb.waitFor({ accountId: acct, lane: "orders" });
    expect(next.grantedAt - pair.grantedAt).toBeGreaterThanOrEqual(1000);
  });

  it("refuses a cost above the share instead of granting it", async () => {
    const bb = budget({ share: 2 });
    await expect(bb.take({ accountId: "acct-cost", lane: "orders", cost: 3 })).rejects.toThrow(RangeError);
  });
});

describe("daily limit (issue 16 #4)", () => {
  it("with dailyLimit 50 the 51st orders request is refused with reason day and retryAt = next São Paulo midnight", async () => {
    const bb = budget({ share: 1000, dailyLimit: 50, egress: { requestsPer10s: 10_000 } });
    for (let i = 0; i < 5; i++) await bb.waitFor({ accountId: "acct-day", lane: "orders", cost: 10 });
    const r = await bb.take({ accountId: "acct-day", lane: "orders" });
    const expected = nextSaoPauloMidnight(new Date());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe("day");
    expect(r.retryAt?.toISOString()).toBe(expected.toISOString());
    expect(Math.abs(r.waitMs - (expected.getTime() - Date.now()))).toBeLessThan(2_000);
    // Another account is untouched.
    expect((await bb.take({ accountId: "acct-day-2", lane: "orders" })).ok).toBe(true);
    expect(await bb.usage("acct-day")).toMatchObject({ today: 50, dailyLimit: 50 });
  });

  it("catalog, customers and stock/price stop at 80% of the day; orders and status may spend the rest", async () => {
    const bb = budget({ share: 1000, dailyLimit: 100, egress: { requestsPer10s: 10_000 } });
    expect(bb.bulkDailyCeiling).toBe(80);
    const acct = "acct-reserve";
    for (let i = 0; i < 2; i++) await bb.waitFor({ accountId: acct, lane: "catalog", cost: 40 });
    await sleep(5);
    for (const lane of ["catalog", "customers", "stock_price"] as const) {
      expect(await bb.take({ accountId: acct, lane })).toMatchObject({
        ok: false,
        reason: "day",
        reserveOnly: true,
      });
    }
    // Only these lanes are out for the day: the worker delays the job, it does not pause the account (the page
    // would say "Limite diário de requisições do Bling atingido" while orders still flow).
    const laneErr = await bb.waitFor({ accountId: acct, lane: "catalog" }).catch((e: unknown) => e);
    expect(laneErr).toMatchObject({ action: "wait", reason: "day", period: "second", reserveOnly: true });
    await bb.waitFor({ accountId: acct, lane: "orders", cost: 10 });
    await bb.waitFor({ accountId: acct, lane: "status", cost: 10 });
    expect((await bb.usage(acct)).today).toBe(100);
    await sleep(5);
    expect(await bb.take({ accountId: acct, lane: "orders" })).toMatchObject({
      ok: false,
      reason: "day",
      reserveOnly: false,
    });
    const accountErr = await bb.waitFor({ accountId: acct, lane: "status" }).catch((e: unknown) => e);
    expect(accountErr).toMatchObject({ reason: "day", period: "day" });
  });

  it("the fraction is configurable and checked", async () => {
    expect(budget({ dailyLimit: 1000, bulkDailyFraction: 0.5 }).bulkDailyCeiling).toBe(500);
    expect(budget({ dailyLimit: 1000, bulkDailyFraction: 1 }).bulkDailyCeiling).toBe(1000);
    expect(() => budget({ bulkDailyFraction: 0 })).toThrow(RangeError);
    expect(() => budget({ bulkDailyFraction: 1.2 })).toThrow(RangeError);
  });
});

describe("priority lanes", () => {
  it("a pending orders claim makes lower lanes yield; a vanished claimant stops blocking after its TTL", async () => {
    const bb = budget({ share: 1, claimGraceMs: 300, priorityPollMs: 100 });
    const acct = "acct-prio";
    expect((await bb.take({ accountId: acct, lane: "orders" })).ok).toBe(true);
    const waiting = await bb.take({ accountId: acct, lane: "orders", claimId: "order-1" });
    expect(waiting).toMatchObject({ ok: false, reason: "second" });
    expect(await bb.take({ accountId: acct, lane: "catalog" })).toMatchObject({
      ok: false,
      reason: "priority",
    });
    expect(await bb.take({ accountId: acct, lane: "customers" })).toMatchObject({
      ok: false,
      reason: "priority",
    });

    // The second is free again, but the waiting order still outranks catalog.
    await sleep((waiting.ok ? 0 : waiting.waitMs) + 20);
    expect(await bb.take({ accountId: acct, lane: "catalog" })).toMatchObject({
      ok: false,
      reason: "priority",
    });
    expect((await bb.take({ accountId: acct, lane: "orders", claimId: "order-1" })).ok).toBe(true);
    // Served: catalog now only waits for the window.
    expect(await bb.take({ accountId: acct, lane: "catalog" })).toMatchObject({
      ok: false,
      reason: "second",
    });

    // An orders claimant that dies while waiting blocks lower lanes only until wait + grace.
    const dead = await bb.take({ accountId: acct, lane: "orders", claimId: "order-dead" });
    expect(dead).toMatchObject({ ok: false, reason: "second" });
    await sleep((dead.ok ? 0 : dead.waitMs) + 20);
    expect(await bb.take({ accountId: acct, lane: "catalog" })).toMatchObject({
      ok: false,
      reason: "priority",
    });
    await sleep(300);
    expect((await bb.take({ accountId: acct, lane: "catalog" })).ok).toBe(true);
  });

  it("under contention orders are served before catalog even when catalog started waiting first", async () => {
    const bb = budget({ share: 3 });
    const acct = "acct-contend";
    for (let i = 0; i < 3; i++) await bb.waitFor({ accountId: acct, lane: "stock_price" });
    const start = Date.now();
    const wait = async (lane: BlingLane) => {
      const g = await bb.waitFor({ accountId: acct, lane, maxWaitMs: 5_000 });
      return { lane, at: g.grantedAt, waited: Date.now() - start };
    };
    const catalog = [wait("catalog"), wait("catalog"), wait("catalog")];
    await sleep(10);
    const orders = [wait("orders"), wait("orders"), wait("orders")];
    const o = await Promise.all(orders);
    const c = await Promise.all(catalog);
    const mean = (xs: { waited: number }[]) => xs.reduce((s, x) => s + x.waited, 0) / xs.length;
    // A catalog waiter may already hold the next slot (reserved up to one spacing ahead) when orders arrive:
    // at most that one goes first.
    const lastOrder = Math.max(...o.map((x) => x.at));
    expect(c.filter((x) => x.at < lastOrder).length).toBeLessThanOrEqual(1);
    expect(mean(o)).toBeLessThan(mean(c));
  });
});

describe("egress guard (all accounts)", () => {
  it("caps requests per 10 s across accounts", async () => {
    const bb = budget({ share: 3, egress: { requestsPer10s: 4 } });
    for (const acct of ["e-a", "e-b", "e-c", "e-d"]) {
      expect((await bb.take({ accountId: acct, lane: "orders" })).ok).toBe(true);
    }
    const r = await bb.take({ accountId: "e-e", lane: "orders" });
    expect(r).toMatchObject({ ok: false, reason: "egress" });
    expect(r.ok ? 0 : r.waitMs).toBeGreaterThan(9_000);
    expect(r.ok ? 0 : r.waitMs).toBeLessThanOrEqual(10_000);
  });

  it("stops every account once the error cap is reached", async () => {
    const bb = budget({ share: 3, egress: { errorsPer10s: 3 } });
    expect((await bb.take({ accountId: "x-a", lane: "orders" })).ok).toBe(true);
    expect(await bb.recordError()).toBe(1);
    expect(await bb.recordError()).toBe(2);
    expect((await bb.take({ accountId: "x-b", lane: "orders" })).ok).toBe(true);
    expect(await bb.recordError()).toBe(3);
    for (const acct of ["x-a", "x-b", "x-c"]) {
      const r = await bb.take({ accountId: acct, lane: "orders" });
      expect(r).toMatchObject({ ok: false, reason: "errors" });
      expect(r.ok ? 0 : r.waitMs).toBeGreaterThan(9_000);
    }
  });

  it("caps token calls per 60 s across processes, also through the hook", async () => {
    const sub = `t${++n}`;
    const p1 = budget({ egress: { tokenCallsPer60s: 3, exchangeTokenCallsPer60s: 1 } }, conn(), sub);
    const p2 = budget({ egress: { tokenCallsPer60s: 3, exchangeTokenCallsPer60s: 1 } }, conn(), sub);
    expect((await p1.takeTokenCall()).ok).toBe(true);
    expect((await p2.takeTokenCall()).ok).toBe(true);
    const r = await p1.takeTokenCall();
    expect(r).toMatchObject({ ok: false, reason: "token" });
    expect(r.ok ? 0 : r.waitMs).toBeGreaterThan(59_000);
    const hook = budgetHook(p2, "any", "orders", { maxWaitMs: 200 });
    await expect(hook({ method: "POST", path: "/Api/v3/oauth/token" })).rejects.toBeInstanceOf(
      BudgetWaitError,
    );
    // Token calls spend no account budget: a normal request still goes through.
    await expect(hook({ method: "GET", path: "/Api/v3/produtos" })).resolves.toBeUndefined();
  });

  it("keeps the refresh lane when code exchanges flood the token-call cap (issue 21 #3)", async () => {
    const sub = `t${++n}`;
    // The defaults: 10 per 60 s, of which code exchanges may spend 3.
    const api = budget({}, conn(), sub);
    const worker = budget({}, conn(), sub);
    const exchanges = [];
    for (let i = 0; i < 10; i++) exchanges.push((await api.takeTokenCall("exchange")).ok);
    expect(exchanges.filter(Boolean)).toHaveLength(3);
    const refreshes = [];
    for (let i = 0; i < 7; i++) refreshes.push((await worker.takeTokenCall()).ok);
    expect(refreshes).toEqual(Array(7).fill(true));
    // Both lanes full: ten calls in the minute, Bling's IP block (20) stays far.
    expect(await worker.takeTokenCall("refresh")).toMatchObject({ ok: false, reason: "token" });
    expect(await api.takeTokenCall("exchange")).toMatchObject({ ok: false, reason: "token" });
    expect(() => budget({ egress: { tokenCallsPer60s: 3, exchangeTokenCallsPer60s: 3 } })).toThrow(
      RangeError,
    );
  });
});

describe("usage and the client hook", () => {
  it("usage counts today and the last second", async () => {
    const bb = budget({ share: 3 });
    await bb.waitFor({ accountId: "u-a", lane: "orders" });
    await bb.waitFor({ accountId: "u-a", lane: "catalog" });
    expect(await bb.usage("u-a")).toEqual({
      today: 2,
      dailyLimit: 120_000,
      lastSecond: 2,
      share: 3,
    });
    await sleep(1_050);
    expect(await bb.usage("u-a")).toMatchObject({ today: 2, lastSecond: 0 });
  });

  it("the hook waits for a slot, gives up past its bound and stops on abort without leaving a claim", async () => {
    const bb = budget({ share: 1 });
    const hook = budgetHook(bb, "h-a", "orders");
    const req = { method: "GET", path: "/Api/v3/pedidos/vendas/1" };
    await hook(req);
    const t0 = Date.now();
    await hook(req);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);

    const bounded = budgetHook(bb, "h-a", "orders", { maxWaitMs: 200 });
    const err = await bounded(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetWaitError);
    expect((err as BudgetWaitError).retryAfterMs).toBeGreaterThan(0);

    const ac = new AbortController();
    const aborted = budgetHook(bb, "h-a", "orders", { signal: ac.signal })(req);
    setTimeout(() => ac.abort(new Error("shutdown")), 100);
    await expect(aborted).rejects.toThrow("shutdown");
    // The aborted orders waiter released its claim: catalog waits for the window, not for priority.
    expect(await bb.take({ accountId: "h-a", lane: "catalog" })).toMatchObject({
      ok: false,
      reason: "second",
    });
  });
});

describe("Redis back empty (issue 17 #1)", () => {
  /** Every key under one budget's prefix — what an empty Redis after a restart looks like to it. */
  async function deleteBudgetKeys(prefix: string): Promise<number> {
    const r = conn();
    let deleted = 0;
    for (let cursor = "0"; ; ) {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      if (keys.length > 0) deleted += await r.del(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
    return deleted;
  }

  it("keys deleted mid-run: no burst above the share across it, and the day's count is not reset to 0", async () => {
    const sub = `t${++n}`;
    const prefix = `${t.prefix}:${sub}`;
    // The production hold (no restartHoldMs override): 1000 ms + 2 spacings after a new epoch.
    const bb = new BlingBudget({ redis: conn(), keyPrefix: prefix, share: 2 });
    let deletedAt = 0;
    const wipe = (async () => {
      await sleep(3_000);
      expect(await deleteBudgetKeys(prefix)).toBeGreaterThanOrEqual(3);
      deletedAt = Date.now();
    })();
    const { grants, sends } = await saturate([bb], 4, 6_000, "acct-wipe");
    await wipe;
    const before = grants.filter((g) => g < deletedAt).length;
    expect(before).toBeGreaterThanOrEqual(2);
    expect(grants.length - before).toBeGreaterThanOrEqual(2);
    for (let i = 0; i + 2 < grants.length; i++) {
      expect((grants[i + 2] as number) - (grants[i] as number)).toBeGreaterThanOrEqual(1000);
    }
    expect(maxInAnySecond(sends)).toBeLessThanOrEqual(2);
    // The grants after the wipe waited out the hold (1000 ms + 2 spacings from the new epoch): the one gap
    // of the run, ending after the wipe (a slot reserved just before it may still go).
    let gap = { len: 0, end: 0 };
    for (let i = 1; i < grants.length; i++) {
      const len = (grants[i] as number) - (grants[i - 1] as number);
      if (len > gap.len) gap = { len, end: grants[i] as number };
    }
    expect(gap.len).toBeGreaterThanOrEqual(1000);
    expect(gap.end).toBeGreaterThan(deletedAt);
    // The process remembered the count and put it back: today counts every grant, before and after.
    expect((await bb.usage("acct-wipe")).today).toBe(grants.length);
  });

  it("a day count lost with no process remembering it starts again from 0 (stated limit), still spaced", async () => {
    const sub = `t${++n}`;
    const prefix = `${t.prefix}:${sub}`;
    const first = new BlingBudget({ redis: conn(), keyPrefix: prefix, share: 1000, restartHoldMs: 0 });
    await first.waitFor({ accountId: "acct-cold", lane: "orders", cost: 5 });
    await deleteBudgetKeys(prefix);
    const cold = new BlingBudget({ redis: conn(), keyPrefix: prefix, share: 1000, restartHoldMs: 0 });
    await cold.waitFor({ accountId: "acct-cold", lane: "orders" });
    expect((await cold.usage("acct-cold")).today).toBe(1);
    // The instance that saw the 5 restores them on its next take.
    await first.waitFor({ accountId: "acct-cold-2", lane: "orders" });
    await deleteBudgetKeys(prefix);
    await first.waitFor({ accountId: "acct-cold", lane: "orders" });
    expect((await first.usage("acct-cold")).today).toBeGreaterThanOrEqual(6);
  });
});
