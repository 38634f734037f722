import { ZydonNotFoundError } from "@zb/zydon";
import { describe, expect, it } from "vitest";
import { ZydonNotFoundYetError } from "../engine/errors.js";
import { zydonErrors } from "../test-support/call-log.js";
import { blingProduct } from "../test-support/fake-bling.js";
import {
  ledgerRows,
  links,
  type TestContext,
  testContext,
  useSyncTestDatabase,
} from "../test-support/test-context.js";
import { productsPipeline, syncProduct } from "./products.js";
import { categoriesPipeline, syncCategories, taxonomyKey } from "./taxonomy.js";

const t = useSyncTestDatabase();

/** Zydon's category path of a product, root first ("Moda > Vestuário"). */
function zydonPath(ctx: TestContext, categoryId: string | null | undefined): string | null {
  const names: string[] = [];
  for (let at = categoryId ?? null; at; ) {
    const c = ctx.zydon.categories.get(at);
    if (!c) throw new Error(`no Zydon category ${at}`);
    names.unshift(c.name);
    at = c.parentId;
  }
  return names.length > 0 ? names.join(" > ") : null;
}

function seedTree(ctx: TestContext) {
  const moda = ctx.bling.putCategory({ descricao: "Moda" });
  const vest = ctx.bling.putCategory({ descricao: "Vestuário", parentId: moda.id });
  const calc = ctx.bling.putCategory({ descricao: "Calçados", parentId: moda.id });
  const casa = ctx.bling.putCategory({ descricao: "Casa" });
  return { moda, vest, calc, casa };
}

describe("taxonomyKey", () => {
  it("trims, collapses spaces, ignores case and accents", () => {
    expect(taxonomyKey("  Calçados   Femininos ")).toBe(taxonomyKey("calcados femininos"));
    expect(taxonomyKey("Ipê")).toBe("ipe");
    expect(taxonomyKey("Moda")).not.toBe(taxonomyKey("Modas"));
  });
});

describe("syncCategories", () => {
  it("creates the tree parents first, links each category, and a second pass writes nothing", async () => {
    const ctx = await t.context();
    const { vest, calc, casa } = seedTree(ctx);

    expect(await syncCategories(ctx)).toEqual({ synced: 4, failed: 0 });
    expect(ctx.zydon.categories.size).toBe(4);
    const vestLink = await links(ctx).byBlingId(ctx.tenantId, "category", vest.id);
    expect(zydonPath(ctx, vestLink?.zydonId)).toBe("Moda > Vestuário");
    const calcLink = await links(ctx).byBlingId(ctx.tenantId, "category", calc.id);
    expect(zydonPath(ctx, calcLink?.zydonId)).toBe("Moda > Calçados");
    const casaLink = await links(ctx).byBlingId(ctx.tenantId, "category", casa.id);
    expect(zydonPath(ctx, casaLink?.zydonId)).toBe("Casa");
    // Parents were created before their children (each create names an existing parent).
    const creates = ctx.zydon.log.argsOf("createCategory").map((a) => (a[0] as { name: string }).name);
    expect(creates.indexOf("Moda")).toBeLessThan(creates.indexOf("Vestuário"));
    expect(await ledgerRows(ctx, "category")).toHaveLength(4);

    const writes = ctx.zydon.writes();
    expect(await syncCategories(ctx)).toEqual({ synced: 4, failed: 0 });
    expect(ctx.zydon.writes()).toBe(writes);
  });

  it("links a same-name category under the same parent (case, accents, spaces aside), never duplicates it", async () => {
    const ctx = await t.context();
    const zModa = ctx.zydon.putCategory("  MODA ");
    const zVest = ctx.zydon.putCategory("vestuario", zModa.id);
    // Same name under another parent: not the same category.
    const zOther = ctx.zydon.putCategory("Calçados");
    const { moda, vest, calc } = seedTree(ctx);

    await syncCategories(ctx);
    expect((await links(ctx).byBlingId(ctx.tenantId, "category", moda.id))?.zydonId).toBe(zModa.id);
    expect((await links(ctx).byBlingId(ctx.tenantId, "category", vest.id))?.zydonId).toBe(zVest.id);
    const calcZ = (await links(ctx).byBlingId(ctx.tenantId, "category", calc.id))?.zydonId;
    expect(calcZ).not.toBe(zOther.id);
    expect(ctx.zydon.categories.get(calcZ ?? "")).toMatchObject({ name: "Calçados", parentId: zModa.id });
    const created = ctx.zydon.log.argsOf("createCategory").map((a) => (a[0] as { name: string }).name);
    expect(created.sort()).toEqual(["Calçados", "Casa"]);
    expect((await ledgerRows(ctx, "category")).map((r) => r.reason)).toContain(
      'Categoria "Moda" vinculada à categoria de mesmo nome que já existia no Zydon.',
    );
  });

  it("a category renamed or moved in Bling is renamed or moved in Zydon on the next pass, unless Zydon owns it", async () => {
    const ctx = await t.context();
    const { vest, casa } = seedTree(ctx);
    await syncCategories(ctx);
    const zVest = (await links(ctx).byBlingId(ctx.tenantId, "category", vest.id))?.zydonId;

    ctx.bling.putCategory({ id: vest.id, descricao: "Roupas", parentId: casa.id });
    await syncCategories(ctx);
    expect(zydonPath(ctx, zVest)).toBe("Casa > Roupas");
    expect(ctx.zydon.log.count("createCategory")).toBe(4);

    const owned = await t.context({ settings: { ownership: { taxonomy: "zydon" } } });
    const o = seedTree(owned);
    await syncCategories(owned);
    owned.bling.putCategory({ id: o.vest.id, descricao: "Roupas", parentId: o.moda.id });
    await syncCategories(owned);
    expect(owned.zydon.log.count("updateCategory")).toBe(0);
  });

  it("a category Zydon refuses is a failed ledger row in pt-BR, its children too; the rest of the tree goes on", async () => {
    const ctx = await t.context();
    seedTree(ctx);
    ctx.zydon.log.fail("createCategory", () => zydonErrors.validation("Nome inválido"));
    // Listed newest first: "Casa" is created first, and refused.
    const r = await syncCategories(ctx);
    expect(r).toEqual({ synced: 3, failed: 1 });
    const failed = (await ledgerRows(ctx, "category")).filter((x) => x.outcome === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.reason).toMatch(/^O Zydon recusou a categoria "Casa": .*Nome inválido/);

    const child = await t.context();
    const tree = seedTree(child);
    // Fails the root "Moda" (the second create: after "Casa").
    child.zydon.log.fail("createCategory", () => zydonErrors.validation("Nome inválido"), { times: 1 });
    child.bling.categories.delete(tree.casa.id);
    expect(await syncCategories(child)).toEqual({ synced: 0, failed: 3 });
    const reasons = (await ledgerRows(child, "category")).map((x) => x.reason ?? "");
    expect(reasons.find((r) => r.startsWith('O Zydon recusou a categoria "Moda":'))).toContain(
      "Nome inválido",
    );
    expect(reasons).toContainEqual(
      expect.stringMatching(
        /^A categoria "Vestuário" não foi criada no Zydon porque a categoria pai não foi/,
      ),
    );
  });

  it("a transient Zydon error is thrown (the step retries), nothing recorded as failed", async () => {
    const ctx = await t.context();
    seedTree(ctx);
    ctx.zydon.log.fail("createCategory", () => zydonErrors.server());
    await expect(syncCategories(ctx)).rejects.toThrow();
    expect((await ledgerRows(ctx, "category")).filter((r) => r.outcome === "failed")).toHaveLength(0);
    expect(await syncCategories(ctx)).toEqual({ synced: 4, failed: 0 });
  });
});

describe("product write: category and brand", () => {
  it("sets category_id and brand_id; brands are created once and reused, a same-name brand is linked", async () => {
    const ctx = await t.context();
    const { vest } = seedTree(ctx);
    const existing = ctx.zydon.putBrand("Acme Brasil");
    await syncCategories(ctx);
    const a = ctx.bling.putProduct(
      blingProduct({ codigo: "A", categoriaId: vest.id, marca: " acme  brasil" }),
    );
    const b = ctx.bling.putProduct(blingProduct({ codigo: "B", categoriaId: vest.id, marca: "Nativa" }));
    const c = ctx.bling.putProduct(blingProduct({ codigo: "C", marca: "NATIVA" }));
    for (const p of [a, b, c]) expect(await syncProduct(ctx, p.id)).toBe("created");

    const za = ctx.zydon.productBySku("A")?.write;
    expect(zydonPath(ctx, za?.category_id)).toBe("Moda > Vestuário");
    expect(za?.brand_id).toBe(existing.id);
    const zb = ctx.zydon.productBySku("B")?.write;
    expect(ctx.zydon.brands.get(zb?.brand_id ?? "")?.name).toBe("Nativa");
    expect(ctx.zydon.productBySku("C")?.write).toMatchObject({ brand_id: zb?.brand_id, category_id: null });
    expect(ctx.zydon.log.argsOf("createBrand")).toEqual([["Nativa"]]);
    expect(ctx.zydon.brands.size).toBe(2);
  });

  it("concurrent products with a new brand create it once", async () => {
    const ctx = await t.context();
    const ps = ["P1", "P2", "P3", "P4"].map((codigo) =>
      ctx.bling.putProduct(blingProduct({ codigo, marca: "Horizonte" })),
    );
    await Promise.all(ps.map((p) => syncProduct(ctx, p.id)));
    expect(ctx.zydon.log.count("createBrand")).toBe(1);
    expect(ctx.zydon.log.count("listBrands")).toBe(1);
    const brandId = ctx.zydon.productBySku("P1")?.write.brand_id;
    for (const sku of ["P2", "P3", "P4"]) expect(ctx.zydon.productBySku(sku)?.write.brand_id).toBe(brandId);
    expect((await links(ctx).byBlingId(ctx.tenantId, "brand", "horizonte"))?.zydonId).toBe(brandId);
  });

  it("a product in a category created in Bling after the first sync fetches it (and its new parent) and arrives with it", async () => {
    const ctx = await t.context();
    const { moda } = seedTree(ctx);
    // The first sync: its categories step (one page, the whole tree), then its products.
    expect(await categoriesPipeline.runPage(ctx, 1)).toEqual({
      hasMore: false,
      synced: 4,
      skipped: 0,
      failed: 0,
      total: 4,
    });
    await productsPipeline.runPage(ctx, 1);
    const novaRaiz = ctx.bling.putCategory({ descricao: "Outlet" });
    const nova = ctx.bling.putCategory({ descricao: "Tênis", parentId: novaRaiz.id });
    const p = ctx.bling.putProduct(blingProduct({ codigo: "T-1", categoriaId: nova.id }));

    expect(await syncProduct(ctx, p.id)).toBe("created");
    expect(zydonPath(ctx, ctx.zydon.productBySku("T-1")?.write.category_id)).toBe("Outlet > Tênis");
    expect(ctx.bling.log.argsOf("getCategory")).toEqual([[nova.id], [novaRaiz.id]]);
    // Moved to another (known) category: the product is rewritten with it.
    ctx.bling.editProduct(p.id, { categoriaId: moda.id });
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    expect(zydonPath(ctx, ctx.zydon.productBySku("T-1")?.write.category_id)).toBe("Moda");
  });

  it("a category or brand Zydon refuses: its own failed row; the product still syncs without it and says so", async () => {
    const ctx = await t.context();
    const cat = ctx.bling.putCategory({ descricao: "Proibida" });
    const p = ctx.bling.putProduct(blingProduct({ codigo: "X-1", categoriaId: cat.id, marca: "Vetada" }));
    ctx.zydon.log.fail("createCategory", () => zydonErrors.validation("Categoria inválida"));
    ctx.zydon.log.fail("createBrand", () => zydonErrors.validation("Marca inválida"));

    expect(await syncProduct(ctx, p.id)).toBe("created");
    const z = ctx.zydon.productBySku("X-1")?.write;
    expect(z?.category_id).toBeUndefined();
    expect(z?.brand_id).toBeUndefined();
    expect(await ledgerRows(ctx, "category")).toMatchObject([
      { outcome: "failed", reason: expect.stringMatching(/^O Zydon recusou a categoria "Proibida"/) },
    ]);
    expect(await ledgerRows(ctx, "brand")).toMatchObject([
      { outcome: "failed", reason: expect.stringMatching(/^O Zydon recusou a marca "Vetada"/) },
    ]);
    const [row] = await ledgerRows(ctx, "product");
    expect(row?.outcome).toBe("synced");
    expect(row?.reason).toMatch(
      /^Produto criado no Zydon\. Sem categoria: O Zydon recusou a categoria "Proibida"/,
    );
    expect(row?.reason).toContain('Sem marca: O Zydon recusou a marca "Vetada"');

    // Another product of the same job with the same category and brand: written without them at once (no
    // second refused create, no second read of the tree).
    const p2 = ctx.bling.putProduct(blingProduct({ codigo: "X-2", categoriaId: cat.id, marca: "vetada" }));
    const listsBefore = ctx.zydon.log.count("listCategories");
    expect(await syncProduct(ctx, p2.id)).toBe("created");
    expect(ctx.zydon.log.count("createCategory")).toBe(1);
    expect(ctx.zydon.log.count("createBrand")).toBe(1);
    expect(ctx.zydon.log.count("listCategories")).toBe(listsBefore);
    expect((await ledgerRows(ctx, "product"))[0]?.reason).toMatch(/Sem categoria: .*Sem marca: /);

    // Zydon accepts them later: the next job sets both (the hash differs) and the failures close.
    // (A job has its own Zydon port, so its own caches: the same fake behind another object.)
    const next = testContext({
      db: t.db,
      tenantId: ctx.tenantId,
      bling: ctx.bling,
      zydon: new Proxy(ctx.zydon, {}),
    });
    expect(await syncProduct(next, p.id)).toBe("updated");
    expect(zydonPath(ctx, ctx.zydon.productBySku("X-1")?.write.category_id)).toBe("Proibida");
    expect(ctx.zydon.productBySku("X-1")?.write.brand_id).toBeTruthy();
  });

  it("ownership taxonomy = zydon: an update keeps Zydon's category and brand; a new product gets Bling's once", async () => {
    const ctx = await t.context({ settings: { ownership: { taxonomy: "zydon" } } });
    const { vest, casa } = seedTree(ctx);
    await syncCategories(ctx);
    const p = ctx.bling.putProduct(blingProduct({ codigo: "K-1", categoriaId: vest.id, marca: "Nativa" }));
    expect(await syncProduct(ctx, p.id)).toBe("created");
    const first = ctx.zydon.productBySku("K-1")?.write;
    expect(zydonPath(ctx, first?.category_id)).toBe("Moda > Vestuário");

    // The merchant curates it in Zydon; Bling moves it: Zydon's stays.
    const mine = ctx.zydon.putCategory("Curadoria");
    const z = ctx.zydon.productBySku("K-1");
    if (z) z.write = { ...z.write, category_id: mine.id };
    ctx.bling.editProduct(p.id, { categoriaId: casa.id, marca: "Outra", nome: "Novo nome" });
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    expect(ctx.zydon.productBySku("K-1")?.write).toMatchObject({
      name: "Novo nome",
      category_id: mine.id,
      brand_id: first?.brand_id,
    });
    expect(ctx.zydon.log.argsOf("createBrand")).toEqual([["Nativa"]]);
  });
});

describe("a category or brand deleted in Zydon", () => {
  const notFound = (what: string, id: string) =>
    new ZydonNotFoundError({
      status: 404,
      method: "POST",
      path: "/api/sales/products",
      envelope: { message: `${what} com ID ${id} não foi encontrado!`, exception: "NotFoundException" },
    });

  it("linked moments ago: the job runs again later (§2.4); long ago: the link is dropped and the next sync recreates it", async () => {
    // The links carry the database clock: the context reads the same time.
    const ctx = await t.context({ now: new Date() });
    const cat = ctx.bling.putCategory({ descricao: "Sumida" });
    await syncCategories(ctx);
    const link = await links(ctx).byBlingId(ctx.tenantId, "category", cat.id);
    const p = ctx.bling.putProduct(blingProduct({ codigo: "S-1", categoriaId: cat.id }));

    ctx.zydon.log.fail("createProduct", () => notFound("Category", String(link?.zydonId)));
    await expect(syncProduct(ctx, p.id)).rejects.toBeInstanceOf(ZydonNotFoundYetError);
    expect((await links(ctx).byBlingId(ctx.tenantId, "category", cat.id))?.zydonId).toBe(link?.zydonId);

    // Past the contract window: the merchant deleted it in Zydon.
    ctx.zydon.categories.delete(String(link?.zydonId));
    ctx.advance(ctx.zydon.notFoundRetryWindowMs + 60_000);
    ctx.zydon.log.fail("createProduct", () => notFound("Category", String(link?.zydonId)));
    expect(await syncProduct(ctx, p.id)).toBe("failed");
    const [row] = await ledgerRows(ctx, "product");
    expect(row?.reason).toMatch(
      /^O Zydon ainda não encontra a categoria "Sumida" \(id .+\), criada às .+\. O produto S-1 não foi gravado: a categoria será criada de novo na próxima sincronização\.$/,
    );
    expect(await links(ctx).byBlingId(ctx.tenantId, "category", cat.id)).toBeUndefined();

    expect(await syncProduct(ctx, p.id)).toBe("created");
    expect(zydonPath(ctx, ctx.zydon.productBySku("S-1")?.write.category_id)).toBe("Sumida");
    expect(ctx.zydon.log.count("createCategory")).toBe(2);
  });

  it("a brand deleted in Zydon: dropped, then created again", async () => {
    // The links carry the database clock: the context reads the same time.
    const ctx = await t.context({ now: new Date() });
    const p = ctx.bling.putProduct(blingProduct({ codigo: "B-1", marca: "Fugaz" }));
    expect(await syncProduct(ctx, p.id)).toBe("created");
    const brandId = ctx.zydon.productBySku("B-1")?.write.brand_id as string;
    ctx.zydon.brands.delete(brandId);
    ctx.advance(ctx.zydon.notFoundRetryWindowMs + 60_000);
    ctx.bling.editProduct(p.id, { nome: "Outro nome" });
    ctx.zydon.log.fail("updateProduct", () => notFound("Brand", brandId));
    expect(await syncProduct(ctx, p.id)).toBe("failed");
    expect(await links(ctx).byBlingId(ctx.tenantId, "brand", "fugaz")).toBeUndefined();
    expect(await syncProduct(ctx, p.id)).toBe("updated");
    const again = ctx.zydon.productBySku("B-1")?.write.brand_id as string;
    expect(again).not.toBe(brandId);
    expect(ctx.zydon.brands.get(again)?.name).toBe("Fugaz");
  });
});
