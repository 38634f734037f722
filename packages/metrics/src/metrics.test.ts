import { createTestRedis } from "@zb/testing";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  blingMetricsLogger,
  observeBudgetHook,
  observeProcessor,
  observeRefreshPort,
} from "./instruments.js";
import { registerQueueMetrics } from "./queues.js";
import { ZbMetrics } from "./registry.js";
import { ALL_ACCOUNTS, registerUsageMetrics } from "./usage.js";

/** The value of one series (`name{a="x",b="y"}`, labels in any order), or undefined when it is absent. */
function seriesValue(text: string, series: string): number | undefined {
  const norm = (s: string) => {
    const m = /^([^{ ]+)(?:\{(.*)\})?$/.exec(s.trim());
    const labels = (m?.[2] ?? "")
      .split(/,(?=[a-z_]+=")/)
      .filter(Boolean)
      .sort();
    return `${m?.[1]}{${labels.join(",")}}`;
  };
  const want = norm(series);
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.trim()) continue;
    const at = line.lastIndexOf(" ");
    if (norm(line.slice(0, at)) === want) return Number(line.slice(at + 1));
  }
  return undefined;
}

const fresh = () => new ZbMetrics({ app: "worker", defaultMetrics: false });

class BudgetWaitError extends Error {
  constructor(readonly reason: string) {
    super("no slot");
    this.name = "BudgetWaitError";
  }
}

describe("instruments", () => {
  it("counts budget grants, waits and refusals by lane and reason", async () => {
    const m = fresh();
    const fast = observeBudgetHook(async () => {}, m, "catalog");
    const slow = observeBudgetHook(() => new Promise<void>((r) => setTimeout(r, 30)), m, "catalog");
    const refused = observeBudgetHook(
      async () => {
        throw new BudgetWaitError("day");
      },
      m,
      "stock_price",
    );
    await fast({ path: "/produtos" });
    await slow({ path: "/produtos" });
    await fast({ path: "/pedidos/vendas", priority: "orders" });
    await fast({ path: "/oauth/token" });
    await expect(refused({ path: "/estoques/saldos" })).rejects.toThrow("no slot");
    const text = (await m.expose()).body;
    expect(seriesValue(text, 'zb_budget_grants_total{lane="catalog",app="worker"}')).toBe(2);
    expect(seriesValue(text, 'zb_budget_grants_total{lane="orders",app="worker"}')).toBe(1);
    expect(seriesValue(text, 'zb_budget_grants_total{lane="token",app="worker"}')).toBe(1);
    expect(seriesValue(text, 'zb_budget_waits_total{lane="catalog",app="worker"}')).toBe(1);
    expect(seriesValue(text, 'zb_budget_refusals_total{lane="stock_price",reason="day",app="worker"}')).toBe(
      1,
    );
    expect(seriesValue(text, 'zb_budget_grants_total{lane="stock_price",app="worker"}')).toBeUndefined();
  });

  it("counts Bling answers by status class and 429s, passing each line on", async () => {
    const m = fresh();
    const seen: string[] = [];
    const log = blingMetricsLogger(m, {
      info: (_o, msg) => seen.push(`info ${msg}`),
      warn: (_o, msg) => seen.push(`warn ${msg}`),
    });
    log.info({ method: "GET", path: "/produtos", status: 200, durationMs: 3 }, "bling request");
    log.warn({ method: "GET", path: "/produtos", status: 429, durationMs: 3 }, "bling request failed");
    log.warn({ method: "GET", path: "/produtos", status: 429, durationMs: 3 }, "bling request failed");
    log.warn({ method: "GET", path: "/produtos", status: null, timedOut: true }, "bling request failed");
    log.warn({ note: "no status" }, "other");
    const text = (await m.expose()).body;
    expect(seriesValue(text, 'zb_bling_429_total{app="worker"}')).toBe(2);
    expect(seriesValue(text, 'zb_bling_responses_total{status_class="2xx",app="worker"}')).toBe(1);
    expect(seriesValue(text, 'zb_bling_responses_total{status_class="network",app="worker"}')).toBe(1);
    expect(seen).toHaveLength(5);
  });

  it("times jobs by outcome, counts failures, and observes webhook lag from enqueue", async () => {
    const m = fresh();
    const now = 1_000_000;
    const processor = observeProcessor(
      async (job: { name: string; queueName: string; timestamp: number; data: string }) => {
        if (job.data === "fail") throw new Error("boom");
        if (job.data === "delay") {
          const e = new Error("delayed");
          e.name = "DelayedError";
          throw e;
        }
        return "ok";
      },
      m,
      () => now,
    );
    await processor({ name: "bling-webhook", queueName: "events", timestamp: now - 2_500, data: "ok" });
    await expect(
      processor({ name: "export-order", queueName: "orders", timestamp: now, data: "fail" }),
    ).rejects.toThrow("boom");
    await expect(
      processor({ name: "export-order", queueName: "orders", timestamp: now, data: "delay" }),
    ).rejects.toThrow("delayed");
    const text = (await m.expose()).body;
    expect(seriesValue(text, 'zb_job_failures_total{queue="orders",job="export-order",app="worker"}')).toBe(
      1,
    );
    expect(
      seriesValue(
        text,
        'zb_job_duration_seconds_count{queue="orders",job="export-order",outcome="delayed",app="worker"}',
      ),
    ).toBe(1);
    expect(
      seriesValue(
        text,
        'zb_job_duration_seconds_count{queue="events",job="bling-webhook",outcome="completed",app="worker"}',
      ),
    ).toBe(1);
    expect(seriesValue(text, 'zb_webhook_lag_seconds_sum{source="bling",app="worker"}')).toBe(2.5);
    expect(seriesValue(text, 'zb_webhook_lag_seconds_count{source="zydon",app="worker"}')).toBeUndefined();
  });

  it("counts token refreshes and their failures", async () => {
    const m = fresh();
    let fail = false;
    const port = observeRefreshPort(
      {
        async refresh(rt: string) {
          if (fail) throw new Error("invalid_grant");
          return { accessToken: `a-${rt}` };
        },
      },
      m,
    );
    await port.refresh("r1");
    fail = true;
    await expect(port.refresh("r2")).rejects.toThrow("invalid_grant");
    const text = (await m.expose()).body;
    expect(seriesValue(text, 'zb_bling_token_refreshes_total{result="ok",app="worker"}')).toBe(1);
    expect(seriesValue(text, 'zb_bling_token_refreshes_total{result="failed",app="worker"}')).toBe(1);
    expect(text).not.toContain("r1");
  });
});

describe("usage: top-N accounts bound the label cardinality", () => {
  it("500 accounts give at most N + 1 series, the busiest N by name and the sum of all", async () => {
    const m = fresh();
    const usage = new Map<string, number>(Array.from({ length: 500 }, (_, i) => [`acct-${i}`, i + 1]));
    registerUsageMetrics(
      m,
      { accounts: async () => [...usage.keys()], today: async (id) => usage.get(id) ?? 0 },
      { topN: 10 },
    );
    const text = (await m.expose()).body;
    const series = text.split("\n").filter((l) => l.startsWith("zb_bling_requests_today{"));
    expect(series.length).toBeLessThanOrEqual(11);
    expect(series).toHaveLength(11);
    expect(seriesValue(text, `zb_bling_requests_today{account="${ALL_ACCOUNTS}",app="worker"}`)).toBe(
      (500 * 501) / 2,
    );
    expect(seriesValue(text, 'zb_bling_requests_today{account="acct-499",app="worker"}')).toBe(500);
    expect(seriesValue(text, 'zb_bling_requests_today{account="acct-490",app="worker"}')).toBe(491);
    expect(seriesValue(text, 'zb_bling_requests_today{account="acct-489",app="worker"}')).toBeUndefined();
    expect(seriesValue(text, 'zb_bling_accounts{app="worker"}')).toBe(500);
  });

  it("N is configurable and a scrape within the cache window reuses the last reading", async () => {
    const m = fresh();
    let reads = 0;
    let clock = 0;
    registerUsageMetrics(
      m,
      {
        accounts: async () => ["a", "b", "c", "d"],
        today: async () => {
          reads++;
          return 7;
        },
      },
      { topN: 2, cacheMs: 15_000, now: () => clock },
    );
    const text = (await m.expose()).body;
    expect(text.split("\n").filter((l) => l.startsWith("zb_bling_requests_today{"))).toHaveLength(3);
    await m.expose();
    expect(reads).toBe(4);
    clock = 20_000;
    await m.expose();
    expect(reads).toBe(8);
  });
});

describe("queue depth and oldest waiting job (real Redis)", () => {
  const r = createTestRedis();
  const connection = new Redis(r.url, { maxRetriesPerRequest: null });
  const events = new Queue("events", { connection, prefix: r.prefix });
  const orders = new Queue("orders", { connection, prefix: r.prefix });
  afterAll(async () => {
    await events.close();
    await orders.close();
    await r.cleanup();
    connection.disconnect();
  });

  it("reports waiting and delayed counts per queue and the age of the oldest waiting job", async () => {
    const t0 = Date.now();
    await events.add("bling-webhook", { n: 1 }, { timestamp: t0 - 90_000 });
    await events.add("bling-webhook", { n: 2 }, { timestamp: t0 - 1_000 });
    await events.add("refresh-stock", { n: 3 }, { delay: 60_000 });
    const m = fresh();
    registerQueueMetrics(m, [events, orders], () => t0);
    const text = (await m.expose()).body;
    expect(seriesValue(text, 'zb_queue_jobs{queue="events",state="waiting",app="worker"}')).toBe(2);
    expect(seriesValue(text, 'zb_queue_jobs{queue="events",state="delayed",app="worker"}')).toBe(1);
    expect(seriesValue(text, 'zb_queue_jobs{queue="orders",state="waiting",app="worker"}')).toBe(0);
    expect(seriesValue(text, 'zb_queue_oldest_waiting_seconds{queue="events",app="worker"}')).toBe(90);
    expect(seriesValue(text, 'zb_queue_oldest_waiting_seconds{queue="orders",app="worker"}')).toBe(0);
    expect(text).not.toContain("zb_queue_waiting_by_lane");
  });

  it("breaks waiting jobs down by the lane their job name runs in, with the oldest age per lane", async () => {
    const t0 = Date.now();
    await orders.add("export-order", { n: 1 }, { timestamp: t0 - 30_000 });
    await orders.add("export-order", { n: 2 }, { timestamp: t0 - 5_000 });
    await orders.add("order-status", { n: 3 }, { timestamp: t0 - 12_000 });
    await orders.add("mystery", { n: 4 }, { timestamp: t0 - 1_000 });
    const lanes: Record<string, string> = { "export-order": "orders", "order-status": "status" };
    const m = fresh();
    registerQueueMetrics(m, [orders], () => t0, { laneOf: (name) => lanes[name] });
    const text = (await m.expose()).body;
    expect(seriesValue(text, 'zb_queue_waiting_by_lane{queue="orders",lane="orders",app="worker"}')).toBe(2);
    expect(seriesValue(text, 'zb_queue_waiting_by_lane{queue="orders",lane="status",app="worker"}')).toBe(1);
    expect(seriesValue(text, 'zb_queue_waiting_by_lane{queue="orders",lane="none",app="worker"}')).toBe(1);
    expect(
      seriesValue(text, 'zb_queue_oldest_waiting_by_lane_seconds{queue="orders",lane="orders",app="worker"}'),
    ).toBe(30);
    expect(
      seriesValue(text, 'zb_queue_oldest_waiting_by_lane_seconds{queue="orders",lane="status",app="worker"}'),
    ).toBe(12);
    // A bounded sample: only the oldest N are read.
    const sampled = fresh();
    registerQueueMetrics(sampled, [orders], () => t0, { laneOf: (name) => lanes[name], laneSample: 1 });
    const one = (await sampled.expose()).body;
    expect(seriesValue(one, 'zb_queue_waiting_by_lane{queue="orders",lane="orders",app="worker"}')).toBe(1);
    expect(
      seriesValue(one, 'zb_queue_waiting_by_lane{queue="orders",lane="status",app="worker"}'),
    ).toBeUndefined();
  });
});
