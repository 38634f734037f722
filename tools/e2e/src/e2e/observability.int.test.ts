import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateDemoAccount } from "@zb/bling-simulator";
import { TenantsRepository } from "@zb/db";
import { type Child, waitFor } from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startApiProcess, startE2E } from "../world.js";

/**
 * Metrics and the ops page against the real product: the worker composed as main.ts does (its /metrics
 * listener on a free port), the API as a process with OPS_TOKEN, both simulators. Bling's simulator allows
 * 1 request/s while our share is 2, so the sync meets real 429s; one demo tenant syncs, a second one only
 * counts in the account list (top-N is 1 here).
 */
const OPS_TOKEN = "e2e-ops-token-0123456789abcdef-xyz";
const artifacts = fileURLToPath(new URL("../../../../test-artifacts/ops/", import.meta.url));
let e: E2E;
let api: { child: Child; url: string };
let t: { tenantId: string; orgId: string; accountId: string; companyId: string };
let other: { tenantId: string; companyId: string };

/** Sum of every series of `name` whose labels include all of `labels` (label order free). */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

async function workerMetrics(): Promise<string> {
  const url = e.worker.metricsServer?.url;
  if (!url) throw new Error("the worker has no metrics listener");
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

beforeAll(async () => {
  e = await startE2E({
    webhooks: true,
    blingLimits: { perSecond: 1 },
    env: { WORKER_METRICS_PORT: "0", OPS_TOKEN, METRICS_TOP_ACCOUNTS: "1" },
  });
  api = await startApiProcess(e);
  t = await e.addTenant("Loja Métrica");
  other = await e.addTenant("Loja Quieta");
  generateDemoAccount(e.bling.sim, t.accountId, {
    products: 4,
    variationShare: 0,
    contacts: 2,
    paymentMethods: 1,
    seed: 5,
  });
  await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
  const tenants = new TenantsRepository(e.db.db);
  await waitFor("initial sync", async () => (await tenants.findById(t.tenantId))?.initialSyncDoneAt, 150_000);
}, 200_000);

afterAll(async () => {
  await api?.child.kill();
  await e?.close();
});

describe("observability (worker + API processes + simulators)", () => {
  it("the worker's /metrics counts the sync: budget grants by lane, Bling answers and every 429, job durations", async () => {
    await e.worker.tokens.forceRefresh(t.tenantId);
    const text = await workerMetrics();
    const sim = e.bling.sim.stats(t.accountId);
    expect(sim.tooManyRequests).toBeGreaterThan(0);
    expect(total(text, "zb_bling_429_total")).toBe(sim.tooManyRequests);
    expect(total(text, "zb_bling_responses_total")).toBeGreaterThanOrEqual(sim.total - 1);
    expect(total(text, "zb_budget_grants_total", { lane: "catalog" })).toBeGreaterThan(0);
    expect(
      total(text, "zb_job_duration_seconds_count", { job: "initial-sync-step", outcome: "completed" }),
    ).toBeGreaterThan(0);
    expect(total(text, "zb_bling_token_refreshes_total", { result: "ok" })).toBe(1);
    expect(text).toMatch(/zb_queue_jobs\{[^}]*queue="sync"/);
    // Top-N = 1: the sum of both accounts, and only the busy one by name.
    const usage = text.split("\n").filter((l) => l.startsWith("zb_bling_requests_today{"));
    expect(usage).toHaveLength(2);
    expect(text).toContain(`account="${t.companyId}"`);
    expect(text).not.toContain(`account="${other.companyId}"`);
    expect(total(text, "zb_bling_requests_today", { account: "_all" })).toBeGreaterThan(0);
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(`${artifacts}worker-metrics.txt`, text);
  }, 30_000);

  it("a Bling webhook's lag (received → processed) is observed", async () => {
    const acc = e.bling.sim.control.getAccount(t.accountId);
    const product = acc.products.find((p) => (p as { formato?: string }).formato === "S") as { id: number };
    const deposit = (acc.deposits.find((d) => d.padrao) ?? acc.deposits[0]) as { id: number };
    e.bling.sim.control.setStock(t.accountId, product.id, deposit.id, { fisico: 41 });
    await waitFor(
      "webhook lag observed",
      async () => total(await workerMetrics(), "zb_webhook_lag_seconds_count", { source: "bling" }) > 0,
      20_000,
    );
  }, 30_000);

  it("the API's /metrics and ops pages answer the operator only, without secrets", async () => {
    expect((await fetch(`${api.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${api.url}/ops/tenants`)).status).toBe(401);
    expect((await fetch(`${api.url}/ops/queues`)).status).toBe(401);
    const auth = { authorization: `Bearer ${OPS_TOKEN}` };
    const metrics = await fetch(`${api.url}/metrics`, { headers: auth });
    expect(metrics.status).toBe(200);
    const mtext = await metrics.text();
    expect(mtext).toMatch(/zb_queue_oldest_waiting_seconds\{[^}]*queue="orders"/);
    expect(total(mtext, "zb_bling_requests_today", { account: "_all" })).toBeGreaterThan(0);

    const json = await fetch(`${api.url}/ops/tenants?format=json`, { headers: auth });
    expect(json.status).toBe(200);
    const body = (await json.json()) as { tenants: Array<Record<string, unknown>> };
    const row = body.tenants.find((r) => r.tenantId === t.tenantId) as {
      lastSuccess: Record<string, string>;
      requestsToday: number;
    };
    expect(Object.keys(row.lastSuccess)).toEqual(expect.arrayContaining(["products", "stock"]));
    expect(row.requestsToday).toBeGreaterThan(0);
    const html = await (await fetch(`${api.url}/ops/tenants`, { headers: auth })).text();
    const acc = e.bling.sim.control.getAccount(t.accountId);
    const documents = acc.contacts
      .map((c) => (c as { numeroDocumento?: string }).numeroDocumento)
      .filter((d): d is string => Boolean(d));
    const names = acc.contacts.map((c) => (c as { nome: string }).nome);
    expect(documents.length).toBeGreaterThan(0);
    for (const secret of [...documents, ...names, OPS_TOKEN, "Loja Métrica", t.orgId]) {
      expect(html).not.toContain(secret);
      expect(JSON.stringify(body)).not.toContain(secret);
    }
    const board = await fetch(`${api.url}/ops/queues/api/queues`, { headers: auth });
    expect(board.status).toBe(200);
    writeFileSync(`${artifacts}ops-tenants.html`, html);
    writeFileSync(`${artifacts}api-metrics.txt`, mtext);
  }, 30_000);
});
