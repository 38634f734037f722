import { CursorsRepository, OrderExportsRepository } from "@zb/db";
import { describe, expect, it } from "vitest";
import { blingProduct, blingVariation } from "../test-support/fake-bling.js";
import { zydonOrder } from "../test-support/fake-zydon.js";
import { type TestContext, useSyncTestDatabase } from "../test-support/test-context.js";
import { pollNewZydonOrders } from "./orders.js";
import { syncProduct } from "./products.js";
import { POLL_OVERLAP_MS, pollProductChanges, pollProductsCursor } from "./products-poll.js";

const t = useSyncTestDatabase();
const MIN = 60_000;

async function cursorOf(ctx: TestContext) {
  return (await new CursorsRepository(ctx.db).get(ctx.tenantId, "poll:products", pollProductsCursor))
    ?.productsSince;
}

/** Two products synced at the start, then 30 minutes pass: nothing is "recently changed". */
async function synced() {
  const ctx = await t.context();
  const a = ctx.bling.putProduct(blingProduct({ codigo: "A-1", nome: "Alpha" }));
  const b = ctx.bling.putProduct(blingProduct({ codigo: "B-1", nome: "Beta" }));
  await syncProduct(ctx, a.id);
  await syncProduct(ctx, b.id);
  ctx.advance(30 * MIN);
  return { ctx, a, b };
}

describe("pollProductChanges", () => {
  it("re-reads only products changed since the cursor, and advances the cursor", async () => {
    const { ctx, a, b } = await synced();
    const start = ctx.bling.log.count("getProduct");
    const reads = () =>
      ctx.bling.log
        .argsOf("getProduct")
        .slice(start)
        .map((x) => x[0]);

    // No cursor yet: the last 10 minutes; nothing changed in them.
    expect(await pollProductChanges(ctx)).toEqual({ checked: 0, changed: 0 });
    const first = ctx.now().toISOString();
    expect(await cursorOf(ctx)).toBe(first);
    // The three stock passes, each with the window.
    expect(ctx.bling.log.argsOf("listProducts").map((x) => x[0])).toEqual(
      [1, 0, 2].map((filtro) => ({
        page: 1,
        criterio: 5,
        filtroSaldoEstoque: filtro,
        dataAlteracaoInicial: new Date(ctx.now().getTime() - 10 * MIN),
        dataAlteracaoFinal: ctx.now(),
      })),
    );

    ctx.advance(5 * MIN);
    ctx.bling.editProduct(a.id, { nome: "Alpha 2" });
    const before = reads().length;
    expect(await pollProductChanges(ctx)).toEqual({ checked: 1, changed: 1 });
    expect(reads().slice(before)).toEqual([a.id]);
    expect(ctx.zydon.productBySku("A-1")?.write.name).toBe("Alpha 2");
    expect(ctx.zydon.productBySku("B-1")?.write.name).toBe("Beta");
    // The next window starts at the previous cursor minus the overlap.
    expect(ctx.bling.log.argsOf("listProducts").at(-1)?.[0]).toMatchObject({
      dataAlteracaoInicial: new Date(new Date(first).getTime() - POLL_OVERLAP_MS),
    });
    expect(await cursorOf(ctx)).toBe(ctx.now().toISOString());

    // The overlap re-reads the edit saved at the previous cursor, but its hash is unchanged: no write.
    ctx.advance(5 * MIN);
    const writes = ctx.zydon.writes();
    expect(await pollProductChanges(ctx)).toEqual({ checked: 1, changed: 0 });
    expect(ctx.zydon.writes()).toBe(writes);

    // Past the overlap: nothing read, nothing written.
    ctx.advance(5 * MIN);
    expect(await pollProductChanges(ctx)).toEqual({ checked: 0, changed: 0 });
    expect(ctx.zydon.writes()).toBe(writes);
    expect(reads()).toEqual([a.id, a.id]);
    expect(reads()).not.toContain(b.id);
  });

  it("an edit saved at the window's edge (just before the cursor) is still read", async () => {
    const { ctx, a } = await synced();
    await pollProductChanges(ctx);
    ctx.advance(5 * MIN);
    ctx.bling.editProduct(a.id, { preco: 12.5 });
    ctx.bling.changedAt.set(a.id, new Date(ctx.now().getTime() - 5 * MIN - POLL_OVERLAP_MS / 2));
    expect(await pollProductChanges(ctx)).toEqual({ checked: 1, changed: 1 });
    expect(ctx.zydon.productBySku("A-1")?.write.price).toBe(12.5);
  });

  it("an inactivated product is noticed and inactivated in Zydon; a new product is created", async () => {
    const { ctx, b } = await synced();
    await pollProductChanges(ctx);
    ctx.advance(MIN);
    ctx.bling.editProduct(b.id, { situacao: "I" });
    ctx.bling.putProduct(blingProduct({ codigo: "C-1" }));

    expect(await pollProductChanges(ctx)).toEqual({ checked: 2, changed: 2 });
    expect(ctx.zydon.productBySku("B-1")?.write.active).toBe(false);
    expect(ctx.zydon.productBySku("C-1")?.write.active).toBe(true);
    expect(ctx.zydon.products.size).toBe(3);
  });

  it("a changed parent listed with its variation rows is read once", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(
      blingProduct({
        codigo: "CAM",
        variacoes: [blingVariation({ codigo: "CAM-P" }), blingVariation({ codigo: "CAM-M" })],
      }),
    );
    expect(await pollProductChanges(ctx)).toEqual({ checked: 1, changed: 1 });
    expect(ctx.bling.log.argsOf("getProduct")).toEqual([[p.id]]);
    expect(ctx.zydon.productBySku("CAM")?.variations).toHaveLength(2);
  });

  it("a cursor older than Bling's one-year limit is clamped to 364 days", async () => {
    const ctx = await t.context();
    await new CursorsRepository(ctx.db).set(ctx.tenantId, "poll:products", {
      productsSince: "2020-01-01T00:00:00.000Z",
    });
    await pollProductChanges(ctx);
    expect(ctx.bling.log.argsOf("listProducts")[0]?.[0]).toMatchObject({
      dataAlteracaoInicial: new Date(ctx.now().getTime() - 364 * 86_400_000),
    });
  });
});

describe("pollNewZydonOrders", () => {
  it("returns recent orders without a finished export row, skips exported (and failed) ones", async () => {
    const ctx = await t.context();
    const at = (minutesAgo: number) => new Date(ctx.now().getTime() - minutesAgo * MIN).toISOString();
    for (const [id, ago] of [
      ["o-new", 5],
      ["o-exported", 10],
      ["o-failed", 15],
      ["o-pending", 20],
      ["o-old", 120],
    ] as const)
      ctx.zydon.putOrder(zydonOrder({ id, partnerId: "partner-1", createdAt: at(ago) }));
    const exportsRepo = new OrderExportsRepository(ctx.db);
    const exported = (await exportsRepo.ensure(ctx.tenantId, "o-exported")).row;
    await exportsRepo.transition(exported.id, ["pending"], "created", { blingOrderId: "b-1" });
    const failed = (await exportsRepo.ensure(ctx.tenantId, "o-failed")).row;
    await exportsRepo.transition(failed.id, ["pending"], "failed");
    await exportsRepo.ensure(ctx.tenantId, "o-pending");

    expect((await pollNewZydonOrders(ctx)).sort()).toEqual(["o-new", "o-pending"]);
    expect(ctx.zydon.log.argsOf("listOrdersSince")).toEqual([[new Date(ctx.now().getTime() - 60 * MIN)]]);
    // Nothing is exported by the poll itself: it only reports.
    expect(ctx.bling.log.count()).toBe(0);

    // The next poll starts at the cursor minus the overlap.
    const first = ctx.now();
    ctx.advance(10 * MIN);
    ctx.zydon.putOrder(zydonOrder({ id: "o-later", partnerId: "partner-1", createdAt: at(1) }));
    expect(await pollNewZydonOrders(ctx)).toEqual(["o-later"]);
    expect(ctx.zydon.log.argsOf("listOrdersSince").at(-1)).toEqual([
      new Date(first.getTime() - POLL_OVERLAP_MS),
    ]);
  });
});
