import { zydonAdapter } from "@zb/zydon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, leakedSecrets } from "../test-support/harness.js";

/**
 * The declared header secret of webhooks.yml (zydon-api.md §2.4) in header mode, mid-rotation: the manifest
 * Zydon holds declares the new secret, and the old one is still accepted until the operator drops it.
 */
const NEW_SECRET = "rotated-new-secret-0123456789abcdef";
const OLD_SECRET = "rotated-old-secret-0123456789abcdef";

let h: Harness;
let orgId: string;
let tenantId: string;
let seq = 0;

function order(headers: Record<string, string>) {
  const rawBody = zydonAdapter.orderWebhookBody({
    orderId: `ord-auth-${++seq}`,
    organizationId: orgId,
    amountValue: 10,
    createdAt: new Date().toISOString(),
  });
  return h.api.inject({
    method: "POST",
    url: "/webhooks/zydon/orders",
    headers: { "content-type": "application/json", ...headers },
    payload: rawBody,
  });
}

function hmacHeaders(rawBody: string) {
  return zydonAdapter.signedHeaders({
    accessKey: h.deps.config.SESSION_SECRET, // any key: header mode must not even look at it
    rawBody,
    now: new Date(),
    event: zydonAdapter.ORDER_WEBHOOK_EVENT,
    deliveryId: "d",
  });
}

beforeAll(async () => {
  h = await createHarness({
    zydonWebhook: { mode: "header", secrets: [NEW_SECRET, OLD_SECRET], declared: NEW_SECRET },
  });
  const installed = await h.install("Pedidos Autenticados");
  orgId = installed.orgId;
  tenantId = installed.tenantId;
  // An active tenant (Bling connected), so accepted orders are queued rather than stored paused.
  const acc = h.bling.createAccount("Pedidos Ltda");
  expect((await h.connectBling(await h.session(orgId), acc.accountId)).status).toBe(302);
});
afterAll(async () => {
  await h?.close();
});

describe("Zydon webhooks authenticated by the header declared in webhooks.yml", () => {
  it("the simulator's App Center (registered from the manifest) delivers an order the API accepts", async () => {
    h.zydon.sim.seed(orgId, {
      paymentMethods: [{ name: "Pix" }],
      products: [{ name: "Caneca", sku: "AUTH-1", price: 10 }],
    });
    const pm = [...h.zydon.sim.org(orgId).paymentMethods.keys()][0] as string;
    const { orderId, deliveries } = await h.zydon.sim.placeOrder(orgId, {
      partner: { name: "Cliente", type: "PF", fiscal_registration_number: "39053344705" },
      items: [{ sku: "AUTH-1", quantity: 1 }],
      paymentMethodId: pm,
    });
    expect(deliveries.map((d) => d.status)).toEqual([200]);
    const jobs = await h.jobs({ name: "zydon-order-webhook", tenantId });
    expect(jobs).toHaveLength(1);
    const rows = await h.db.sql`select 1 from webhook_inbox where event_id = ${`order:${orderId}`}`;
    expect(rows).toHaveLength(1);
  });

  it("the order-update webhook (zydon-api.md §9 [ZS-233]) passes by the declared header alone too", async () => {
    h.zydon.sim.seed(orgId, {
      paymentMethods: [{ name: "Pix Status" }],
      products: [{ name: "Caneca", sku: "AUTH-UPD", price: 10 }],
    });
    const pm = [...h.zydon.sim.org(orgId).paymentMethods.values()].find((m) => m.name === "Pix Status");
    const { orderId } = await h.zydon.sim.placeOrder(orgId, {
      partner: { name: "Cliente Status", type: "PF", fiscal_registration_number: "52998224725" },
      items: [{ sku: "AUTH-UPD", quantity: 1 }],
      paymentMethodId: pm?.id as string,
    });
    const current = h.zydon.sim.org(orgId).orders.get(orderId)?.statuses.at(-1)?.status_id as string;
    const next = h.zydon.sim.org(orgId).statuses.get(current)?.relations[0]?.destiny.id as string;
    const r = await h.zydon.sim.setOrderStatusAsMerchant(orgId, orderId, next);
    expect(r.deliveries.map((d) => d.status)).toEqual([200]);
    const rows = await h.db
      .sql`select 1 from webhook_inbox where event_id like ${`order-update:${orderId}:%`}`;
    expect(rows).toHaveLength(1);
  });

  it("accepts the previous secret during the rotation window", async () => {
    expect((await order({ "x-zb-webhook-secret": OLD_SECRET })).json()).toEqual({ status: "accepted" });
    expect((await order({ "x-zb-webhook-secret": NEW_SECRET })).json()).toEqual({ status: "accepted" });
  });

  it("refuses a wrong or missing secret, and the HMAC guess alone, with 401 and stores nothing", async () => {
    const before = await h.db.sql`select count(*)::int as n from webhook_inbox where provider = 'zydon'`;
    const wrong = await order({ "x-zb-webhook-secret": `${NEW_SECRET}-nope` });
    const none = await order({});
    const raw = zydonAdapter.orderWebhookBody({
      orderId: "ord-hmac",
      organizationId: orgId,
      amountValue: 1,
      createdAt: new Date().toISOString(),
    });
    const hmacOnly = await h.api.inject({
      method: "POST",
      url: "/webhooks/zydon/orders",
      headers: hmacHeaders(raw),
      payload: raw,
    });
    expect([wrong.statusCode, none.statusCode, hmacOnly.statusCode]).toEqual([401, 401, 401]);
    const after = await h.db.sql`select count(*)::int as n from webhook_inbox where provider = 'zydon'`;
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it("is_alive and uninstallation run as the manifest declares them", async () => {
    const alive = await h.zydon.sim.checkAlive(h.pluginId);
    expect(alive).toMatchObject({ status: 200, body: { status: "alive", database: "ok", redis: "ok" } });
    const { delivery } = await h.zydon.sim.uninstall(orgId, h.pluginId);
    expect(delivery).toMatchObject({ url: `${h.apiUrl}/zydon/notifications/uninstall`, status: 200 });
  });

  it("logged no secret", () => {
    expect(leakedSecrets(h)).toEqual([]);
  });
});
