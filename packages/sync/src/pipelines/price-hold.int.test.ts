import { linkData, TenantsRepository } from "@zb/db";
import { describe, expect, it } from "vitest";
import { blingProduct, blingVariation } from "../test-support/fake-bling.js";
import { ledgerRows, links, type TestContext, useSyncTestDatabase } from "../test-support/test-context.js";
import { decidePriceHold } from "./price-hold.js";
import { pricesPipeline } from "./prices.js";
import { syncProduct } from "./products.js";

const t = useSyncTestDatabase();

const resync = (ctx: TestContext) => ({ resyncProduct: (id: string) => syncProduct(ctx, id) });

async function holdRow(ctx: TestContext, sku: string) {
  return (await ledgerRows(ctx, "price")).find(
    (r) => r.entityKey === sku && r.action === "jump" && r.outcome === "skipped",
  );
}

async function holdState(ctx: TestContext, entity: "product" | "variation", sku: string) {
  const l = await links(ctx).byNaturalKey(ctx.tenantId, entity, sku);
  return l ? linkData(l).priceHold : undefined;
}

describe("price-jump guard: base prices", () => {
  it("holds a move above the limit (the rest of the product and other products go through), then applies it", async () => {
    const ctx = await t.context();
    const a = ctx.bling.putProduct(blingProduct({ codigo: "JMP-A", nome: "Caneta", preco: 40 }));
    const b = ctx.bling.putProduct(blingProduct({ codigo: "JMP-B", nome: "Lápis", preco: 10 }));
    await syncProduct(ctx, a.id);
    await syncProduct(ctx, b.id);

    ctx.bling.editProduct(a.id, { preco: 100, nome: "Caneta azul" });
    ctx.bling.editProduct(b.id, { preco: 14 });
    expect(await syncProduct(ctx, a.id)).toBe("updated");
    expect(await syncProduct(ctx, b.id)).toBe("updated");
    // The name went through with the old price; the other product's +40% went through whole.
    expect(ctx.zydon.productBySku("JMP-A")?.write).toMatchObject({ name: "Caneta azul", price: 40 });
    expect(ctx.zydon.productBySku("JMP-B")?.write.price).toBe(14);
    const held = await holdRow(ctx, "JMP-A");
    expect(held).toMatchObject({
      resolvedAt: null,
      attempts: 1,
      details: {
        from: 40,
        to: 100,
        source: "base",
        linkEntity: "product",
        blingId: a.id,
        name: "Caneta azul",
      },
    });
    expect(held?.reason).toContain("+150%");
    expect(held?.reason).toContain("limite de 50%");
    expect(held?.reason).toContain("R$\u00a040,00");
    expect(await holdRow(ctx, "JMP-B")).toBeUndefined();
    expect(await holdState(ctx, "product", "JMP-A")).toEqual({ base: { held: 100 } });

    // Seen again (a poll, a webhook): nothing written, no second row, no extra attempt.
    const writes = ctx.zydon.writes();
    expect(await syncProduct(ctx, a.id)).toBe("unchanged");
    expect(ctx.zydon.writes()).toBe(writes);
    expect((await holdRow(ctx, "JMP-A"))?.attempts).toBe(1);

    expect(await decidePriceHold(ctx, held?.id as number, "apply", resync(ctx))).toBe("applied");
    expect(ctx.zydon.productBySku("JMP-A")?.write.price).toBe(100);
    const rows = await ledgerRows(ctx, "price");
    expect(rows.find((r) => r.action === "jump" && r.outcome === "skipped")?.resolvedAt).not.toBeNull();
    expect(rows.find((r) => r.action === "jump" && r.outcome === "synced")?.reason).toBe(
      "Novo preço aplicado pelo lojista: R$\u00a0100,00 (antes R$\u00a040,00).",
    );
    expect(rows.find((r) => r.entityKey === "JMP-A" && r.action === "update")?.details).toMatchObject({
      from: 40,
      to: 100,
    });
    expect((await holdState(ctx, "product", "JMP-A"))?.base).toBeUndefined();
    // Decided once: the second click changes nothing.
    expect(await decidePriceHold(ctx, held?.id as number, "discard", resync(ctx))).toBe("not_held");
    expect(ctx.zydon.productBySku("JMP-A")?.write.price).toBe(100);
  });

  it("a discarded price stays out while Bling keeps it; the next different price is judged afresh", async () => {
    const ctx = await t.context();
    const a = ctx.bling.putProduct(blingProduct({ codigo: "JMP-C", preco: 50 }));
    await syncProduct(ctx, a.id);
    ctx.bling.editProduct(a.id, { preco: 5 });
    await syncProduct(ctx, a.id);
    const held = await holdRow(ctx, "JMP-C");
    expect(held?.reason).toContain("-90%");

    expect(await decidePriceHold(ctx, held?.id as number, "discard", resync(ctx))).toBe("discarded");
    expect((await ledgerRows(ctx, "price")).find((r) => r.outcome === "synced")?.reason).toBe(
      "Novo preço descartado pelo lojista: o Zydon fica com R$\u00a050,00 enquanto o Bling mantiver R$\u00a05,00.",
    );
    const writes = ctx.zydon.writes();
    expect(await syncProduct(ctx, a.id)).toBe("unchanged");
    expect(ctx.zydon.writes()).toBe(writes);
    expect(await holdRow(ctx, "JMP-C")).toMatchObject({ resolvedAt: expect.any(Date) });

    ctx.bling.editProduct(a.id, { preco: 55 });
    expect(await syncProduct(ctx, a.id)).toBe("updated");
    expect(ctx.zydon.productBySku("JMP-C")?.write.price).toBe(55);
    expect((await holdState(ctx, "product", "JMP-C"))?.base).toBeUndefined();
  });

  it("a hold Bling goes back on is closed by itself; a variation is held alone", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(
      blingProduct({
        codigo: "JMP-CAM",
        formato: "V",
        preco: 30,
        variacoes: [
          blingVariation({ id: "9001", codigo: "JMP-CAM-P", preco: 30 }),
          blingVariation({ id: "9002", codigo: "JMP-CAM-M", preco: 30 }),
        ],
      }),
    );
    await syncProduct(ctx, p.id);
    ctx.bling.editProduct(p.id, {
      variacoes: [
        blingVariation({ id: "9001", codigo: "JMP-CAM-P", preco: 90 }),
        blingVariation({ id: "9002", codigo: "JMP-CAM-M", preco: 33 }),
      ],
    });
    await syncProduct(ctx, p.id);
    const prices = Object.fromEntries(
      (ctx.zydon.productBySku("JMP-CAM")?.write.variations ?? []).map((v) => [v.sku, v.price]),
    );
    expect(prices).toEqual({ "JMP-CAM-P": 30, "JMP-CAM-M": 33 });
    expect((await holdRow(ctx, "JMP-CAM-P"))?.details).toMatchObject({
      linkEntity: "variation",
      blingId: p.id,
    });
    expect(await holdState(ctx, "variation", "JMP-CAM-P")).toEqual({ base: { held: 90 } });

    ctx.bling.editProduct(p.id, {
      variacoes: [
        blingVariation({ id: "9001", codigo: "JMP-CAM-P", preco: 30 }),
        blingVariation({ id: "9002", codigo: "JMP-CAM-M", preco: 33 }),
      ],
    });
    await syncProduct(ctx, p.id);
    expect(await holdRow(ctx, "JMP-CAM-P")).toMatchObject({ resolvedAt: expect.any(Date) });
    expect(
      (await ledgerRows(ctx, "price")).find((r) => r.entityKey === "JMP-CAM-P" && r.outcome === "synced")
        ?.reason,
    ).toBe("O Bling voltou ao preço anterior: nada a aplicar.");
  });

  it("switched off in Configurações, every price is written", async () => {
    const ctx = await t.context({ settings: { price: { jumpGuardPercent: null } } });
    const a = ctx.bling.putProduct(blingProduct({ codigo: "JMP-D", preco: 10 }));
    await syncProduct(ctx, a.id);
    ctx.bling.editProduct(a.id, { preco: 1000 });
    await syncProduct(ctx, a.id);
    expect(ctx.zydon.productBySku("JMP-D")?.write.price).toBe(1000);
    expect(await holdRow(ctx, "JMP-D")).toBeUndefined();
  });

  it("a limit of 200% lets +150% through and holds +250%", async () => {
    const ctx = await t.context({ settings: { price: { jumpGuardPercent: 200 } } });
    const a = ctx.bling.putProduct(blingProduct({ codigo: "JMP-E", preco: 10 }));
    await syncProduct(ctx, a.id);
    ctx.bling.editProduct(a.id, { preco: 25 });
    await syncProduct(ctx, a.id);
    expect(ctx.zydon.productBySku("JMP-E")?.write.price).toBe(25);
    ctx.bling.editProduct(a.id, { preco: 87.5 });
    await syncProduct(ctx, a.id);
    expect(ctx.zydon.productBySku("JMP-E")?.write.price).toBe(25);
    expect((await holdRow(ctx, "JMP-E"))?.reason).toContain("limite de 200%");
  });
});

describe("price-jump guard: store prices", () => {
  const storeSettings = {
    price: { source: "store", blingStoreId: "203950523", zydonPriceTableId: "tab-app" },
  };

  it("holds one store price, writes the others, and Aplicar writes it straight into the app's table", async () => {
    const ctx = await t.context({ settings: storeSettings });
    for (const [bling, sku] of [
      ["501", "LJ-1"],
      ["502", "LJ-2"],
    ] as const)
      await links(ctx).upsert({
        tenantId: ctx.tenantId,
        entity: "product",
        blingId: bling,
        zydonId: `zp-${bling}`,
        naturalKey: sku,
        data: { kind: "simple", productZydonId: `zp-${bling}`, storePrice: 20 },
      });
    ctx.bling.storePrices.set("203950523", [
      { productId: "501", preco: 60, precoPromocional: null },
      { productId: "502", preco: 22, precoPromocional: null },
    ]);
    await pricesPipeline.runPage(ctx, 1);
    expect(ctx.zydon.priceTablePriceOf("tab-app", { productId: "zp-501", variationId: null })).toBe(20);
    expect(ctx.zydon.priceTablePriceOf("tab-app", { productId: "zp-502", variationId: null })).toBe(22);
    const held = await holdRow(ctx, "LJ-1");
    expect(held?.details).toMatchObject({ from: 20, to: 60, source: "store", blingId: "501" });
    expect(held?.reason).toContain("A tabela de preço da loja no Zydon continua com R$\u00a020,00");

    expect(await decidePriceHold(ctx, held?.id as number, "apply", resync(ctx))).toBe("applied");
    expect(ctx.zydon.priceTablePriceOf("tab-app", { productId: "zp-501", variationId: null })).toBe(60);
    const l = await links(ctx).byNaturalKey(ctx.tenantId, "product", "LJ-1");
    expect(linkData(l ?? { data: null })).toMatchObject({ storePrice: 60 });
    expect(linkData(l ?? { data: null }).priceHold?.store).toBeUndefined();
    // The next pass finds the table at Bling's price: nothing held again.
    await pricesPipeline.runPage(ctx, 1);
    expect(await holdRow(ctx, "LJ-1")).toMatchObject({ resolvedAt: expect.any(Date) });
  });

  it("a store price applied after the merchant made Zydon the owner of prices is not written", async () => {
    const ctx = await t.context({ settings: storeSettings });
    await links(ctx).upsert({
      tenantId: ctx.tenantId,
      entity: "product",
      blingId: "601",
      zydonId: "zp-601",
      naturalKey: "LJ-6",
      data: { kind: "simple", productZydonId: "zp-601", storePrice: 20 },
    });
    ctx.bling.storePrices.set("203950523", [{ productId: "601", preco: 60, precoPromocional: null }]);
    await pricesPipeline.runPage(ctx, 1);
    const held = await holdRow(ctx, "LJ-6");
    // Saved on the page while the job's context still says Bling owns prices.
    await new TenantsRepository(ctx.db).updateSettings(ctx.tenantId, {
      ...storeSettings,
      ownership: { price: "zydon" },
    });
    const writes = ctx.zydon.log.count("setPriceTablePrices");
    expect(await decidePriceHold(ctx, held?.id as number, "apply", resync(ctx))).toBe("applied");
    expect(ctx.zydon.log.count("setPriceTablePrices")).toBe(writes);
    expect(ctx.zydon.priceTablePriceOf("tab-app", { productId: "zp-601", variationId: null })).toBe(20);
  });
});
