import { describe, expect, it } from "vitest";
import {
  ledgerRows,
  links,
  type TestContext,
  testContext,
  useSyncTestDatabase,
} from "../test-support/test-context.js";
import { SETTINGS_ENTITY } from "./config-errors.js";
import { pricesPipeline } from "./prices.js";
import { refreshStock, stockPipeline } from "./stock.js";
import { releaseStockZeroGuard } from "./stock-guard.js";

/**
 * Issue 15: a stock or price computed from settings that do not resolve (a depósito Bling does not have, an
 * unknown loja, no price table) is a configuration error — one open "settings" ledger row, nothing written
 * to Zydon — never a stock of 0.
 */
const t = useSyncTestDatabase();

async function simples(ctx: TestContext, n: number) {
  for (let i = 1; i <= n; i++)
    await links(ctx).upsert({
      tenantId: ctx.tenantId,
      entity: "product",
      blingId: `b${i}`,
      zydonId: `z${i}`,
      naturalKey: `S${i}`,
      data: { kind: "simple", productZydonId: `z${i}`, stockQty: 7 },
    });
}

const simple = (i: number) => ({ productId: `z${i}`, variationId: null });
const bal = (id: string, qty: number) => ({ id, saldoFisico: qty, saldoVirtual: qty });

/** The same tenant, fakes and database with other settings (the merchant changed them). */
function withSettings(ctx: TestContext, settings: unknown): TestContext {
  return testContext({ db: ctx.db, tenantId: ctx.tenantId, settings, bling: ctx.bling, zydon: ctx.zydon });
}

async function settingsRows(ctx: TestContext) {
  return ledgerRows(ctx, SETTINGS_ENTITY);
}

describe("stock from depósitos that do not resolve", () => {
  for (const bad of ["99999999999", "abc", "-1", "12;34"]) {
    it(`depósito ${JSON.stringify(bad)}: nothing written to Zydon, one settings error, never a 0`, async () => {
      const ctx = await t.context({ settings: { stock: { depositIds: [bad] } } });
      await simples(ctx, 3);
      for (let i = 1; i <= 3; i++) ctx.bling.setBalance(`b${i}`, [bal("dep-geral", 7 + i)]);

      expect(await refreshStock(ctx, ["b1", "b2", "b3"])).toBe(0);
      expect(await refreshStock(ctx, ["b1", "b2", "b3"])).toBe(0);

      expect(ctx.zydon.writes()).toBe(0);
      for (let i = 1; i <= 3; i++) expect(ctx.zydon.stockOf(simple(i))).toBeUndefined();
      const rows = await settingsRows(ctx);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        entityKey: "stock.depositIds",
        outcome: "failed",
        retryable: 0,
        attempts: 2,
        resolvedAt: null,
        reason: `Estoque não atualizado: o depósito ${bad} escolhido em Configurações não existe no Bling. Nada foi enviado ao Zydon; escolha os depósitos de novo em Configurações.`,
      });
      expect(await ledgerRows(ctx, "stock")).toEqual([]);
    });
  }

  it("the initial stock step counts the page as failed and writes nothing", async () => {
    const ctx = await t.context({ settings: { stock: { depositIds: ["dep-geral", "404"] } } });
    await simples(ctx, 4);
    for (let i = 1; i <= 4; i++) ctx.bling.setBalance(`b${i}`, [bal("dep-geral", i)]);
    expect(await stockPipeline.runPage(ctx, 1)).toMatchObject({ synced: 0, failed: 4 });
    expect(ctx.zydon.writes()).toBe(0);
    expect((await settingsRows(ctx))[0]?.reason).toContain("o depósito 404 escolhido em Configurações");
  });

  it("a chosen depósito that exists but holds nothing is stock 0, not an error (the list decides, cached)", async () => {
    const ctx = await t.context({ settings: { stock: { depositIds: ["dep-vazio"] } } });
    ctx.bling.deposits.push({ id: "dep-vazio", descricao: "Vazio", padrao: false, situacao: 1 });
    await simples(ctx, 1);
    ctx.bling.setBalance("b1", [bal("dep-geral", 5)]);
    expect(await refreshStock(ctx, ["b1"])).toBe(1);
    expect(ctx.zydon.stockOf(simple(1))).toBe(0);
    await refreshStock(ctx, ["b1"]);
    expect(ctx.bling.log.count("listDeposits")).toBe(1);
    expect(await settingsRows(ctx)).toEqual([]);
  });

  it("chosen depósitos seen in the balances need no depósito list read", async () => {
    const ctx = await t.context({ settings: { stock: { depositIds: ["dep-geral"] } } });
    await simples(ctx, 1);
    ctx.bling.setBalance("b1", [bal("dep-geral", 3)]);
    expect(await refreshStock(ctx, ["b1"])).toBe(1);
    expect(ctx.bling.log.count("listDeposits")).toBe(0);
  });

  it("once the merchant fixes the depósitos the error closes and stock flows again", async () => {
    const broken = await t.context({ settings: { stock: { depositIds: ["99999999999"] } } });
    await simples(broken, 1);
    broken.bling.setBalance("b1", [bal("dep-geral", 5)]);
    await refreshStock(broken, ["b1"]);
    expect(broken.zydon.writes()).toBe(0);

    const fixed = withSettings(broken, { stock: { depositIds: ["dep-geral"] } });
    expect(await refreshStock(fixed, ["b1"])).toBe(1);
    expect(fixed.zydon.stockOf(simple(1))).toBe(5);
    const rows = await settingsRows(fixed);
    expect(rows.find((r) => r.outcome === "failed")?.resolvedAt).not.toBeNull();
    expect(rows.find((r) => r.outcome === "synced")?.reason).toBe(
      "Depósitos confirmados no Bling; o estoque voltou a ser atualizado.",
    );
  });
});

describe("store prices from a loja or price table that do not resolve", () => {
  const store = (blingStoreId: string | undefined, zydonPriceTableId: string | undefined) => ({
    price: {
      source: "store",
      ...(blingStoreId !== undefined ? { blingStoreId } : {}),
      ...(zydonPriceTableId !== undefined ? { zydonPriceTableId } : {}),
    },
  });
  const empty = { hasMore: false, synced: 0, skipped: 0, failed: 0, total: 0 };

  for (const bad of ["abc", "-5"]) {
    it(`loja ${JSON.stringify(bad)} is not a Bling id: no request, no write, one settings error`, async () => {
      const ctx = await t.context({ settings: store(bad, "tab-app") });
      expect(await pricesPipeline.runPage(ctx, 1)).toEqual(empty);
      expect(await pricesPipeline.runPage(ctx, 1)).toEqual(empty);
      expect(ctx.bling.log.count()).toBe(0);
      expect(ctx.zydon.writes()).toBe(0);
      const rows = await settingsRows(ctx);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ entityKey: "price.blingStoreId", outcome: "failed", attempts: 2 });
      expect(rows[0]?.reason).toContain(`"${bad}" não é o número de uma loja do Bling`);
    });
  }

  it("loja 99999999 with no products in Bling: a settings error, not 'Concluído · 0 de 0'", async () => {
    const ctx = await t.context({ settings: store("99999999", "tab-app") });
    expect(await pricesPipeline.runPage(ctx, 1)).toEqual(empty);
    expect(ctx.bling.log.count("listStorePrices")).toBe(1);
    expect(ctx.zydon.writes()).toBe(0);
    expect(await settingsRows(ctx)).toMatchObject([
      {
        entityKey: "price.blingStoreId",
        reason:
          "Preços não atualizados: a loja 99999999 escolhida em Configurações não existe no Bling ou não tem nenhum produto vinculado. Nada foi enviado ao Zydon; escolha a loja de novo em Configurações.",
      },
    ]);
  });

  it("a store price source without a Zydon price table is a settings error", async () => {
    const ctx = await t.context({ settings: store("203950523", undefined) });
    ctx.bling.storePrices.set("203950523", [{ productId: "b1", preco: 5, precoPromocional: null }]);
    expect(await pricesPipeline.runPage(ctx, 1)).toEqual(empty);
    expect(ctx.bling.log.count()).toBe(0);
    expect(ctx.zydon.writes()).toBe(0);
    expect((await settingsRows(ctx))[0]).toMatchObject({
      entityKey: "price.zydonPriceTableId",
      outcome: "failed",
    });
  });

  it("a loja that resolves closes its open error and writes the prices", async () => {
    const broken = await t.context({ settings: store("99999999", "tab-app") });
    await pricesPipeline.runPage(broken, 1);
    await simples(broken, 1);
    broken.bling.storePrices.set("203950523", [{ productId: "b1", preco: 5, precoPromocional: null }]);
    const fixed = withSettings(broken, store("203950523", "tab-app"));
    expect(await pricesPipeline.runPage(fixed, 1)).toMatchObject({ synced: 1, failed: 0 });
    expect(fixed.zydon.priceTablePriceOf("tab-app", simple(1))).toBe(5);
    expect((await settingsRows(fixed)).find((r) => r.outcome === "failed")?.resolvedAt).not.toBeNull();
  });
});

describe("mass-change breaker: a pass that would zero stock for more than 20% of the catalog", () => {
  const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => `b${from + k}`);

  it("holds the whole batch: nothing written, one pt-BR settings entry, later zeroing batches held too", async () => {
    const ctx = await t.context();
    await simples(ctx, 50);
    // Bling answers no balance at all (e.g. a broken balance type or depósito): every product would be 0.
    expect(await refreshStock(ctx, ids(1, 50))).toBe(0);
    expect(ctx.zydon.writes()).toBe(0);
    const rows = await settingsRows(ctx);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ entityKey: "stock.zeroGuard", outcome: "failed", resolvedAt: null });
    expect(rows[0]?.reason).toBe(
      "Atualização de estoque retida: ela zeraria o estoque de 50 produtos de 50 (100%) em menos de uma hora, acima do limite de 20% do catálogo. Nada foi enviado ao Zydon. Confira os depósitos e o tipo de saldo em Configurações e o estoque no Bling.",
    );
    // While held, a single zeroing is held too; a batch that zeroes nothing still goes through.
    expect(await refreshStock(ctx, ["b1"])).toBe(0);
    ctx.bling.setBalance("b2", [bal("dep-geral", 3)]);
    expect(await refreshStock(ctx, ["b2"])).toBe(1);
    expect(ctx.zydon.stockOf(simple(2))).toBe(3);
    expect(ctx.zydon.stockOf(simple(1))).toBeUndefined();
  });

  it("counts zeroings over the hour against 20% of the sellable catalog", async () => {
    const ctx = await t.context();
    await simples(ctx, 50);
    expect(await refreshStock(ctx, ids(1, 10))).toBe(10);
    expect(ctx.zydon.stockOf(simple(10))).toBe(0);
    expect(await refreshStock(ctx, ["b11"])).toBe(0);
    expect(ctx.zydon.stockOf(simple(11))).toBeUndefined();
    expect((await settingsRows(ctx))[0]?.reason).toContain("zeraria o estoque de 11 produtos de 50 (22%)");
  });

  it("the share is configurable; a small catalog selling out is never held", async () => {
    const loose = await t.context();
    loose.guards = { share: 0.5 };
    await simples(loose, 50);
    expect(await refreshStock(loose, ids(1, 25))).toBe(25);

    const small = await t.context();
    await simples(small, 5);
    expect(await refreshStock(small, ids(1, 5))).toBe(5);
    expect(await settingsRows(small)).toEqual([]);
  });

  it("'Aplicar mesmo assim' (releaseStockZeroGuard) lets the next pass write and closes the entry", async () => {
    const ctx = await t.context();
    await simples(ctx, 30);
    expect(await refreshStock(ctx, ids(1, 30))).toBe(0);
    await releaseStockZeroGuard(ctx);
    expect(await refreshStock(ctx, ids(1, 30))).toBe(30);
    expect(ctx.zydon.stockOf(simple(30))).toBe(0);
    const rows = await settingsRows(ctx);
    expect(rows.find((r) => r.outcome === "failed")?.resolvedAt).not.toBeNull();
  });
});
