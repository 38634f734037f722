import { ZydonApp } from "@zb/zydon";
import { type StartedZydonSimulator, startZydonSimulator } from "@zb/zydon-simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PortalProductRef, PortalProductWrite } from "../ports/zydon-port.js";
import { type Exclusive, ZydonPortAdapter } from "./zydon-port-adapter.js";

/** The ZydonPort adapter against the Zydon simulator over HTTP: the variation axes a catalog shares. */

const PLUGIN_ID = "3f9a0c1e-0000-4000-8000-0000000000ad";
let zydonSim: StartedZydonSimulator;
let app: ZydonApp;

beforeAll(async () => {
  zydonSim = await startZydonSimulator();
  zydonSim.sim.registerPlugin({
    pluginId: PLUGIN_ID,
    accessKey: "axes-plugin-key",
    name: "Bling",
    callbackUrls: ["http://127.0.0.1:9/callback"],
    installationUrl: "http://127.0.0.1:9/install",
  });
  app = new ZydonApp({
    pluginId: PLUGIN_ID,
    accessKey: "axes-plugin-key",
    apiBaseUrl: zydonSim.url,
    adminUrl: zydonSim.url,
    timeoutMs: 5_000,
  });
});

afterAll(async () => {
  await zydonSim?.close();
});

async function newOrg(name: string): Promise<string> {
  const orgId = zydonSim.sim.createOrganization({ name }).id;
  await zydonSim.sim.install(orgId);
  return orgId;
}

function shirt(sku: string, colors: string[], axis = "Cor"): PortalProductWrite {
  return {
    sku,
    name: `Camiseta ${sku}`,
    active: true,
    price: 30,
    variations: colors.map((c) => ({
      sku: `${sku}-${c}`,
      price: 30,
      active: true,
      values: [{ name: axis, value: c }],
    })),
  };
}

/** A lease per key in this process, as the worker's Redis lease behaves for these callers. */
function memoryExclusive(): Exclusive {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, fn: () => Promise<T>) => {
    const run = (tails.get(key) ?? Promise.resolve()).then(fn, fn);
    tails.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  };
}

describe("ZydonPortAdapter: variation axes", () => {
  it("records written at once through one adapter create the shared axis once and keep every value", async () => {
    const orgId = await newOrg("Eixos, um job");
    const port = new ZydonPortAdapter(app.client(zydonSim.sim.accessKeyFor(orgId)));
    await Promise.all([
      port.createProduct(shirt("CAM-A", ["Azul", "Verde"])),
      port.createProduct(shirt("CAM-B", ["Preto"])),
      port.createProduct(shirt("CAM-C", ["Branco", "Azul"])),
    ]);
    const axes = zydonSim.sim.snapshot(orgId).variationAxes;
    expect(axes.map((a) => a.name)).toEqual(["Cor"]);
    expect([...(axes[0]?.values ?? [])].sort()).toEqual(["Azul", "Branco", "Preto", "Verde"]);
    expect(zydonSim.sim.snapshot(orgId).products).toHaveLength(3);
  });

  it("two jobs (two adapters, each with its own cache) under the tenant's lease: no 422, no lost value", async () => {
    const orgId = await newOrg("Eixos, dois jobs");
    const exclusive = memoryExclusive();
    const key = zydonSim.sim.accessKeyFor(orgId);
    const one = new ZydonPortAdapter(app.client(key), { exclusive });
    const two = new ZydonPortAdapter(app.client(key), { exclusive });
    zydonSim.sim.seed(orgId, { variationAxes: [{ name: "Tamanho", values: ["P"] }] });
    // Both caches load before either writes "Cor": each believes it is missing.
    await Promise.all([
      one.createProduct(shirt("S-0", ["P"], "Tamanho")),
      two.createProduct(shirt("S-1", ["P"], "Tamanho")),
    ]);
    await Promise.all([
      one.createProduct(shirt("JOB1-A", ["Azul"])),
      two.createProduct(shirt("JOB2-A", ["Vermelho"])),
      one.createProduct(shirt("JOB1-B", ["Amarelo"])),
      two.createProduct(shirt("JOB2-B", ["Rosa", "Azul"])),
    ]);
    const axes = zydonSim.sim.snapshot(orgId).variationAxes;
    expect(axes.map((a) => a.name)).toEqual(["Tamanho", "Cor"]);
    expect([...(axes[1]?.values ?? [])].sort()).toEqual(["Amarelo", "Azul", "Rosa", "Vermelho"]);
    expect(
      zydonSim.sim
        .snapshot(orgId)
        .products.map((p) => p.sku)
        .sort(),
    ).toEqual(["JOB1-A", "JOB1-B", "JOB2-A", "JOB2-B", "S-0", "S-1"]);
  });
});

describe("ZydonPortAdapter: field groups Zydon owns (issue 18 #2)", () => {
  it("an update keeps the kept groups as Zydon has them, variations matched by SKU, and writes the rest", async () => {
    const orgId = await newOrg("Dono dos campos");
    const zc = app.client(zydonSim.sim.accessKeyFor(orgId));
    const port = new ZydonPortAdapter(zc);
    const ref = await port.createProduct({
      ...shirt("OWN-1", ["Azul", "Verde"]),
      short_description: "do Bling",
    });
    // The merchant edits in Zydon: name, description, price of the product and of one variation.
    await zc.products.modify(ref.id, (b) => ({
      ...b,
      name: "Camiseta do lojista",
      short_description: "texto do lojista",
      price: 25,
      variations: (b.variations as Array<Record<string, unknown>>).map((v) =>
        v.sku === "OWN-1-Azul" ? { ...v, price: 19.9 } : v,
      ),
    }));
    await port.updateProduct(
      ref.id,
      {
        ...shirt("OWN-1", ["Azul", "Verde", "Rosa"]),
        name: "Camiseta do Bling",
        short_description: "novo do Bling",
        price: 35,
        ean_gtin: "7891234567895",
        variations: shirt("OWN-1", ["Azul", "Verde", "Rosa"]).variations.map((v) => ({ ...v, price: 35 })),
      },
      { keep: ["content", "price"] },
    );
    const p = zydonSim.sim.snapshot(orgId).products.find((x) => x.sku === "OWN-1");
    expect(p).toMatchObject({ name: "Camiseta do lojista", price: 25 });
    expect(Object.fromEntries((p?.variations ?? []).map((v) => [v.sku, v.price]))).toEqual({
      "OWN-1-Azul": 19.9,
      "OWN-1-Verde": 30,
      "OWN-1-Rosa": 35,
    });
    const raw = await zc.products.get(ref.id);
    expect(raw).toMatchObject({ short_description: "texto do lojista", ean_gtin: "7891234567895" });

    // Without keep, Bling's values go in.
    await port.updateProduct(ref.id, { ...shirt("OWN-1", ["Azul"]), name: "Camiseta do Bling", price: 35 });
    expect(zydonSim.sim.snapshot(orgId).products.find((x) => x.sku === "OWN-1")).toMatchObject({
      name: "Camiseta do Bling",
      price: 35,
    });
  });
});

describe("ZydonPortAdapter: the app's price table", () => {
  it("pages and polls each set their rows and keep the table's others, also from two jobs at once", async () => {
    const orgId = await newOrg("Tabela de preço");
    const key = zydonSim.sim.accessKeyFor(orgId);
    const ids = zydonSim.sim.seed(orgId, { priceTables: [{ name: "Tabela do app" }] });
    const tableId = ids.priceTables?.["Tabela do app"] as string;
    const exclusive = memoryExclusive();
    const one = new ZydonPortAdapter(app.client(key), { exclusive });
    const two = new ZydonPortAdapter(app.client(key), { exclusive });
    const refs: PortalProductRef[] = [];
    for (const sku of ["T-1", "T-2", "T-3", "T-4"]) refs.push(await one.createProduct(shirt(sku, [])));
    const shirtWithColors = await one.createProduct(shirt("T-5", ["Azul", "Verde"]));
    const row = (i: number, price: number) => ({
      productId: refs[i]?.id as string,
      variationId: null,
      price,
    });

    await one.setPriceTablePrices(tableId, [row(0, 10), row(1, 20)]);
    await one.setPriceTablePrices(tableId, [row(2, 30)]);
    // Two jobs write at once: neither loses the other's rows.
    await Promise.all([
      one.setPriceTablePrices(tableId, [row(3, 40)]),
      two.setPriceTablePrices(tableId, [
        row(0, 11),
        ...shirtWithColors.variations.map((v) => ({
          productId: shirtWithColors.id,
          variationId: v.id,
          price: 50,
        })),
      ]),
    ]);
    const prices = () =>
      Object.fromEntries(
        (zydonSim.sim.snapshot(orgId).priceTables.find((t) => t.id === tableId)?.products ?? []).map((r) => [
          r.sku,
          r.price,
        ]),
      );
    expect(prices()).toEqual({ "T-1": 11, "T-2": 20, "T-3": 30, "T-4": 40, "T-5-Azul": 50, "T-5-Verde": 50 });

    // A variation removed in Zydon takes its row with it; the next write still goes through.
    await app
      .client(key)
      .products.deleteVariation(shirtWithColors.id, shirtWithColors.variations[0]?.id as string);
    await one.setPriceTablePrices(tableId, [row(1, 21)]);
    expect(prices()).toEqual({ "T-1": 11, "T-2": 21, "T-3": 30, "T-4": 40, "T-5-Verde": 50 });
  });
});

describe("ZydonPortAdapter: an order's current status and since when (zydon-api.md §8.1 statuses[])", () => {
  it("reads the last status and its created_at, after a merchant's move too", async () => {
    const orgId = await newOrg("Status desde");
    const ids = zydonSim.sim.seed(orgId, {
      statuses: [
        { name: "Em aberto", type: "PENDING", next: ["Aprovado"] },
        { name: "Aprovado", type: "PAID" },
      ],
      paymentMethods: [{ name: "Pix" }],
      products: [{ name: "Caneca", sku: "ST-1", price: 10 }],
    });
    const { orderId } = await zydonSim.sim.placeOrder(orgId, {
      partner: { name: "Cliente", type: "PF", fiscal_registration_number: "52998224725" },
      items: [{ sku: "ST-1", quantity: 1 }],
      paymentMethodId: ids.paymentMethods?.Pix as string,
      createdAt: "2026-03-10T15:00:00.000Z",
    });
    const port = new ZydonPortAdapter(app.client(zydonSim.sim.accessKeyFor(orgId)));
    expect(await port.getOrder(orderId)).toMatchObject({
      statusId: ids.statuses?.["Em aberto"],
      statusSince: "2026-03-10T15:00:00.000Z",
    });
    await zydonSim.sim.setOrderStatusAsMerchant(orgId, orderId, ids.statuses?.Aprovado as string);
    const moved = await port.getOrder(orderId);
    const last = zydonSim.sim.org(orgId).orders.get(orderId)?.statuses.at(-1);
    expect(moved).toMatchObject({ statusId: ids.statuses?.Aprovado, statusSince: last?.created_at });
  });
});

describe("ZydonPortAdapter: categories and brands (zydon-api.md §5.4)", () => {
  it("creates a category tree and brands, renames a category, and a product carries both ids", async () => {
    const orgId = await newOrg("Categorias e marcas");
    zydonSim.sim.seed(orgId, { categories: [{ name: "Moda" }], brands: [{ name: "Acme" }] });
    const port = new ZydonPortAdapter(app.client(zydonSim.sim.accessKeyFor(orgId)));
    const [moda] = await port.listCategories();
    expect(moda).toMatchObject({ name: "Moda", parentId: null });
    const vest = await port.createCategory({ name: "Vestuário", parentId: moda?.id ?? null });
    expect(await port.listCategories()).toContainEqual({ id: vest, name: "Vestuário", parentId: moda?.id });
    await port.updateCategory(vest, { name: "Roupas", parentId: moda?.id ?? null });
    expect((await port.listCategories()).find((c) => c.id === vest)?.name).toBe("Roupas");
    // A parent Zydon does not have is refused (404), not silently made a root.
    await expect(port.createCategory({ name: "Órfã", parentId: "999999" })).rejects.toMatchObject({
      status: 404,
    });
    const nativa = await port.createBrand("Nativa");
    expect((await port.listBrands()).map((b) => b.name).sort()).toEqual(["Acme", "Nativa"]);

    const ref = await port.createProduct({ ...shirt("CAT-1", []), category_id: vest, brand_id: nativa });
    expect(zydonSim.sim.snapshot(orgId).products.find((p) => p.id === ref.id)).toMatchObject({
      category_id: vest,
      brand_id: nativa,
      brand_name: "Nativa",
    });
    // An update that does not name them (Zydon owns them) keeps them; one that does moves the product.
    await port.updateProduct(ref.id, { ...shirt("CAT-1", []), name: "Outra" }, { keep: ["taxonomy"] });
    expect(zydonSim.sim.snapshot(orgId).products.find((p) => p.id === ref.id)).toMatchObject({
      name: "Outra",
      category_id: vest,
      brand_id: nativa,
    });
    await port.updateProduct(ref.id, {
      ...shirt("CAT-1", []),
      category_id: moda?.id ?? null,
      brand_id: null,
    });
    expect(zydonSim.sim.snapshot(orgId).products.find((p) => p.id === ref.id)).toMatchObject({
      category_id: moda?.id,
      brand_id: null,
    });
  });
});

describe("ZydonPortAdapter: a product edit never undoes a stock write", () => {
  it("a price write (a GET-modify-PUT) whose GET came before a stock write keeps the newer stock", async () => {
    const orgId = await newOrg("Estoque e preço");
    const zc = app.client(zydonSim.sim.accessKeyFor(orgId));
    const port = new ZydonPortAdapter(zc);
    const simple = await port.createProduct(shirt("EST-1", []));
    const colors = await port.createProduct(shirt("EST-2", ["Azul"]));
    const variationId = colors.variations[0]?.id as string;
    await port.setStock({ productId: simple.id, variationId: null }, 10);
    await port.setStock({ productId: colors.id, variationId }, 5);
    const org = zydonSim.sim.org(orgId);
    // The stock pipeline writes between the edit's GET and its PUT.
    const stockWriteMeanwhile = (productId: string, variation: string | null, qty: number) => {
      zydonSim.sim.stockRecord(org, productId, variation, org.defaultWarehouseId).total = qty;
    };
    await zc.products.modify(simple.id, (b) => {
      stockWriteMeanwhile(simple.id, null, 139);
      return { ...b, price: 12 };
    });
    await zc.products.modify(colors.id, (b) => {
      stockWriteMeanwhile(colors.id, variationId, 77);
      return { ...b, price: 13 };
    });
    const snap = zydonSim.sim.snapshot(orgId).products;
    expect(snap.find((p) => p.sku === "EST-1")).toMatchObject({ price: 12, stock: 139 });
    const two = snap.find((p) => p.sku === "EST-2");
    expect(two?.price).toBe(13);
    expect(two?.variations.find((v) => v.id === variationId)?.stock).toBe(77);
  });
});
