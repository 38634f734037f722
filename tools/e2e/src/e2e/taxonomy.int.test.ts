import { generateDemoAccount } from "@zb/bling-simulator";
import { LinksRepository, TenantsRepository } from "@zb/db";
import { compareStates, waitFor } from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * Categories and brands (issue 19 #1), end to end: the worker against both simulators over HTTP, the first
 * sync's products step with Bling's category tree, the state checker comparing every product's category path
 * and brand, and a category created in Bling after the first sync (no webhook for categories) arriving with
 * the product moved into it.
 */
let e: E2E;
beforeAll(async () => {
  e = await startE2E();
}, 60_000);
afterAll(async () => {
  await e?.close();
});

const field = (p: object, k: string) => (p as Record<string, unknown>)[k];
const norm = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").trim().toLowerCase();

describe("categories and brands, end to end", () => {
  it("the first sync brings the tree and brands, links same-name ones, and a product moved to a new category arrives with it", async () => {
    const t = await e.addTenant("Loja Categorias");
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: 12,
      variationShare: 0.25,
      contacts: 0,
      paymentMethods: 0,
      seed: 19,
    });
    const acc = e.bling.sim.control.getAccount(t.accountId);
    const active = acc.products.filter((p) => p.situacao === "A" && !p.idProdutoPai && p.marca);
    const brand = String(active[0]?.marca ?? "");
    expect(brand).not.toBe("");
    // Zydon already has the root "Moda" and the first product's brand, spelled differently.
    e.zydon.sim.seed(t.orgId, {
      categories: [{ name: "  MODA " }],
      brands: [{ name: brand.toUpperCase() }],
    });
    const seeded = e.zydon.sim.snapshot(t.orgId);
    const seededModa = seeded.categories[0]?.id;
    const seededBrand = seeded.brands[0]?.id;

    await e.worker.deps.producer.enqueue("initial-sync-start", {
      tenantId: t.tenantId,
      entities: ["categories", "products"],
    });
    const tenants = new TenantsRepository(e.db.db);
    await waitFor(
      "initial sync to finish",
      async () => (await tenants.findById(t.tenantId))?.initialSyncDoneAt,
      120_000,
    );

    const opts = { checkStock: false, checkCustomers: false };
    expect(compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId, opts)).toEqual([]);
    const snap = e.zydon.sim.snapshot(t.orgId);
    // Every Bling category is in Zydon once; the same-name root and brand were linked, not duplicated.
    expect(snap.categories).toHaveLength(acc.categories.length);
    expect(snap.categories.filter((c) => norm(c.name) === "moda").map((c) => c.id)).toEqual([seededModa]);
    expect(snap.brands.filter((b) => norm(b.name) === norm(brand)).map((b) => b.id)).toEqual([seededBrand]);
    const withCategory = snap.products.filter((p) => field(p, "category_id"));
    expect(withCategory.length).toBeGreaterThan(0);
    expect(snap.products.filter((p) => field(p, "brand_id") === seededBrand).length).toBeGreaterThan(0);

    // The checker sees a wrong category (it can fail).
    const victim = e.zydon.sim.org(t.orgId).products.get(String(withCategory[0]?.id));
    if (!victim) throw new Error("no product with a category");
    const rightCategory = victim.category_id;
    victim.category_id = seededModa;
    expect(compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId, opts).join("\n")).toMatch(
      /: category "moda" ≠ "[^"]+ > [^"]+"/,
    );
    victim.category_id = rightCategory;

    // After the first sync, the merchant creates a category in Bling (under a new root) and moves a product
    // into it: Bling sends the product webhook (refresh-product) but none for the categories.
    const c = e.bling.sim.control;
    const outlet = c.upsertCategory(t.accountId, { descricao: "Outlet" });
    const tenis = c.upsertCategory(t.accountId, {
      descricao: "Tênis em promoção",
      categoriaPai: { id: outlet.id },
    });
    const links = new LinksRepository(e.db.db);
    const link = (await links.listByEntity(t.tenantId, "product")).find(
      (l) => l.zydonId && l.zydonId !== victim.id,
    );
    if (!link?.blingId) throw new Error("no linked product to move");
    c.upsertProduct(t.accountId, { id: Number(link.blingId), categoria: { id: tenis.id } });
    await e.worker.deps.producer.enqueue("refresh-product", {
      tenantId: t.tenantId,
      blingProductId: link.blingId,
    });
    const zydonCategory = await waitFor(
      "the moved product's new category in Zydon",
      async () => {
        const z = e.zydon.sim.org(t.orgId).products.get(String(link?.zydonId));
        const cat = z?.category_id
          ? e.zydon.sim.org(t.orgId).categories.get(String(z.category_id))
          : undefined;
        return cat?.name === "Tênis em promoção" ? cat : undefined;
      },
      60_000,
    );
    expect(e.zydon.sim.org(t.orgId).categories.get(String(zydonCategory.root_id))?.name).toBe("Outlet");
    expect(compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId, opts)).toEqual([]);
    expect((await links.byBlingId(t.tenantId, "category", String(tenis.id)))?.zydonId).toBe(zydonCategory.id);
  }, 200_000);
});
