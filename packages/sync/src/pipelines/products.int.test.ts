import { CursorsRepository, linkData } from "@zb/db";
import { describe, expect, it } from "vitest";
import { zydonErrors } from "../test-support/call-log.js";
import { blingProduct, blingVariation } from "../test-support/fake-bling.js";
import { ledgerRows, links, useSyncTestDatabase } from "../test-support/test-context.js";
import { productsPipeline, syncProduct, syncProductImages } from "./products.js";

const t = useSyncTestDatabase();

describe("syncProduct", () => {
  it("creates a simple product in Zydon, links it and ledgers it; a second run writes nothing", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(
      blingProduct({ codigo: "PAR-1", nome: "Parafuso 3mm", preco: 0.35, marca: "Ciser", gtin: "789" }),
    );

    expect(await syncProduct(ctx, p.id)).toBe("created");
    const z = ctx.zydon.productBySku("PAR-1");
    expect(z?.write).toMatchObject({
      sku: "PAR-1",
      name: "Parafuso 3mm",
      price: 0.35,
      active: true,
      brand_name: "Ciser",
      ean_gtin: "789",
    });
    const link = await links(ctx).byBlingId(ctx.tenantId, "product", p.id);
    expect(link).toMatchObject({ zydonId: z?.id, naturalKey: "PAR-1" });
    expect(link?.contentHash).toBeTruthy();
    expect(linkData(link ?? { data: null })).toMatchObject({ kind: "simple", productZydonId: z?.id });
    expect(await ledgerRows(ctx, "product")).toMatchObject([
      { entityKey: "PAR-1", outcome: "synced", reason: "Produto criado no Zydon." },
    ]);

    const writes = ctx.zydon.writes();
    expect(await syncProduct(ctx, p.id)).toBe("unchanged");
    expect(ctx.zydon.writes()).toBe(writes);
    expect(ctx.zydon.log.count("findProductBySku")).toBe(1);
    expect(await ledgerRows(ctx, "product")).toHaveLength(1);
  });

  it("an edited product is updated in place (same Zydon id, no second create)", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "PAR-2", nome: "Parafuso", preco: 1 }));
    await syncProduct(ctx, p.id);
    const id = ctx.zydon.productBySku("PAR-2")?.id;

    ctx.bling.editProduct(p.id, { nome: "Parafuso inox", preco: 1.4, descricaoCurta: "  Aço inox  " });
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    expect(ctx.zydon.products.size).toBe(1);
    expect(ctx.zydon.log.count("createProduct")).toBe(1);
    expect(ctx.zydon.log.argsOf("updateProduct").map((a) => a[0])).toEqual([id]);
    expect(ctx.zydon.productBySku("PAR-2")?.write).toMatchObject({
      name: "Parafuso inox",
      price: 1.4,
      short_description: "Aço inox",
    });
    expect((await ledgerRows(ctx, "product"))[0]).toMatchObject({
      reason: "Produto atualizado no Zydon.",
      details: { name: "Parafuso inox" },
    });
    // The price change is its own Histórico row, kind "price", old → new (filter Tipo = Preço finds it).
    expect(await ledgerRows(ctx, "price")).toMatchObject([
      { entityKey: "PAR-2", outcome: "synced", details: { name: "Parafuso inox", from: 1, to: 1.4 } },
    ]);
    // An edit that leaves the price alone writes no price row.
    ctx.bling.editProduct(p.id, { nome: "Parafuso inox 3mm" });
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    expect((await ledgerRows(ctx, "price"))[0]?.details).toMatchObject({ from: 1, to: 1.4 });
    expect(
      linkData((await links(ctx).byBlingId(ctx.tenantId, "product", p.id)) ?? { data: null }).price,
    ).toBe(1.4);
  });

  it("a SKU Zydon already has (no link yet) is updated and linked, not created twice", async () => {
    const ctx = await t.context();
    const existing = ctx.zydon.putProduct({
      sku: "PAR-3",
      name: "Antigo",
      active: true,
      price: 1,
      variations: [],
    });
    const p = ctx.bling.putProduct(blingProduct({ codigo: "PAR-3", nome: "Novo" }));
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    expect(ctx.zydon.log.count("createProduct")).toBe(0);
    expect(ctx.zydon.products.get(existing.id)?.write.name).toBe("Novo");
    expect((await links(ctx).byBlingId(ctx.tenantId, "product", p.id))?.zydonId).toBe(existing.id);
  });

  it("a parent with variations: one Zydon product with its variations, each linked; a variation id syncs its parent", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(
      blingProduct({
        codigo: "CAM",
        nome: "Camiseta",
        preco: 50,
        variacoes: [
          blingVariation({ codigo: "CAM-P", preco: 0, axes: [{ name: "Tamanho", value: "P" }] }),
          blingVariation({ codigo: "CAM-M", preco: 55, axes: [{ name: "Tamanho", value: "M" }] }),
          blingVariation({ codigo: "", nome: "Tamanho G" }),
        ],
      }),
    );
    const [vp, vm] = p.variacoes;

    // A webhook for the variation: the parent is read and written.
    expect(await syncProduct(ctx, vm?.id ?? "")).toBe("created");
    expect(ctx.bling.log.argsOf("getProduct")).toEqual([[vm?.id], [p.id]]);
    const z = ctx.zydon.productBySku("CAM");
    expect(z?.write.variations).toMatchObject([
      { sku: "CAM-P", price: 50, values: [{ name: "Tamanho", value: "P" }], active: true },
      { sku: "CAM-M", price: 55 },
    ]);
    expect(linkData((await links(ctx).byBlingId(ctx.tenantId, "product", p.id)) ?? { data: null }).kind).toBe(
      "parent",
    );
    for (const [v, sku, price] of [
      [vp, "CAM-P", 50],
      [vm, "CAM-M", 55],
    ] as const) {
      const l = await links(ctx).byBlingId(ctx.tenantId, "variation", v?.id ?? "");
      const zv = z?.variations.find((x) => x.sku === sku);
      expect(l).toMatchObject({ zydonId: zv?.id, naturalKey: sku });
      expect(linkData(l ?? { data: null })).toMatchObject({
        kind: "variation",
        productZydonId: z?.id,
        variationZydonId: zv?.id,
        parentBlingId: p.id,
        price,
      });
    }
    const skipped = (await ledgerRows(ctx, "product")).find((r) => r.outcome === "skipped");
    expect(skipped?.reason).toContain('Variação "Tamanho G" do produto CAM está sem código (SKU)');

    // A new variation in Bling: the product is updated and the new variation linked.
    ctx.bling.editProduct(p.id, {
      variacoes: [...p.variacoes, blingVariation({ id: "990", codigo: "CAM-GG", preco: 60 })],
    });
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    expect(ctx.zydon.productBySku("CAM")?.variations.map((v) => v.sku)).toEqual(["CAM-P", "CAM-M", "CAM-GG"]);
    expect((await links(ctx).byBlingId(ctx.tenantId, "variation", "990"))?.naturalKey).toBe("CAM-GG");
    expect(ctx.zydon.products.size).toBe(1);
  });

  it("a product inactivated (I) or deleted (E) in Bling is inactivated in Zydon, once; reactivation writes it active", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "INA-1" }));
    await syncProduct(ctx, p.id);
    const zid = ctx.zydon.productBySku("INA-1")?.id;

    ctx.bling.editProduct(p.id, { situacao: "I" });
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    expect(ctx.zydon.products.get(zid ?? "")?.write.active).toBe(false);
    expect(ctx.zydon.products.size).toBe(1);
    const link = await links(ctx).byBlingId(ctx.tenantId, "product", p.id);
    expect(linkData(link ?? { data: null }).inactive).toBe(true);
    expect((await ledgerRows(ctx, "product"))[0]?.reason).toBe(
      "Produto INA-1 inativado no Zydon: está inativo no Bling.",
    );

    const writes = ctx.zydon.writes();
    expect(await syncProduct(ctx, p.id)).toBe("unchanged");
    expect(ctx.zydon.writes()).toBe(writes);

    ctx.bling.editProduct(p.id, { situacao: "A" });
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    expect(ctx.zydon.products.get(zid ?? "")?.write.active).toBe(true);
    expect(
      linkData((await links(ctx).byBlingId(ctx.tenantId, "product", p.id)) ?? { data: null }).inactive,
    ).toBe(false);

    ctx.bling.editProduct(p.id, { situacao: "E" });
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    expect(ctx.zydon.products.get(zid ?? "")?.write.active).toBe(false);
    expect((await ledgerRows(ctx, "product"))[0]?.reason).toBe(
      "Produto INA-1 inativado no Zydon: está excluído no Bling.",
    );
  });

  it("an inactive product never synced is not sent to Zydon", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "INA-2", situacao: "I" }));
    expect(await syncProduct(ctx, p.id)).toBe("skipped");
    expect(ctx.zydon.log.count()).toBe(0);
  });

  it("a duplicate SKU: the first Bling product wins, the second is skipped with a pt-BR reason", async () => {
    const ctx = await t.context();
    const first = ctx.bling.putProduct(blingProduct({ codigo: "DUP-1", nome: "Primeiro" }));
    const second = ctx.bling.putProduct(blingProduct({ codigo: "DUP-1", nome: "Segundo" }));

    expect(await syncProduct(ctx, first.id)).toBe("created");
    expect(await syncProduct(ctx, second.id)).toBe("skipped");
    expect(ctx.zydon.products.size).toBe(1);
    expect(ctx.zydon.productBySku("DUP-1")?.write.name).toBe("Primeiro");
    expect(ctx.zydon.log.count("updateProduct")).toBe(0);
    expect(await links(ctx).byBlingId(ctx.tenantId, "product", second.id)).toBeUndefined();
    const [row] = await ledgerRows(ctx, "product");
    expect(row).toMatchObject({
      entityKey: "DUP-1",
      outcome: "skipped",
      details: { blingId: second.id, conflictsWith: first.id },
    });
    expect(row?.reason).toBe(
      "SKU DUP-1 duplicado no Bling (já usado por outro produto ou variação); use um código único para cada produto e variação.",
    );

    // A variation whose SKU is another product's SKU is a duplicate too.
    const parent = ctx.bling.putProduct(
      blingProduct({ codigo: "CAM-2", variacoes: [blingVariation({ codigo: "DUP-1" })] }),
    );
    expect(await syncProduct(ctx, parent.id)).toBe("skipped");
    expect(ctx.zydon.productBySku("CAM-2")).toBeUndefined();
  });

  // The duplicate's warning shares its key (the SKU) with the winner's rows but has its own action, so the
  // winner's next success leaves it open; it closes once the duplicate itself reaches Zydon.
  it("the duplicate-SKU warning stays open after the winning product is updated, and closes when fixed", async () => {
    const ctx = await t.context();
    const first = ctx.bling.putProduct(blingProduct({ codigo: "DUP-2", nome: "Primeiro" }));
    const second = ctx.bling.putProduct(blingProduct({ codigo: "DUP-2", nome: "Segundo" }));
    await syncProduct(ctx, first.id);
    await syncProduct(ctx, second.id);
    ctx.bling.editProduct(first.id, { nome: "Primeiro editado" });
    expect(await syncProduct(ctx, first.id)).toBe("updated");
    const warning = (await ledgerRows(ctx, "product")).find((r) => r.outcome === "skipped");
    expect(warning).toMatchObject({ entityKey: "DUP-2", action: "duplicate", resolvedAt: null });
    // The merchant gives the second product its own code: it syncs, and its warning is over.
    ctx.bling.editProduct(second.id, { codigo: "DUP-2B" });
    expect(await syncProduct(ctx, second.id)).toBe("created");
    const after = (await ledgerRows(ctx, "product")).find((r) => r.id === warning?.id);
    expect(after?.resolvedAt).not.toBeNull();
  });

  it("a product skipped for a blank code is resolved once it has one and syncs", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: " ", nome: "Ainda sem código" }));
    expect(await syncProduct(ctx, p.id)).toBe("skipped");
    ctx.bling.editProduct(p.id, { codigo: "COD-NOVO" });
    expect(await syncProduct(ctx, p.id)).toBe("created");
    const skip = (await ledgerRows(ctx, "product")).find((r) => r.entityKey === `bling:${p.id}`);
    expect(skip?.outcome).toBe("skipped");
    expect(skip?.resolvedAt).not.toBeNull();
  });

  it("a product without SKU is skipped with a pt-BR reason", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "  ", nome: "Sem código" }));
    expect(await syncProduct(ctx, p.id)).toBe("skipped");
    expect(ctx.zydon.log.count()).toBe(0);
    expect(await ledgerRows(ctx, "product")).toMatchObject([
      {
        entityKey: `bling:${p.id}`,
        outcome: "skipped",
        reason: 'Produto "Sem código" está sem código (SKU) no Bling; preencha o código para sincronizá-lo.',
      },
    ]);
  });

  it("Zydon refusing the product is a retryable failure (no link); a 5xx is rethrown for the job", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "REF-1" }));
    ctx.zydon.log.fail("createProduct", zydonErrors.validation("Preço inválido"));
    expect(await syncProduct(ctx, p.id)).toBe("failed");
    expect(await links(ctx).byBlingId(ctx.tenantId, "product", p.id)).toBeUndefined();
    const [row] = await ledgerRows(ctx, "product");
    expect(row).toMatchObject({ entityKey: "REF-1", outcome: "failed", retryable: 1 });
    expect(row?.reason).toContain("O Zydon recusou o produto REF-1");

    ctx.zydon.log.fail("createProduct", zydonErrors.server());
    await expect(syncProduct(ctx, p.id)).rejects.toMatchObject({ action: "retry" });

    expect(await syncProduct(ctx, p.id)).toBe("created");
    // The success closes the open failure.
    const rows = await ledgerRows(ctx, "product");
    expect(rows.find((r) => r.outcome === "synced")).toBeDefined();
    expect(rows.find((r) => r.outcome === "failed")?.resolvedAt).toBeInstanceOf(Date);
  });

  it("images are queued apart from the product write, and again only when they change", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "IMG-1", imageUrls: ["https://img/1.jpg"] }));
    const plain = ctx.bling.putProduct(blingProduct({ codigo: "IMG-2" }));
    await syncProduct(ctx, p.id);
    await syncProduct(ctx, plain.id);
    expect(ctx.enqueued.images).toEqual([p.id]);
    expect(ctx.zydon.log.count("setProductImages")).toBe(0);

    // The image job uploads the fresh URLs stored with the link (no second Bling read).
    const reads = ctx.bling.log.count("getProduct");
    await syncProductImages(ctx, p.id);
    expect(ctx.bling.log.count("getProduct")).toBe(reads);
    expect(ctx.zydon.productBySku("IMG-1")?.images).toEqual(["https://img/1.jpg"]);

    ctx.bling.editProduct(p.id, { nome: "Outro nome" });
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    expect(ctx.enqueued.images).toEqual([p.id]);

    ctx.bling.editProduct(p.id, { imageUrls: ["https://img/2.jpg"] });
    await syncProduct(ctx, p.id);
    expect(ctx.enqueued.images).toEqual([p.id, p.id]);
  });
});

describe("productsPipeline.runPage", () => {
  // The page's records run a few at a time (engine/page-pool.ts): two products with one SKU on the same page
  // must still give one Zydon product and one duplicate warning, never two creates or a failed page.
  it("two products sharing a SKU on one page, in flight together: one created, the other reported", async () => {
    const ctx = await t.context();
    await new CursorsRepository(ctx.db).set(ctx.tenantId, "readiness", { sampled: false, counts: {} });
    for (const nome of ["Primeiro", "Segundo", "Terceiro"])
      ctx.bling.putProduct(blingProduct({ codigo: "SAME-1", nome }));
    ctx.bling.putProduct(
      blingProduct({ codigo: "PAI-1", variacoes: [blingVariation({ codigo: "SAME-2" })] }),
    );
    ctx.bling.putProduct(blingProduct({ codigo: "SAME-2" }));

    // No balances: they are all on the zero-stock pass's page (the second of the three).
    const sum = { synced: 0, skipped: 0, failed: 0 };
    for (let page = 1; page <= 3; page++) {
      const r = await productsPipeline.runPage(ctx, page);
      for (const k of ["synced", "skipped", "failed"] as const) sum[k] += r[k];
    }
    expect(sum).toEqual({ synced: 2, skipped: 3, failed: 0 });
    expect(ctx.zydon.log.count("createProduct")).toBe(2);
    expect([...ctx.zydon.products.values()].filter((p) => p.write.sku === "SAME-1")).toHaveLength(1);
    const dup = (await ledgerRows(ctx, "product")).filter((r) => r.action === "duplicate");
    // One warning per SKU (the two SAME-1 losers share theirs); SAME-2's loser is whichever read came second.
    expect(dup).toHaveLength(2);
    expect(dup.map((r) => r.entityKey)).toContain("SAME-1");
    expect(["SAME-2", "PAI-1"]).toContain(dup.find((r) => r.entityKey !== "SAME-1")?.entityKey);
  });

  it("walks the three stock passes (positive, zero, negative), skipping variation rows; hasMore until the last", async () => {
    const ctx = await t.context();
    await new CursorsRepository(ctx.db).set(ctx.tenantId, "readiness", {
      sampled: false,
      counts: { topLevelProducts: 5 },
    });
    const pos = ["POS-1", "POS-2"].map((c) => ctx.bling.putProduct(blingProduct({ codigo: c })));
    for (const p of pos) ctx.bling.setBalance(p.id, [{ id: "dep-geral", saldoFisico: 3, saldoVirtual: 3 }]);
    ctx.bling.putProduct(
      blingProduct({ codigo: "ZER-1", variacoes: [blingVariation({ codigo: "ZER-1-A" })] }),
    );
    ctx.bling.putProduct(blingProduct({ codigo: "ZER-2" }));
    ctx.bling.putProduct(blingProduct({ codigo: "INA", situacao: "I" }));
    const neg = ctx.bling.putProduct(blingProduct({ codigo: "NEG-1" }));
    ctx.bling.setBalance(neg.id, [{ id: "dep-geral", saldoFisico: -2, saldoVirtual: -2 }]);
    ctx.zydon.log.fail("createProduct", zydonErrors.validation(), { times: 1 });

    expect(await productsPipeline.runPage(ctx, 1)).toEqual({
      hasMore: true,
      synced: 1,
      skipped: 0,
      failed: 1,
      total: 5,
    });
    expect(await productsPipeline.runPage(ctx, 2)).toEqual({
      hasMore: true,
      synced: 2,
      skipped: 0,
      failed: 0,
    });
    expect(await productsPipeline.runPage(ctx, 3)).toEqual({
      hasMore: false,
      synced: 1,
      skipped: 0,
      failed: 0,
    });
    expect(ctx.bling.log.argsOf("listProducts")).toEqual([
      [{ page: 1, criterio: 2, filtroSaldoEstoque: 1 }],
      [{ page: 1, criterio: 2, filtroSaldoEstoque: 0 }],
      [{ page: 1, criterio: 2, filtroSaldoEstoque: 2 }],
    ]);
    expect(await productsPipeline.runPage(ctx, 4)).toEqual({
      hasMore: false,
      synced: 0,
      skipped: 0,
      failed: 0,
    });
    // POS-1 and POS-2 are in flight together (engine/page-pool.ts): the refused create is whichever came first.
    const created = [...ctx.zydon.products.values()].map((p) => p.write.sku).sort();
    expect(created.filter((sku) => !sku.startsWith("POS-"))).toEqual(["NEG-1", "ZER-1", "ZER-2"]);
    expect(created.filter((sku) => sku.startsWith("POS-"))).toHaveLength(1);

    // A page re-run after a crash reads the same Bling page and writes nothing new.
    const writes = ctx.zydon.writes();
    expect(await productsPipeline.runPage(ctx, 2)).toEqual({
      hasMore: true,
      synced: 2,
      skipped: 0,
      failed: 0,
    });
    expect(ctx.bling.log.argsOf("listProducts").at(-1)).toEqual([
      { page: 1, criterio: 2, filtroSaldoEstoque: 0 },
    ]);
    expect(ctx.zydon.writes()).toBe(writes);
  });

  it("a full page of 100 says there is more in the same pass; page numbers map onto the passes", async () => {
    const ctx = await t.context();
    for (let i = 0; i < 101; i++) {
      const p = ctx.bling.putProduct(blingProduct({ codigo: `P${i}` }));
      ctx.bling.setBalance(p.id, [{ id: "dep-geral", saldoFisico: 1, saldoVirtual: 1 }]);
    }
    ctx.bling.putProduct(blingProduct({ codigo: "Z0" }));
    expect(await productsPipeline.runPage(ctx, 1)).toMatchObject({ hasMore: true, synced: 100 });
    expect(await productsPipeline.runPage(ctx, 2)).toMatchObject({ hasMore: true, synced: 1 });
    expect(await productsPipeline.runPage(ctx, 3)).toMatchObject({ hasMore: true, synced: 1 });
    expect(await productsPipeline.runPage(ctx, 4)).toMatchObject({ hasMore: false, synced: 0 });
    expect(ctx.bling.log.argsOf("listProducts").map((a) => a[0])).toEqual([
      { page: 1, criterio: 2, filtroSaldoEstoque: 1 },
      { page: 2, criterio: 2, filtroSaldoEstoque: 1 },
      { page: 1, criterio: 2, filtroSaldoEstoque: 0 },
      { page: 1, criterio: 2, filtroSaldoEstoque: 2 },
    ]);
    expect(ctx.zydon.products.size).toBe(102);
  });
});
