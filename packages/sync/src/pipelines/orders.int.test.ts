import { OrderExportsRepository } from "@zb/db";
import { generateCnpj } from "@zb/testing";
import { describe, expect, it } from "vitest";
import { toCents } from "../domain/money.js";
import type { PortalOrder } from "../ports/zydon-port.js";
import { blingErrors } from "../test-support/call-log.js";
import { blingContact } from "../test-support/fake-bling.js";
import { zydonOrder } from "../test-support/fake-zydon.js";
import { ledgerRows, links, type TestContext, useSyncTestDatabase } from "../test-support/test-context.js";
import { ExportInProgressError, exportOrder } from "./orders.js";

const t = useSyncTestDatabase();

async function world(opts: { settings?: unknown } = {}) {
  const ctx = await t.context(opts);
  const cnpj = generateCnpj();
  const partner = ctx.zydon.putPartner({
    name: "Ferragens Silva Ltda",
    type: "PJ",
    fiscal_registration_number: cnpj,
    state_registration: "110042490114",
    email: "compras@silva.com.br",
    phone: null,
    mobile: null,
    address: null,
  });
  const boleto = ctx.zydon.putPaymentMethod("Boleto", "BANK_SLIP");
  await links(ctx).upsert({
    tenantId: ctx.tenantId,
    entity: "product",
    blingId: "101",
    zydonId: "zp-101",
    naturalKey: "PAR-1",
    data: { kind: "simple" },
  });
  const place = (id: string, over: Partial<PortalOrder> = {}) =>
    ctx.zydon.putOrder(
      zydonOrder({
        id,
        partnerId: partner.id,
        items: [
          { sku: "PAR-1", productId: null, variationId: null, quantity: 300, unitValue: 0.35, discount: 0 },
        ],
        payments: [{ paymentMethodId: boleto.id, amount: 105, installments: 3 }],
        ...over,
      }),
    );
  return { ctx, cnpj, partner, boleto, place };
}

async function exportRow(ctx: TestContext, zydonOrderId: string) {
  return new OrderExportsRepository(ctx.db).get(ctx.tenantId, zydonOrderId);
}

/** Make a `creating` claim look abandoned by a crashed worker (older than STALE_CLAIM_MS). */
async function ageClaim(ctx: TestContext, zydonOrderId: string) {
  await t.sql`update order_exports set updated_at = now() - interval '10 minutes'
              where tenant_id = ${ctx.tenantId} and zydon_order_id = ${zydonOrderId}`;
}

describe("exportOrder", () => {
  it("creates the Bling order once, with contact, payment method and installments; a second call is a no-op", async () => {
    const { ctx, cnpj, place } = await world();
    place("Z-1");

    const first = await exportOrder(ctx, "Z-1");
    expect(first.kind).toBe("created");
    expect(ctx.bling.orders.size).toBe(1);
    const [stored] = [...ctx.bling.orders.values()];
    expect(stored?.input.numeroLoja).toBe("Z-1");
    expect(stored?.input.itens).toMatchObject([{ codigo: "PAR-1", quantidade: 300, produto: { id: 101 } }]);
    expect(stored?.input.parcelas.map((p) => p.valor)).toEqual([35, 35, 35]);
    // The buyer and the payment method were missing in Bling: created once each.
    expect(ctx.bling.log.count("createContact")).toBe(1);
    expect([...ctx.bling.contacts.values()][0]).toMatchObject({
      numeroDocumento: cnpj,
      tipo: "J",
      ie: "110042490114",
    });
    expect(ctx.bling.log.count("createPaymentMethod")).toBe(1);
    expect(ctx.bling.log.argsOf("createPaymentMethod")[0]).toEqual([
      { descricao: "Boleto", tipoPagamento: 15 },
    ]);

    const row = await exportRow(ctx, "Z-1");
    expect(row).toMatchObject({
      state: "created",
      blingOrderId: first.kind === "created" ? first.blingOrderId : "",
    });
    expect(await links(ctx).byZydonId(ctx.tenantId, "order", "Z-1")).toMatchObject({
      blingId: row?.blingOrderId,
    });
    const orderLedger = await ledgerRows(ctx, "order");
    expect(orderLedger).toMatchObject([{ entityKey: "Z-1", action: "export", outcome: "synced" }]);

    const blingCalls = ctx.bling.log.count();
    const zydonCalls = ctx.zydon.log.count();
    expect(await exportOrder(ctx, "Z-1")).toEqual({ kind: "already", blingOrderId: row?.blingOrderId });
    expect(ctx.bling.log.count()).toBe(blingCalls);
    expect(ctx.zydon.log.count()).toBe(zydonCalls);
    expect(ctx.bling.orders.size).toBe(1);
  });

  it("a timeout after Bling's create landed never creates a second order: the retry finds it by numeroLoja", async () => {
    const { ctx, place } = await world();
    place("Z-2");
    ctx.bling.log.fail("createOrder", blingErrors.timeout("/pedidos/vendas"), { timing: "after" });

    await expect(exportOrder(ctx, "Z-2")).rejects.toMatchObject({ action: "retry" });
    expect(ctx.bling.orders.size).toBe(1);
    expect((await exportRow(ctx, "Z-2"))?.state).toBe("creating");

    // The claim is kept (the create may have landed): an immediate retry waits instead of creating again.
    await expect(exportOrder(ctx, "Z-2")).rejects.toBeInstanceOf(ExportInProgressError);
    expect(ctx.bling.log.count("createOrder")).toBe(1);

    // Once the claim reads as abandoned, the retry looks the order up and records it.
    await ageClaim(ctx, "Z-2");
    const retry = await exportOrder(ctx, "Z-2");
    const [landed] = [...ctx.bling.orders.values()];
    expect(retry).toEqual({ kind: "already", blingOrderId: landed?.summary.id });
    expect(ctx.bling.log.count("createOrder")).toBe(1);
    expect(ctx.bling.orders.size).toBe(1);
    expect(await exportRow(ctx, "Z-2")).toMatchObject({ state: "created", blingOrderId: landed?.summary.id });
  });

  it("a crash after Bling's create and before our write: the order already in Bling is adopted, not recreated", async () => {
    const { ctx, place } = await world();
    place("Z-3");
    const before = ctx.bling.putOrder("Z-3");

    expect(await exportOrder(ctx, "Z-3")).toEqual({ kind: "already", blingOrderId: before.id });
    expect(ctx.bling.log.count("createOrder")).toBe(0);
    expect(ctx.bling.log.count("createContact")).toBe(0);
    expect((await exportRow(ctx, "Z-3"))?.state).toBe("created");
  });

  it("a 5xx before the create hands the claim back at once: the next attempt creates exactly one order", async () => {
    const { ctx, place } = await world();
    place("Z-4");
    ctx.bling.log.fail("findOrdersByNumeroLoja", blingErrors.server("/pedidos/vendas"));

    await expect(exportOrder(ctx, "Z-4")).rejects.toMatchObject({ action: "retry" });
    expect((await exportRow(ctx, "Z-4"))?.state).toBe("pending");
    expect((await exportOrder(ctx, "Z-4")).kind).toBe("created");
    expect(ctx.bling.log.count("createOrder")).toBe(1);
  });

  it("Redis down when the create waits for its budget slot: the claim is handed back, one order later (issue 17 #1)", async () => {
    const { ctx, place } = await world();
    place("Z-R");
    // The error ioredis gives a command once Redis stays unreachable (the budget's slot script).
    const redisDown = Object.assign(
      new Error(
        'Reached the max retries per request limit (which is 3). Refer to "maxRetriesPerRequest" option for details.',
      ),
      { name: "MaxRetriesPerRequestError" },
    );
    ctx.bling.log.fail("createOrder", redisDown, { timing: "before" });

    await expect(exportOrder(ctx, "Z-R")).rejects.toBe(redisDown);
    expect(ctx.bling.orders.size).toBe(0);
    // Not "creating" until it looks abandoned (5 min): nothing was sent, so the next attempt may create.
    expect((await exportRow(ctx, "Z-R"))?.state).toBe("pending");
    expect((await exportOrder(ctx, "Z-R")).kind).toBe("created");
    expect(ctx.bling.orders.size).toBe(1);
  });

  it("a second order of the same buyer reuses the contact and payment method created for the first", async () => {
    const { ctx, place } = await world();
    place("Z-5");
    place("Z-6");
    await exportOrder(ctx, "Z-5");
    await exportOrder(ctx, "Z-6");
    expect(ctx.bling.orders.size).toBe(2);
    expect(ctx.bling.log.count("createContact")).toBe(1);
    expect(ctx.bling.log.count("createPaymentMethod")).toBe(1);
    expect(ctx.bling.contacts.size).toBe(1);
    expect(ctx.bling.paymentMethods.size).toBe(1);
  });

  it("links an existing Bling contact with the same CNPJ and a same-named forma de pagamento instead of creating", async () => {
    const { ctx, cnpj, place } = await world();
    const contact = ctx.bling.putContact(blingContact({ nome: "Silva", tipo: "J", numeroDocumento: cnpj }));
    const forma = ctx.bling.putPaymentMethod({ descricao: "BOLETO ", tipoPagamento: 15, situacao: 1 });
    place("Z-7");

    expect((await exportOrder(ctx, "Z-7")).kind).toBe("created");
    expect(ctx.bling.log.count("createContact")).toBe(0);
    expect(ctx.bling.log.count("createPaymentMethod")).toBe(0);
    const [stored] = [...ctx.bling.orders.values()];
    expect(stored?.input.contato).toEqual({ id: Number(contact.id) });
    expect(stored?.input.parcelas.every((p) => p.formaPagamento.id === Number(forma.id))).toBe(true);
  });

  it("installments add up to the order total with freight, to the cent", async () => {
    const { ctx, boleto, place } = await world();
    place("Z-8", {
      items: [
        { sku: "PAR-1", productId: null, variationId: null, quantity: 7, unitValue: 0.35, discount: 0 },
      ],
      freightValue: 10.01,
      payments: [{ paymentMethodId: boleto.id, amount: 12.46, installments: 3 }],
    });
    await exportOrder(ctx, "Z-8");
    const [stored] = [...ctx.bling.orders.values()];
    const parcelas = stored?.input.parcelas ?? [];
    expect(parcelas).toHaveLength(3);
    expect(parcelas.reduce((a, p) => a + toCents(p.valor), 0)).toBe(1246);
    expect(stored?.input.transporte).toEqual({ frete: 10.01 });
  });

  it("an item without a SKU link fails with a retryable ledger reason and no Bling order; linking it fixes the retry", async () => {
    const { ctx, place } = await world();
    place("Z-9", {
      items: [
        { sku: "NOVO-1", productId: null, variationId: null, quantity: 1, unitValue: 105, discount: 0 },
      ],
    });

    const r = await exportOrder(ctx, "Z-9");
    expect(r).toMatchObject({ kind: "failed", reason: expect.stringContaining("NOVO-1") });
    expect(ctx.bling.log.count("createOrder")).toBe(0);
    expect(await exportRow(ctx, "Z-9")).toMatchObject({ state: "failed" });
    expect(await ledgerRows(ctx, "order")).toMatchObject([
      { entityKey: "Z-9", outcome: "failed", retryable: 1, details: { missingSkus: ["NOVO-1"] } },
    ]);

    await links(ctx).upsert({
      tenantId: ctx.tenantId,
      entity: "product",
      blingId: "102",
      zydonId: "zp-102",
      naturalKey: "NOVO-1",
      data: { kind: "simple" },
    });
    expect((await exportOrder(ctx, "Z-9")).kind).toBe("created");
    const open = (await ledgerRows(ctx, "order")).filter((l) => l.resolvedAt === null);
    expect(open).toEqual([]);
  });

  it("Bling refusing the order is a failed export with Bling's reason in the ledger", async () => {
    const { ctx, place } = await world();
    place("Z-10");
    ctx.bling.log.fail("createOrder", blingErrors.validation("Data de saída inválida."));
    const r = await exportOrder(ctx, "Z-10");
    expect(r.kind).toBe("failed");
    expect(ctx.bling.orders.size).toBe(0);
    const [row] = await ledgerRows(ctx, "order");
    expect(row).toMatchObject({ outcome: "failed", retryable: 1 });
    expect(row?.reason).toContain("O Bling recusou o pedido Z-10");
  });

  it("with the 'from status' trigger an order in another status is not exported and costs no Bling call", async () => {
    const { ctx, place } = await world({
      settings: { orders: { trigger: "from_status", zydonStatusId: "st-aprovado" } },
    });
    place("Z-11", { statusId: "st-aberto" });
    expect((await exportOrder(ctx, "Z-11")).kind).toBe("not_eligible");
    expect(ctx.bling.log.count()).toBe(0);

    place("Z-12", { statusId: "st-aprovado" });
    expect((await exportOrder(ctx, "Z-12")).kind).toBe("created");
  });

  it("'from status' means that status or one after it: an order moved straight past it is exported, a cancelled one is not", async () => {
    const { ctx, place } = await world({
      settings: { orders: { trigger: "from_status", zydonStatusId: "st-aprovado" } },
    });
    ctx.zydon.putStatus("Cancelado", { id: "st-cancelado", type: "CANCELLED" });
    ctx.zydon.putStatus("Entregue", { id: "st-entregue", type: "INVOICED" });
    ctx.zydon.putStatus("Faturado", {
      id: "st-faturado",
      type: "INVOICED",
      next: ["st-entregue", "st-cancelado"],
    });
    ctx.zydon.putStatus("Aprovado", {
      id: "st-aprovado",
      type: "PAID",
      next: ["st-faturado", "st-cancelado"],
    });
    ctx.zydon.putStatus("Em aberto", {
      id: "st-aberto",
      type: "PENDING",
      next: ["st-aprovado", "st-faturado", "st-cancelado"],
    });
    place("Z-21", { statusId: "st-faturado" });
    place("Z-22", { statusId: "st-entregue" });
    place("Z-23", { statusId: "st-cancelado" });
    place("Z-24", { statusId: "st-aberto" });
    expect((await exportOrder(ctx, "Z-21")).kind).toBe("created");
    expect((await exportOrder(ctx, "Z-22")).kind).toBe("created");
    expect((await exportOrder(ctx, "Z-23")).kind).toBe("not_eligible");
    expect((await exportOrder(ctx, "Z-24")).kind).toBe("not_eligible");
  });

  it("an order exported while already approved queues its NF-e (when NF-e is on)", async () => {
    const { ctx, place } = await world({
      settings: { nfe: { enabled: true, approvedZydonStatusId: "st-ok" } },
    });
    place("Z-13", { statusId: "st-ok" });
    place("Z-14", { statusId: "st-outro" });
    await exportOrder(ctx, "Z-13");
    await exportOrder(ctx, "Z-14");
    expect(ctx.enqueued.nfe).toEqual(["Z-13"]);
  });
});
