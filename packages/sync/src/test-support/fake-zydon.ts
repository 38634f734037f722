import { DEFAULT_ZYDON_CONTRACT } from "@zb/zydon";
import {
  type PortalBrand,
  type PortalCategory,
  type PortalImagesResult,
  type PortalImageUploadOptions,
  type PortalOrder,
  type PortalPartner,
  type PortalPartnerWrite,
  type PortalPaymentMethod,
  type PortalPostSale,
  type PortalProductRef,
  type PortalProductWrite,
  type PortalStatus,
  PRODUCT_FIELDS_BY_GROUP,
  type UpdateProductOptions,
  VARIATION_FIELDS_BY_GROUP,
  type ZydonPort,
} from "../ports/zydon-port.js";
import { CallLog } from "./call-log.js";

export type ZydonMethod = {
  [K in keyof ZydonPort]: ZydonPort[K] extends (...args: never[]) => unknown ? K : never;
}[keyof ZydonPort];

/** The Zydon calls that change something: a test counts these to prove "no write". */
export const zydonWrites: readonly ZydonMethod[] = [
  "createProduct",
  "updateProduct",
  "setProductActive",
  "setProductImages",
  "setStock",
  "setPrice",
  "setPriceTablePrices",
  "createPartner",
  "createPaymentMethod",
  "setOrderStatus",
  "attachInvoice",
  "setOrderPostSale",
  "createCategory",
  "updateCategory",
  "createBrand",
];

export interface FakeZydonProduct {
  id: string;
  write: PortalProductWrite;
  variations: Array<{ id: string; sku: string }>;
  images: string[];
}

type Target = { productId: string; variationId: string | null };
const targetKey = (t: Target) => `${t.productId}/${t.variationId ?? "-"}`;

/** A Zydon order with sensible defaults; override what the test is about. */
export function zydonOrder(o: Partial<PortalOrder> & { id: string; partnerId: string }): PortalOrder {
  return {
    createdAt: "2026-03-10T15:00:00.000Z",
    totalValue: 0,
    freightValue: 0,
    discountValue: 0,
    statusId: null,
    items: [],
    payments: [],
    observation: null,
    ...o,
  };
}

/**
 * In-memory Zydon behind the `ZydonPort`: products, partners, payment methods, statuses and orders in maps;
 * stock and prices by (product, variation). Every call is recorded in `log` (`writes()` counts the calls
 * that change something) and `log.fail(method, err, { timing })` makes one fail before or after it lands.
 */
export class FakeZydon implements ZydonPort {
  readonly log = new CallLog<ZydonMethod>();
  /** The contract window for a 404 on a fresh record (the default contract's; a test may change it). */
  notFoundRetryWindowMs: number = DEFAULT_ZYDON_CONTRACT.notFoundRetryWindowMs;
  readonly products = new Map<string, FakeZydonProduct>();
  readonly stock = new Map<string, number>();
  readonly prices = new Map<string, number>();
  readonly priceTables = new Map<string, Map<string, number>>();
  readonly partners = new Map<string, PortalPartner>();
  readonly paymentMethods = new Map<string, PortalPaymentMethod>();
  statuses: PortalStatus[] = [];
  readonly orders = new Map<string, PortalOrder>();
  readonly invoices = new Map<string, { key: string; xmlUrl: string | null; danfeUrl: string | null }>();
  readonly categories = new Map<string, PortalCategory>();
  readonly brands = new Map<string, PortalBrand>();
  private nextId = 1;

  newId(prefix: string): string {
    return `${prefix}-${this.nextId++}`;
  }

  /** Calls that changed (or tried to change) Zydon. */
  writes(): number {
    return this.log.calls.filter((c) => zydonWrites.includes(c.method)).length;
  }

  stockOf(t: Target): number | undefined {
    return this.stock.get(targetKey(t));
  }

  priceTablePriceOf(tableId: string, t: Target): number | undefined {
    return this.priceTables.get(tableId)?.get(targetKey(t));
  }

  productBySku(sku: string): FakeZydonProduct | undefined {
    return [...this.products.values()].find((p) => p.write.sku === sku);
  }

  // ── seeding (not recorded) ────────────────────────────────────────────────────────────────────────────

  putProduct(write: PortalProductWrite): FakeZydonProduct {
    const p: FakeZydonProduct = {
      id: this.newId("zp"),
      write: structuredClone(write),
      variations: write.variations.map((v) => ({ id: this.newId("zv"), sku: v.sku })),
      images: [],
    };
    this.products.set(p.id, p);
    return p;
  }

  putPartner(p: Omit<PortalPartner, "id">): PortalPartner {
    const stored = { ...p, id: this.newId("partner") };
    this.partners.set(stored.id, stored);
    return stored;
  }

  putPaymentMethod(name: string, type: string): PortalPaymentMethod {
    const m = { id: this.newId("pm"), name, type };
    this.paymentMethods.set(m.id, m);
    return m;
  }

  putStatus(
    name: string,
    opts: { id?: string; canEditByApi?: boolean; next?: string[]; type?: string } = {},
  ): PortalStatus {
    const s = {
      id: opts.id ?? this.newId("st"),
      name,
      canEditByApi: opts.canEditByApi ?? true,
      nextIds: opts.next ?? [],
      type: opts.type ?? null,
    };
    this.statuses.push(s);
    return s;
  }

  putCategory(name: string, parentId: string | null = null): PortalCategory {
    const c = { id: this.newId("cat"), name, parentId };
    this.categories.set(c.id, c);
    return c;
  }

  putBrand(name: string): PortalBrand {
    const b = { id: this.newId("brand"), name };
    this.brands.set(b.id, b);
    return b;
  }

  putOrder(o: PortalOrder): PortalOrder {
    this.orders.set(o.id, structuredClone(o));
    return o;
  }

  // ── ZydonPort ─────────────────────────────────────────────────────────────────────────────────────────

  findProductBySku(sku: string): Promise<PortalProductRef | null> {
    return this.log.run("findProductBySku", [sku], () => {
      const p = this.productBySku(sku);
      return p ? this.ref(p) : null;
    });
  }

  createProduct(write: PortalProductWrite): Promise<PortalProductRef> {
    return this.log.run("createProduct", [write], () => {
      if (this.productBySku(write.sku)) throw new Error(`fake zydon: SKU ${write.sku} already exists`);
      this.checkTaxonomy(write);
      return this.ref(this.putProduct(write));
    });
  }

  updateProduct(
    id: string,
    write: PortalProductWrite,
    opts: UpdateProductOptions = {},
  ): Promise<PortalProductRef> {
    return this.log.run("updateProduct", [id, write, opts], () => {
      const p = this.products.get(id);
      if (!p) throw new Error(`fake zydon: no product ${id}`);
      this.checkTaxonomy(write);
      // As the adapter does: the groups Zydon owns keep what the product has now.
      const next = structuredClone(write) as PortalProductWrite & Record<string, unknown>;
      // Not sent = Zydon keeps its category and brand (the adapter omits them from the body).
      for (const k of ["category_id", "brand_id"] as const)
        if (next[k] === undefined && p.write[k] !== undefined) next[k] = p.write[k];
      for (const g of opts.keep ?? []) {
        for (const k of PRODUCT_FIELDS_BY_GROUP[g]) next[k] = p.write[k] as never;
        for (const k of VARIATION_FIELDS_BY_GROUP[g])
          for (const v of next.variations) {
            const old = p.write.variations.find((o) => o.sku === v.sku);
            if (old) (v as unknown as Record<string, unknown>)[k] = old[k];
          }
      }
      p.write = next;
      // Variations keep their ids by SKU; new SKUs get new ids.
      p.variations = write.variations.map(
        (v) => p.variations.find((x) => x.sku === v.sku) ?? { id: this.newId("zv"), sku: v.sku },
      );
      return this.ref(p);
    });
  }

  setProductActive(productId: string, active: boolean): Promise<void> {
    return this.log.run("setProductActive", [productId, active], () => {
      const p = this.products.get(productId);
      if (!p) throw new Error(`fake zydon: no product ${productId}`);
      p.write = { ...p.write, active };
    });
  }

  /** Links whose download fails (the adapter skips them): `failImage(url, err)`. */
  readonly imageFailures = new Map<string, unknown>();
  /** Every image "uploaded" (one entry per upload). */
  readonly uploads: string[] = [];

  failImage(url: string, error: unknown): void {
    this.imageFailures.set(url, error);
  }

  setProductImages(
    productId: string,
    imageUrls: string[],
    opts: PortalImageUploadOptions = {},
  ): Promise<PortalImagesResult> {
    return this.log.run("setProductImages", [productId, imageUrls], async () => {
      const attached: string[] = [];
      const skipped: PortalImagesResult["skipped"] = [];
      for (const url of imageUrls) {
        const known = opts.uploaded?.[url];
        if (known) {
          attached.push(known);
          continue;
        }
        const failure = this.imageFailures.get(url);
        if (failure !== undefined) {
          skipped.push({ url, error: failure });
          continue;
        }
        this.uploads.push(url);
        const fileId = `file-${this.uploads.length}`;
        await opts.onUploaded?.(url, fileId);
        attached.push(fileId);
      }
      const p = this.products.get(productId);
      if (p && (attached.length > 0 || skipped.length === 0)) p.images = [...imageUrls];
      return { attached, skipped };
    });
  }

  setStock(target: Target, quantity: number): Promise<void> {
    return this.log.run("setStock", [target, quantity], () => {
      this.stock.set(targetKey(target), quantity);
    });
  }

  setPrice(target: Target, price: number): Promise<void> {
    return this.log.run("setPrice", [target, price], () => {
      this.prices.set(targetKey(target), price);
    });
  }

  setPriceTablePrices(
    priceTableId: string,
    prices: Array<{ productId: string; variationId: string | null; price: number }>,
  ): Promise<void> {
    return this.log.run("setPriceTablePrices", [priceTableId, prices], () => {
      const table = this.priceTables.get(priceTableId) ?? new Map<string, number>();
      for (const p of prices) table.set(targetKey(p), p.price);
      this.priceTables.set(priceTableId, table);
    });
  }

  findPartnerByDocument(document: string): Promise<PortalPartner | null> {
    return this.log.run("findPartnerByDocument", [document], () => {
      const found = [...this.partners.values()].find(
        (p) => p.fiscal_registration_number === document || p.state_registration === document,
      );
      return found ? { ...found } : null;
    });
  }

  createPartner(p: PortalPartnerWrite): Promise<string> {
    return this.log.run("createPartner", [p], () => {
      const { addresses, active: _active, ...rest } = p;
      return this.putPartner({ ...rest, address: addresses[0] ?? null }).id;
    });
  }

  getPartner(id: string): Promise<PortalPartner | null> {
    return this.log.run("getPartner", [id], () => {
      const p = this.partners.get(id);
      return p ? { ...p } : null;
    });
  }

  listPaymentMethods(): Promise<PortalPaymentMethod[]> {
    return this.log.run("listPaymentMethods", [], () =>
      [...this.paymentMethods.values()].map((m) => ({ ...m })),
    );
  }

  createPaymentMethod(p: { name: string; type: string }): Promise<string> {
    return this.log.run("createPaymentMethod", [p], () => this.putPaymentMethod(p.name, p.type).id);
  }

  listStatuses(): Promise<PortalStatus[]> {
    return this.log.run("listStatuses", [], () => this.statuses.map((s) => ({ ...s })));
  }

  getOrder(id: string): Promise<PortalOrder | null> {
    return this.log.run("getOrder", [id], () => {
      const o = this.orders.get(id);
      return o ? structuredClone(o) : null;
    });
  }

  listOrdersSince(since: Date): Promise<Array<{ id: string; createdAt: string }>> {
    return this.log.run("listOrdersSince", [since], () =>
      [...this.orders.values()]
        .filter((o) => new Date(o.createdAt) >= since)
        .map((o) => ({ id: o.id, createdAt: o.createdAt })),
    );
  }

  setOrderStatus(orderId: string, statusId: string): Promise<void> {
    return this.log.run("setOrderStatus", [orderId, statusId], () => {
      const o = this.orders.get(orderId);
      if (!o) throw new Error(`fake zydon: no order ${orderId}`);
      o.statusId = statusId;
      o.statusSince = new Date().toISOString();
    });
  }

  attachInvoice(
    orderId: string,
    invoice: { key: string; xmlUrl: string | null; danfeUrl: string | null },
  ): Promise<void> {
    return this.log.run("attachInvoice", [orderId, invoice], () => {
      this.invoices.set(orderId, { ...invoice });
    });
  }

  setOrderPostSale(orderId: string, marks: Partial<PortalPostSale>): Promise<void> {
    return this.log.run("setOrderPostSale", [orderId, structuredClone(marks)], () => {
      const o = this.orders.get(orderId);
      if (!o) throw new Error(`fake zydon: no order ${orderId}`);
      const prev = o.postSale ?? { trackingCodes: [], deliveredAt: null, cancelledInvoiceKeys: [] };
      o.postSale = { ...prev, ...structuredClone(marks) };
    });
  }

  listCategories(): Promise<PortalCategory[]> {
    return this.log.run("listCategories", [], () => [...this.categories.values()].map((c) => ({ ...c })));
  }

  createCategory(c: { name: string; parentId: string | null }): Promise<string> {
    return this.log.run("createCategory", [c], () => {
      if (c.parentId && !this.categories.has(c.parentId))
        throw new Error(`fake zydon: no category ${c.parentId}`);
      return this.putCategory(c.name, c.parentId).id;
    });
  }

  updateCategory(id: string, c: { name: string; parentId: string | null }): Promise<void> {
    return this.log.run("updateCategory", [id, c], () => {
      if (!this.categories.has(id)) throw new Error(`fake zydon: no category ${id}`);
      this.categories.set(id, { id, name: c.name, parentId: c.parentId });
    });
  }

  listBrands(): Promise<PortalBrand[]> {
    return this.log.run("listBrands", [], () => [...this.brands.values()].map((b) => ({ ...b })));
  }

  createBrand(name: string): Promise<string> {
    return this.log.run("createBrand", [name], () => this.putBrand(name).id);
  }

  /** As the simulator (and Zydon, §5.1): a product's category and brand must exist. */
  private checkTaxonomy(write: PortalProductWrite): void {
    if (write.category_id && !this.categories.has(write.category_id))
      throw new Error(`fake zydon: no category ${write.category_id}`);
    if (write.brand_id && !this.brands.has(write.brand_id))
      throw new Error(`fake zydon: no brand ${write.brand_id}`);
  }

  private ref(p: FakeZydonProduct): PortalProductRef {
    return { id: p.id, sku: p.write.sku, variations: p.variations.map((v) => ({ ...v })) };
  }
}
