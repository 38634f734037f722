import { OrderExportsRepository } from "@zb/db";
import { describe, expect, it } from "vitest";
import { zydonErrors } from "../test-support/call-log.js";
import { zydonOrder } from "../test-support/fake-zydon.js";
import { ledgerRows, type TestContext, useSyncTestDatabase } from "../test-support/test-context.js";
import { mirrorOrderStatus } from "./statuses.js";

const t = useSyncTestDatabase();

/** A tenant with one exported order (Zydon Z-1 ↔ a Bling order) and statuses on both sides. */
async function world(opts: { settings?: unknown; zydonStatusId?: string } = {}) {
  const ctx = await t.context(opts);
  const aprovado = ctx.zydon.putStatus("EM PRODUÇÃO", { id: "st-producao" });
  const cancelado = ctx.zydon.putStatus("Cancelado", { id: "st-cancelado", canEditByApi: false });
  const aberto = ctx.zydon.putStatus("Em aberto", { id: "st-aberto", next: [aprovado.id, cancelado.id] });
  const fechado = ctx.zydon.putStatus("Fechado", { id: "st-fechado", next: [] });
  ctx.zydon.putOrder(zydonOrder({ id: "Z-1", partnerId: "p-1", statusId: opts.zydonStatusId ?? aberto.id }));
  ctx.bling.situacoes = [
    { id: "6", nome: "Em aberto" },
    { id: "15", nome: "Em produção" },
    { id: "12", nome: "Cancelado" },
    { id: "21", nome: "Aguardando transportadora" },
  ];
  const blingOrder = ctx.bling.putOrder("Z-1", "6");
  const repo = new OrderExportsRepository(ctx.db);
  const { row } = await repo.ensure(ctx.tenantId, "Z-1");
  await repo.transition(row.id, ["pending"], "created", {
    blingOrderId: blingOrder.id,
    blingSituacaoId: "6",
  });
  return { ctx, blingOrder, statuses: { aprovado, cancelado, aberto, fechado } };
}

const zydonStatusOf = (ctx: TestContext, id: string) => ctx.zydon.orders.get(id)?.statusId;

describe("mirrorOrderStatus", () => {
  it("moves the Zydon order to the status with the same name (case and accents aside), once", async () => {
    const { ctx, blingOrder, statuses } = await world();
    ctx.bling.setOrderSituacao(blingOrder.id, "15");

    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("moved");
    expect(zydonStatusOf(ctx, "Z-1")).toBe(statuses.aprovado.id);
    expect(ctx.zydon.log.count("setOrderStatus")).toBe(1);
    expect(await ledgerRows(ctx, "order_status")).toMatchObject([
      { entityKey: "Z-1", outcome: "synced", reason: 'Pedido movido para "Em produção" no Zydon.' },
    ]);
    const exp = await new OrderExportsRepository(ctx.db).get(ctx.tenantId, "Z-1");
    expect(exp?.blingSituacaoId).toBe("15");

    // The same event again (a duplicate webhook): nothing to do, no Zydon write.
    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("unchanged");
    expect(ctx.zydon.writes()).toBe(1);
  });

  it("a situação without a same-named Zydon status leaves a ledger reason and moves nothing", async () => {
    const { ctx, blingOrder, statuses } = await world();
    ctx.bling.setOrderSituacao(blingOrder.id, "21");

    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("missing");
    expect(zydonStatusOf(ctx, "Z-1")).toBe(statuses.aberto.id);
    expect(ctx.zydon.writes()).toBe(0);
    const [row] = await ledgerRows(ctx, "order_status");
    expect(row).toMatchObject({ entityKey: "Z-1", outcome: "skipped" });
    expect(row?.reason).toContain('"Aguardando transportadora"');
  });

  it("respects Zydon's rules: no move to a status closed to the API or along a transition Zydon does not allow", async () => {
    const { ctx, blingOrder, statuses } = await world();
    ctx.bling.setOrderSituacao(blingOrder.id, "12");
    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("forbidden");
    expect((await ledgerRows(ctx, "order_status"))[0]?.reason).toContain("can_edit_by_api");

    const other = await world({ zydonStatusId: "st-fechado" });
    other.ctx.bling.setOrderSituacao(other.blingOrder.id, "15");
    expect(await mirrorOrderStatus(other.ctx, other.blingOrder.id)).toBe("forbidden");
    expect((await ledgerRows(other.ctx, "order_status"))[0]?.reason).toContain("transição não cadastrada");
    expect(ctx.zydon.writes() + other.ctx.zydon.writes()).toBe(0);
    expect(zydonStatusOf(ctx, "Z-1")).toBe(statuses.aberto.id);
    expect(zydonStatusOf(other.ctx, "Z-1")).toBe(other.statuses.fechado.id);
  });

  it("an order we did not export is not ours: no Bling or Zydon call", async () => {
    const { ctx } = await world();
    const before = ctx.bling.log.count();
    expect(await mirrorOrderStatus(ctx, "999")).toBe("not_ours");
    expect(ctx.bling.log.count()).toBe(before);
    expect(ctx.zydon.log.count()).toBe(0);
  });

  it("reads Bling's situações once an hour, not once per status event", async () => {
    const { ctx, blingOrder } = await world();
    ctx.bling.setOrderSituacao(blingOrder.id, "15");
    await mirrorOrderStatus(ctx, blingOrder.id);
    ctx.bling.setOrderSituacao(blingOrder.id, "21");
    await mirrorOrderStatus(ctx, blingOrder.id);
    expect(ctx.bling.log.count("listSalesSituacoes")).toBe(1);
    ctx.advance(61 * 60_000);
    ctx.bling.setOrderSituacao(blingOrder.id, "6");
    await mirrorOrderStatus(ctx, blingOrder.id);
    expect(ctx.bling.log.count("listSalesSituacoes")).toBe(2);
  });

  it("Zydon refusing the move is a retryable failure; a transient error is rethrown for the job to retry", async () => {
    const { ctx, blingOrder } = await world();
    ctx.bling.setOrderSituacao(blingOrder.id, "15");
    ctx.zydon.log.fail("setOrderStatus", zydonErrors.server());
    await expect(mirrorOrderStatus(ctx, blingOrder.id)).rejects.toMatchObject({ action: "retry" });
    expect(await ledgerRows(ctx, "order_status")).toEqual([]);

    ctx.zydon.log.fail("setOrderStatus", zydonErrors.validation("Status inválido"));
    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("failed");
    expect(await ledgerRows(ctx, "order_status")).toMatchObject([{ outcome: "failed", retryable: 1 }]);

    // Not marked as mirrored: the next event tries again and succeeds.
    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("moved");
  });

  it("reaching the approved status queues the NF-e when NF-e is on", async () => {
    const { ctx, blingOrder } = await world({
      settings: { nfe: { enabled: true, approvedZydonStatusId: "st-producao" } },
    });
    ctx.bling.setOrderSituacao(blingOrder.id, "15");
    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("moved");
    expect(ctx.enqueued.nfe).toEqual(["Z-1"]);
  });
});
