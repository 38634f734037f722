import { buildPluginManifest, renderPluginManifest, ZydonApp, type ZydonClient } from "@zb/zydon";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type StartedZydonSimulator, startZydonSimulator } from "./server.js";
import { startReceiver } from "./test-support.js";

/**
 * The order-update webhook (zydon-api.md §9 [ZS-233]; its contract is the adapter's guess): declared in the
 * plugin's webhooks.yml, sent with the declared headers when an order's status changes — by the merchant in
 * Zydon's admin (control route) or through the API — with the same faults as the order webhook.
 */
const SECRET = "declared-secret-0123456789abcdef";
const UPDATED = "/webhooks/zydon/orders/updated";

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let started: StartedZydonSimulator;
let app: ZydonApp;
let orgId: string;
let ids: Record<string, Record<string, string>>;
let zc: ZydonClient;

beforeEach(async () => {
  partnerId = undefined;
  receiver = await startReceiver();
  started = await startZydonSimulator();
  const { sim } = started;
  sim.registerPluginFromManifest(
    renderPluginManifest(
      buildPluginManifest({ publicBaseUrl: receiver.url, pluginId: "plugin-u", webhookSecret: SECRET }),
    ),
    { accessKey: "plugin-u-key" },
  );
  orgId = sim.createOrganization({ name: "Loja Status" }).id;
  ids = sim.seed(orgId, {
    statuses: [
      { name: "Em aberto", type: "PENDING", next: ["Aprovado", "Cancelado"] },
      { name: "Aprovado", type: "PAID", next: ["Cancelado"], can_edit_by_api: false },
      { name: "Cancelado", type: "CANCELLED", next: [] },
    ],
    paymentMethods: [{ name: "Pix" }],
    products: [{ name: "Caneca", sku: "CAN-1", price: 10 }],
  });
  await sim.install(orgId, "plugin-u");
  app = new ZydonApp({
    pluginId: "plugin-u",
    accessKey: "not-the-hmac-key",
    apiBaseUrl: started.url,
    adminUrl: started.url,
    contract: { webhookAuth: "header" },
    webhookSecrets: [SECRET],
  });
  zc = app.client(sim.accessKeyFor(orgId, "plugin-u"));
});
afterEach(async () => {
  await started.close();
  await receiver.close();
});

const updates = () => receiver.received.filter((r) => r.path === UPDATED);
const status = (name: string) => ids.statuses?.[name] as string;

let partnerId: string | undefined;

async function place(): Promise<string> {
  const { orderId } = await started.sim.placeOrder(orgId, {
    partner: partnerId
      ? { id: partnerId }
      : { name: "Cliente", type: "PF", fiscal_registration_number: "39053344705" },
    items: [{ sku: "CAN-1", quantity: 1 }],
    paymentMethodId: Object.values(ids.paymentMethods ?? {})[0] as string,
  });
  partnerId = started.sim.org(orgId).orders.get(orderId)?.partnerId;
  return orderId;
}

function moveAsMerchant(orderId: string, statusId: string) {
  return fetch(`${started.url}/__control/organizations/${orgId}/orders/${orderId}/status`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ statusId }),
  });
}

describe("order-update webhook", () => {
  it("a merchant's status change (control route) sends it once, with the declared header, naming the order", async () => {
    const orderId = await place();
    expect(updates()).toHaveLength(0);
    // "Aprovado" cannot be set through the API (can_edit_by_api false), but the merchant's admin can.
    const res = await moveAsMerchant(orderId, status("Aprovado"));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ moved: true, deliveries: [{ status: 200 }] });
    const [hook] = updates();
    expect(updates()).toHaveLength(1);
    expect(hook?.headers["x-zb-webhook-secret"]).toBe(SECRET);
    expect(hook?.headers["x-zydon-event"]).toBe("order.updated");
    const v = app.verifyOrderUpdateWebhook({ rawBody: hook?.rawBody ?? "", headers: hook?.headers ?? {} });
    expect(v).toMatchObject({ ok: true, orderId, organizationId: orgId, statusId: status("Aprovado") });
    expect((await zc.orders.get(orderId)).statuses.at(-1)?.status_id).toBe(status("Aprovado"));

    // Moving to where it already is changes nothing and sends nothing.
    expect(await (await moveAsMerchant(orderId, status("Aprovado"))).json()).toEqual({
      moved: false,
      deliveries: [],
    });
    expect(updates()).toHaveLength(1);
  });

  it("a move outside the allowed next statuses is refused (422) and sends nothing", async () => {
    const orderId = await place();
    await moveAsMerchant(orderId, status("Cancelado"));
    const res = await moveAsMerchant(orderId, status("Em aberto"));
    expect(res.status).toBe(422);
    expect(updates()).toHaveLength(1);
  });

  it("an API status change sends it too, after the API answered", async () => {
    const orderId = await place();
    await zc.orders.setStatus(orderId, status("Cancelado"));
    await started.sim.settleWebhooks();
    const [hook] = updates();
    expect(updates()).toHaveLength(1);
    const v = app.verifyOrderUpdateWebhook({ rawBody: hook?.rawBody ?? "", headers: hook?.headers ?? {} });
    expect(v).toMatchObject({ ok: true, orderId, statusId: status("Cancelado") });
  });

  it("follows the webhook faults: dropped when lost, twice when duplicated", async () => {
    const a = await place();
    const b = await place();
    started.sim.setFaults({ dropWebhooks: true });
    expect(await (await moveAsMerchant(a, status("Aprovado"))).json()).toEqual({
      moved: true,
      deliveries: [],
    });
    expect(updates()).toHaveLength(0);
    started.sim.setFaults({ dropWebhooks: false, duplicateWebhooks: true });
    await moveAsMerchant(b, status("Aprovado"));
    expect(updates()).toHaveLength(2);
    expect(new Set(updates().map((u) => u.rawBody)).size).toBe(1);
  });

  it("a plugin that declares no update webhook gets none", async () => {
    started.sim.registerPlugin({
      pluginId: "plugin-u",
      accessKey: "plugin-u-key",
      callbackUrls: [`${receiver.url}/zydon/callback`],
      installationUrl: `${receiver.url}/zydon/notifications/install`,
      orderWebhookUrl: `${receiver.url}/webhooks/zydon/orders`,
    });
    const orderId = await place();
    await moveAsMerchant(orderId, status("Aprovado"));
    expect(updates()).toHaveLength(0);
  });
});
