/**
 * Response schemas (zydon-api.md §5–§8). Lenient on purpose: extra fields pass through (looseObject), most
 * fields are optional/nullable because stored docs show partial bodies; ids may come as numbers in practice
 * (catalog ids are numeric strings, §4 "IDs") and are normalised to strings.
 */
import { z } from "zod";

export const zId = z.union([z.string(), z.number()]).transform(String);
const optId = zId.nullish();
const optStr = z.string().nullish();
const optNum = z.number().nullish();
const optBool = z.boolean().nullish();

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    currentPage: z.number().int().optional(),
    perPage: z.number().int().optional(),
    total: z.number().int().optional(),
    items: z.array(item),
  });
}
export interface Page<T> {
  currentPage?: number | undefined;
  perPage?: number | undefined;
  total?: number | undefined;
  items: T[];
}

export const variationValueSchema = z.looseObject({
  variation_id: optId,
  name: z.string(),
  value: z.string(),
});

export const productVariationSchema = z.looseObject({
  id: zId,
  sku: z.string(),
  price: optNum,
  stock: optNum,
  active: optBool,
  ean_gtin: optStr,
  values: z.array(variationValueSchema).nullish(),
  images: z.array(z.looseObject({ resource_file_id: optId, image_url: optStr, main: optBool })).nullish(),
});
export type ZydonProductVariation = z.infer<typeof productVariationSchema>;

export const productSchema = z.looseObject({
  id: zId,
  sku: z.string(),
  name: z.string(),
  active: optBool,
  price: optNum,
  stock: optNum,
  short_description: optStr,
  long_description: optStr,
  ean_gtin: optStr,
  brand_id: optId,
  brand_name: optStr,
  category_id: optId,
  category_name: optStr,
  standard_unit_id: optId,
  product_weight: optNum,
  product_width: optNum,
  product_height: optNum,
  product_depth: optNum,
  packaging_weight: optNum,
  packaging_width: optNum,
  packaging_height: optNum,
  packaging_depth: optNum,
  images: z.array(z.looseObject({ resource_file_id: optId, image_url: optStr, main: optBool })).nullish(),
  variations: z.array(productVariationSchema).nullish(),
  created_at: optStr,
  updated_at: optStr,
});
export type ZydonProduct = z.infer<typeof productSchema>;

export const variationAxisSchema = z.looseObject({
  id: zId,
  name: z.string(),
  active: optBool,
  values: z.array(z.string()).nullish(),
  display_type: optStr,
});
export type ZydonVariationAxis = z.infer<typeof variationAxisSchema>;

export const addressSchema = z.looseObject({
  id: optId,
  name: optStr,
  address_type: optStr,
  street: optStr,
  number: optStr,
  complement: optStr,
  neighborhood: optStr,
  city: optStr,
  state: optStr,
  country: optStr,
  postal_code: optStr,
  main_address: optBool,
});

export const partnerSchema = z.looseObject({
  id: zId,
  name: z.string(),
  type: optStr,
  fiscal_registration_number: optStr,
  state_registration: optStr,
  email: optStr,
  phone: optStr,
  mobile: optStr,
  profile_id: optId,
  seller_id: optId,
  active: optBool,
  attributes: z.record(z.string(), z.unknown()).nullish(),
  additional_data: z.record(z.string(), z.unknown()).nullish(),
  addresses: z.array(addressSchema).nullish(),
});
export type ZydonPartner = z.infer<typeof partnerSchema>;

export const paymentMethodSchema = z.looseObject({
  id: zId,
  name: z.string(),
  type: optStr,
  active: optBool,
  minimum_value: optNum,
  maximum_value: optNum,
});
export type ZydonPaymentMethod = z.infer<typeof paymentMethodSchema>;

export const priceTableProductSchema = z.looseObject({
  product_id: optId,
  product_variation_id: optId,
  price: optNum,
  base_price: optNum,
  sku: optStr,
  name: optStr,
});
export const priceTableSchema = z.looseObject({
  id: zId,
  name: z.string(),
  start_date: optStr,
  end_date: optStr,
  criteria: z
    .array(z.looseObject({ criteria_id: optId, products: z.array(priceTableProductSchema).nullish() }))
    .nullish(),
  products: z.array(priceTableProductSchema).nullish(),
  is_partner_specific: optBool,
  is_profile_specific: optBool,
  is_company_specific: optBool,
  is_payment_method_specific: optBool,
});
export type ZydonPriceTable = z.infer<typeof priceTableSchema>;

export const stockSchema = z.looseObject({
  id: optId,
  product_id: optId,
  product_variation_id: optId,
  warehouse_id: optId,
  company_id: optId,
  active: optBool,
  total: optNum,
  available: optNum,
  reserved: optNum,
});
export type ZydonStock = z.infer<typeof stockSchema>;

export const namedSchema = z.looseObject({ id: zId, name: z.string() });
export type ZydonNamed = z.infer<typeof namedSchema>;

export const measureUnitSchema = z.looseObject({
  id: zId,
  name: z.string(),
  abbreviation: optStr,
  decimals_for_quantity: optNum,
});
export type ZydonMeasureUnit = z.infer<typeof measureUnitSchema>;

export const categorySchema = z.looseObject({ id: zId, name: z.string(), root_id: optId, active: optBool });
export type ZydonCategory = z.infer<typeof categorySchema>;

export const statusSchema = z.looseObject({
  id: zId,
  name: z.string(),
  title: optStr,
  sub_title: optStr,
  type: optStr,
  can_edit_by_customer: optBool,
  can_edit_by_api: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
  show_in_portal: optBool,
  relations: z
    .array(z.looseObject({ id: optId, destiny: z.looseObject({ id: zId, name: optStr, title: optStr }) }))
    .nullish()
    .transform((v) => v ?? []),
});
export type ZydonStatus = z.infer<typeof statusSchema>;

/** zydon-api.md §8.1: order items/payments wrap ids as `{value}` (camelCase). */
const wrapped = z
  .union([z.looseObject({ value: zId.nullish() }), zId, z.null()])
  .nullish()
  .transform((v) => (v == null ? null : typeof v === "string" ? v : (v.value ?? null)));

export const orderSchema = z.looseObject({
  id: zId,
  origin: z.unknown().optional(),
  partner_id: optId,
  seller_id: optId,
  negotiation_date: optStr,
  total_value: optNum,
  order_value: optNum,
  discount_value: optNum,
  freight_value: optNum,
  items: z
    .array(
      z.looseObject({
        id: wrapped,
        productId: wrapped,
        productVariationId: wrapped,
        sku: optStr,
        unitValue: optNum,
        quantity: optNum,
        discount: optNum,
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
  payments: z
    .array(z.looseObject({ id: wrapped, paymentMethodId: wrapped, amount: optNum, installments: optNum }))
    .nullish()
    .transform((v) => v ?? []),
  statuses: z
    .array(z.looseObject({ status_id: zId, created_at: optStr }))
    .nullish()
    .transform((v) => v ?? []),
  invoices: z.array(z.looseObject({ invoice_key: optStr })).nullish(),
  /** zydon-api.md §8.1: a free map (the app's post-sale marks live here, adapter.ts). */
  attributes: z.record(z.string(), z.unknown()).nullish().catch(null),
});
export type ZydonOrder = z.infer<typeof orderSchema>;

export const saleListItemSchema = z.looseObject({
  id: zId,
  company_id: optId,
  external_id: optStr,
  partner_id: optId,
  partner_name: optStr,
  total_value: optNum,
  created_at: optStr,
  status: z.looseObject({ id: optId, status_id: optId, title: optStr }).nullish(),
  webhook_error: z.unknown().optional(),
});
export type ZydonSaleListItem = z.infer<typeof saleListItemSchema>;

export const saleSchema = z.looseObject({
  id: zId,
  organization_id: optId,
  external_id: optStr,
  total_value: optNum,
  full_value: optNum,
  observation: optStr,
  created_at: optStr,
  partner: z.looseObject({ id: zId, name: optStr, fiscal_registration_number: optStr }).nullish(),
  items: z
    .array(z.looseObject({ product_id: optId, product_variation_id: optId, quantity: optNum }))
    .nullish(),
  payments: z
    .array(
      z.looseObject({
        payment_method_id: optId,
        payment_method_name: optStr,
        payment_method_type: optStr,
        amount: optNum,
        installments: optNum,
      }),
    )
    .nullish(),
});
export type ZydonSale = z.infer<typeof saleSchema>;

export const invoiceResultSchema = z.looseObject({
  invoice_key: z.string(),
  xml_resource_id: optId,
  danfe_resource_id: optId,
});
export type ZydonInvoiceResult = z.infer<typeof invoiceResultSchema>;

export const resourceFilesSchema = z.looseObject({
  resourceFiles: z.array(z.looseObject({ id: zId })).min(1),
});

/** zydon-api.md §4: "Create responses return the object with id". */
export const createdSchema = z.looseObject({ id: zId });

export const accessKeyLoginSchema = z.looseObject({ accessToken: z.string().min(1) });
