import { TenantsRepository } from "@zb/db";
import { describe, expect, it } from "vitest";
import { blingProduct, blingVariation } from "../test-support/fake-bling.js";
import { ledgerRows, links, useSyncTestDatabase } from "../test-support/test-context.js";
import { auditDrift } from "./drift.js";
import { syncProduct } from "./products.js";
import { refreshStock } from "./stock.js";

/** Issue 18 #2: per field group, "o app mantém igual ao Bling" or "o Zydon é dono". */
const t = useSyncTestDatabase();

const zydonOwns = (...groups: string[]) => ({
  ownership: Object.fromEntries(groups.map((g) => [g, "zydon"])),
});

describe("field ownership", () => {
  it("an update leaves the groups Zydon owns as the merchant edited them there, and keeps mirroring the rest", async () => {
    const ctx = await t.context({ settings: zydonOwns("content", "dimensions", "price", "active") });
    const p = ctx.bling.putProduct(
      blingProduct({
        codigo: "CAM-1",
        nome: "Camiseta",
        preco: 50,
        descricaoCurta: "Algodão",
        pesoLiquido: 0.2,
        gtin: "111",
        formato: "V",
        variacoes: [blingVariation({ codigo: "CAM-1-P", nome: "Camiseta Tamanho:P", preco: 50 })],
      }),
    );
    // A product new to Zydon gets Bling's values once, whatever the ownership.
    expect(await syncProduct(ctx, p.id)).toBe("created");
    const z = ctx.zydon.productBySku("CAM-1");
    expect(z?.write).toMatchObject({
      name: "Camiseta",
      price: 50,
      short_description: "Algodão",
      active: true,
    });

    // The merchant edits in Zydon: a better name and description, a sale price, another weight.
    if (!z) throw new Error("no product");
    z.write = {
      ...z.write,
      name: "Camiseta Premium",
      short_description: "Algodão egípcio, escrita pelo lojista",
      price: 39.9,
      product_weight: 0.25,
      variations: z.write.variations.map((v) => ({ ...v, price: 39.9 })),
    };
    // Bling changes everything (and the GTIN, which Bling still owns).
    ctx.bling.editProduct(p.id, {
      nome: "Camiseta básica",
      preco: 55,
      descricaoCurta: "Algodão 100%",
      pesoLiquido: 0.3,
      gtin: "222",
      variacoes: p.variacoes.map((v) => ({ ...v, preco: 55 })),
    });
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    const after = ctx.zydon.productBySku("CAM-1")?.write;
    expect(after).toMatchObject({
      name: "Camiseta Premium",
      short_description: "Algodão egípcio, escrita pelo lojista",
      price: 39.9,
      product_weight: 0.25,
      active: true,
      ean_gtin: "222",
    });
    expect(after?.variations.map((v) => [v.sku, v.price])).toEqual([["CAM-1-P", 39.9]]);
    // No price row for a price the app did not write.
    expect(await ledgerRows(ctx, "price")).toEqual([]);

    // Inactive in Bling: Zydon owns active/inactive, so nothing is written.
    const writes = ctx.zydon.writes();
    ctx.bling.editProduct(p.id, { situacao: "I" });
    expect(await syncProduct(ctx, p.id)).toBe("skipped");
    expect(ctx.zydon.writes()).toBe(writes);
    expect(ctx.zydon.productBySku("CAM-1")?.write.active).toBe(true);
  });

  it("handing a group back to Bling rewrites it at the next sync", async () => {
    const owned = await t.context({ settings: zydonOwns("content") });
    const p = owned.bling.putProduct(blingProduct({ codigo: "CAN-1", nome: "Caneca", preco: 20 }));
    await syncProduct(owned, p.id);
    const z = owned.zydon.productBySku("CAN-1");
    if (!z) throw new Error("no product");
    z.write = { ...z.write, name: "Caneca do lojista" };
    expect(await syncProduct(owned, p.id)).toBe("unchanged");
    owned.bling.editProduct(p.id, { nome: "Caneca 300 ml" });
    await syncProduct(owned, p.id);
    expect(owned.zydon.productBySku("CAN-1")?.write.name).toBe("Caneca do lojista");

    // The merchant hands names back to Bling: a job already running reads it at its next product.
    await new TenantsRepository(t.db).updateSettings(owned.tenantId, { ownership: { content: "bling" } });
    expect(await syncProduct(owned, p.id)).toBe("updated");
    expect(owned.zydon.productBySku("CAN-1")?.write.name).toBe("Caneca 300 ml");
  });

  it("stock owned by Zydon: a record gets Bling's balance once, never again", async () => {
    const ctx = await t.context({ settings: zydonOwns("stock") });
    const p = ctx.bling.putProduct(blingProduct({ codigo: "PAR-9", nome: "Parafuso", preco: 1 }));
    await syncProduct(ctx, p.id);
    const target = { productId: ctx.zydon.productBySku("PAR-9")?.id ?? "", variationId: null };
    ctx.bling.setBalance(p.id, [{ id: "dep-geral", saldoFisico: 10, saldoVirtual: 10 }]);
    expect(await refreshStock(ctx, [p.id])).toBe(1);
    expect(ctx.zydon.stockOf(target)).toBe(10);
    ctx.bling.setBalance(p.id, [{ id: "dep-geral", saldoFisico: 0, saldoVirtual: 0 }]);
    expect(await refreshStock(ctx, [p.id])).toBe(0);
    expect(ctx.zydon.stockOf(target)).toBe(10);
    // And no Bling request is spent on a balance that would not be written.
    expect(ctx.bling.log.count("getBalances")).toBe(1);
  });

  it("images owned by Zydon: only a product the app creates gets Bling's images", async () => {
    const ctx = await t.context({ settings: zydonOwns("images") });
    const p = ctx.bling.putProduct(
      blingProduct({ codigo: "IMG-1", nome: "Vaso", preco: 9, imageUrls: ["https://cdn.test/a.png"] }),
    );
    await syncProduct(ctx, p.id);
    expect(ctx.enqueued.images).toEqual([p.id]);
    ctx.bling.editProduct(p.id, { imageUrls: ["https://cdn.test/b.png"] });
    await syncProduct(ctx, p.id);
    expect(ctx.enqueued.images).toEqual([p.id]);
  });

  it("the drift audit takes a product off in Bling but on in Zydon as the merchant's choice when Zydon owns active", async () => {
    const ctx = await t.context({ settings: zydonOwns("active") });
    const p = ctx.bling.putProduct(blingProduct({ codigo: "DRF-1", nome: "Lixa", preco: 2 }));
    await syncProduct(ctx, p.id);
    ctx.bling.editProduct(p.id, { situacao: "I" });
    const report = await auditDrift(ctx);
    expect(report.goneFromBling).toBe(0);
    expect(ctx.zydon.productBySku("DRF-1")?.write.active).toBe(true);
    expect((await links(ctx).byBlingId(ctx.tenantId, "product", p.id))?.zydonId).toBeTruthy();
  });
});
