import { CursorsRepository, entityLinks, linkData } from "@zb/db";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { zydonErrors } from "../test-support/call-log.js";
import { blingProduct } from "../test-support/fake-bling.js";
import { ledgerRows, links, type TestContext, useSyncTestDatabase } from "../test-support/test-context.js";
import { reconcileBound, reconcileStock, refreshStock, stockPipeline, syncStockFor } from "./stock.js";

const t = useSyncTestDatabase();

/** Linked simple products `S1..Sn` (Bling ids `b1..`, Zydon ids `z1..`), in Bling and in Zydon. */
async function simples(ctx: TestContext, n: number) {
  const l = links(ctx);
  for (let i = 1; i <= n; i++) {
    ctx.bling.putProduct(blingProduct({ id: `b${i}`, codigo: `S${i}` }));
    await l.upsert({
      tenantId: ctx.tenantId,
      entity: "product",
      blingId: `b${i}`,
      zydonId: `z${i}`,
      naturalKey: `S${i}`,
      data: { kind: "simple", productZydonId: `z${i}` },
    });
  }
}

const simple = (i: number) => ({ productId: `z${i}`, variationId: null });
const bal = (id: string, fisico: number, virtual = fisico) => ({
  id,
  saldoFisico: fisico,
  saldoVirtual: virtual,
});

describe("syncStockFor / refreshStock", () => {
  it("writes the available balance of the default deposit only where it changed; a second run writes nothing", async () => {
    const ctx = await t.context();
    await simples(ctx, 2);
    ctx.bling.setBalance("b1", [bal("dep-geral", 10, 7)]);
    ctx.bling.setBalance("b2", [bal("dep-geral", 3, 3)]);

    expect(await refreshStock(ctx, ["b1", "b2", "b1"])).toBe(2);
    expect(ctx.zydon.stockOf(simple(1))).toBe(7);
    expect(ctx.zydon.stockOf(simple(2))).toBe(3);
    expect(ctx.bling.log.argsOf("getBalances")).toEqual([[["b1", "b2"]]]);
    expect(
      linkData((await links(ctx).byBlingId(ctx.tenantId, "product", "b1")) ?? { data: null }).stockQty,
    ).toBe(7);
    expect((await ledgerRows(ctx, "stock")).map((r) => r.reason).sort()).toEqual([
      "Estoque atualizado para 3.",
      "Estoque atualizado para 7.",
    ]);

    expect(await refreshStock(ctx, ["b1", "b2"])).toBe(0);
    expect(ctx.zydon.log.count("setStock")).toBe(2);

    ctx.bling.setBalance("b2", [bal("dep-geral", 1)]);
    expect(await refreshStock(ctx, ["b1", "b2"])).toBe(1);
    expect(ctx.zydon.log.argsOf("setStock").at(-1)).toEqual([simple(2), 1]);
    // Histórico shows old → new (the row for that SKU, updated in place).
    const rows = await ledgerRows(ctx, "stock");
    expect(rows.find((r) => r.reason === "Estoque atualizado para 1.")?.details).toEqual({ from: 3, to: 1 });
  });

  it("the default deposit is read once and cached (an hour); other deposits are not counted", async () => {
    const ctx = await t.context();
    await simples(ctx, 1);
    ctx.bling.deposits = [
      { id: "dep-loja", descricao: "Loja", padrao: false, situacao: 1 },
      { id: "dep-geral", descricao: "Geral", padrao: true, situacao: 1 },
    ];
    ctx.bling.setBalance("b1", [bal("dep-geral", 4), bal("dep-loja", 100)]);
    await refreshStock(ctx, ["b1"]);
    expect(ctx.zydon.stockOf(simple(1))).toBe(4);

    ctx.bling.setBalance("b1", [bal("dep-geral", 5), bal("dep-loja", 100)]);
    await refreshStock(ctx, ["b1"]);
    expect(ctx.zydon.stockOf(simple(1))).toBe(5);
    expect(ctx.bling.log.count("listDeposits")).toBe(1);

    ctx.advance(61 * 60_000);
    await refreshStock(ctx, ["b1"]);
    expect(ctx.bling.log.count("listDeposits")).toBe(2);
  });

  it("chosen deposits are summed (physical when chosen); the default deposit is not counted", async () => {
    const ctx = await t.context({
      settings: { stock: { depositIds: ["dep-a", "dep-b"], balance: "physical" } },
    });
    ctx.bling.deposits = [
      { id: "dep-geral", descricao: "Geral", padrao: true, situacao: 1 },
      { id: "dep-a", descricao: "A", padrao: false, situacao: 1 },
      { id: "dep-b", descricao: "B", padrao: false, situacao: 1 },
    ];
    await simples(ctx, 1);
    ctx.bling.setBalance("b1", [bal("dep-a", 2, 1), bal("dep-b", 3, 0), bal("dep-geral", 50)]);
    expect(await refreshStock(ctx, ["b1"])).toBe(1);
    expect(ctx.zydon.stockOf(simple(1))).toBe(5);
  });

  it("one balance request per batch of maxBalanceBatch", async () => {
    const ctx = await t.context();
    ctx.bling.maxBalanceBatch = 2;
    await simples(ctx, 5);
    for (let i = 1; i <= 5; i++) ctx.bling.setBalance(`b${i}`, [bal("dep-geral", i)]);
    const all = await links(ctx).listByEntity(ctx.tenantId, "product");

    expect(await syncStockFor(ctx, all)).toEqual({ synced: 5, skipped: 0, failed: 0, written: 5 });
    expect(ctx.bling.log.argsOf("getBalances").map((a) => (a[0] as string[]).length)).toEqual([2, 2, 1]);
    for (let i = 1; i <= 5; i++) expect(ctx.zydon.stockOf(simple(i))).toBe(i);
  });

  it("a product without a balance row is zero stock", async () => {
    const ctx = await t.context();
    await simples(ctx, 1);
    ctx.bling.setBalance("b1", [bal("dep-geral", 9)]);
    await refreshStock(ctx, ["b1"]);
    ctx.bling.balances.delete("b1");
    expect(await refreshStock(ctx, ["b1"])).toBe(1);
    expect(ctx.zydon.stockOf(simple(1))).toBe(0);
  });

  it("a Zydon refusal is ledgered as retryable and the others are still written; it is retried next run", async () => {
    const ctx = await t.context();
    await simples(ctx, 3);
    for (let i = 1; i <= 3; i++) ctx.bling.setBalance(`b${i}`, [bal("dep-geral", 10 + i)]);
    ctx.zydon.log.fail("setStock", zydonErrors.validation("Produto não encontrado"));

    const all = await links(ctx).listByEntity(ctx.tenantId, "product");
    expect(await syncStockFor(ctx, all)).toEqual({ synced: 2, skipped: 0, failed: 1, written: 2 });
    expect(ctx.zydon.stockOf(simple(1))).toBeUndefined();
    expect(ctx.zydon.stockOf(simple(2))).toBe(12);
    expect(ctx.zydon.stockOf(simple(3))).toBe(13);
    const failed = (await ledgerRows(ctx, "stock")).filter((r) => r.outcome === "failed");
    expect(failed).toMatchObject([
      { entityKey: "S1", retryable: 1, details: { blingId: "b1", quantity: 11 } },
    ]);
    expect(failed[0]?.reason).toContain("Estoque do SKU S1 não foi atualizado no Zydon");

    expect(await refreshStock(ctx, ["b1", "b2", "b3"])).toBe(1);
    expect(ctx.zydon.stockOf(simple(1))).toBe(11);

    // A transient failure is rethrown for the job to retry.
    ctx.bling.setBalance("b2", [bal("dep-geral", 0)]);
    ctx.zydon.log.fail("setStock", zydonErrors.server());
    await expect(refreshStock(ctx, ["b2"])).rejects.toMatchObject({ action: "retry" });
  });

  it("refreshStock writes variations (to their Zydon product and variation) and ignores parents and unknown ids", async () => {
    const ctx = await t.context();
    const l = links(ctx);
    await l.upsert({
      tenantId: ctx.tenantId,
      entity: "product",
      blingId: "p1",
      zydonId: "zp",
      naturalKey: "CAM",
      data: { kind: "parent", productZydonId: "zp" },
    });
    await l.upsert({
      tenantId: ctx.tenantId,
      entity: "variation",
      blingId: "v1",
      zydonId: "zv",
      naturalKey: "CAM-P",
      data: { kind: "variation", productZydonId: "zp", variationZydonId: "zv" },
    });
    ctx.bling.setBalance("p1", [bal("dep-geral", 8)]);
    ctx.bling.setBalance("v1", [bal("dep-geral", 6)]);

    expect(await refreshStock(ctx, ["p1", "v1", "nope"])).toBe(1);
    expect(ctx.bling.log.argsOf("getBalances")).toEqual([[["v1"]]]);
    expect(ctx.zydon.log.argsOf("setStock")).toEqual([[{ productId: "zp", variationId: "zv" }, 6]]);
  });
});

describe("stockPipeline and reconcileStock", () => {
  it("the initial stock pages through sellable links one balance batch per page", async () => {
    const ctx = await t.context();
    ctx.bling.maxBalanceBatch = 2;
    await simples(ctx, 3);
    for (let i = 1; i <= 3; i++) ctx.bling.setBalance(`b${i}`, [bal("dep-geral", i)]);

    expect(await stockPipeline.runPage(ctx, 1)).toMatchObject({
      hasMore: true,
      synced: 2,
      failed: 0,
      total: 3,
    });
    expect(await stockPipeline.runPage(ctx, 2)).toMatchObject({ hasMore: false, synced: 1, failed: 0 });
    expect(ctx.bling.log.count("getBalances")).toBe(2);
    expect(ctx.zydon.log.count("setStock")).toBe(3);
  });

  it("reconcile rotates through pages over runs, one request per run, and wraps to the start", async () => {
    const ctx = await t.context();
    ctx.bling.maxBalanceBatch = 2;
    await simples(ctx, 5);
    for (let i = 1; i <= 5; i++) ctx.bling.setBalance(`b${i}`, [bal("dep-geral", i)]);
    // 5 links in batches of 2 over 5 runs per rotation: one request per run.
    const opts = { intervalMs: 60_000, rotationMs: 5 * 60_000 };

    const seen: string[][] = [];
    for (let run = 0; run < 4; run++) {
      const r = await reconcileStock(ctx, opts);
      expect(r.requests).toBe(1);
      seen.push((ctx.bling.log.argsOf("getBalances").at(-1)?.[0] as string[]) ?? []);
    }
    expect(seen).toEqual([["b1", "b2"], ["b3", "b4"], ["b5"], ["b1", "b2"]]);
    expect(ctx.zydon.log.count("setStock")).toBe(5);
    const cursor = await new CursorsRepository(ctx.db).get(
      ctx.tenantId,
      "reconcile:stock",
      z.object({ page: z.number() }),
    );
    expect(cursor?.page).toBe(2);

    // A balance changed in Bling without a webhook is found when its page comes round.
    ctx.bling.setBalance("b3", [bal("dep-geral", 30)]);
    expect(await reconcileStock(ctx, opts)).toEqual({ checked: 2, written: 1, requests: 1, gone: 0 });
    expect(ctx.zydon.stockOf(simple(3))).toBe(30);
  });

  it("reconcile covers the catalog in one run when the rotation is one run, capped by maxRequestsPerRun", async () => {
    const ctx = await t.context();
    ctx.bling.maxBalanceBatch = 2;
    await simples(ctx, 5);
    // No balance rows at all: each batch also asks the product list whether its ids still exist (zero stock).
    expect(await reconcileStock(ctx, { intervalMs: 60_000, rotationMs: 60_000 })).toEqual({
      checked: 5,
      written: 5,
      requests: 6,
      gone: 0,
    });
    expect(
      await reconcileStock(ctx, { intervalMs: 60_000, rotationMs: 60_000, maxRequestsPerRun: 1 }),
    ).toEqual({
      checked: 2,
      written: 0,
      requests: 2,
      gone: 0,
    });
  });

  it("reconcile after the catalog shrank below the cursor starts over instead of reading nothing", async () => {
    const ctx = await t.context();
    ctx.bling.maxBalanceBatch = 2;
    await simples(ctx, 5);
    for (let i = 1; i <= 5; i++) ctx.bling.setBalance(`b${i}`, [bal("dep-geral", i)]);
    const opts = { intervalMs: 60_000, rotationMs: 5 * 60_000 };
    await reconcileStock(ctx, opts);
    await reconcileStock(ctx, opts); // cursor now at page 3
    for (const id of ["b3", "b4", "b5"]) await links(ctx).deleteByBlingId(ctx.tenantId, "product", id);

    expect(await reconcileStock(ctx, opts)).toMatchObject({ checked: 2, requests: 1 });
    expect(ctx.bling.log.argsOf("getBalances").at(-1)).toEqual([["b1", "b2"]]);
    expect(await reconcileStock(await t.context(), opts)).toEqual({
      checked: 0,
      written: 0,
      requests: 0,
      gone: 0,
    });
  });

  it("a product hard-deleted in Bling is inactivated in Zydon when its batch comes round; nothing else changes", async () => {
    const ctx = await t.context();
    ctx.bling.maxBalanceBatch = 3;
    await simples(ctx, 6);
    for (let i = 1; i <= 6; i++)
      ctx.zydon.putProduct({ sku: `S${i}`, name: `S${i}`, active: true, price: 1, variations: [] });
    // Zydon ids of the fake are its own: relink to them.
    for (let i = 1; i <= 6; i++) {
      const z = ctx.zydon.productBySku(`S${i}`);
      await links(ctx).upsert({
        tenantId: ctx.tenantId,
        entity: "product",
        blingId: `b${i}`,
        zydonId: z?.id as string,
        naturalKey: `S${i}`,
        data: { kind: "simple", productZydonId: z?.id as string },
      });
    }
    for (const i of [1, 2, 4, 6]) ctx.bling.setBalance(`b${i}`, [bal("dep-geral", i)]);
    const opts = { intervalMs: 60_000, rotationMs: 60_000 };
    await reconcileStock(ctx, opts);
    const writesBefore = ctx.zydon.writes();
    // b5 (zero stock, absent from balances) is deleted for good; b3 (also zero) stays.
    ctx.bling.products.delete("b5");
    const r = await reconcileStock(ctx, opts);
    expect(r).toMatchObject({ checked: 6, gone: 1 });
    expect(ctx.zydon.productBySku("S5")?.write.active).toBe(false);
    for (const i of [1, 2, 3, 4, 6]) expect(ctx.zydon.productBySku(`S${i}`)?.write.active).toBe(true);
    expect(ctx.zydon.writes() - writesBefore).toBe(1);
    expect(ctx.bling.log.count("getProduct")).toBe(1);
    // Once inactivated it is not re-read again.
    await reconcileStock(ctx, opts);
    expect(ctx.bling.log.count("getProduct")).toBe(2);
    expect(ctx.zydon.writes() - writesBefore).toBe(1);
  });

  it("10,000 products with webhooks lost: a stock change is in Zydon within the bound's requests (≤ 5 min)", async () => {
    const ctx = await t.context();
    const n = 10_000;
    const rows = [];
    for (let i = 1; i <= n; i++) {
      ctx.bling.putProduct(blingProduct({ id: `b${i}`, codigo: `S${i}` }));
      // A tenth at zero stock (absent from balances, so their batches pay the existence check).
      if (i % 10 !== 0) ctx.bling.setBalance(`b${i}`, [bal("dep-geral", 5)]);
      rows.push({
        tenantId: ctx.tenantId,
        entity: "product" as const,
        blingId: `b${i}`,
        zydonId: `z${i}`,
        naturalKey: `S${i}`,
        data: { kind: "simple", productZydonId: `z${i}`, stockQty: i % 10 === 0 ? 0 : 5 },
      });
    }
    for (let i = 0; i < rows.length; i += 1_000)
      await ctx.db.insert(entityLinks).values(rows.slice(i, i + 1_000));
    const opts = { intervalMs: 60_000 };
    const bound = reconcileBound(n, opts);
    // 100 batches over a 4-minute rotation: 25 batches (50 requests at most) a run, 4 runs, ≤ 5 min.
    expect(bound).toEqual({ batches: 100, requestsPerRun: 50, rotationMs: 240_000, worstDelayMs: 300_000 });
    expect(bound.requestsPerRun / 60).toBeLessThan(2 / 2); // under half of the 2 req/s share
    // The change lands right after its batch was read: the worst case, a whole rotation later.
    await reconcileStock(ctx, opts);
    ctx.bling.setBalance("b1", [bal("dep-geral", 77)]);
    const before = ctx.bling.log.calls.length;
    let runs = 0;
    while (ctx.zydon.stockOf(simple(1)) !== 77) {
      const r = await reconcileStock(ctx, opts);
      expect(r.requests).toBeLessThanOrEqual(bound.requestsPerRun);
      runs++;
      expect(runs).toBeLessThanOrEqual(bound.rotationMs / opts.intervalMs);
    }
    expect(ctx.bling.log.calls.length - before).toBeLessThanOrEqual(
      (bound.rotationMs / opts.intervalMs) * bound.requestsPerRun,
    );
  }, 120_000);
});
