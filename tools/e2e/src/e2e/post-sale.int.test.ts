import { LedgerRepository, OrderExportsRepository, TenantsRepository } from "@zb/db";
import { type Child, comparePostSale, waitFor } from "@zb/e2e-kit";
import { nfeJobId } from "@zb/sync";
import { generateCnpj } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startApiProcess, startE2E } from "../world.js";

/**
 * Post-sale back to the buyer (issue 19 #4) through both simulators, the real API process receiving Bling's
 * signed webhooks and the composed worker: a tracking code typed on the Bling order reaches the Zydon order, the
 * delivered situação marks it delivered, an NF-e cancelled in Bling after it was attached is marked there; the
 * state checker agrees at the end (and notices when Zydon loses a mark).
 */

let e: E2E;
let api: Child;
beforeAll(async () => {
  e = await startE2E({ webhooks: true });
  api = (await startApiProcess(e)).child;
}, 60_000);
afterAll(async () => {
  await api?.kill();
  await e?.close();
});

const ATTRIBUTES = "PATCH /api/sales/orders/:id";

async function tenantWithExportedOrder(name: string) {
  const t = await e.addTenant(name);
  const ids = e.zydon.sim.seed(t.orgId, {
    statuses: [
      { name: "Em aberto", type: "PENDING", next: ["Aprovado", "Atendido"] },
      { name: "Aprovado", type: "PAID", next: ["Atendido"] },
      { name: "Atendido", type: "INVOICED", next: [] },
    ],
    paymentMethods: [{ name: "Boleto", type: "BANK_SLIP" }],
    products: [{ sku: "CAN-1", name: "Caneca", price: 20, stock: 50 }],
    partners: [
      {
        name: "Mercado Silva",
        type: "PJ",
        fiscal_registration_number: generateCnpj(),
        state_registration: null,
      },
    ],
  });
  await new TenantsRepository(e.db.db).updateSettings(t.tenantId, {
    nfe: { enabled: true, approvedZydonStatusId: ids.statuses?.Aprovado },
  });
  const { orderId } = await e.zydon.sim.placeOrder(t.orgId, {
    partner: { id: Object.values(ids.partners ?? {})[0] as string },
    items: [{ sku: "CAN-1", quantity: 2 }],
    paymentMethodId: ids.paymentMethods?.Boleto as string,
  });
  const c = e.bling.sim.control;
  const contato = c.upsertContact(t.accountId, { nome: "Mercado Silva Ltda", tipo: "J" });
  const produto = c.upsertProduct(t.accountId, { nome: "Caneca", codigo: "CAN-1", preco: 20 });
  const { id: blingOrderId } = c.createOrder(t.accountId, {
    numeroLoja: orderId,
    contato: { id: contato.id },
    itens: [{ produto: { id: produto.id }, quantidade: 2, valor: 20 }],
    transporte: { frete: 0, volumes: [{ servico: "SEDEX", codigoRastreamento: "" }] },
  });
  const repo = new OrderExportsRepository(e.db.db);
  const { row } = await repo.ensure(t.tenantId, orderId);
  await repo.transition(row.id, ["pending"], "created", {
    blingOrderId: String(blingOrderId),
    blingSituacaoId: "6",
  });
  const marks = () => e.zydon.sim.postSaleMarks(t.orgId, orderId);
  const patches = () =>
    e.zydon.sim.requestLog.filter((x) => x.orgId === t.orgId && `${x.method} ${x.route}` === ATTRIBUTES)
      .length;
  const ledger = async (entity: string, action: string) =>
    (await new LedgerRepository(e.db.db).list({ tenantId: t.tenantId, entity, pageSize: 50 })).items.filter(
      (x) => x.entityKey === orderId && x.action === action,
    );
  return { ...t, zydonOrderId: orderId, blingOrderId, repo, marks, patches, ledger };
}

describe("post-sale through the API's webhooks and the worker", () => {
  it("a tracking code set in Bling appears on the Zydon order once; Atendido marks it delivered", async () => {
    const t = await tenantWithExportedOrder("Loja Rastreio");
    const c = e.bling.sim.control;
    expect(comparePostSale(e.bling.sim, t.accountId, e.zydon.sim, t.orgId)).toEqual([]);

    // The merchant types the code on the order's transport tab in Bling: order.updated → API → worker.
    c.setOrderTracking(t.accountId, t.blingOrderId, { codigoRastreamento: "AA123456789BR" });
    const marks = await waitFor(
      "tracking code on the Zydon order",
      async () => {
        const m = t.marks();
        return m?.trackingCodes.length ? m : undefined;
      },
      30_000,
    );
    expect(marks.trackingCodes).toEqual(["AA123456789BR"]);
    expect(e.zydon.sim.org(t.orgId).orders.get(t.zydonOrderId)?.attributes).toEqual({
      tracking_code: "AA123456789BR",
    });
    // The ledger row commits just after Zydon's answer.
    const entry = await waitFor(
      "tracking ledger entry",
      async () => (await t.ledger("order", "tracking"))[0],
      10_000,
    );
    expect(entry).toMatchObject({
      outcome: "synced",
      reason: `Código de rastreio AA123456789BR enviado ao pedido ${t.zydonOrderId} no Zydon.`,
    });
    expect(t.patches()).toBe(1);

    // Bling re-sends the same event (and the merchant saves the order again unchanged): nothing new is written.
    const delivered = c.webhookDeliveries().filter((d) => d.event === "order.updated").length;
    expect(delivered).toBeGreaterThan(0);
    c.setOrderTracking(t.accountId, t.blingOrderId, { codigoRastreamento: "AA123456789BR" });
    await e.worker.deps.producer.enqueue("order-status", {
      tenantId: t.tenantId,
      blingOrderId: String(t.blingOrderId),
    });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(t.patches()).toBe(1);

    // Delivered: the status mirror moves the order to "Atendido" and the delivery mark is written.
    c.setOrderSituacao(t.accountId, t.blingOrderId, 9);
    await waitFor("delivery mark", async () => t.marks()?.deliveredAt, 30_000);
    await waitFor(
      "Zydon status Atendido",
      async () => {
        const z = e.zydon.sim.snapshot(t.orgId);
        const o = z.orders.find((x) => x.id === t.zydonOrderId);
        return z.statuses.find((s) => s.id === o?.statusId)?.name === "Atendido";
      },
      30_000,
    );
    expect(t.marks()?.trackingCodes).toEqual(["AA123456789BR"]);
    await waitFor("delivery ledger entry", async () => (await t.ledger("order", "delivered"))[0], 10_000);
    expect(await t.ledger("order", "delivered")).toMatchObject([{ outcome: "synced" }]);
    expect(comparePostSale(e.bling.sim, t.accountId, e.zydon.sim, t.orgId)).toEqual([]);

    // The checker notices a Zydon that lost the marks.
    const order = e.zydon.sim.org(t.orgId).orders.get(t.zydonOrderId);
    if (order) order.attributes = {};
    expect(comparePostSale(e.bling.sim, t.accountId, e.zydon.sim, t.orgId)).toEqual([
      `order ${t.zydonOrderId}: tracking codes [] ≠ [AA123456789BR]`,
      `order ${t.zydonOrderId}: "atendido" in Bling but not marked delivered in Zydon`,
    ]);
  }, 90_000);

  it("an NF-e cancelled in Bling after it was attached is marked on the Zydon order once", async () => {
    const t = await tenantWithExportedOrder("Loja NF-e Cancelada");
    await e.worker.deps.producer.enqueue(
      "nfe-step",
      { tenantId: t.tenantId, zydonOrderId: t.zydonOrderId },
      { jobId: nfeJobId(t.tenantId, t.zydonOrderId, 0) },
    );
    await waitFor(
      "NF-e attached",
      async () => (await t.repo.get(t.tenantId, t.zydonOrderId))?.nfeState === "attached",
      30_000,
    );
    const exp = await t.repo.get(t.tenantId, t.zydonOrderId);
    const invoiceId = Number(exp?.blingInvoiceId);
    const inv = e.bling.sim.control.getInvoice(t.accountId, invoiceId);
    expect(
      e.zydon.sim
        .org(t.orgId)
        .orders.get(t.zydonOrderId)
        ?.invoices.map((i) => i.invoice_key),
    ).toEqual([inv?.chaveAcesso]);
    expect(t.marks()?.cancelledInvoiceKeys).toEqual([]);

    // The merchant cancels the note in Bling: invoice.updated (situação 2) → API → worker → NF-e step.
    e.bling.sim.control.cancelInvoice(t.accountId, invoiceId);
    await waitFor("cancelled mark", async () => t.marks()?.cancelledInvoiceKeys.length, 30_000);
    expect(t.marks()?.cancelledInvoiceKeys).toEqual([inv?.chaveAcesso]);
    const entry = await waitFor(
      "cancel ledger entry",
      async () => (await t.ledger("nfe", "cancel"))[0],
      10_000,
    );
    expect(entry).toMatchObject({
      outcome: "synced",
      reason: `NF-e ${inv?.numero} cancelada no Bling: marcada no pedido ${t.zydonOrderId} do Zydon.`,
    });
    // The invoice stays on the order (the buyer keeps the documents of a note that existed).
    expect(e.zydon.sim.org(t.orgId).orders.get(t.zydonOrderId)?.invoices).toHaveLength(1);
    expect(comparePostSale(e.bling.sim, t.accountId, e.zydon.sim, t.orgId)).toEqual([]);

    // The same webhook again: no second write.
    const before = t.patches();
    await e.worker.deps.producer.enqueue("nfe-step", { tenantId: t.tenantId, zydonOrderId: t.zydonOrderId });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(t.patches()).toBe(before);
    expect(await t.ledger("nfe", "cancel")).toHaveLength(1);
  }, 90_000);

  it("with Bling's order webhooks lost, the poll brings the tracking code and the delivered situação", async () => {
    const t = await tenantWithExportedOrder("Loja Sem Webhook");
    const c = e.bling.sim.control;
    // The order's own order.created webhook (sent when the test made it) is handled first: its status job
    // would otherwise read the changes below and hide whether the poll brings them.
    await waitFor(
      "the order.created webhook handled",
      async () => {
        const q = await e.queueCounts();
        const busy = ["waiting", "active", "delayed", "prioritized"].some((s) => (q[`events.${s}`] ?? 0) > 0);
        return !busy && c.webhookDeliveries().some((d) => d.event === "order.created" && d.ok);
      },
      15_000,
    );
    c.setFaults({ dropWebhooks: true });
    try {
      c.setOrderTracking(t.accountId, t.blingOrderId, { codigoRastreamento: "BB987654321BR" });
      c.setOrderSituacao(t.accountId, t.blingOrderId, 9);
      await new Promise((r) => setTimeout(r, 1_500));
      // Nothing came: the webhooks were lost on the way.
      expect(t.marks()?.trackingCodes ?? []).toEqual([]);
      // The scheduler's run (every minute in production), by hand here.
      await e.worker.deps.producer.enqueue("poll-changes", { tenantId: t.tenantId });
      await waitFor("tracking code by the poll", async () => t.marks()?.trackingCodes.length, 30_000);
      await waitFor("delivery mark by the poll", async () => t.marks()?.deliveredAt, 30_000);
      expect(t.marks()?.trackingCodes).toEqual(["BB987654321BR"]);
      expect(comparePostSale(e.bling.sim, t.accountId, e.zydon.sim, t.orgId)).toEqual([]);
    } finally {
      c.setFaults({});
    }
  }, 90_000);
});
