import { type ZydonClient, ZydonValidationError } from "@zb/zydon";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { installedClient, startWorld, type World } from "./test-support.js";

let w: World;
let zc: ZydonClient;
beforeEach(async () => {
  w = await startWorld();
  zc = await installedClient(w);
  w.sim.seed(w.org.id, { variationAxes: [{ name: "Tamanho", values: ["P", "M", "G"] }] });
});
afterEach(async () => {
  await w.close();
});

const shirt = (
  sku: string,
  variations: Array<{ sku: string; value: string; price?: number; stock?: number }> = [],
) => ({
  sku,
  name: `Camiseta ${sku}`,
  active: true,
  price: 49.9,
  variations: variations.map((v) => ({
    sku: v.sku,
    price: v.price ?? 49.9,
    stock: v.stock ?? 0,
    values: [{ name: "Tamanho", value: v.value }],
  })),
});

describe("SKU uniqueness across products and variations", () => {
  it("refuses a product whose SKU another product has", async () => {
    await zc.products.create(shirt("CAM-1"));
    const err = await zc.products.create(shirt("CAM-1")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZydonValidationError);
    expect((err as ZydonValidationError).status).toBe(422);
    expect((err as ZydonValidationError).zydonMessage).toContain("CAM-1");
  });

  it("refuses a variation SKU equal to another product's SKU, and a product SKU equal to a variation's", async () => {
    await zc.products.create(shirt("CAM-2", [{ sku: "CAM-2-P", value: "P" }]));
    await expect(zc.products.create(shirt("CAM-3", [{ sku: "CAM-2", value: "M" }]))).rejects.toBeInstanceOf(
      ZydonValidationError,
    );
    await expect(zc.products.create(shirt("CAM-2-P"))).rejects.toBeInstanceOf(ZydonValidationError);
    expect(w.sim.snapshot(w.org.id).products.map((p) => p.sku)).toEqual(["CAM-2"]);
  });

  // The simulator keeps a SKU → product index (no catalog scan per write): a SKU freed by a deleted variation,
  // a renamed variation or a full-replace PUT must be usable again, and a taken one still refused.
  it("a SKU freed by a deleted or renamed variation, or dropped by a PUT, can be used again", async () => {
    const id = await zc.products.create(
      shirt("CAM-7", [
        { sku: "CAM-7-P", value: "P", stock: 5 },
        { sku: "CAM-7-M", value: "M" },
        { sku: "CAM-7-G", value: "G" },
      ]),
    );
    const vars = (await zc.products.get(id)).variations ?? [];
    const idOf = (sku: string) => vars.find((v) => v.sku === sku)?.id as string;
    await zc.products.deleteVariation(id, idOf("CAM-7-M"));
    await zc.products.updateVariation(id, idOf("CAM-7-G"), { sku: "CAM-7-GG" });
    await expect(zc.products.create(shirt("CAM-7-M"))).resolves.toBeTruthy();
    await expect(zc.products.create(shirt("CAM-7-G"))).resolves.toBeTruthy();
    await expect(zc.products.create(shirt("CAM-7-GG"))).rejects.toBeInstanceOf(ZydonValidationError);
    // A full replace without CAM-7-P: its SKU is free and its stock row gone.
    await zc.products.modify(id, (b) => ({
      ...b,
      variations: ((b.variations ?? []) as Array<{ sku: string }>).filter((v) => v.sku !== "CAM-7-P"),
    }));
    expect(w.sim.snapshot(w.org.id).stock.filter((r) => r.product_variation_id === idOf("CAM-7-P"))).toEqual(
      [],
    );
    await expect(zc.products.create(shirt("CAM-7-P"))).resolves.toBeTruthy();
    await expect(zc.products.create(shirt("CAM-7"))).rejects.toBeInstanceOf(ZydonValidationError);
  });

  it("refuses a variation value that is not in the axis", async () => {
    await expect(
      zc.products.create(shirt("CAM-4", [{ sku: "CAM-4-X", value: "XXL" }])),
    ).rejects.toBeInstanceOf(ZydonValidationError);
  });
});

describe("products", () => {
  it("create, findBySku (product and variation), GET-modify-PUT, enable/disable", async () => {
    const id = await zc.products.create(shirt("CAM-5", [{ sku: "CAM-5-P", value: "P", stock: 3 }]));
    const byVar = await zc.products.findBySku("CAM-5-P");
    expect(byVar?.product.id).toBe(id);
    expect(byVar?.variation?.sku).toBe("CAM-5-P");
    expect(byVar?.variation?.stock).toBe(3);
    expect((await zc.products.findBySku("CAM-5"))?.variation).toBeNull();
    expect(await zc.products.findBySku("CAM")).toBeNull();

    await zc.products.modify(id, (b) => ({ ...b, name: "Camiseta nova", price: 59.9 }));
    const after = await zc.products.get(id);
    expect(after.name).toBe("Camiseta nova");
    expect(after.price).toBe(59.9);
    // Full replace kept the variation (modify sends it back with its id).
    expect(after.variations?.map((v) => v.sku)).toEqual(["CAM-5-P"]);
    expect(after.variations?.[0]?.id).toBe(byVar?.variation?.id);

    await zc.products.disable(id);
    expect((await zc.products.get(id)).active).toBe(false);
    await zc.products.enable(id);
    expect((await zc.products.get(id)).active).toBe(true);
  });

  it("adds and updates a single variation, sets stock absolutely, puts price-table prices", async () => {
    const id = await zc.products.create(shirt("CAM-6"));
    const vid = await zc.products.createVariation(id, {
      sku: "CAM-6-G",
      price: 55,
      values: [{ name: "Tamanho", value: "G" }],
    });
    await zc.products.updateVariation(id, vid, { price: 57.5 });
    expect((await zc.products.getVariation(id, vid)).price).toBe(57.5);

    await zc.stock.override({ productId: id, variationId: vid, quantity: 12 });
    await zc.stock.override({ productId: id, variationId: vid, quantity: 8 });
    await zc.stock.override({ productId: id, variationId: null, quantity: 4 });
    const moved = await zc.stock.movement({ type: "PRODUCT", product_id: id, total: 2 });
    expect(moved.total).toBe(6);

    const { priceTables } = w.sim.seed(w.org.id, { priceTables: [{ name: "Atacado" }] });
    const ptId = priceTables?.Atacado as string;
    await zc.priceTables.putProducts(ptId, [{ product_id: id, product_variation_id: vid, price: 50 }]);

    const snap = w.sim.snapshot(w.org.id);
    const p = snap.products.find((x) => x.id === id);
    expect(p?.stock).toBe(6);
    expect(p?.variations.find((v) => v.id === vid)?.stock).toBe(8);
    expect(snap.priceTables.find((t) => t.id === ptId)?.products).toMatchObject([
      { product_id: id, product_variation_id: vid, price: 50, base_price: 57.5, sku: "CAM-6-G" },
    ]);
    await expect(
      zc.priceTables.putProducts(ptId, [{ product_id: id, product_variation_id: "999999", price: 1 }]),
    ).rejects.toBeInstanceOf(ZydonValidationError);
  });

  it("uploads an image from a URL (separate long call) and points the product at it", async () => {
    const id = await zc.products.create(shirt("CAM-7"));
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const imgServer = await import("node:http").then(
      ({ createServer }) =>
        new Promise<{ url: string; close: () => void }>((resolve) => {
          const s = createServer((_req, res) => {
            res.setHeader("content-type", "image/png");
            res.end(Buffer.from(png));
          });
          s.listen(0, "127.0.0.1", () => {
            const a = s.address();
            resolve({
              url: `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`,
              close: () => s.close(),
            });
          });
        }),
    );
    try {
      const { resourceFileId } = await zc.files.uploadImageFromUrl(`${imgServer.url}/fotos/cam-7.png`);
      await zc.products.setImages(id, [resourceFileId]);
      const p = await zc.products.get(id);
      expect(p.images?.[0]?.resource_file_id).toBe(resourceFileId);
      const file = w.sim.snapshot(w.org.id).files.find((f) => f.id === resourceFileId);
      // Named from its bytes, never from the (merchant-chosen) URL.
      expect(file?.name).toMatch(/^imagem-[0-9a-f]{16}\.png$/);
      expect(file).toMatchObject({
        content_type: "image/png",
        content_length: png.length,
      });
    } finally {
      imgServer.close();
    }
  });
});

describe("partners", () => {
  it("refuses a partner without CPF/CNPJ and IE/RG", async () => {
    const err = await zc.partners
      .create({
        name: "Sem Documento",
        type: "PF",
        fiscal_registration_number: null,
        state_registration: "",
        email: null,
        phone: null,
        mobile: null,
        active: true,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZydonValidationError);
    expect((err as ZydonValidationError).status).toBe(422);
    expect(w.sim.snapshot(w.org.id).partners).toHaveLength(0);
  });

  it("creates with IE only, finds by document, refuses a duplicate document", async () => {
    const base = { type: "PJ", email: null, phone: null, mobile: null, active: true };
    const a = await zc.partners.create({
      ...base,
      name: "Loja A",
      fiscal_registration_number: "11.222.333/0001-81",
      state_registration: null,
    });
    const b = await zc.partners.create({
      ...base,
      name: "Loja B",
      fiscal_registration_number: null,
      state_registration: "123456789",
    });
    expect((await zc.partners.findByDocument("11222333000181"))?.id).toBe(a);
    expect((await zc.partners.findByDocument("123.456.789"))?.id).toBe(b);
    expect(await zc.partners.findByDocument("99999999000199")).toBeNull();
    await expect(
      zc.partners.create({
        ...base,
        name: "Loja A2",
        fiscal_registration_number: "11222333000181",
        state_registration: null,
      }),
    ).rejects.toBeInstanceOf(ZydonValidationError);
  });
});

describe("paging against the simulator", () => {
  it("iterates 0-based pages until total, and refuses a negative page", async () => {
    for (let i = 0; i < 7; i++) {
      await zc.paymentMethods.create({ name: `Forma ${i}`, type: "IN_FULL" });
    }
    const names: string[] = [];
    for await (const pm of zc.paymentMethods.iterate({ perPage: 3 })) names.push(pm.name);
    // Org seeds have no payment methods, so exactly ours, in id order.
    expect(names).toEqual(Array.from({ length: 7 }, (_, i) => `Forma ${i}`));
    const listCalls = w.sim.requestLog.filter(
      (r) => r.route === "/api/sales/payment-methods" && r.method === "GET",
    );
    expect(listCalls).toHaveLength(3);
    await expect(zc.paymentMethods.list({ page: -1 })).rejects.toBeInstanceOf(ZydonValidationError);
    expect(w.sim.stats()[w.org.id]?.["POST /api/sales/payment-methods"]).toBe(7);
  });
});

describe("categories and brands (zydon-api.md §5.4)", () => {
  it("a category tree through root_id: a missing parent is 404, a loop 422, a blank name 422", async () => {
    const moda = await zc.categories.create({ name: "Moda", parentId: null });
    const vest = await zc.categories.create({ name: "Vestuário", parentId: moda });
    expect(await zc.categories.get(vest)).toMatchObject({ name: "Vestuário", root_id: moda, active: true });
    await expect(zc.categories.create({ name: "Órfã", parentId: "999999" })).rejects.toMatchObject({
      status: 404,
    });
    await expect(zc.categories.update(moda, { name: "Moda", parentId: vest })).rejects.toBeInstanceOf(
      ZydonValidationError,
    );
    await expect(zc.categories.create({ name: "  ", parentId: null })).rejects.toBeInstanceOf(
      ZydonValidationError,
    );
    await expect(zc.categories.update("999999", { name: "x", parentId: null })).rejects.toMatchObject({
      status: 404,
    });
  });

  it("a product's category and brand names are read as they are now", async () => {
    const cat = await zc.categories.create({ name: "Vestuário", parentId: null });
    const brand = await zc.brands.create({ name: "Nativa" });
    const id = await zc.products.create({ ...shirt("CAT-1"), category_id: cat, brand_id: brand });
    expect(await zc.products.get(id)).toMatchObject({ category_name: "Vestuário", brand_name: "Nativa" });
    await zc.categories.update(cat, { name: "Roupas", parentId: null });
    expect(await zc.products.get(id)).toMatchObject({ category_id: cat, category_name: "Roupas" });
    // An id Zydon does not have is refused (404), as for measure units.
    await expect(zc.products.create({ ...shirt("CAT-2"), brand_id: "999999" })).rejects.toMatchObject({
      status: 404,
    });
    await expect(zc.brands.create({ name: "" })).rejects.toBeInstanceOf(ZydonValidationError);
  });
});
