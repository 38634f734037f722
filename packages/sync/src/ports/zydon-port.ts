/**
 * What the sync engine needs from Zydon (field names as in zydon-api.md). @zb/zydon satisfies it through a
 * thin adapter; every guess about Zydon stays in @zb/zydon's adapter module, not here.
 */
export interface ZydonVariationWrite {
  sku: string;
  price: number;
  ean_gtin?: string | null;
  values: Array<{ name: string; value: string }>;
  active: boolean;
  weight?: number | null;
}

export interface ZydonProductWrite {
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
  variations: ZydonVariationWrite[];
}

export interface ZydonProductRef {
  id: string;
  sku: string;
  variations: Array<{ id: string; sku: string }>;
}

export interface ZydonPartnerWrite {
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

export interface ZydonPartner {
  id: string;
  name: string;
  fiscal_registration_number: string | null;
  state_registration: string | null;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  type: string | null;
  address: ZydonPartnerWrite["addresses"][number] | null;
}

export interface ZydonPaymentMethod {
  id: string;
  name: string;
  type: string;
}

export interface ZydonStatus {
  id: string;
  name: string;
  canEditByApi: boolean;
  nextIds: string[];
}

export interface ZydonOrder {
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
}

export interface ZydonPort {
  findProductBySku(sku: string): Promise<ZydonProductRef | null>;
  createProduct(p: ZydonProductWrite): Promise<ZydonProductRef>;
  updateProduct(id: string, p: ZydonProductWrite): Promise<ZydonProductRef>;
  /** Slow (seconds): never on the product's critical path. */
  setProductImages(productId: string, imageUrls: string[]): Promise<void>;
  setStock(target: { productId: string; variationId: string | null }, quantity: number): Promise<void>;
  setPrice(target: { productId: string; variationId: string | null }, price: number): Promise<void>;
  setPriceTablePrices(
    priceTableId: string,
    prices: Array<{ productId: string; variationId: string | null; price: number }>,
  ): Promise<void>;
  findPartnerByDocument(document: string): Promise<ZydonPartner | null>;
  createPartner(p: ZydonPartnerWrite): Promise<string>;
  getPartner(id: string): Promise<ZydonPartner | null>;
  listPaymentMethods(): Promise<ZydonPaymentMethod[]>;
  createPaymentMethod(p: { name: string; type: string }): Promise<string>;
  listStatuses(): Promise<ZydonStatus[]>;
  getOrder(id: string): Promise<ZydonOrder | null>;
  /** Orders created at or after `since` (polling fallback when the order webhook is lost). */
  listOrdersSince(since: Date): Promise<Array<{ id: string; createdAt: string }>>;
  setOrderStatus(orderId: string, statusId: string): Promise<void>;
  attachInvoice(
    orderId: string,
    invoice: { key: string; xmlUrl: string | null; danfeUrl: string | null },
  ): Promise<void>;
}
