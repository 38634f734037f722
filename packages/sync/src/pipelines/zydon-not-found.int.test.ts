import { OrderExportsRepository } from "@zb/db";
import { ZydonNotFoundError } from "@zb/zydon";
import { describe, expect, it } from "vitest";
import { actionOf, waitHintOf, ZydonNotFoundYetError } from "../engine/errors.js";
import { blingProduct } from "../test-support/fake-bling.js";
import { zydonOrder } from "../test-support/fake-zydon.js";
import { ledgerRows, links, type TestContext, useSyncTestDatabase } from "../test-support/test-context.js";
import { isTransient } from "./context.js";
import { exportOrder } from "./orders.js";
import { pricesPipeline } from "./prices.js";
import { syncProduct } from "./products.js";
import { mirrorOrderStatus } from "./statuses.js";
import { syncStockFor } from "./stock.js";
import { checkZydonNotFound } from "./zydon-not-found.js";

const t = useSyncTestDatabase();
const MIN = 60_000;

/** Zydon's own 404, as @zb/zydon builds it from the envelope (zydon-api.md §4 "Errors"). */
function zydon404(path = "/api/sales/stock/override", retryableWindow = false) {
  return new ZydonNotFoundError({
    status: 404,
    method: "PUT",
    path,
    envelope: { status: 404, exception: "NotFoundException", message: "Product was not found" },
    retryableWindow,
  });
}

/** Make the sync's link to a Bling product look created and last written `ms` before the context's clock. */
async function ageLink(ctx: TestContext, blingId: string, ms: number) {
  const at = new Date(ctx.now().getTime() - ms).toISOString();
  await t.sql`update entity_links set created_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
              where tenant_id = ${ctx.tenantId} and bling_id = ${blingId}`;
}

async function linkedSimple(ctx: TestContext, linkedAgoMs: number) {
  await links(ctx).upsert({
    tenantId: ctx.tenantId,
    entity: "product",
    blingId: "b1",
    zydonId: "z1",
    naturalKey: "S1",
    data: { kind: "simple", productZydonId: "z1" },
  });
  await ageLink(ctx, "b1", linkedAgoMs);
  ctx.bling.setBalance("b1", [{ id: "dep-geral", saldoFisico: 5, saldoVirtual: 5 }]);
  const link = await links(ctx).byBlingId(ctx.tenantId, "product", "b1");
  if (!link) throw new Error("link missing");
  return link;
}

const persisting =
  /^O Zydon ainda não encontra o produto S1 \(id z1\), criado às \d\d:\d\d de \d\d\/\d\d\/\d{4}: /;

describe("a Zydon 404 on a record the sync linked moments ago", () => {
  it("stock: linked 1 minute ago → rethrown as transient (wait, then the job runs again); nothing recorded", async () => {
    const ctx = await t.context();
    const link = await linkedSimple(ctx, 1 * MIN);
    ctx.zydon.log.fail("setStock", () => zydon404());

    const err = await syncStockFor(ctx, [link]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZydonNotFoundYetError);
    expect(isTransient(err)).toBe(true);
    expect(actionOf(err)).toBe("wait");
    expect((err as ZydonNotFoundYetError).notFound).toBeInstanceOf(ZydonNotFoundError);
    expect(waitHintOf(err).retryAfterMs).toBe(1 * MIN);
    expect(await ledgerRows(ctx, "stock")).toEqual([]);

    // The job's next run: Zydon finds it now, the write lands.
    expect(await syncStockFor(ctx, [link])).toMatchObject({ written: 1, failed: 0 });
    expect(ctx.zydon.stockOf({ productId: "z1", variationId: null })).toBe(5);
  });

  it("stock: linked 10 minutes ago → the normal path: one failed ledger row naming when the record was created", async () => {
    const ctx = await t.context();
    const link = await linkedSimple(ctx, 10 * MIN);
    ctx.zydon.log.fail("setStock", () => zydon404());

    expect(await syncStockFor(ctx, [link])).toMatchObject({ failed: 1, written: 0 });
    const rows = await ledgerRows(ctx, "stock");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: "failed", entityKey: "S1" });
    expect(rows[0]?.reason).toMatch(persisting);
    expect(rows[0]?.reason).toContain("Product was not found");
  });

  it("products: the update 404s within the window → the job retries, no failure; past it, the persisting 404 leaves one row", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "S1", nome: "Parafuso", preco: 1 }));
    expect(await syncProduct(ctx, p.id)).toBe("created");
    const zydonId = ctx.zydon.productBySku("S1")?.id;
    await ageLink(ctx, p.id, 1 * MIN);
    ctx.bling.editProduct(p.id, { nome: "Parafuso inox" });
    ctx.zydon.log.fail("updateProduct", () => zydon404(`/api/sales/products/${zydonId}`), { times: 2 });

    const err = await syncProduct(ctx, p.id).catch((e: unknown) => e);
    expect(isTransient(err)).toBe(true);
    expect(err).toBeInstanceOf(ZydonNotFoundYetError);
    const failures = async () => (await ledgerRows(ctx, "product")).filter((r) => r.outcome === "failed");
    expect(await failures()).toEqual([]);
    // Not treated as deleted by hand: the link still names the same Zydon record.
    expect((await links(ctx).byBlingId(ctx.tenantId, "product", p.id))?.zydonId).toBe(zydonId);

    // Nine minutes later (the job's last run, past the 5-minute window) Zydon still answers 404.
    ctx.advance(9 * MIN);
    expect(await syncProduct(ctx, p.id)).toBe("failed");
    const rows = await failures();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.reason).toMatch(
      new RegExp(`^O Zydon ainda não encontra o produto S1 \\(id ${zydonId}\\), criado às \\d\\d:\\d\\d de `),
    );
  });

  it("products: a link written 10 minutes ago takes the normal path at once", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "S2", nome: "Porca", preco: 1 }));
    await syncProduct(ctx, p.id);
    await ageLink(ctx, p.id, 10 * MIN);
    ctx.bling.editProduct(p.id, { nome: "Porca inox" });
    ctx.zydon.log.fail("updateProduct", () => zydon404("/api/sales/products/x"));

    expect(await syncProduct(ctx, p.id)).toBe("failed");
    expect((await ledgerRows(ctx, "product")).filter((r) => r.outcome === "failed")).toHaveLength(1);
  });

  it("the window is the port's configured one (the contract's, from @zb/config), not a constant", async () => {
    const longer = await t.context();
    longer.zydon.notFoundRetryWindowMs = 15 * MIN;
    const old = await linkedSimple(longer, 10 * MIN);
    longer.zydon.log.fail("setStock", () => zydon404());
    await expect(syncStockFor(longer, [old])).rejects.toBeInstanceOf(ZydonNotFoundYetError);

    const shorter = await t.context();
    shorter.zydon.notFoundRetryWindowMs = 30_000;
    const fresh = await linkedSimple(shorter, 1 * MIN);
    shorter.zydon.log.fail("setStock", () => zydon404());
    expect(await syncStockFor(shorter, [fresh])).toMatchObject({ failed: 1 });
    expect((await ledgerRows(shorter, "stock"))[0]?.reason).toMatch(persisting);
  });

  it("the waits grow with the record's age and the last one lands just past the window", () => {
    const window = 5 * MIN;
    const ctx = { now: () => new Date("2026-03-10T15:00:00Z"), zydon: { notFoundRetryWindowMs: window } };
    const waitAt = (ageMs: number) => {
      const at = new Date(ctx.now().getTime() - ageMs);
      try {
        checkZydonNotFound(
          { ...ctx, log: { info() {}, warn() {} } } as unknown as Parameters<typeof checkZydonNotFound>[0],
          zydon404(),
          { createdAt: at, updatedAt: at },
          { label: "o produto S1" },
        );
      } catch (err) {
        return (err as ZydonNotFoundYetError).retryAfterMs;
      }
      return undefined;
    };
    expect(waitAt(0)).toBe(2_000);
    expect(waitAt(8_000)).toBe(8_000);
    expect(waitAt(4 * MIN + 50_000)).toBe(11_000);
    expect(4 * MIN + 50_000 + 11_000).toBeGreaterThan(window);
    expect(waitAt(window + 1)).toBeUndefined();
  });

  it("a 404 the client already marks transient (an id it created in this job) is rethrown as it is", async () => {
    const ctx = await t.context();
    const link = await linkedSimple(ctx, 60 * MIN);
    const own = zydon404("/api/sales/stock/override", true);
    ctx.zydon.log.fail("setStock", () => own);
    await expect(syncStockFor(ctx, [link])).rejects.toBe(own);
    expect(isTransient(own)).toBe(true);
  });

  it("orders: an order Zydon 404s moments after we heard of it is retried; past the window it is recorded", async () => {
    const ctx = await t.context();
    const err = await exportOrder(ctx, "zo-missing").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZydonNotFoundYetError);
    expect(isTransient(err)).toBe(true);
    expect(await ledgerRows(ctx, "order")).toEqual([]);
    expect((await new OrderExportsRepository(ctx.db).get(ctx.tenantId, "zo-missing"))?.state).toBe("pending");

    const at = new Date(ctx.now().getTime() - 10 * MIN).toISOString();
    await t.sql`update order_exports set created_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
                where tenant_id = ${ctx.tenantId} and zydon_order_id = 'zo-missing'`;
    const r = await exportOrder(ctx, "zo-missing");
    expect(r.kind).toBe("failed");
    const rows = await ledgerRows(ctx, "order");
    expect(rows).toHaveLength(1);
    expect(rows[0]?.reason).toMatch(
      /^O Zydon ainda não encontra o pedido zo-missing, recebido às \d\d:\d\d de /,
    );
  });

  it("prices: a 404 on the table write while one of its products was linked 1 minute ago is transient; later it is recorded", async () => {
    const ctx = await t.context({
      settings: { price: { source: "store", blingStoreId: "203950523", zydonPriceTableId: "tab-app" } },
    });
    await linkedSimple(ctx, 1 * MIN);
    ctx.bling.storePrices.set("203950523", [{ productId: "b1", preco: 1.5, precoPromocional: null }]);
    ctx.zydon.log.fail("setPriceTablePrices", () => zydon404("/api/sales/price-tables/tab-app/products"), {
      times: 2,
    });

    await expect(pricesPipeline.runPage(ctx, 1)).rejects.toBeInstanceOf(ZydonNotFoundYetError);
    expect((await ledgerRows(ctx, "price")).filter((r) => r.outcome === "failed")).toEqual([]);

    ctx.advance(9 * MIN);
    expect(await pricesPipeline.runPage(ctx, 1)).toMatchObject({ failed: 1 });
    const rows = (await ledgerRows(ctx, "price")).filter((r) => r.outcome === "failed");
    expect(rows).toHaveLength(1);
    expect(rows[0]?.reason).toMatch(
      /^O Zydon ainda não encontra o produto enviado à tabela de preços tab-app, criado às /,
    );
  });

  it("statuses: a 404 moving an order exported moments ago is transient (situação not marked mirrored); later it is recorded", async () => {
    const ctx = await t.context();
    const producao = ctx.zydon.putStatus("EM PRODUÇÃO", { id: "st-producao" });
    const aberto = ctx.zydon.putStatus("Em aberto", { id: "st-aberto", next: [producao.id] });
    ctx.zydon.putOrder(zydonOrder({ id: "Z-1", partnerId: "p-1", statusId: aberto.id }));
    ctx.bling.situacoes = [
      { id: "6", nome: "Em aberto" },
      { id: "15", nome: "Em produção" },
    ];
    const blingOrder = ctx.bling.putOrder("Z-1", "6");
    const repo = new OrderExportsRepository(ctx.db);
    const { row } = await repo.ensure(ctx.tenantId, "Z-1");
    await repo.transition(row.id, ["pending"], "created", {
      blingOrderId: blingOrder.id,
      blingSituacaoId: "6",
    });
    const at = new Date(ctx.now().getTime() - 1 * MIN).toISOString();
    await t.sql`update order_exports set created_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
                where id = ${row.id}`;
    ctx.bling.setOrderSituacao(blingOrder.id, "15");
    ctx.zydon.log.fail("setOrderStatus", () => zydon404("/api/sales/orders/Z-1/status"), { times: 2 });

    const err = await mirrorOrderStatus(ctx, blingOrder.id).catch((e: unknown) => e);
    expect(isTransient(err)).toBe(true);
    expect((await repo.get(ctx.tenantId, "Z-1"))?.blingSituacaoId).toBe("6");
    expect(await ledgerRows(ctx, "order_status")).toEqual([]);

    ctx.advance(9 * MIN);
    expect(await mirrorOrderStatus(ctx, blingOrder.id)).toBe("failed");
    const rows = await ledgerRows(ctx, "order_status");
    expect(rows).toHaveLength(1);
    expect(rows[0]?.reason).toMatch(/^O Zydon ainda não encontra o pedido Z-1, recebido às \d\d:\d\d de /);
  });
});
