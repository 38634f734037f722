import { CursorsRepository } from "@zb/db";
import { describe, expect, it } from "vitest";
import { zydonErrors } from "../test-support/call-log.js";
import { ledgerRows, links, type TestContext, useSyncTestDatabase } from "../test-support/test-context.js";
import { pollStorePrices, pricesPipeline, STORE_PRICES_CURSOR } from "./prices.js";
import { releaseMassChangeGuard } from "./stock-guard.js";

const t = useSyncTestDatabase();
const storeSettings = { price: { source: "store", blingStoreId: "203950523", zydonPriceTableId: "tab-app" } };

async function linked(ctx: TestContext) {
  const l = links(ctx);
  await l.upsert({
    tenantId: ctx.tenantId,
    entity: "product",
    blingId: "101",
    zydonId: "zp-1",
    naturalKey: "PAR-1",
    data: { kind: "simple", productZydonId: "zp-1" },
  });
  await l.upsert({
    tenantId: ctx.tenantId,
    entity: "variation",
    blingId: "202",
    zydonId: "zv-2",
    naturalKey: "CAM-M",
    data: { kind: "variation", productZydonId: "zp-2", variationZydonId: "zv-2" },
  });
}

describe("prices pipeline", () => {
  it("with the base price as source it does nothing: base prices travel with the product", async () => {
    const ctx = await t.context();
    await linked(ctx);
    expect(await pricesPipeline.runPage(ctx, 1)).toEqual({
      hasMore: false,
      synced: 0,
      skipped: 0,
      failed: 0,
      total: 0,
    });
    expect(ctx.bling.log.count()).toBe(0);
    expect(ctx.zydon.log.count()).toBe(0);
  });

  it("copies the Bling store's prices (promotional when set) into the app's price table, one write per page", async () => {
    const ctx = await t.context({ settings: storeSettings });
    await linked(ctx);
    ctx.bling.storePrices.set("203950523", [
      { productId: "101", preco: 1.5, precoPromocional: 1.25 },
      { productId: "202", preco: 79.9, precoPromocional: 0 },
      { productId: "303", preco: 5, precoPromocional: null },
    ]);

    expect(await pricesPipeline.runPage(ctx, 1)).toEqual({
      hasMore: false,
      synced: 2,
      skipped: 1,
      failed: 0,
    });
    expect(ctx.zydon.log.count("setPriceTablePrices")).toBe(1);
    expect(ctx.zydon.priceTablePriceOf("tab-app", { productId: "zp-1", variationId: null })).toBe(1.25);
    expect(ctx.zydon.priceTablePriceOf("tab-app", { productId: "zp-2", variationId: "zv-2" })).toBe(79.9);
    expect(ctx.zydon.priceTables.size).toBe(1);
    expect(ctx.bling.log.argsOf("listStorePrices")).toEqual([[{ page: 1, idLoja: "203950523" }]]);
  });

  it("Zydon refusing the table write fails the page's prices with one retryable ledger row", async () => {
    const ctx = await t.context({ settings: storeSettings });
    await linked(ctx);
    ctx.bling.storePrices.set("203950523", [{ productId: "101", preco: 1.5, precoPromocional: null }]);
    ctx.zydon.log.fail("setPriceTablePrices", zydonErrors.validation("Tabela não pertence ao app"));

    expect(await pricesPipeline.runPage(ctx, 1)).toMatchObject({ synced: 0, failed: 1 });
    expect(await ledgerRows(ctx, "price")).toMatchObject([
      { entityKey: "tabela:tab-app", outcome: "failed", retryable: 1 },
    ]);

    ctx.zydon.log.fail("setPriceTablePrices", zydonErrors.timeout());
    await expect(pricesPipeline.runPage(ctx, 1)).rejects.toMatchObject({ action: "retry" });
  });

  it("the price breaker: a page moving more than the share's prices by over 50% is held until applied anyway", async () => {
    const ctx = await t.context({ settings: storeSettings });
    const l = links(ctx);
    for (let i = 1; i <= 40; i++)
      await l.upsert({
        tenantId: ctx.tenantId,
        entity: "product",
        blingId: String(1000 + i),
        zydonId: `zp-${i}`,
        naturalKey: `SKU-${i}`,
        data: { kind: "simple", productZydonId: `zp-${i}` },
      });
    const page = (price: (i: number) => number) =>
      Array.from({ length: 40 }, (_, k) => ({
        productId: String(1001 + k),
        preco: price(k + 1),
        precoPromocional: null,
      }));
    // First copy: nothing to compare with, written.
    ctx.bling.storePrices.set(
      "203950523",
      page(() => 100),
    );
    expect(await pricesPipeline.runPage(ctx, 1)).toMatchObject({ synced: 40, failed: 0 });
    // A wrong loja chosen: every price drops to 10 (-90%). 40 of 40 > 20% (floor 10): held, nothing written.
    ctx.bling.storePrices.set(
      "203950523",
      page(() => 10),
    );
    expect(await pricesPipeline.runPage(ctx, 1)).toMatchObject({ synced: 0, failed: 40 });
    expect(ctx.zydon.priceTablePriceOf("tab-app", { productId: "zp-1", variationId: null })).toBe(100);
    const held = (await ledgerRows(ctx, "settings")).find((r) => r.entityKey === "price.changeGuard");
    expect(held).toMatchObject({ outcome: "failed" });
    expect(held?.reason).toContain("mudaria muito o preço de 40 produtos de 40 (100%)");
    // The same pass again: the hold stands until the merchant releases it.
    expect(await pricesPipeline.runPage(ctx, 1)).toMatchObject({ synced: 0 });
    // "Aplicar mesmo assim": the next pass writes, the entry is closed.
    expect(await releaseMassChangeGuard(ctx, "price")).toBe(true);
    expect(await pricesPipeline.runPage(ctx, 1)).toMatchObject({ synced: 40, failed: 0 });
    expect(ctx.zydon.priceTablePriceOf("tab-app", { productId: "zp-1", variationId: null })).toBe(10);
    expect(await releaseMassChangeGuard(ctx, "price")).toBe(false);
  });

  it("the price breaker lets ordinary moves through: a few big ones, or many small ones", async () => {
    const ctx = await t.context({ settings: storeSettings });
    ctx.guards = { share: 0.2, priceChange: 0.5 };
    const l = links(ctx);
    for (let i = 1; i <= 40; i++)
      await l.upsert({
        tenantId: ctx.tenantId,
        entity: "product",
        blingId: String(1000 + i),
        zydonId: `zp-${i}`,
        naturalKey: `SKU-${i}`,
        data: { kind: "simple", productZydonId: `zp-${i}`, storePrice: 100 },
      });
    const page = (price: (i: number) => number) =>
      Array.from({ length: 40 }, (_, k) => ({
        productId: String(1001 + k),
        preco: price(k + 1),
        precoPromocional: null,
      }));
    // Every price +30%: under the 50% guard.
    ctx.bling.storePrices.set(
      "203950523",
      page(() => 130),
    );
    expect(await pricesPipeline.runPage(ctx, 1)).toMatchObject({ synced: 40 });
    // 8 of 40 doubled: within the limit (20% of 40, never under 10 products): written.
    ctx.bling.storePrices.set(
      "203950523",
      page((i) => (i <= 8 ? 260 : 130)),
    );
    expect(await pricesPipeline.runPage(ctx, 1)).toMatchObject({ synced: 40 });
    expect((await ledgerRows(ctx, "settings")).filter((r) => r.outcome === "failed")).toEqual([]);
  });

  describe("store-prices poll (no Bling webhook for product-store links)", () => {
    it("a promotion started and then ended in Bling after the first sync reaches the app's table, and nothing else is written", async () => {
      const ctx = await t.context({ settings: storeSettings });
      await linked(ctx);
      const old = new Date(ctx.now().getTime() - 3 * 86_400_000);
      ctx.bling.storePrices.set("203950523", [
        { productId: "101", preco: 10, precoPromocional: 0, changedAt: old },
        { productId: "202", preco: 79.9, precoPromocional: 0, changedAt: old },
      ]);
      await pricesPipeline.runPage(ctx, 1);
      await new CursorsRepository(ctx.db).set(ctx.tenantId, STORE_PRICES_CURSOR, {
        since: ctx.now().toISOString(),
      });
      const writes = ctx.zydon.log.count("setPriceTablePrices");

      // Nothing changed in Bling: one list request, no Zydon write.
      ctx.advance(60_000);
      expect(await pollStorePrices(ctx)).toEqual({ checked: 0, synced: 0, failed: 0 });
      expect(ctx.zydon.log.count("setPriceTablePrices")).toBe(writes);
      const [q] = ctx.bling.log.argsOf("listStorePrices").at(-1) as [
        { dataAlteracaoInicial: Date; dataAlteracaoFinal: Date },
      ];
      // The window starts before the last poll (overlap) and ends now.
      expect(q.dataAlteracaoInicial.getTime()).toBeLessThan(ctx.now().getTime() - 60_000);
      expect(q.dataAlteracaoFinal.toISOString()).toBe(ctx.now().toISOString());

      // The merchant starts a promotion on 101 (a 10% drop: under the hold's limit).
      ctx.advance(60_000);
      ctx.bling.storePrices.set("203950523", [
        { productId: "101", preco: 10, precoPromocional: 9, changedAt: ctx.now() },
        { productId: "202", preco: 79.9, precoPromocional: 0, changedAt: old },
      ]);
      ctx.advance(60_000);
      expect(await pollStorePrices(ctx)).toEqual({ checked: 1, synced: 1, failed: 0 });
      expect(ctx.zydon.priceTablePriceOf("tab-app", { productId: "zp-1", variationId: null })).toBe(9);
      expect(ctx.zydon.log.argsOf("setPriceTablePrices").at(-1)).toEqual([
        "tab-app",
        [{ productId: "zp-1", variationId: null, price: 9 }],
      ]);

      // It ends (precoPromocional cleared): the store price is back.
      ctx.advance(60_000);
      ctx.bling.storePrices.set("203950523", [
        { productId: "101", preco: 10, precoPromocional: 0, changedAt: ctx.now() },
        { productId: "202", preco: 79.9, precoPromocional: 0, changedAt: ctx.now() },
      ]);
      ctx.advance(60_000);
      // 202 was saved again in Bling with the same price: read, not written.
      expect(await pollStorePrices(ctx)).toEqual({ checked: 2, synced: 1, failed: 0 });
      expect(ctx.zydon.priceTablePriceOf("tab-app", { productId: "zp-1", variationId: null })).toBe(10);
      expect(ctx.zydon.log.argsOf("setPriceTablePrices").at(-1)?.[1]).toEqual([
        { productId: "zp-1", variationId: null, price: 10 },
      ]);
    });

    it("reads nothing from Bling when prices come from the product, when Zydon owns price, or with a store that does not resolve", async () => {
      for (const settings of [
        {},
        { ...storeSettings, ownership: { price: "zydon" } },
        { price: { source: "store", blingStoreId: "loja-x", zydonPriceTableId: "tab-app" } },
      ]) {
        const ctx = await t.context({ settings });
        expect(await pollStorePrices(ctx)).toEqual({ checked: 0, synced: 0, failed: 0 });
        expect(ctx.bling.log.count()).toBe(0);
        expect(ctx.zydon.log.count()).toBe(0);
      }
    });
  });
});
