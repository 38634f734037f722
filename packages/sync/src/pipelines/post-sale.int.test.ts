import { OrderExportsRepository } from "@zb/db";
import { describe, expect, it } from "vitest";
import { zydonErrors } from "../test-support/call-log.js";
import { zydonOrder } from "../test-support/fake-zydon.js";
import { ledgerRows, useSyncTestDatabase } from "../test-support/test-context.js";
import { advanceNfe } from "./nfe.js";
import { sweepCancelledNfes } from "./post-sale.js";
import { resyncOrder } from "./resync-item.js";
import { mirrorOrderStatus } from "./statuses.js";

const t = useSyncTestDatabase();

/** A tenant with one exported order (Zydon Z-1 ↔ a Bling order), Bling's default situações on both sides. */
async function world() {
  const ctx = await t.context();
  const aberto = ctx.zydon.putStatus("Em aberto", { id: "st-aberto" });
  ctx.zydon.putOrder(zydonOrder({ id: "Z-1", partnerId: "p-1", statusId: aberto.id }));
  ctx.bling.situacoes = [
    { id: "6", nome: "Em aberto" },
    { id: "9", nome: "Atendido" },
    { id: "21", nome: "Em separação" },
  ];
  const blingOrder = ctx.bling.putOrder("Z-1", "6");
  const repo = new OrderExportsRepository(ctx.db);
  const { row } = await repo.ensure(ctx.tenantId, "Z-1");
  await repo.transition(row.id, ["pending"], "created", {
    blingOrderId: blingOrder.id,
    blingSituacaoId: "6",
  });
  return { ctx, blingOrder, repo };
}

const postSaleOf = (ctx: Awaited<ReturnType<typeof world>>["ctx"]) => ctx.zydon.orders.get("Z-1")?.postSale;

describe("post-sale: tracking codes and delivery back to the Zydon order", () => {
  it("a tracking code set in Bling is written on the Zydon order once, with the ledger saying so", async () => {
    const { ctx, blingOrder } = await world();
    ctx.bling.setOrderTracking(blingOrder.id, [{ servico: "SEDEX", codigo: "AA123456789BR" }]);

    // The situação did not change (an order.updated for the tracking code only).
    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("unchanged");
    expect(postSaleOf(ctx)?.trackingCodes).toEqual(["AA123456789BR"]);
    expect(ctx.zydon.log.argsOf("setOrderPostSale")).toEqual([["Z-1", { trackingCodes: ["AA123456789BR"] }]]);
    const [row] = await ledgerRows(ctx, "order");
    expect(row).toMatchObject({
      entityKey: "Z-1",
      action: "tracking",
      outcome: "synced",
      reason: "Código de rastreio AA123456789BR enviado ao pedido Z-1 no Zydon.",
    });
    expect(ctx.bling.log.count("getOrder")).toBe(1);

    // The same webhook again: one Bling read, no Zydon write.
    await mirrorOrderStatus(ctx, blingOrder.id);
    expect(ctx.zydon.writes()).toBe(1);
    expect(ctx.bling.log.count("getOrder")).toBe(2);

    // A second volume: the changed list is written again.
    ctx.bling.setOrderTracking(blingOrder.id, [
      { servico: "SEDEX", codigo: "AA123456789BR" },
      { servico: null, codigo: "BB987654321BR" },
    ]);
    await mirrorOrderStatus(ctx, blingOrder.id);
    expect(postSaleOf(ctx)?.trackingCodes).toEqual(["AA123456789BR", "BB987654321BR"]);
    expect(ctx.zydon.writes()).toBe(2);
    expect((await ledgerRows(ctx, "order"))[0]?.reason).toBe(
      "Códigos de rastreio AA123456789BR, BB987654321BR enviados ao pedido Z-1 no Zydon.",
    );
  });

  it("an order without tracking codes writes nothing", async () => {
    const { ctx, blingOrder } = await world();
    ctx.bling.setOrderSituacao(blingOrder.id, "21");
    await mirrorOrderStatus(ctx, blingOrder.id);
    expect(ctx.zydon.log.count("setOrderPostSale")).toBe(0);
    expect(await ledgerRows(ctx, "order")).toEqual([]);
  });

  it("reaching a delivered situação (Atendido) marks the order delivered once, beside the status mirror", async () => {
    const { ctx, blingOrder } = await world();
    ctx.zydon.putStatus("Atendido", { id: "st-atendido" });
    ctx.zydon.statuses.find((s) => s.id === "st-aberto")?.nextIds.push("st-atendido");
    ctx.bling.setOrderSituacao(blingOrder.id, "9");

    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("moved");
    expect(ctx.zydon.orders.get("Z-1")?.statusId).toBe("st-atendido");
    expect(postSaleOf(ctx)?.deliveredAt).toBe(ctx.now().toISOString());
    expect(ctx.zydon.log.count("setOrderStatus")).toBe(1);
    expect(ctx.zydon.log.count("setOrderPostSale")).toBe(1);
    const delivered = (await ledgerRows(ctx, "order")).find((r) => r.action === "delivered");
    expect(delivered?.reason).toBe(
      'Pedido Z-1 marcado como entregue no Zydon (situação "Atendido" no Bling).',
    );

    // A later webhook (e.g. a tracking code typed after delivery) does not write the delivery again.
    ctx.advance(60_000);
    ctx.bling.setOrderTracking(blingOrder.id, [{ servico: null, codigo: "CC1BR" }]);
    await mirrorOrderStatus(ctx, blingOrder.id);
    expect(ctx.zydon.log.argsOf("setOrderPostSale").at(-1)).toEqual(["Z-1", { trackingCodes: ["CC1BR"] }]);
    expect(ctx.zydon.log.count("setOrderPostSale")).toBe(2);
  });

  it("a custom 'Entregue' situação (any case) counts as delivered even without a same-named Zydon status", async () => {
    const { ctx, blingOrder } = await world();
    ctx.bling.situacoes.push({ id: "30", nome: "ENTREGUE" });
    ctx.bling.setOrderSituacao(blingOrder.id, "30");
    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("missing");
    expect(postSaleOf(ctx)?.deliveredAt).toBe(ctx.now().toISOString());
    expect(ctx.zydon.log.count("setOrderStatus")).toBe(0);
  });

  it("a Zydon refusal is a retryable ledger failure in pt-BR, and the next event writes it", async () => {
    const { ctx, blingOrder } = await world();
    ctx.bling.setOrderTracking(blingOrder.id, [{ servico: null, codigo: "AA1BR" }]);
    ctx.zydon.log.fail("setOrderPostSale", zydonErrors.validation("attributes inválido"));

    await mirrorOrderStatus(ctx, blingOrder.id);
    const [row] = await ledgerRows(ctx, "order");
    expect(row).toMatchObject({ action: "tracking", outcome: "failed", retryable: 1 });
    expect(row?.reason).toContain("O Zydon recusou gravar o código de rastreio AA1BR no pedido Z-1");
    expect(row?.details).toMatchObject({ blingOrderId: blingOrder.id });
    expect(postSaleOf(ctx)).toBeUndefined();

    // The merchant's retry (or the next webhook) writes it; the failure is resolved.
    await mirrorOrderStatus(ctx, blingOrder.id);
    expect(postSaleOf(ctx)?.trackingCodes).toEqual(["AA1BR"]);
    const rows = await ledgerRows(ctx, "order");
    expect(rows.find((r) => r.outcome === "failed")?.resolvedAt).not.toBeNull();
  });

  it("a transient Zydon error is thrown (the job retries) and nothing is remembered", async () => {
    const { ctx, blingOrder } = await world();
    ctx.bling.setOrderTracking(blingOrder.id, [{ servico: null, codigo: "AA1BR" }]);
    ctx.zydon.log.fail("setOrderPostSale", zydonErrors.server());
    await expect(mirrorOrderStatus(ctx, blingOrder.id)).rejects.toThrow();
    await mirrorOrderStatus(ctx, blingOrder.id);
    expect(postSaleOf(ctx)?.trackingCodes).toEqual(["AA1BR"]);
    expect(ctx.zydon.log.count("setOrderPostSale")).toBe(2);
  });
});

describe("post-sale: an NF-e cancelled in Bling after it was attached", () => {
  async function attached() {
    const w = await world();
    const nfeId = await w.ctx.bling.generateNfe(w.blingOrder.id);
    await w.ctx.bling.sendNfe(nfeId);
    const row = (await w.repo.get(w.ctx.tenantId, "Z-1")) as NonNullable<
      Awaited<ReturnType<typeof w.repo.get>>
    >;
    await w.repo.update(row.id, {
      nfeState: "attached",
      blingInvoiceId: nfeId,
      nfeDetails: { situacao: 5, numero: "1", chaveAcesso: `chave-${nfeId}` },
    });
    return { ...w, nfeId, key: `chave-${nfeId}` };
  }

  it("is marked on the Zydon order once, and the ledger says so", async () => {
    const { ctx, nfeId, key } = await attached();
    // Still authorized: nothing to do.
    expect(await advanceNfe(ctx, "Z-1")).toEqual({ kind: "attached", chaveAcesso: key });
    expect(ctx.zydon.log.count("setOrderPostSale")).toBe(0);

    ctx.bling.cancelNfe(nfeId);
    expect(await advanceNfe(ctx, "Z-1")).toEqual({ kind: "cancelled", chaveAcesso: key });
    expect(postSaleOf(ctx)?.cancelledInvoiceKeys).toEqual([key]);
    const [row] = await ledgerRows(ctx, "nfe");
    expect(row).toMatchObject({
      action: "cancel",
      outcome: "synced",
      reason: "NF-e 1 cancelada no Bling: marcada no pedido Z-1 do Zydon.",
    });

    // The invoice webhook again: no Bling read, no Zydon write.
    const reads = ctx.bling.log.count("getNfe");
    expect(await advanceNfe(ctx, "Z-1")).toEqual({ kind: "cancelled", chaveAcesso: key });
    expect(ctx.bling.log.count("getNfe")).toBe(reads);
    expect(ctx.zydon.log.count("setOrderPostSale")).toBe(1);
  });

  it("is followed with NF-e switched off too (the note exists), and a refusal is a retryable failure", async () => {
    const { ctx, nfeId, key } = await attached();
    expect(ctx.settings.nfe.enabled).toBe(false);
    ctx.bling.cancelNfe(nfeId);
    ctx.zydon.log.fail("setOrderPostSale", zydonErrors.validation("não pode"));
    const r = await advanceNfe(ctx, "Z-1");
    expect(r.kind).toBe("failed");
    const [row] = await ledgerRows(ctx, "nfe");
    expect(row).toMatchObject({ action: "cancel", outcome: "failed", retryable: 1 });
    expect(row?.reason).toContain("NF-e 1 cancelada no Bling, mas o Zydon recusou marcá-la no pedido Z-1");

    expect(await advanceNfe(ctx, "Z-1", { retry: true })).toEqual({ kind: "cancelled", chaveAcesso: key });
    expect(postSaleOf(ctx)?.cancelledInvoiceKeys).toEqual([key]);
  });

  it("the daily sweep marks a cancellation whose webhook never came, with one list request and no detail read", async () => {
    const { ctx, nfeId, key } = await attached();
    ctx.bling.cancelNfe(nfeId);
    // Another tenant's or a never-attached cancelled note: not ours to mark.
    const stray = await ctx.bling.generateNfe(ctx.bling.putOrder("Z-9").id);
    ctx.bling.cancelNfe(stray);

    expect(await sweepCancelledNfes(ctx)).toEqual({ cancelled: 2, marked: 1 });
    expect(ctx.bling.log.count("listCancelledNfes")).toBe(1);
    expect(ctx.bling.log.count("getNfe")).toBe(0);
    expect(postSaleOf(ctx)?.cancelledInvoiceKeys).toEqual([key]);
    expect((await ledgerRows(ctx, "nfe"))[0]).toMatchObject({ action: "cancel", outcome: "synced" });

    // Again (the next day, or the webhook arriving late): nothing more.
    expect(await sweepCancelledNfes(ctx)).toEqual({ cancelled: 2, marked: 0 });
    expect(await advanceNfe(ctx, "Z-1")).toEqual({ kind: "cancelled", chaveAcesso: key });
    expect(ctx.zydon.log.count("setOrderPostSale")).toBe(1);
  });

  it("'Sincronizar um item' on the order re-reads its tracking code and its attached NF-e", async () => {
    const { ctx, nfeId, key, blingOrder } = await attached();
    ctx.bling.cancelNfe(nfeId);
    ctx.bling.setOrderTracking(blingOrder.id, [{ servico: null, codigo: "AA1BR" }]);
    await resyncOrder(ctx, "Z-1");
    expect(postSaleOf(ctx)).toMatchObject({ trackingCodes: ["AA1BR"], cancelledInvoiceKeys: [key] });
  });
});
