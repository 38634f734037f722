import { generateDemoAccount } from "@zb/bling-simulator";
import {
  type Child,
  compareStates,
  FaultTally,
  failedJobs,
  PLUGIN_ID,
  PLUGIN_KEY,
  reportRecovery,
  seeded,
  type Tenant,
  waitFor,
  waitForInitialSync,
} from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startApiProcess, startE2E } from "../world.js";

/**
 * Issue 9, "a webhook flood (1,000 events in a minute)": 1,000 stock changes in Bling, each a signed
 * webhook delivered by the simulator to the real API process (faster than the rate: ~15 s), with
 * the worker in process behind it. Every delivery must be accepted (no Bling retry storm), every event
 * processed, Zydon's stock must end equal to Bling's, and the worker must coalesce: far fewer Bling calls
 * than events, never a 429.
 */
const EVENTS = 1_000;
const SPREAD_MS = 15_000;

let e: E2E;
let api: Child;
let apiUrl = "";
let t: Tenant;
const tally = new FaultTally("webhook flood and duplicates");

beforeAll(async () => {
  e = await startE2E({ webhooks: true });
  ({ child: api, url: apiUrl } = await startApiProcess(e));
  t = await e.addTenant("Loja Enxurrada");
  generateDemoAccount(e.bling.sim, t.accountId, {
    products: 8,
    variationShare: 0,
    contacts: 1,
    paymentMethods: 1,
    seed: 83,
  });
  await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
  await waitForInitialSync(e, t.tenantId, 50_000);
}, 120_000);

afterAll(async () => {
  await api?.kill();
  tally.flush();
  await e?.close();
});

describe("webhook floods and duplicates through the real API process", () => {
  it(`${EVENTS} stock events in ${SPREAD_MS / 1000} s: all accepted, all processed, stock equal, calls coalesced`, async () => {
    const acc = e.bling.sim.control.getAccount(t.accountId);
    const deposit = (acc.deposits.find((d) => d.padrao) ?? acc.deposits[0]) as { id: number };
    const inZydon = new Set(e.zydon.sim.snapshot(t.orgId).products.map((p) => p.sku));
    const ids = acc.products
      .filter(
        (p) => p.situacao === "A" && p.formato === "S" && !p.idProdutoPai && inZydon.has(String(p.codigo)),
      )
      .map((p) => Number(p.id));
    expect(ids.length).toBeGreaterThan(2);
    const rnd = seeded(83);
    const deliveriesBefore = e.bling.sim.control.webhookDeliveries().length;
    const callsBefore = e.bling.sim.requestLog.filter((r) => r.accountId === t.accountId).length;
    const started = Date.now();
    for (let i = 0; i < EVENTS; i++) {
      const id = ids[i % ids.length] as number;
      e.bling.sim.control.setStock(t.accountId, id, deposit.id, { fisico: Math.floor(rnd() * 500) });
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, (SPREAD_MS / EVENTS) * 20));
    }
    const floodMs = Date.now() - started;

    const deliveries = () =>
      e.bling.sim.control
        .webhookDeliveries()
        .slice(deliveriesBefore)
        .filter((d) => d.accountId === t.accountId);
    await waitFor("every webhook delivered", async () => deliveries().length >= EVENTS, 60_000);
    const rejected = deliveries().filter((d) => !d.ok);
    await waitFor(
      "every event processed",
      async () => {
        const r = await e.db.sql`
          select count(*)::int as n from webhook_inbox where tenant_id = ${t.tenantId} and processed_at is null`;
        return r[0]?.n === 0;
      },
      45_000,
    );
    const diffs = await waitFor(
      "Zydon stock equal to Bling",
      async () => {
        const d = compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId, { checkCustomers: false });
        return d.length === 0 ? d : false;
      },
      30_000,
    ).catch(() => compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId, { checkCustomers: false }));
    reportRecovery(
      `${EVENTS} webhooks sent in ${floodMs} ms: everything in Zydon after the last one`,
      Date.now() - started - floodMs,
    );

    const calls = e.bling.sim.requestLog.filter((r) => r.accountId === t.accountId).slice(callsBefore);
    const failed = await failedJobs(e, t.tenantId);
    tally.record(`${EVENTS} stock webhooks`, {
      survived: rejected.length === 0 && diffs.length === 0 && failed.length === 0,
      lost: diffs.filter((d) => /missing|stock/.test(d)).length,
      duplicated: diffs.filter((d) => /has (two|\d+) /.test(d)).length,
    });
    console.log(`[resilience] webhook flood: ${calls.length} Bling calls for ${EVENTS} events`);
    expect(rejected.map((d) => `${d.status} ${d.error ?? ""}`)).toEqual([]);
    expect(diffs).toEqual([]);
    expect(failed).toEqual([]);
    expect(calls.filter((r) => r.status === 429)).toEqual([]);
    expect(calls.length).toBeLessThan(EVENTS / 4);
  }, 120_000);
  it("Zydon order webhooks delivered twice: one inbox row and exactly one Bling order per Zydon order", async () => {
    // Our plugin's order webhook points at the API (the harness registered the plugin without one).
    e.zydon.sim.registerPlugin({
      pluginId: PLUGIN_ID,
      accessKey: PLUGIN_KEY,
      name: "Bling",
      callbackUrls: ["http://127.0.0.1:1/zydon/callback"],
      installationUrl: "http://127.0.0.1:1/zydon/install",
      orderWebhookUrl: `${apiUrl}/webhooks/zydon/orders`,
    });
    e.zydon.sim.setFaults({ duplicateWebhooks: true });
    const snap = e.zydon.sim.snapshot(t.orgId);
    const skus = snap.products.filter((p) => p.variations.length === 0).map((p) => p.sku);
    const partner = snap.partners[0]?.id as string;
    const method = snap.paymentMethods[0]?.id as string;
    const orderIds: string[] = [];
    const started = Date.now();
    try {
      for (let i = 0; i < 5; i++) {
        const { orderId, deliveries } = await e.zydon.sim.placeOrder(t.orgId, {
          partner: { id: partner },
          items: [{ sku: skus[i % skus.length] as string, quantity: 1 + i }],
          paymentMethodId: method,
          installments: 1,
        });
        expect(deliveries.map((d) => d.status)).toEqual([200, 200]);
        orderIds.push(orderId);
      }
    } finally {
      e.zydon.sim.setFaults({ duplicateWebhooks: false });
    }
    await waitFor(
      "5 orders in Bling",
      async () => {
        const r = await e.db.sql`
          select count(*)::int as n from order_exports
          where tenant_id = ${t.tenantId} and state = 'created' and zydon_order_id in ${e.db.sql(orderIds)}`;
        return r[0]?.n === orderIds.length;
      },
      40_000,
    );
    reportRecovery("duplicated Zydon order webhooks: 5 orders in Bling", Date.now() - started);
    // Let the duplicate deliveries' jobs run out before counting.
    await waitFor(
      "order jobs to drain",
      async () => {
        const c = await e.queueCounts();
        return (c["orders.waiting"] ?? 0) + (c["orders.active"] ?? 0) + (c["orders.delayed"] ?? 0) === 0;
      },
      20_000,
    );
    const inbox = await e.db.sql`
      select count(*)::int as n from webhook_inbox where tenant_id = ${t.tenantId} and provider = 'zydon'`;
    const perOrder = orderIds.map(
      (id) => e.bling.sim.control.listOrders(t.accountId).filter((o) => String(o.numeroLoja) === id).length,
    );
    const failed = await failedJobs(e, t.tenantId);
    tally.record("Zydon order webhooks duplicated", {
      survived: perOrder.every((n) => n === 1) && failed.length === 0,
      lost: perOrder.filter((n) => n === 0).length,
      duplicated: perOrder.filter((n) => n > 1).length,
    });
    expect(inbox[0]?.n).toBe(orderIds.length);
    expect(perOrder).toEqual(orderIds.map(() => 1));
    expect(failed).toEqual([]);
  }, 60_000);
});
