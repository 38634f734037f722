import { parseBlingWebhook } from "@zb/bling";
import { WebhookInboxRepository } from "@zb/db";
import { blingInboxPayload, blingInboxSchema } from "@zb/sync";
import { testEnv } from "@zb/testing";
import { zydonAdapter } from "@zb/zydon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, leakedSecrets } from "../test-support/harness.js";

let h: Harness;
let tenantId: string;
let orgId: string;
let companyId: string;
const pluginKey = testEnv().ZYDON_ACCESS_KEY as string;
let seq = 0;

function blingEvent(over: Record<string, unknown> = {}) {
  return JSON.stringify({
    eventId: `0194${(++seq).toString().padStart(4, "0")}-150e-72b4-e7cf-4943a042cd9c`,
    date: new Date(Date.now() - 2_000).toISOString().replace(/\.\d+Z$/, "Z"),
    version: "v1",
    event: "stock.updated",
    companyId,
    data: {
      produto: { id: 16_000_000_001 },
      deposito: { id: 14_887_164_854, saldoFisico: 5, saldoVirtual: 4 },
      operacao: "E",
      quantidade: 2,
      saldoFisicoTotal: 5,
      saldoVirtualTotal: 4,
    },
    ...over,
  });
}

function postBling(body: string, signature?: string) {
  return h.api.inject({
    method: "POST",
    url: "/webhooks/bling",
    headers: {
      "content-type": "application/json",
      ...(signature === undefined
        ? { "x-bling-signature-256": h.bling.sign(body) }
        : signature
          ? { "x-bling-signature-256": signature }
          : {}),
    },
    payload: body,
  });
}

async function inboxCount(provider: string) {
  const r = await h.db.sql`select count(*)::int as n from webhook_inbox where provider = ${provider}`;
  return r[0]?.n as number;
}

beforeAll(async () => {
  h = await createHarness();
  const installed = await h.install("Webhooks");
  tenantId = installed.tenantId;
  orgId = installed.orgId;
  const acc = h.bling.createAccount("Webhooks Ltda");
  companyId = acc.companyId;
  const r = await h.connectBling(await h.session(orgId), acc.accountId);
  expect(r.status).toBe(302);
});
afterAll(async () => {
  await h?.close();
});

describe("POST /webhooks/bling", () => {
  it("stores a verified event once, queues one job, answers fast", async () => {
    const body = blingEvent();
    const t0 = performance.now();
    const res = await postBling(body);
    const ms = performance.now() - t0;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "accepted" });
    expect(ms).toBeLessThan(1_000);
    const rows = await h.db.sql`select * from webhook_inbox where event_id = ${JSON.parse(body).eventId}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tenant_id).toBe(tenantId);
    expect(rows[0]?.event_type).toBe("stock.updated");
    expect(new Date(rows[0]?.occurred_at).getTime()).toBe(new Date(JSON.parse(body).date).getTime());
    // Stored parsed (the worker reads it back with the same schema, ids as strings).
    expect(rows[0]?.payload).toEqual(blingInboxPayload(parseBlingWebhook(JSON.parse(body))));
    expect(blingInboxSchema.parse(rows[0]?.payload)).toMatchObject({ resource: "stock" });
    const jobs = await h.jobs({ name: "bling-webhook", tenantId });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.data).toEqual({ tenantId, inboxId: Number(rows[0]?.id) });
  });

  it("a duplicate delivery is acknowledged and queues no second job", async () => {
    const body = blingEvent();
    const before = (await h.jobs({ name: "bling-webhook" })).length;
    const first = await postBling(body);
    const second = await postBling(body);
    const third = await postBling(body);
    expect(first.json()).toEqual({ status: "accepted" });
    expect([second.statusCode, third.statusCode]).toEqual([200, 200]);
    expect(second.json()).toEqual({ status: "duplicate" });
    expect((await h.jobs({ name: "bling-webhook" })).length).toBe(before + 1);
  });

  it("refuses forged, missing and re-serialized signatures with 401 and stores nothing", async () => {
    const before = await inboxCount("bling");
    const jobsBefore = (await h.jobs({ name: "bling-webhook" })).length;
    const body = blingEvent();
    const forged = await postBling(body, `sha256=${"ab".repeat(32)}`);
    const wrongKey = await postBling(body, `sha256=${"0".repeat(10)}`);
    const missing = await postBling(body, "");
    // Same JSON, different bytes: the signature is over the raw body, so this must fail.
    const reserialized = JSON.stringify(JSON.parse(body), null, 2);
    const respaced = await postBling(reserialized, h.bling.sign(body));
    for (const r of [forged, wrongKey, missing, respaced]) {
      expect(r.statusCode).toBe(401);
      expect(r.json().error).toBe("invalid_signature");
    }
    expect(await inboxCount("bling")).toBe(before);
    expect((await h.jobs({ name: "bling-webhook" })).length).toBe(jobsBefore);
  });

  it("answers 400 with a reason for malformed bodies that are correctly signed", async () => {
    const notJson = await postBling("{not json");
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().message).toContain("JSON");
    const noCompany = await postBling(JSON.stringify({ eventId: "e1", event: "stock.updated", data: {} }));
    expect(noCompany.statusCode).toBe(400);
    expect(noCompany.json().message).toContain("companyId");
    const noProduct = await postBling(blingEvent({ data: { saldoFisicoTotal: 1, saldoVirtualTotal: 1 } }));
    expect(noProduct.statusCode).toBe(400);
    expect(noProduct.json().message).toContain("data.produto");
    const unknownEvent = await postBling(blingEvent({ event: "product_supplier.updated", data: { id: 1 } }));
    // Events this build has no handler for are still accepted (Bling would retry a refusal for days).
    expect(unknownEvent.json()).toEqual({ status: "accepted" });
  });

  it("acknowledges an unknown company without storing anything, and logs it", async () => {
    const before = await inboxCount("bling");
    const res = await postBling(blingEvent({ companyId: "ffffffffffffffffffffffffffffffff" }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "unknown_tenant" });
    expect(await inboxCount("bling")).toBe(before);
    expect(h.logs.some((l) => l.includes("Bling webhook for an unknown company ignored"))).toBe(true);
  });

  it("refuses oversized bodies", async () => {
    const big = blingEvent({ data: { filler: "x".repeat(300 * 1024) } });
    const res = await postBling(big);
    expect(res.statusCode).toBe(413);
  });
});

describe("POST /webhooks/zydon/orders", () => {
  function signedOrder(orderId: string, key = pluginKey, org = orgId) {
    const rawBody = zydonAdapter.orderWebhookBody({
      orderId,
      organizationId: org,
      amountValue: 123.45,
      createdAt: new Date().toISOString(),
    });
    return {
      payload: rawBody,
      headers: zydonAdapter.signedHeaders({
        accessKey: key,
        rawBody,
        now: new Date(),
        event: zydonAdapter.ORDER_WEBHOOK_EVENT,
        deliveryId: `del-${Math.random()}`,
      }),
    };
  }

  it("stores the order once (keyed by order id) and queues one export job per order", async () => {
    const a = await h.api.inject({ method: "POST", url: "/webhooks/zydon/orders", ...signedOrder("ord-1") });
    // Zydon redelivers with a new delivery id and signature: still the same order.
    const b = await h.api.inject({ method: "POST", url: "/webhooks/zydon/orders", ...signedOrder("ord-1") });
    expect(a.json()).toEqual({ status: "accepted" });
    expect(b.json()).toEqual({ status: "duplicate" });
    const jobs = await h.jobs({ name: "zydon-order-webhook", tenantId });
    expect(jobs).toHaveLength(1);
    const rows = await h.db
      .sql`select payload from webhook_inbox where provider = 'zydon' and event_id = 'order:ord-1'`;
    expect(rows[0]?.payload).toMatchObject({ orderId: "ord-1", organizationId: orgId });
  });

  it("refuses a forged order webhook with 401", async () => {
    const res = await h.api.inject({
      method: "POST",
      url: "/webhooks/zydon/orders",
      ...signedOrder("ord-forged", "wrong-key"),
    });
    expect(res.statusCode).toBe(401);
    const rows = await h.db.sql`select 1 from webhook_inbox where event_id = 'order:ord-forged'`;
    expect(rows).toHaveLength(0);
  });

  it("acknowledges orders of unknown organizations without storing them", async () => {
    const res = await h.api.inject({
      method: "POST",
      url: "/webhooks/zydon/orders",
      ...signedOrder("ord-x", pluginKey, "org-desconhecida"),
    });
    expect(res.json()).toEqual({ status: "unknown_tenant" });
  });
});

describe("POST /webhooks/zydon/orders/updated (zydon-api.md §9 [ZS-233])", () => {
  const URL_UPDATED = "/webhooks/zydon/orders/updated";
  function signedUpdate(
    orderId: string,
    over: { key?: string; org?: string; statusId?: string; at?: string; event?: string } = {},
  ) {
    const rawBody = zydonAdapter.orderUpdateWebhookBody({
      orderId,
      organizationId: over.org ?? orgId,
      statusId: over.statusId ?? "st-aprovado",
      kind: zydonAdapter.ORDER_UPDATE_KINDS.status,
      updatedAt: over.at ?? "2026-03-10T15:00:00.000Z",
    });
    return {
      payload: rawBody,
      headers: zydonAdapter.signedHeaders({
        accessKey: over.key ?? pluginKey,
        rawBody,
        now: new Date(),
        event: over.event ?? zydonAdapter.ORDER_UPDATE_WEBHOOK_EVENT,
        deliveryId: `del-${Math.random()}`,
      }),
    };
  }
  const rowsOf = (orderId: string) =>
    h.db.sql`select event_type, payload from webhook_inbox
             where provider = 'zydon' and event_id like ${`order-update:${orderId}:%`}`;

  it("stores each change once (a redelivery is a duplicate) and hands it to the Zydon inbox job", async () => {
    const before = (await h.jobs({ name: "zydon-order-webhook", tenantId })).length;
    const a = await h.api.inject({ method: "POST", url: URL_UPDATED, ...signedUpdate("upd-1") });
    const b = await h.api.inject({ method: "POST", url: URL_UPDATED, ...signedUpdate("upd-1") });
    expect(a.json()).toEqual({ status: "accepted" });
    expect(b.json()).toEqual({ status: "duplicate" });
    // A later change of the same order is another event.
    const c = await h.api.inject({
      method: "POST",
      url: URL_UPDATED,
      ...signedUpdate("upd-1", { statusId: "st-cancelado", at: "2026-03-10T16:00:00.000Z" }),
    });
    expect(c.json()).toEqual({ status: "accepted" });
    const rows = await rowsOf("upd-1");
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.event_type)).toEqual(["order.updated", "order.updated"]);
    expect(rows[0]?.payload).toMatchObject({ orderId: "upd-1", organizationId: orgId, event: "STATUS" });
    expect((await h.jobs({ name: "zydon-order-webhook", tenantId })).length).toBe(before + 2);
    // The created order's row is another key: an update never stands in for (or blocks) the order webhook.
    const created = await h.db.sql`select 1 from webhook_inbox where event_id = 'order:upd-1'`;
    expect(created).toHaveLength(0);
  });

  it("refuses a forged delivery (401) and a body without the order (400), storing neither", async () => {
    const forged = await h.api.inject({
      method: "POST",
      url: URL_UPDATED,
      ...signedUpdate("upd-forged", { key: "wrong-key" }),
    });
    expect(forged.statusCode).toBe(401);
    expect(await rowsOf("upd-forged")).toHaveLength(0);

    const rawBody = JSON.stringify({ organization_id: orgId, status_id: "st-x" });
    const malformed = await h.api.inject({
      method: "POST",
      url: URL_UPDATED,
      payload: rawBody,
      headers: zydonAdapter.signedHeaders({
        accessKey: pluginKey,
        rawBody,
        now: new Date(),
        event: zydonAdapter.ORDER_UPDATE_WEBHOOK_EVENT,
        deliveryId: "d-malformed",
      }),
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: "malformed_webhook" });
    const notJson = await h.api.inject({
      method: "POST",
      url: URL_UPDATED,
      payload: "{nope",
      headers: zydonAdapter.signedHeaders({
        accessKey: pluginKey,
        rawBody: "{nope",
        now: new Date(),
        event: zydonAdapter.ORDER_UPDATE_WEBHOOK_EVENT,
        deliveryId: "d-nope",
      }),
    });
    expect(notJson.statusCode).toBe(400);
    // The order webhook's event on the update URL is not taken for an update.
    const wrongEvent = await h.api.inject({
      method: "POST",
      url: URL_UPDATED,
      ...signedUpdate("upd-wrong-event", { event: zydonAdapter.ORDER_WEBHOOK_EVENT }),
    });
    expect(wrongEvent.statusCode).toBe(400);
    expect(await rowsOf("upd-wrong-event")).toHaveLength(0);
  });

  it("acknowledges changes of unknown organizations without storing them", async () => {
    const res = await h.api.inject({
      method: "POST",
      url: URL_UPDATED,
      ...signedUpdate("upd-x", { org: "org-desconhecida" }),
    });
    expect(res.json()).toEqual({ status: "unknown_tenant" });
    expect(await rowsOf("upd-x")).toHaveLength(0);
  });

  it("the simulator's App Center (registered from the manifest) delivers a merchant's status change the API accepts", async () => {
    const seeded = h.zydon.sim.seed(orgId, {
      paymentMethods: [{ name: "Pix Atualização" }],
      products: [{ name: "Caneca", sku: "UPD-1", price: 10 }],
    });
    const { orderId } = await h.zydon.sim.placeOrder(orgId, {
      partner: { name: "Cliente", type: "PF", fiscal_registration_number: "52998224725" },
      items: [{ sku: "UPD-1", quantity: 1 }],
      paymentMethodId: seeded.paymentMethods?.["Pix Atualização"] as string,
    });
    const order = h.zydon.sim.org(orgId).orders.get(orderId);
    const current = order?.statuses.at(-1)?.status_id;
    const next = h.zydon.sim.org(orgId).statuses.get(current as string)?.relations[0]?.destiny.id;
    expect(next).toBeDefined();
    const r = await h.zydon.sim.setOrderStatusAsMerchant(orgId, orderId, next as string);
    expect(r.deliveries.map((d) => [d.url.endsWith(URL_UPDATED), d.status])).toEqual([[true, 200]]);
    const rows = await rowsOf(orderId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.payload).toMatchObject({ orderId, statusId: next });
  });
});

describe("recovery", () => {
  it("a redelivery re-queues an event whose first enqueue was lost, still as one job", async () => {
    const body = blingEvent();
    const eventId = JSON.parse(body).eventId as string;
    // Simulate "stored, then Redis failed before the enqueue": insert the row directly.
    await new WebhookInboxRepository(h.db.db).insertOnce({
      provider: "bling",
      eventId,
      tenantId,
      eventType: "stock.updated",
      payload: JSON.parse(body),
    });
    const before = (await h.jobs({ name: "bling-webhook" })).length;
    const r1 = await postBling(body);
    const r2 = await postBling(body);
    expect([r1.json(), r2.json()]).toEqual([{ status: "duplicate" }, { status: "duplicate" }]);
    expect((await h.jobs({ name: "bling-webhook" })).length).toBe(before + 1);
  });

  it("logged no secret during this file", () => {
    expect(h.logs.some((l) => l.includes('"route":"/webhooks/bling"'))).toBe(true);
    expect(leakedSecrets(h)).toEqual([]);
  });
});
