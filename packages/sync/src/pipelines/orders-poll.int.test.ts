import { CursorsRepository, OrderExportsRepository } from "@zb/db";
import { describe, expect, it } from "vitest";
import { zydonOrder } from "../test-support/fake-zydon.js";
import { useSyncTestDatabase } from "../test-support/test-context.js";
import { BLING_ORDERS_CURSOR, pollBlingOrderChanges } from "./orders-poll.js";
import { mirrorOrderStatus } from "./statuses.js";

const t = useSyncTestDatabase();

describe("pollBlingOrderChanges (lost Bling order webhooks)", () => {
  it("hands back the exported orders Bling changed since the last window, and nothing else", async () => {
    const ctx = await t.context();
    const repo = new OrderExportsRepository(ctx.db);
    const exported = async (zydonId: string) => {
      const o = ctx.bling.putOrder(zydonId, "6");
      const { row } = await repo.ensure(ctx.tenantId, zydonId);
      await repo.transition(row.id, ["pending"], "created", { blingOrderId: o.id, blingSituacaoId: "6" });
      return o;
    };
    const a = await exported("Z-A");
    const b = await exported("Z-B");
    // An order the merchant typed in Bling (not ours): never handed to the mirror.
    const foreign = ctx.bling.putOrder("LOJA-FISICA-1", "6");
    // The last poll ran after these were created and past its overlap.
    ctx.advance(3 * 60_000);
    await new CursorsRepository(ctx.db).set(ctx.tenantId, BLING_ORDERS_CURSOR, {
      since: ctx.now().toISOString(),
    });

    ctx.advance(5 * 60_000);
    expect(await pollBlingOrderChanges(ctx)).toEqual([]);
    const [window] = ctx.bling.log.argsOf("listOrdersChanged").at(-1) as [
      { page: number; dataAlteracaoInicial: Date; dataAlteracaoFinal: Date },
    ];
    // The window reaches back past the last poll (overlap) and ends now.
    expect(window.dataAlteracaoInicial.getTime()).toBeLessThan(ctx.now().getTime() - 5 * 60_000);
    expect(window.dataAlteracaoFinal.toISOString()).toBe(ctx.now().toISOString());

    ctx.advance(60_000);
    ctx.bling.setOrderSituacao(a.id, "15");
    ctx.bling.setOrderTracking(b.id, [{ servico: "Correios", codigo: "AA123456789BR" }]);
    ctx.bling.setOrderSituacao(foreign.id, "9");
    ctx.advance(3 * 60_000);
    expect((await pollBlingOrderChanges(ctx)).sort()).toEqual([a.id, b.id].sort());
    // The next window starts after them (the overlap reaches 2 min back): not handed back again.
    ctx.advance(10 * 60_000);
    expect(await pollBlingOrderChanges(ctx)).toEqual([]);
  });

  it("a situação change whose webhook was lost reaches Zydon through the mirror it hands the order to", async () => {
    const ctx = await t.context();
    const emProducao = ctx.zydon.putStatus("Em produção", { id: "st-producao" });
    ctx.zydon.putStatus("Em aberto", { id: "st-aberto", next: [emProducao.id] });
    ctx.zydon.putOrder(zydonOrder({ id: "Z-1", partnerId: "p-1", statusId: "st-aberto" }));
    ctx.bling.situacoes = [
      { id: "6", nome: "Em aberto" },
      { id: "15", nome: "Em produção" },
    ];
    const o = ctx.bling.putOrder("Z-1", "6");
    const repo = new OrderExportsRepository(ctx.db);
    const { row } = await repo.ensure(ctx.tenantId, "Z-1");
    await repo.transition(row.id, ["pending"], "created", { blingOrderId: o.id, blingSituacaoId: "6" });
    await pollBlingOrderChanges(ctx);

    ctx.advance(60_000);
    ctx.bling.setOrderSituacao(o.id, "15");
    ctx.advance(60_000);
    const changed = await pollBlingOrderChanges(ctx);
    expect(changed).toEqual([o.id]);
    for (const id of changed) await mirrorOrderStatus(ctx, id);
    expect(ctx.zydon.orders.get("Z-1")?.statusId).toBe("st-producao");
  });
});
