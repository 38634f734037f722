import { type ZydonClient, ZydonNotFoundError, ZydonValidationError } from "@zb/zydon";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { installedClient, startWorld, type World } from "./test-support.js";

let w: World;
let zc: ZydonClient;
let ids: Record<string, Record<string, string>>;

beforeEach(async () => {
  w = await startWorld();
  zc = await installedClient(w);
  ids = w.sim.seed(w.org.id, {
    statuses: [
      { name: "Em aberto", type: "PENDING", next: ["Em andamento", "Cancelado"] },
      { name: "Em andamento", type: "PAID", next: ["Atendido", "Cancelado"] },
      { name: "Atendido", type: "INVOICED", next: [] },
      { name: "Cancelado", type: "CANCELLED", can_edit_by_api: false },
    ],
    paymentMethods: [{ name: "Boleto", type: "BANK_SLIP" }],
    products: [
      { sku: "PAR-1", name: "Parafuso", price: 0.35, stock: 1000 },
      { sku: "POR-1", name: "Porca", price: 0.2, stock: 500 },
    ],
    partners: [
      {
        name: "Ferragens Silva",
        type: "PJ",
        fiscal_registration_number: "11222333000181",
        state_registration: null,
      },
    ],
  });
});
afterEach(async () => {
  await w.close();
});

const orderHooks = () => w.receiver.received.filter((r) => r.path === "/zydon/orders");

async function place(extra: Partial<Parameters<World["sim"]["placeOrder"]>[1]> = {}) {
  return w.sim.placeOrder(w.org.id, {
    partner: { id: ids.partners?.["11222333000181"] as string },
    items: [
      { sku: "PAR-1", quantity: 100 },
      { sku: "POR-1", quantity: 3, unitValue: 0.25 },
    ],
    paymentMethodId: ids.paymentMethods?.Boleto as string,
    installments: 2,
    freightValue: 10,
    ...extra,
  });
}

describe("order webhook", () => {
  it("fires once per order, signed, keyed by order id, and the order reads back with its items", async () => {
    const { orderId } = await place();
    const hooks = orderHooks();
    expect(hooks).toHaveLength(1);
    const hook = hooks[0];
    if (!hook) return;
    const verified = w.app.verifyOrderWebhook({ rawBody: hook.rawBody, headers: hook.headers });
    expect(verified).toMatchObject({ ok: true, orderId, organizationId: w.org.id, amountValue: 45.75 });

    const order = await zc.orders.get(orderId);
    expect(order.total_value).toBe(45.75);
    expect(order.items.map((i) => [i.sku, i.quantity, i.unitValue])).toEqual([
      ["PAR-1", 100, 0.35],
      ["POR-1", 3, 0.25],
    ]);
    expect(order.items[0]?.productId).toBe(ids.products?.["PAR-1"]);
    expect(order.payments[0]).toMatchObject({
      paymentMethodId: ids.paymentMethods?.Boleto,
      amount: 45.75,
      installments: 2,
    });
    expect(order.statuses.at(-1)?.status_id).toBe(ids.statuses?.["Em aberto"]);
    const sale = await zc.sales.get(orderId);
    expect(sale.partner?.fiscal_registration_number).toBe("11222333000181");
  });

  it("fires twice with the duplicate switch and never when dropped; a forged hook does not verify", async () => {
    w.sim.setFaults({ duplicateWebhooks: true });
    const { orderId } = await place();
    expect(orderHooks()).toHaveLength(2);
    const bodies = orderHooks().map((h) =>
      w.app.verifyOrderWebhook({ rawBody: h.rawBody, headers: h.headers }),
    );
    expect(bodies.every((b) => b.ok && b.orderId === orderId)).toBe(true);

    w.sim.setFaults({ duplicateWebhooks: false, dropWebhooks: true });
    const dropped = await place();
    expect(dropped.deliveries).toHaveLength(0);
    expect(orderHooks()).toHaveLength(2);

    const hook = orderHooks()[0];
    if (!hook) return;
    const forged = hook.rawBody.replace(orderId, dropped.orderId);
    expect(w.app.verifyOrderWebhook({ rawBody: forged, headers: hook.headers })).toEqual({
      ok: false,
      reason: "signature mismatch",
    });
  });

  it("a lost webhook is recoverable by polling sales since a time", async () => {
    w.sim.setFaults({ dropWebhooks: true });
    const old = await place({ createdAt: "2026-01-01T10:00:00.000Z" });
    const recent = await place({ createdAt: "2026-01-02T10:00:00.000Z" });
    const seen: string[] = [];
    for await (const s of zc.sales.iterateSince(new Date("2026-01-02T00:00:00Z"))) seen.push(s.id);
    expect(seen).toEqual([recent.orderId]);
    expect(seen).not.toContain(old.orderId);
  });

  it("records webhook_error on the sale when our endpoint fails", async () => {
    w.receiver.setStatus(500);
    const { orderId } = await place();
    const page = await zc.sales.list();
    expect(page.items.find((s) => s.id === orderId)?.webhook_error).toBe("HTTP 500");
  });
});

describe("order status", () => {
  it("moves along relations and refuses a jump that is not a relation", async () => {
    const { orderId } = await place();
    await zc.orders.setStatus(orderId, ids.statuses?.["Em andamento"] as string);
    const err = await zc.orders
      .setStatus(orderId, ids.statuses?.["Em aberto"] as string)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZydonValidationError);
    expect((err as ZydonValidationError).zydonMessage).toContain("não permitida");
    await zc.orders.setStatus(orderId, ids.statuses?.Atendido as string);
    expect(w.sim.snapshot(w.org.id).orders[0]?.statusId).toBe(ids.statuses?.Atendido);
  });

  it("refuses a target status with can_edit_by_api=false even when it is a relation", async () => {
    const { orderId } = await place();
    const err = await zc.orders
      .setStatus(orderId, ids.statuses?.Cancelado as string)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZydonValidationError);
    expect((err as ZydonValidationError).zydonMessage).toContain("não pode ser alterado via API");
    const statuses = await zc.statuses.list();
    const cancel = statuses.items.find((s) => s.name === "Cancelado");
    expect(cancel?.can_edit_by_api).toBe(false);
    expect(statuses.items.find((s) => s.name === "Em aberto")?.relations.map((r) => r.destiny.id)).toContain(
      cancel?.id,
    );
  });

  it("404 for an unknown order or status", async () => {
    const { orderId } = await place();
    await expect(zc.orders.setStatus("999999", ids.statuses?.Atendido as string)).rejects.toBeInstanceOf(
      ZydonNotFoundError,
    );
    await expect(zc.orders.setStatus(orderId, "no-such-status")).rejects.toBeInstanceOf(ZydonNotFoundError);
  });
});

describe("invoices", () => {
  it("attaches an NF-e by key and file ids; refuses a bad key", async () => {
    const { orderId } = await place();
    const xml = await zc.files.uploadImage({
      bytes: new TextEncoder().encode("<nfe/>"),
      fileName: "nfe.xml",
      contentType: "application/xml",
    });
    const key = "35260111222333000181550010000001231000001234";
    const res = await zc.orders.attachInvoice(orderId, { invoiceKey: key, xmlFileId: xml.resourceFileId });
    expect(res).toMatchObject({ invoice_key: key, xml_resource_id: xml.resourceFileId });
    expect((await zc.orders.get(orderId)).invoices?.[0]?.invoice_key).toBe(key);
    await expect(zc.orders.attachInvoice(orderId, { invoiceKey: "123" })).rejects.toBeInstanceOf(
      ZydonValidationError,
    );
  });
});

describe("post-sale marks (order attributes: the adapter's guess, zydon-api.md §8.1)", () => {
  it("PATCH replaces the attribute map; the client merges, so attributes it did not write survive", async () => {
    const { orderId } = await place();
    const order = w.sim.snapshot(w.org.id).orders.find((o) => o.id === orderId);
    if (!order) throw new Error("order missing");
    // Something else (the merchant, another app) keeps its own attribute on the order.
    await zc.orders.setAttributes(orderId, { origem_campanha: "feira-2026" });
    await zc.orders.setPostSale(orderId, { trackingCodes: ["AA1BR", "BB2BR"] });
    await zc.orders.setPostSale(orderId, { cancelledInvoiceKeys: ["3".repeat(44)] });
    const read = await zc.orders.get(orderId);
    expect(read.attributes).toEqual({
      origem_campanha: "feira-2026",
      tracking_code: "AA1BR, BB2BR",
      cancelled_invoice_keys: "3".repeat(44),
    });
    expect(zc.orders.readPostSale(read)).toEqual({
      trackingCodes: ["AA1BR", "BB2BR"],
      deliveredAt: null,
      cancelledInvoiceKeys: ["3".repeat(44)],
    });

    // Already there: no write at all.
    const patches = () => w.sim.requestLog.filter((e) => e.method === "PATCH").length;
    const before = patches();
    await zc.orders.setPostSale(orderId, { trackingCodes: ["AA1BR", "BB2BR"] });
    expect(patches()).toBe(before);
  });

  it("refuses what the guess says Zydon refuses: non-string values, an unknown order", async () => {
    const { orderId } = await place();
    await expect(
      zc.orders.setAttributes(orderId, { n: 1 } as unknown as Record<string, string>),
    ).rejects.toBeInstanceOf(ZydonValidationError);
    await expect(zc.orders.setAttributes("nope", { a: "b" })).rejects.toBeInstanceOf(ZydonNotFoundError);
  });
});
