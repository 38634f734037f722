import { type ZydonClient, ZydonError, zydonAdapter } from "@zb/zydon";
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

type Json = Record<string, unknown>;

/** Runs `fn` as the tenant's only holder of `key` across processes (SyncContext.exclusive). */
export type Exclusive = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

/**
 * ZydonPort over @zb/zydon. Variation axes must exist in Zydon before a product can use them: missing
 * axes are created and missing values added. An axis is one record shared by the tenant's whole catalog and
 * its values are replaced whole (PUT), so adding to it is a read-modify-write: two products writing at once
 * (a page's records run three at a time, and several jobs run at once) both created "Cor" — Zydon answered
 * the second with 422 "Variação Cor já existe" (3 of 10,000 products failed in the bench) — or each added its
 * own value and the later PUT dropped the other's. So: the cache (per adapter, i.e. per job) answers when it
 * already has every axis and value a product needs; otherwise the change runs under the tenant's
 * `zydon-variation-axes` lease (across processes; a promise chain in-process when there is none), on a list
 * read fresh inside it.
 */
export class ZydonPortAdapter implements ZydonPort {
  private axes: Map<string, { id: string; values: string[] }> | undefined;
  private axesTail: Promise<unknown> = Promise.resolve();
  private readonly tableTails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly zc: ZydonClient,
    private readonly opts: { exclusive?: Exclusive } = {},
  ) {}

  /** The configured contract window, as the client applies it to the ids it created itself. */
  get notFoundRetryWindowMs(): number {
    return this.zc.http.notFoundRetryWindowMs;
  }

  private async loadAxes(): Promise<Map<string, { id: string; values: string[] }>> {
    const axes = new Map<string, { id: string; values: string[] }>();
    for await (const a of this.zc.variationAxes.iterate({}))
      axes.set(a.name, { id: a.id, values: [...(a.values ?? [])] });
    this.axes = axes;
    return axes;
  }

  /** The axes' ids when the cache has every axis and value wanted, else null. */
  private cachedAxes(wanted: Map<string, Set<string>>): Map<string, string> | null {
    if (!this.axes) return null;
    const ids = new Map<string, string>();
    for (const [name, values] of wanted) {
      const have = this.axes.get(name);
      if (!have || [...values].some((v) => !have.values.includes(v))) return null;
      ids.set(name, have.id);
    }
    return ids;
  }

  private async ensureAxes(p: PortalProductWrite): Promise<Map<string, string>> {
    const wanted = new Map<string, Set<string>>();
    for (const v of p.variations)
      for (const { name, value } of v.values) wanted.set(name, (wanted.get(name) ?? new Set()).add(value));
    if (wanted.size === 0) return new Map();
    if (!this.axes) await this.loadAxes();
    const cached = this.cachedAxes(wanted);
    if (cached) return cached;
    const change = () => this.addAxes(wanted);
    const locked = this.opts.exclusive ? () => this.opts.exclusive?.("zydon-variation-axes", change) : change;
    // In-process too: a page's records share this adapter.
    const run = this.axesTail.then(locked, locked) as Promise<Map<string, string>>;
    this.axesTail = run.catch(() => undefined);
    return run;
  }

  /** Create the missing axes and add the missing values, from a list read now (the caller holds the lease). */
  private async addAxes(wanted: Map<string, Set<string>>): Promise<Map<string, string>> {
    const axes = await this.loadAxes();
    const ids = new Map<string, string>();
    for (const [name, values] of wanted) {
      const have = axes.get(name);
      if (!have) {
        const id = await this.zc.variationAxes.create({ name, active: true, values: [...values] });
        axes.set(name, { id, values: [...values] });
        ids.set(name, id);
        continue;
      }
      const missing = [...values].filter((v) => !have.values.includes(v));
      if (missing.length > 0) {
        have.values = [...have.values, ...missing];
        await this.zc.variationAxes.update(have.id, { name, active: true, values: have.values });
      }
      ids.set(name, have.id);
    }
    return ids;
  }

  private async body(
    p: PortalProductWrite,
    existingVariations: Array<{ id: string; sku: string }> = [],
  ): Promise<Json> {
    const axisIds = await this.ensureAxes(p);
    return {
      sku: p.sku,
      name: p.name,
      active: p.active,
      price: p.price,
      short_description: p.short_description ?? null,
      long_description: p.long_description ?? null,
      ean_gtin: p.ean_gtin ?? null,
      product_weight: p.product_weight ?? null,
      packaging_weight: p.packaging_weight ?? null,
      product_width: p.product_width ?? null,
      product_height: p.product_height ?? null,
      product_depth: p.product_depth ?? null,
      // Absent = not sent: an update keeps Zydon's (zydon-api.md §5.1; adapter.ts PRODUCT_TAXONOMY_FIELDS).
      ...(p.category_id !== undefined ? { category_id: p.category_id } : {}),
      ...(p.brand_id !== undefined ? { brand_id: p.brand_id } : {}),
      variations: p.variations.map((v) => {
        const id = existingVariations.find((e) => e.sku === v.sku)?.id;
        return {
          ...(id ? { id } : {}),
          sku: v.sku,
          price: v.price,
          active: v.active,
          ean_gtin: v.ean_gtin ?? null,
          values: v.values.map((x) => ({
            variation_id: axisIds.get(x.name) ?? null,
            name: x.name,
            value: x.value,
          })),
        };
      }),
    };
  }

  private async ref(id: string): Promise<PortalProductRef> {
    const p = await this.zc.products.get(id);
    return { id: p.id, sku: p.sku, variations: (p.variations ?? []).map((v) => ({ id: v.id, sku: v.sku })) };
  }

  async findProductBySku(sku: string): Promise<PortalProductRef | null> {
    const found = await this.zc.products.findBySku(sku);
    // A variation with this SKU is not "the same product": let the create fail loudly on the SKU collision.
    if (!found || found.variation) return null;
    return {
      id: found.product.id,
      sku: found.product.sku,
      variations: (found.product.variations ?? []).map((v) => ({ id: v.id, sku: v.sku })),
    };
  }

  async createProduct(p: PortalProductWrite): Promise<PortalProductRef> {
    const id = await this.zc.products.create(await this.body(p));
    return this.ref(id);
  }

  async updateProduct(
    id: string,
    p: PortalProductWrite,
    opts: UpdateProductOptions = {},
  ): Promise<PortalProductRef> {
    const current = await this.ref(id);
    const body = await this.body(p, current.variations);
    const keep = opts.keep ?? [];
    for (const g of keep) for (const k of PRODUCT_FIELDS_BY_GROUP[g]) delete body[k];
    const keptVariationFields = keep.flatMap((g) => VARIATION_FIELDS_BY_GROUP[g]);
    // PUT is a full replace: keep what Zydon owns (images, category, unit, and the field groups the merchant
    // gave to Zydon) by editing the current record.
    await this.zc.products.modify(id, (b) => {
      const next: Json = { ...b, ...body };
      if (keptVariationFields.length > 0 && Array.isArray(body.variations)) {
        const before = Array.isArray(b.variations) ? (b.variations as Json[]) : [];
        next.variations = (body.variations as Json[]).map((v) => {
          const old = before.find((o) => o.sku === v.sku);
          if (!old) return v;
          const kept: Json = { ...v };
          for (const k of keptVariationFields) if (k in old) kept[k] = old[k];
          return kept;
        });
      }
      return next;
    });
    return this.ref(id);
  }

  async setProductActive(productId: string, active: boolean): Promise<void> {
    if (active) await this.zc.products.enable(productId);
    else await this.zc.products.disable(productId);
  }

  async setProductImages(
    productId: string,
    imageUrls: string[],
    opts: PortalImageUploadOptions = {},
  ): Promise<PortalImagesResult> {
    const attached: string[] = [];
    const skipped: PortalImagesResult["skipped"] = [];
    for (const url of imageUrls) {
      const known = opts.uploaded?.[url];
      if (known) {
        attached.push(known);
        continue;
      }
      let file: Awaited<ReturnType<ZydonClient["files"]["downloadImage"]>>;
      try {
        file = await this.zc.files.downloadImage(url);
      } catch (err) {
        // Only the tenant's source is involved here (refused, timed out, its own error status): give that
        // link up now; a retry would hit the same slow or hostile source again.
        if (err instanceof ZydonError) {
          skipped.push({ url, error: err });
          continue;
        }
        throw err;
      }
      const { resourceFileId } = await this.zc.files.uploadImage(file);
      await opts.onUploaded?.(url, resourceFileId);
      attached.push(resourceFileId);
    }
    if (attached.length > 0 || skipped.length === 0) await this.zc.products.setImages(productId, attached);
    return { attached, skipped };
  }

  async setStock(target: { productId: string; variationId: string | null }, quantity: number): Promise<void> {
    await this.zc.stock.override({ productId: target.productId, variationId: target.variationId, quantity });
  }

  async setPrice(target: { productId: string; variationId: string | null }, price: number): Promise<void> {
    if (target.variationId) {
      const v = await this.zc.products.getVariation(target.productId, target.variationId);
      await this.zc.products.updateVariation(target.productId, target.variationId, { ...v, price } as Json);
      return;
    }
    await this.zc.products.modify(target.productId, (b) => ({ ...b, price }));
  }

  /**
   * The port sets these rows and leaves the table's others as they are, but the PUT of a table's products
   * replaces them whole (adapter guess `priceTableProductsPath`): written page by page (100 a page) or a few at
   * a time by the store-prices poll, page 2 would erase page 1. So it is a read-merge-write of the whole table,
   * under the tenant's `zydon-price-table:<id>` lease (across processes; a promise chain in-process).
   */
  async setPriceTablePrices(
    priceTableId: string,
    prices: Array<{ productId: string; variationId: string | null; price: number }>,
  ): Promise<void> {
    const key = (productId: string, variationId: string | null) => `${productId}:${variationId ?? ""}`;
    const change = async () => {
      const table = await this.zc.priceTables.get(priceTableId);
      const rows = new Map<
        string,
        { product_id: string; product_variation_id: string | null; price: number }
      >();
      for (const r of zydonAdapter.priceTableExplicitRows(table))
        rows.set(key(r.product_id, r.product_variation_id), r);
      for (const p of prices)
        rows.set(key(p.productId, p.variationId), {
          product_id: p.productId,
          product_variation_id: p.variationId,
          price: p.price,
        });
      await this.zc.priceTables.putProducts(priceTableId, [...rows.values()]);
    };
    const lease = `zydon-price-table:${priceTableId}`;
    const locked = this.opts.exclusive ? () => (this.opts.exclusive as Exclusive)(lease, change) : change;
    const run = (this.tableTails.get(lease) ?? Promise.resolve()).then(locked, locked);
    this.tableTails.set(
      lease,
      run.catch(() => undefined),
    );
    await run;
  }

  async findPartnerByDocument(document: string): Promise<PortalPartner | null> {
    const p = await this.zc.partners.findByDocument(document);
    return p ? toPartner(p) : null;
  }

  async createPartner(p: PortalPartnerWrite): Promise<string> {
    return this.zc.partners.create({ ...p, addresses: p.addresses as Array<Record<string, unknown>> });
  }

  async getPartner(id: string): Promise<PortalPartner | null> {
    try {
      return toPartner(await this.zc.partners.get(id));
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
  }

  async listPaymentMethods(): Promise<PortalPaymentMethod[]> {
    const out: PortalPaymentMethod[] = [];
    for await (const m of this.zc.paymentMethods.iterate({}))
      out.push({ id: m.id, name: m.name, type: m.type ?? "OTHER" });
    return out;
  }

  async createPaymentMethod(p: { name: string; type: string }): Promise<string> {
    return this.zc.paymentMethods.create({ name: p.name, type: p.type, active: true });
  }

  async listStatuses(): Promise<PortalStatus[]> {
    const out: PortalStatus[] = [];
    for await (const s of this.zc.statuses.iterate({})) {
      out.push({
        id: s.id,
        name: s.name,
        canEditByApi: s.can_edit_by_api,
        nextIds: s.relations.map((r) => r.destiny.id),
        type: s.type ?? null,
      });
    }
    return out;
  }

  async getOrder(id: string): Promise<PortalOrder | null> {
    let o: Awaited<ReturnType<ZydonClient["orders"]["get"]>>;
    try {
      o = await this.zc.orders.get(id);
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
    const sale = await this.zc.sales.get(id).catch(() => null);
    const last = [...o.statuses]
      .sort((a, b) => String(a.created_at ?? "").localeCompare(String(b.created_at ?? "")))
      .pop();
    return {
      id: o.id,
      partnerId: String(o.partner_id ?? sale?.partner?.id ?? ""),
      createdAt: o.negotiation_date ?? sale?.created_at ?? new Date().toISOString(),
      totalValue: o.total_value ?? 0,
      freightValue: o.freight_value ?? 0,
      discountValue: o.discount_value ?? 0,
      statusId: last?.status_id ?? null,
      statusSince: last?.created_at ?? null,
      items: o.items.map((i) => ({
        sku: i.sku ?? "",
        productId: i.productId,
        variationId: i.productVariationId,
        quantity: i.quantity ?? 0,
        unitValue: i.unitValue ?? 0,
        discount: i.discount ?? 0,
      })),
      payments: o.payments.map((p) => ({
        paymentMethodId: p.paymentMethodId ?? "",
        amount: p.amount ?? 0,
        installments: p.installments ?? 1,
      })),
      observation: sale?.observation ?? null,
      postSale: this.zc.orders.readPostSale(o),
    };
  }

  async listOrdersSince(since: Date): Promise<Array<{ id: string; createdAt: string }>> {
    const out: Array<{ id: string; createdAt: string }> = [];
    for await (const s of this.zc.sales.iterateSince(since))
      out.push({ id: s.id, createdAt: s.created_at ?? since.toISOString() });
    return out;
  }

  async setOrderStatus(orderId: string, statusId: string): Promise<void> {
    await this.zc.orders.setStatus(orderId, statusId);
  }

  /**
   * Idempotent: an order that already carries this access key is left alone (a retry after a crash between
   * Zydon's answer and our bookkeeping must not attach twice). XML and DANFE are downloaded from Bling's
   * links and uploaded through the file service under readable names (the links end in `.php`).
   */
  async attachInvoice(
    orderId: string,
    invoice: { key: string; xmlUrl: string | null; danfeUrl: string | null },
  ): Promise<void> {
    const current = await this.zc.orders.get(orderId);
    if ((current.invoices ?? []).some((i) => i.invoice_key === invoice.key)) return;
    const xml = invoice.xmlUrl
      ? (
          await this.zc.files.uploadFromUrl(invoice.xmlUrl, {
            fileName: `NFe${invoice.key}.xml`,
            contentType: "application/xml",
          })
        ).resourceFileId
      : null;
    const danfe = invoice.danfeUrl
      ? (
          await this.zc.files.uploadFromUrl(invoice.danfeUrl, {
            fileName: `DANFE-${invoice.key}.pdf`,
            contentType: "application/pdf",
          })
        ).resourceFileId
      : null;
    await this.zc.orders.attachInvoice(orderId, {
      invoiceKey: invoice.key,
      xmlFileId: xml,
      danfeFileId: danfe,
    });
  }

  async setOrderPostSale(orderId: string, marks: Partial<PortalPostSale>): Promise<void> {
    await this.zc.orders.setPostSale(orderId, marks);
  }

  async listCategories(): Promise<PortalCategory[]> {
    const out: PortalCategory[] = [];
    for await (const c of this.zc.categories.iterate({}))
      out.push({ id: c.id, name: c.name, parentId: zydonAdapter.categoryParentId(c) });
    return out;
  }

  createCategory(c: { name: string; parentId: string | null }): Promise<string> {
    return this.zc.categories.create(c);
  }

  async updateCategory(id: string, c: { name: string; parentId: string | null }): Promise<void> {
    await this.zc.categories.update(id, c);
  }

  async listBrands(): Promise<PortalBrand[]> {
    const out: PortalBrand[] = [];
    for await (const b of this.zc.brands.iterate({})) out.push({ id: b.id, name: b.name });
    return out;
  }

  createBrand(name: string): Promise<string> {
    return this.zc.brands.create({ name });
  }
}

function toPartner(p: Awaited<ReturnType<ZydonClient["partners"]["get"]>>): PortalPartner {
  const a = p.addresses?.find((x) => x.main_address) ?? p.addresses?.[0];
  return {
    id: p.id,
    name: p.name,
    fiscal_registration_number: p.fiscal_registration_number ?? null,
    state_registration: p.state_registration ?? null,
    email: p.email ?? null,
    phone: p.phone ?? null,
    mobile: p.mobile ?? null,
    type: p.type ?? null,
    address: a
      ? {
          street: a.street ?? null,
          number: a.number ?? null,
          complement: a.complement ?? null,
          neighborhood: a.neighborhood ?? null,
          city: a.city ?? null,
          state: a.state ?? null,
          postal_code: a.postal_code ?? null,
          main_address: true,
        }
      : null,
  };
}
