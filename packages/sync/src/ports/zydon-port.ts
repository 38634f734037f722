/**
 * What the sync engine needs from Zydon (field names as in zydon-api.md). @zb/zydon satisfies it through a
 * thin adapter; every guess about Zydon stays in @zb/zydon's adapter module, not here.
 *
 * Naming: these are the engine's own models, not @zb/zydon's wire types (those are `Zydon*` and keep that
 * name). The portal side (Zydon) is `Portal*` (`PortalOrder`, `PortalPartner`, `PortalProductWrite`…), the
 * ERP side (Bling, ports/bling-port.ts) is `Erp*`; only the port interface itself (`ZydonPort`) names the
 * vendor. No type here may share a name with a vendor package export.
 */
export interface PortalVariationWrite {
  sku: string;
  price: number;
  ean_gtin?: string | null;
  values: Array<{ name: string; value: string }>;
  active: boolean;
  weight?: number | null;
}

export interface PortalProductWrite {
  sku: string;
  name: string;
  active: boolean;
  price: number;
  short_description?: string | null;
  long_description?: string | null;
  ean_gtin?: string | null;
  brand_name?: string | null;
  unit?: string | null;
  product_weight?: number | null;
  packaging_weight?: number | null;
  product_width?: number | null;
  product_height?: number | null;
  product_depth?: number | null;
  /**
   * The Zydon category and brand (ids from `resolveTaxonomy`, pipelines/taxonomy.ts). Absent = the write leaves
   * what Zydon has (e.g. Bling's category could not be created); null = none.
   */
  category_id?: string | null | undefined;
  brand_id?: string | null | undefined;
  variations: PortalVariationWrite[];
}

/**
 * Product field groups the merchant may give to Zydon (settings `ownership`, issue 18 #2): an update leaves
 * these fields as Zydon has them. Images and stock have pipelines of their own and are not here.
 */
export type ProductFieldGroup = "content" | "dimensions" | "price" | "active" | "taxonomy";
export const productFieldGroups: readonly ProductFieldGroup[] = [
  "content",
  "dimensions",
  "price",
  "active",
  "taxonomy",
];
export const PRODUCT_FIELDS_BY_GROUP: Record<ProductFieldGroup, ReadonlyArray<keyof PortalProductWrite>> = {
  content: ["name", "short_description", "long_description"],
  dimensions: ["product_weight", "packaging_weight", "product_width", "product_height", "product_depth"],
  price: ["price"],
  active: ["active"],
  /** Category and brand. */
  taxonomy: ["category_id", "brand_id", "brand_name"],
};
export const VARIATION_FIELDS_BY_GROUP: Record<
  ProductFieldGroup,
  ReadonlyArray<keyof PortalVariationWrite>
> = {
  content: [],
  dimensions: ["weight"],
  price: ["price"],
  active: ["active"],
  taxonomy: [],
};

export interface UpdateProductOptions {
  /** Groups Zydon owns: their fields keep Zydon's current values (variations matched by SKU). */
  keep?: readonly ProductFieldGroup[];
}

export interface PortalProductRef {
  id: string;
  sku: string;
  variations: Array<{ id: string; sku: string }>;
}

export interface PortalPartnerWrite {
  name: string;
  type: "PF" | "PJ";
  fiscal_registration_number: string | null;
  state_registration: string | null;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  active: boolean;
  addresses: Array<{
    street: string | null;
    number: string | null;
    complement: string | null;
    neighborhood: string | null;
    city: string | null;
    state: string | null;
    postal_code: string | null;
    main_address: boolean;
  }>;
}

export interface PortalPartner {
  id: string;
  name: string;
  fiscal_registration_number: string | null;
  state_registration: string | null;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  type: string | null;
  address: PortalPartnerWrite["addresses"][number] | null;
}

export interface PortalPaymentMethod {
  id: string;
  name: string;
  type: string;
}

export interface PortalStatus {
  id: string;
  name: string;
  canEditByApi: boolean;
  nextIds: string[];
  /** `PENDING | PAID | INVOICED | CANCELLED` (zydon-api.md §8.3); null when Zydon gave none. */
  type?: string | null;
}

export interface PortalOrder {
  id: string;
  partnerId: string;
  createdAt: string;
  totalValue: number;
  freightValue: number;
  discountValue: number;
  statusId: string | null;
  items: Array<{
    sku: string;
    productId: string | null;
    variationId: string | null;
    quantity: number;
    unitValue: number;
    discount: number;
  }>;
  payments: Array<{ paymentMethodId: string; amount: number; installments: number }>;
  observation: string | null;
  /** When the order reached its current status (the last `statuses[].created_at`, zydon-api.md §8.1). */
  statusSince?: string | null;
  /** The app's post-sale marks as Zydon holds them (where they live is @zb/zydon's adapter guess). */
  postSale?: PortalPostSale;
}

/** After the sale, what the app writes on the Zydon order (issue 19 #4). */
export interface PortalPostSale {
  /** Bling's tracking codes of the order's volumes, in Bling's order. */
  trackingCodes: string[];
  /** When the Bling order reached the situação that means delivered (ISO date-time); null: not yet. */
  deliveredAt: string | null;
  /** Access keys of NF-e attached to the order and cancelled in Bling afterwards. */
  cancelledInvoiceKeys: string[];
}

export interface PortalImageUploadOptions {
  /** Links of this product already uploaded (link → Zydon file id): attached again, never re-uploaded. */
  uploaded?: Readonly<Record<string, string>>;
  /** Called after each upload, before the next link is fetched (the caller stores it). */
  onUploaded?(url: string, resourceFileId: string): Promise<void>;
}

export interface PortalImagesResult {
  /** Zydon file ids now on the product, in the links' order. */
  attached: string[];
  /** Links given up, with why (an OutboundRefusedError, a timed-out download, the source's error status). */
  skipped: Array<{ url: string; error: unknown }>;
}

/** A Zydon product category (a tree: `parentId` null for a root). */
export interface PortalCategory {
  id: string;
  name: string;
  parentId: string | null;
}

export interface PortalBrand {
  id: string;
  name: string;
}

export interface ZydonPort {
  /**
   * The contract window `notFoundRetryWindowMs` (zydon-api.md §2.4): a 404 on a record the sync referenced less
   * than this long ago may be transient (configurable through `@zb/config`).
   */
  readonly notFoundRetryWindowMs: number;
  findProductBySku(sku: string): Promise<PortalProductRef | null>;
  createProduct(p: PortalProductWrite): Promise<PortalProductRef>;
  updateProduct(id: string, p: PortalProductWrite, opts?: UpdateProductOptions): Promise<PortalProductRef>;
  /** Switch a product on or off for sale without rewriting it (hard-deleted in Bling: nothing left to map). */
  setProductActive(productId: string, active: boolean): Promise<void>;
  /**
   * Slow (seconds): never on the product's critical path. Downloads each link (guarded; a link refused, timed
   * out or failing at its source is skipped and returned, never retried), uploads it, reports each upload
   * at once (`onUploaded`), reuses `uploaded` files instead of uploading them again, and sets the product's
   * images to what was attached (left as they are when every link was skipped).
   */
  setProductImages(
    productId: string,
    imageUrls: string[],
    opts?: PortalImageUploadOptions,
  ): Promise<PortalImagesResult>;
  setStock(target: { productId: string; variationId: string | null }, quantity: number): Promise<void>;
  setPrice(target: { productId: string; variationId: string | null }, price: number): Promise<void>;
  setPriceTablePrices(
    priceTableId: string,
    prices: Array<{ productId: string; variationId: string | null; price: number }>,
  ): Promise<void>;
  findPartnerByDocument(document: string): Promise<PortalPartner | null>;
  createPartner(p: PortalPartnerWrite): Promise<string>;
  getPartner(id: string): Promise<PortalPartner | null>;
  listPaymentMethods(): Promise<PortalPaymentMethod[]>;
  createPaymentMethod(p: { name: string; type: string }): Promise<string>;
  listStatuses(): Promise<PortalStatus[]>;
  getOrder(id: string): Promise<PortalOrder | null>;
  /** Orders created at or after `since` (polling fallback when the order webhook is lost). */
  listOrdersSince(since: Date): Promise<Array<{ id: string; createdAt: string }>>;
  setOrderStatus(orderId: string, statusId: string): Promise<void>;
  attachInvoice(
    orderId: string,
    invoice: { key: string; xmlUrl: string | null; danfeUrl: string | null },
  ): Promise<void>;
  /**
   * Write post-sale marks on an order; only the given fields change (a list replaces the previous list). The
   * write is skipped when Zydon already shows them.
   */
  setOrderPostSale(orderId: string, marks: Partial<PortalPostSale>): Promise<void>;
  /** Every category of the organization (the whole tree, read fresh). */
  listCategories(): Promise<PortalCategory[]>;
  createCategory(c: { name: string; parentId: string | null }): Promise<string>;
  /** Rename (or move) a category. */
  updateCategory(id: string, c: { name: string; parentId: string | null }): Promise<void>;
  listBrands(): Promise<PortalBrand[]>;
  createBrand(name: string): Promise<string>;
}
