import { linkData } from "@zb/db";
import { describe, expect, it } from "vitest";
import { blingProduct, blingVariation } from "../test-support/fake-bling.js";
import { ledgerRows, links, type TestContext, useSyncTestDatabase } from "../test-support/test-context.js";
import { auditDrift } from "./drift.js";
import { syncProduct, syncProductImages } from "./products.js";
import { refreshStock } from "./stock.js";

const t = useSyncTestDatabase();

/** Three products synced to Zydon, as after a healthy initial sync. */
async function catalog() {
  const ctx = await t.context();
  const [a, b, c] = ["A-1", "B-1", "C-1"].map((codigo) => ctx.bling.putProduct(blingProduct({ codigo })));
  if (!a || !b || !c) throw new Error("catalog");
  for (const p of [a, b, c]) await syncProduct(ctx, p.id);
  return { ctx, a, b, c };
}

function skus(ctx: TestContext): string[] {
  return [...ctx.zydon.products.values()].map((p) => p.write.sku).sort();
}

describe("auditDrift", () => {
  it("a healthy catalog: nothing found, nothing written, no audit ledger row", async () => {
    const { ctx } = await catalog();
    const writes = ctx.zydon.writes();
    expect(await auditDrift(ctx)).toEqual({
      blingProducts: 3,
      unlinked: 0,
      goneFromBling: 0,
      missingInZydon: 0,
      repaired: 0,
    });
    expect(ctx.zydon.writes()).toBe(writes);
    expect((await ledgerRows(ctx, "product")).filter((r) => r.entityKey === "auditoria")).toEqual([]);
  });

  it("heals a product deleted by hand in Zydon, a lost link and a missed inactivation, without duplicates", async () => {
    const { ctx, a, b, c } = await catalog();
    const zb = ctx.zydon.productBySku("B-1")?.id ?? "";
    const zc = ctx.zydon.productBySku("C-1")?.id ?? "";
    // A: deleted by hand in Zydon. B: its link was lost. C: inactivated in Bling, the webhook and poll missed.
    ctx.zydon.products.delete(ctx.zydon.productBySku("A-1")?.id ?? "");
    await links(ctx).deleteByBlingId(ctx.tenantId, "product", b.id);
    ctx.bling.products.set(c.id, { ...c, situacao: "I" });

    expect(await auditDrift(ctx)).toEqual({
      blingProducts: 2,
      unlinked: 1,
      goneFromBling: 1,
      missingInZydon: 1,
      repaired: 3,
    });
    expect(skus(ctx)).toEqual(["A-1", "B-1", "C-1"]);
    const za = ctx.zydon.productBySku("A-1")?.id;
    expect((await links(ctx).byBlingId(ctx.tenantId, "product", a.id))?.zydonId).toBe(za);
    // B is found by SKU and linked again, not created a second time.
    expect((await links(ctx).byBlingId(ctx.tenantId, "product", b.id))?.zydonId).toBe(zb);
    expect(
      ctx.zydon.log
        .argsOf("createProduct")
        .slice(3)
        .map((x) => (x[0] as { sku: string }).sku),
    ).toEqual(["A-1"]);
    // C is inactivated, not deleted.
    expect(ctx.zydon.products.get(zc)?.write.active).toBe(false);
    expect(
      linkData((await links(ctx).byBlingId(ctx.tenantId, "product", c.id)) ?? { data: null }).inactive,
    ).toBe(true);
    const [audit] = (await ledgerRows(ctx, "product")).filter((r) => r.entityKey === "auditoria");
    expect(audit?.reason).toBe(
      "Auditoria de divergências: 1 produto do Bling sem vínculo, 1 inativo no Bling ainda ativo no Zydon, 1 ausente no Zydon; 3 corrigidos.",
    );

    // The next audit finds nothing: the inactive product is known, nothing is written twice.
    const writes = ctx.zydon.writes();
    expect(await auditDrift(ctx)).toMatchObject({
      unlinked: 0,
      goneFromBling: 0,
      missingInZydon: 0,
      repaired: 0,
    });
    expect(ctx.zydon.writes()).toBe(writes);
    expect(skus(ctx)).toEqual(["A-1", "B-1", "C-1"]);
  });

  it("a parent deleted by hand comes back with its variations linked to the new Zydon ids", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(
      blingProduct({ codigo: "CAM", variacoes: [blingVariation({ codigo: "CAM-P" })] }),
    );
    await syncProduct(ctx, p.id);
    ctx.zydon.products.clear();

    expect(await auditDrift(ctx)).toMatchObject({ missingInZydon: 1, repaired: 1 });
    const z = ctx.zydon.productBySku("CAM");
    const v = await links(ctx).byBlingId(ctx.tenantId, "variation", p.variacoes[0]?.id ?? "");
    expect(v?.zydonId).toBe(z?.variations[0]?.id);
    expect(linkData(v ?? { data: null }).productZydonId).toBe(z?.id);
  });

  it("a product re-created by hand in Zydon under the same SKU is relinked and gets its stock and images again", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "REC-1", imageUrls: ["https://img/rec.jpg"] }));
    ctx.bling.setBalance(p.id, [{ id: "dep-geral", saldoFisico: 7, saldoVirtual: 7 }]);
    await syncProduct(ctx, p.id);
    await syncProductImages(ctx, p.id);
    await refreshStock(ctx, [p.id]);
    const old = ctx.zydon.productBySku("REC-1");
    ctx.zydon.products.delete(old?.id ?? "");
    const recreated = ctx.zydon.putProduct({
      sku: "REC-1",
      name: "À mão",
      active: true,
      price: 1,
      variations: [],
    });

    expect(await auditDrift(ctx)).toMatchObject({ missingInZydon: 1, repaired: 1 });
    expect(ctx.zydon.products.size).toBe(1);
    expect(ctx.zydon.products.get(recreated.id)?.write.name).toBe("Produto REC-1");
    expect((await links(ctx).byBlingId(ctx.tenantId, "product", p.id))?.zydonId).toBe(recreated.id);

    // The new record has no stock and no images yet: the next stock refresh and the image job must write them.
    await refreshStock(ctx, [p.id]);
    expect(ctx.zydon.stockOf({ productId: recreated.id, variationId: null })).toBe(7);
    expect(ctx.enqueued.images.filter((id) => id === p.id)).toHaveLength(2);
  });

  // Issue 17 #4: a product deleted for good in Bling (the detail read answers 404, `getProduct` → null) is
  // switched off in Zydon through its enable/disable toggle (there is nothing left to map for a full write),
  // once: the next audit does not count it again.
  it("a product deleted for good in Bling is inactivated in Zydon, once", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "GONE-1" }));
    const kept = ctx.bling.putProduct(blingProduct({ codigo: "KEPT-1" }));
    await syncProduct(ctx, p.id);
    await syncProduct(ctx, kept.id);
    ctx.bling.products.delete(p.id);
    expect(await auditDrift(ctx)).toMatchObject({ goneFromBling: 1, repaired: 1 });
    expect(ctx.zydon.productBySku("GONE-1")?.write.active).toBe(false);
    expect(ctx.zydon.productBySku("KEPT-1")?.write.active).toBe(true);
    expect(ctx.zydon.log.count("setProductActive")).toBe(1);
    expect(await auditDrift(ctx)).toMatchObject({ goneFromBling: 0, repaired: 0 });
    expect(ctx.zydon.log.count("setProductActive")).toBe(1);
  });

  it("repairs at most maxRepairs per audit; the rest wait for the next one", async () => {
    const { ctx } = await catalog();
    ctx.zydon.products.clear();
    expect(await auditDrift(ctx, { maxRepairs: 1 })).toMatchObject({ missingInZydon: 3, repaired: 1 });
    expect(ctx.zydon.products.size).toBe(1);
    expect(await auditDrift(ctx, { maxRepairs: 5 })).toMatchObject({ unlinked: 2, repaired: 2 });
    expect(skus(ctx)).toEqual(["A-1", "B-1", "C-1"]);
    expect(ctx.zydon.log.count("createProduct")).toBe(6);
  });

  it("a duplicate SKU in Bling and a product without SKU are not drift", async () => {
    const { ctx, a } = await catalog();
    ctx.bling.putProduct(blingProduct({ codigo: "A-1", nome: "Cópia" }));
    ctx.bling.putProduct(blingProduct({ codigo: "" }));
    expect(await auditDrift(ctx)).toMatchObject({ blingProducts: 5, unlinked: 0, repaired: 0 });
    expect(ctx.zydon.productBySku("A-1")?.write.name).toBe(`Produto ${a.codigo}`);
    expect(ctx.zydon.products.size).toBe(3);
  });
});
