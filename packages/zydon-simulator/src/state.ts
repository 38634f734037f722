/** In-memory state of the simulated Zydon. Records keep Zydon's snake_case field names. */

export type Json = Record<string, unknown>;

export interface PluginRegistration {
  pluginId: string;
  accessKey: string;
  name?: string;
  callbackUrls: string[];
  installationUrl: string;
  uninstallUrl?: string;
  orderWebhookUrl?: string;
  /** Fixed headers the plugin declared for its order webhook (`native-resources/webhooks.yml`, zydon-api.md §2.4). */
  orderWebhookHeaders?: Record<string, string>;
  /** The order-update webhook the plugin declared (zydon-api.md §9 [ZS-233]), and its fixed headers. */
  orderUpdateWebhookUrl?: string;
  orderUpdateWebhookHeaders?: Record<string, string>;
  /** `is_alive_endpoint.url` from the manifest (zydon-api.md §2.4). */
  isAliveUrl?: string;
  /** Where the App Center "Instalar" button sends the merchant (the app then starts OAuth with its own state). */
  launchUrl?: string;
}

export interface Installation {
  pluginId: string;
  accessKeyCode: string;
  accessKeyToken: string;
  installedAt: string;
}

export interface VariationRecord extends Json {
  id: string;
  sku: string;
  price: number | null;
  values: Array<{ variation_id: string | null; name: string; value: string }>;
}

export interface ProductRecord extends Json {
  id: string;
  sku: string;
  name: string;
  active: boolean;
  price: number | null;
  variations: VariationRecord[];
  images: Array<{ resource_file_id: string; main: boolean; image_url: string }>;
  created_at: string;
  updated_at: string;
}

export interface StatusRecord {
  id: string;
  name: string;
  title: string;
  sub_title: string;
  type: "PENDING" | "PAID" | "INVOICED" | "CANCELLED";
  can_edit_by_customer: boolean;
  can_edit_by_api: boolean;
  show_in_portal: boolean;
  background_color: string;
  font_color: string;
  relations: Array<{ id: string; destiny: { id: string; name: string; title: string } }>;
  created_at: string;
  updated_at: string;
}

export interface OrderItem {
  id: string;
  productId: string;
  variationId: string | null;
  sku: string;
  quantity: number;
  unitValue: number;
  discount: number;
}

export interface OrderRecord {
  id: string;
  partnerId: string;
  sellerId: string | null;
  createdAt: string;
  items: OrderItem[];
  payments: Array<{ id: string; paymentMethodId: string; amount: number; installments: number }>;
  statuses: Array<{ status_id: string; created_at: string }>;
  freightValue: number;
  discountValue: number;
  orderValue: number;
  totalValue: number;
  observation: string | null;
  externalId: string | null;
  invoices: Array<{ invoice_key: string; xml_resource_id: string | null; danfe_resource_id: string | null }>;
  webhookError: string | null;
  shipment: Json;
  /** zydon-api.md §8.1 `attributes{}` (a free map; string values as the adapter's post-sale marks write them). */
  attributes?: Record<string, string>;
}

export interface FileRecord {
  id: string;
  name: string;
  content_type: string;
  content_length: number;
  created_at: string;
}

export interface StockRecord {
  product_id: string;
  product_variation_id: string | null;
  warehouse_id: string;
  total: number;
  reserved: number;
}

export interface OrgState {
  id: string;
  name: string;
  products: Map<string, ProductRecord>;
  variationAxes: Map<string, Json & { id: string; name: string; values: string[] }>;
  partners: Map<string, Json & { id: string }>;
  paymentMethods: Map<string, Json & { id: string; name: string }>;
  priceTables: Map<string, Json & { id: string; name: string; products: Json[] }>;
  warehouses: Map<string, Json & { id: string; name: string }>;
  measureUnits: Map<string, Json & { id: string; name: string }>;
  categories: Map<string, Json & { id: string; name: string }>;
  brands: Map<string, Json & { id: string; name: string }>;
  statuses: Map<string, StatusRecord>;
  orders: Map<string, OrderRecord>;
  stock: Map<string, StockRecord>;
  files: Map<string, FileRecord>;
  installations: Map<string, Installation>;
  defaultWarehouseId: string;
}

export function stockKey(productId: string, variationId: string | null, warehouseId: string): string {
  return `${productId}|${variationId ?? ""}|${warehouseId}`;
}
