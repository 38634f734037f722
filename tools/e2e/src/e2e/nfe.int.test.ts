import { LedgerRepository, OrderExportsRepository, TenantsRepository, WebhookInboxRepository } from "@zb/db";
import { waitFor } from "@zb/e2e-kit";
import { nfeJobId, QUEUES } from "@zb/sync";
import { generateCnpj } from "@zb/testing";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * NF-e through the composed worker: the `nfe-step` job, its poller, the invoice webhook (stored inbox row →
 * `bling-webhook` job → dispatch) and the ledger retry, against both simulators over HTTP.
 */

let e: E2E;
beforeAll(async () => {
  e = await startE2E();
}, 60_000);
afterAll(async () => {
  await e?.close();
});

const GERAR = "POST /pedidos/vendas/{idPedidoVenda}/gerar-nfe";
const ENVIAR = "POST /nfe/{idNotaFiscal}/enviar";

async function tenantWithExportedOrder(name: string) {
  const t = await e.addTenant(name);
  const ids = e.zydon.sim.seed(t.orgId, {
    statuses: [
      { name: "Em aberto", type: "PENDING", next: ["Aprovado"] },
      { name: "Aprovado", type: "PAID", next: [] },
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
  });
  const repo = new OrderExportsRepository(e.db.db);
  const { row } = await repo.ensure(t.tenantId, orderId);
  await repo.transition(row.id, ["pending"], "created", { blingOrderId: String(blingOrderId) });
  const calls = (endpoint: string) => c.requestLog(t.accountId).filter((x) => x.endpoint === endpoint).length;
  const nfeState = async () => (await repo.get(t.tenantId, orderId))?.nfeState;
  return { ...t, zydonOrderId: orderId, blingOrderId, repo, calls, nfeState };
}

describe("NF-e through the worker", () => {
  it("nfe-step transmits once, its poller waits for SEFAZ, the invoice webhook finishes it: attached once", async () => {
    const t = await tenantWithExportedOrder("Loja NF-e Webhook");
    e.bling.sim.control.setNfeDefaultOutcome(t.accountId, { result: "authorized", delayMs: 3_600_000 });
    await e.worker.deps.producer.enqueue(
      "nfe-step",
      { tenantId: t.tenantId, zydonOrderId: t.zydonOrderId },
      { jobId: nfeJobId(t.tenantId, t.zydonOrderId, 0) },
    );
    await waitFor("NF-e transmitted", async () => (await t.nfeState()) === "sent", 20_000);
    const orders = new Queue(QUEUES.orders, { connection: e.redis, prefix: e.env.REDIS_PREFIX });
    try {
      const poller = await waitFor(
        "poller of the first transmission",
        async () => orders.getJob(nfeJobId(t.tenantId, t.zydonOrderId, 1)),
        10_000,
      );
      expect(await poller.getState()).toBe("delayed");
    } finally {
      await orders.close();
    }

    // SEFAZ answers, then Bling's invoice webhook arrives (long before the poller's next look).
    const exp = await t.repo.get(t.tenantId, t.zydonOrderId);
    expect(e.bling.sim.control.answerNfeNow(t.accountId, Number(exp?.blingInvoiceId))).toBe(true);
    const inbox = new WebhookInboxRepository(e.db.db);
    const inboxId = await inbox.insertOnce({
      provider: "bling",
      eventId: `evt-nfe-${exp?.blingInvoiceId}`,
      tenantId: t.tenantId,
      eventType: "invoice.updated",
      payload: {
        event: "invoice.updated",
        data: { id: Number(exp?.blingInvoiceId), situacao: 5 },
      },
    });
    await e.worker.deps.producer.enqueue("bling-webhook", {
      tenantId: t.tenantId,
      inboxId: inboxId as number,
    });

    await waitFor("NF-e attached", async () => (await t.nfeState()) === "attached", 20_000);
    const inv = e.bling.sim.control
      .getAccount(t.accountId)
      .invoices.filter((i) => i.orderId === t.blingOrderId);
    expect(inv).toHaveLength(1);
    expect(t.calls(GERAR)).toBe(1);
    expect(t.calls(ENVIAR)).toBe(1);
    const zOrder = e.zydon.sim.org(t.orgId).orders.get(t.zydonOrderId);
    expect(zOrder?.invoices.map((i) => i.invoice_key)).toEqual([inv[0]?.chaveAcesso]);
  }, 60_000);

  it("a rejection lands in the ledger; the ledger retry re-sends the same note and attaches it", async () => {
    const t = await tenantWithExportedOrder("Loja NF-e Rejeitada");
    e.bling.sim.control.setNfeOutcomes(t.accountId, [
      { result: "rejected", code: 225, reason: "Falha no Schema XML da NF-e" },
    ]);
    await e.worker.deps.producer.enqueue(
      "nfe-step",
      { tenantId: t.tenantId, zydonOrderId: t.zydonOrderId },
      { jobId: nfeJobId(t.tenantId, t.zydonOrderId, 0) },
    );
    const ledger = new LedgerRepository(e.db.db);
    const entry = await waitFor(
      "rejection in the ledger",
      async () => {
        const r = await ledger.list({ tenantId: t.tenantId, entity: "nfe", outcome: "failed" });
        return r.items.find((x) => x.entityKey === t.zydonOrderId);
      },
      20_000,
    );
    expect(entry.reason).toContain("Rejeição 225: Falha no Schema XML da NF-e");
    expect(entry.retryable).toBe(1);

    await e.worker.deps.producer.enqueue("retry-ledger", { tenantId: t.tenantId, ledgerId: entry.id });
    await waitFor("NF-e attached after retry", async () => (await t.nfeState()) === "attached", 20_000);
    expect(t.calls(GERAR)).toBe(1);
    expect(t.calls(ENVIAR)).toBe(2);
    expect(e.bling.sim.control.getAccount(t.accountId).invoices).toHaveLength(1);
    expect((await ledger.get(t.tenantId, entry.id))?.resolvedAt).not.toBeNull();
    expect(e.zydon.sim.org(t.orgId).orders.get(t.zydonOrderId)?.invoices).toHaveLength(1);
  }, 60_000);
});
