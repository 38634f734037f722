/** Validation and rendering of simulated records — the rules Zydon enforces (zydon-api.md §5–§8). */
import { zydonAdapter as A } from "@zb/zydon";
import { notFound, SimHttpError, unprocessable } from "./http-util.js";
import type { ZydonSimulator } from "./simulator.js";
import type { Json, OrderRecord, OrgState, ProductRecord, StatusRecord, VariationRecord } from "./state.js";

const str = (v: unknown): string | null =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export function seedDefaults(sim: ZydonSimulator, org: OrgState): void {
  const wh = sim.nextId();
  org.warehouses.set(wh, { id: wh, name: "Depósito Principal" });
  org.defaultWarehouseId = wh;
  const un = sim.nextId();
  org.measureUnits.set(un, { id: un, name: "Unidade", abbreviation: "UN", decimals_for_quantity: 0 });
  sim.seed(org.id, {
    statuses: [
      { name: "Pendente", type: "PENDING", can_edit_by_api: false, next: ["Aprovado", "Cancelado"] },
      { name: "Aprovado", type: "PAID", next: ["Faturado", "Cancelado"] },
      { name: "Faturado", type: "INVOICED", next: ["Cancelado"] },
      { name: "Cancelado", type: "CANCELLED" },
    ],
  });
}

function requireText(body: Json, field: string, label: string): string {
  const v = str(body[field])?.trim();
  if (!v) throw unprocessable(`O campo ${label} é obrigatório`);
  return v;
}

/** SKU unique across products AND variations (zydon-api.md §5.1 "sku unique incl. variants"). */
function assertSkusFree(org: OrgState, skus: string[], ownProductId: string | null): void {
  const seen = new Set<string>();
  for (const s of skus) {
    if (seen.has(s)) throw new SimHttpError(422, "ValidationException", `SKU ${s} duplicado no cadastro`);
    seen.add(s);
  }
  const owners = skuOwners(org);
  for (const s of seen) {
    const owner = owners.get(s);
    if (owner === undefined || owner === ownProductId) continue;
    // The index may be stale (a variation deleted, a SKU renamed): the owner's record decides.
    const p = org.products.get(owner);
    if (p && (p.sku === s || p.variations.some((v) => v.sku === s)))
      throw new SimHttpError(422, "ValidationException", `SKU ${s} já cadastrado`);
    owners.delete(s);
  }
}

/**
 * SKU → the product holding it (as itself or a variation), so a write's uniqueness check is not a scan of the
 * catalog (at 10,000 products that scan made every write O(catalog)). Built from `org.products` on first use,
 * added to by every write that places a SKU (`indexSkus`); entries left by a deleted variation or a renamed SKU
 * are checked against the record and dropped by `assertSkusFree`.
 */
const skuIndex = new WeakMap<OrgState, Map<string, string>>();

function skuOwners(org: OrgState): Map<string, string> {
  let owners = skuIndex.get(org);
  if (!owners) {
    owners = new Map();
    skuIndex.set(org, owners);
    for (const p of org.products.values()) indexSkus(org, p);
  }
  return owners;
}

function indexSkus(org: OrgState, p: ProductRecord): void {
  const owners = skuOwners(org);
  owners.set(p.sku, p.id);
  for (const v of p.variations) owners.set(v.sku, p.id);
}

function checkRefs(org: OrgState, body: Json): void {
  const unit = str(body.standard_unit_id);
  if (unit && !org.measureUnits.has(unit)) throw notFound("MeasureUnit", unit);
  const cat = str(body.category_id);
  if (cat && !org.categories.has(cat)) throw notFound("Category", cat);
  const brand = str(body.brand_id);
  if (brand && !org.brands.has(brand)) throw notFound("Brand", brand);
}

function checkImages(sim: ZydonSimulator, org: OrgState, images: unknown) {
  if (images == null) return [];
  if (!Array.isArray(images)) throw unprocessable("images deve ser uma lista");
  return images.map((img: Json, i) => {
    const id = str(img?.resource_file_id);
    // zydon-api.md §5.1: a URL instead of a resource_file_id gives a 500 NPE.
    if (!id) throw new SimHttpError(500, "InternalErrorException", "java.lang.NullPointerException");
    const file = org.files.get(id);
    if (!file) throw unprocessable(`Arquivo ${id} não encontrado`);
    return {
      resource_file_id: id,
      main: typeof img.main === "boolean" ? img.main : i === 0,
      image_url: `${sim.baseUrl}/files/${id}/${encodeURIComponent(file.name)}`,
    };
  });
}

/** zydon-api.md §5.2: variation value `name` must equal an axis name and `value` exist in that axis. */
function checkVariationValues(org: OrgState, values: unknown): VariationRecord["values"] {
  if (!Array.isArray(values)) return [];
  return values.map((v: Json) => {
    const name = str(v?.name);
    const value = str(v?.value);
    if (!name || !value) throw unprocessable("Valores de variação precisam de name e value");
    const byId = str(v.variation_id);
    const axis = [...org.variationAxes.values()].find((a) => (byId ? a.id === byId : a.name === name));
    if (!axis || axis.name !== name) throw unprocessable(`Variação ${name} não encontrada`);
    if (!axis.values.includes(value)) throw unprocessable(`Valor ${value} não existe na variação ${name}`);
    return { variation_id: axis.id, name, value };
  });
}

function buildVariations(
  sim: ZydonSimulator,
  org: OrgState,
  raw: unknown,
  existing: VariationRecord[],
): Array<{ rec: VariationRecord; stock: number | null }> {
  if (raw == null) return [];
  if (!Array.isArray(raw)) throw unprocessable("variations deve ser uma lista");
  return raw.map((v: Json) => {
    const sku = str(v?.sku)?.trim();
    if (!sku) throw unprocessable("O campo SKU da variação é obrigatório");
    const id = str(v.id);
    if (id && !existing.some((e) => e.id === id))
      throw unprocessable(`Variação ${id} não pertence ao produto`);
    const { stock, ...rest } = v;
    const rec: VariationRecord = {
      ...rest,
      id: id ?? sim.nextId(),
      sku,
      price: num(v.price),
      active: typeof v.active === "boolean" ? v.active : true,
      values: checkVariationValues(org, v.values),
      images: checkImages(sim, org, v.images),
    };
    return { rec, stock: num(stock) };
  });
}

function applyProduct(
  sim: ZydonSimulator,
  org: OrgState,
  body: Json,
  current: ProductRecord | null,
): ProductRecord {
  const sku = requireText(body, "sku", "SKU");
  const name = requireText(body, "name", "nome");
  if (body.price !== undefined && body.price !== null && num(body.price) === null) {
    throw new SimHttpError(400, "HttpMessageNotReadableException", "price deve ser numérico");
  }
  checkRefs(org, body);
  const variations = buildVariations(sim, org, body.variations, current?.variations ?? []);
  assertSkusFree(org, [sku, ...variations.map((v) => v.rec.sku)], current?.id ?? null);
  const images = checkImages(sim, org, body.images);
  const ts = sim.now().toISOString();
  const { stock, id: _id, created_at: _c, updated_at: _u, ...rest } = body;
  const rec: ProductRecord = {
    ...rest,
    id: current?.id ?? sim.nextId(),
    sku,
    name,
    active: typeof body.active === "boolean" ? body.active : true,
    price: num(body.price),
    variations: variations.map((v) => v.rec),
    images,
    brand_name: str(body.brand_id)
      ? (org.brands.get(str(body.brand_id) as string)?.name ?? null)
      : (body.brand_name ?? null),
    category_name: str(body.category_id)
      ? (org.categories.get(str(body.category_id) as string)?.name ?? null)
      : null,
    created_at: current?.created_at ?? ts,
    updated_at: ts,
  };
  // Variations dropped by a full-replace PUT lose their stock rows.
  if (current) {
    const kept = new Set(rec.variations.map((v) => v.id));
    for (const v of current.variations) if (!kept.has(v.id)) sim.dropItemStock(org, rec.id, v.id);
  }
  org.products.set(rec.id, rec);
  indexSkus(org, rec);
  // `stock` on the product/variation body is writable (zydon-api.md §7.2): it sets the default warehouse.
  // A GET-modify-PUT echoes the total back unchanged; that must not move stock between warehouses.
  const setStock = (variationId: string | null, value: number | null) => {
    if (value === null || (current && value === sim.stockTotal(org, rec.id, variationId))) return;
    sim.stockRecord(org, rec.id, variationId, org.defaultWarehouseId).total = value;
  };
  setStock(null, num(stock));
  for (const v of variations) setStock(v.rec.id, v.stock);
  return rec;
}

export function createProductRecord(sim: ZydonSimulator, org: OrgState, body: Json): ProductRecord {
  return applyProduct(sim, org, body, null);
}

export function replaceProductRecord(
  sim: ZydonSimulator,
  org: OrgState,
  id: string,
  body: Json,
): ProductRecord {
  const current = org.products.get(id);
  if (!current) throw notFound("Product", id);
  return applyProduct(sim, org, body, current);
}

export function renderProduct(sim: ZydonSimulator, org: OrgState, p: ProductRecord): Json {
  // zydon-api.md §5.1: `category_name` / `brand_name` are read with the product; the names as they are now
  // (a category renamed after the product was written reads renamed), by analogy with a join — INFERENCE.
  const cat = str(p.category_id);
  const brand = str(p.brand_id);
  return {
    ...structuredClone(p),
    ...(cat ? { category_name: org.categories.get(cat)?.name ?? null } : {}),
    ...(brand ? { brand_name: org.brands.get(brand)?.name ?? null } : {}),
    stock: sim.stockTotal(org, p.id, null),
    warehouse_default: org.defaultWarehouseId,
    variations: p.variations.map((v) => ({ ...structuredClone(v), stock: sim.stockTotal(org, p.id, v.id) })),
  };
}

export function addVariation(
  sim: ZydonSimulator,
  org: OrgState,
  productId: string,
  body: Json,
): VariationRecord {
  const p = org.products.get(productId);
  if (!p) throw notFound("Product", productId);
  const [built] = buildVariations(sim, org, [{ ...body, id: undefined }], []);
  if (!built) throw unprocessable("Variação inválida");
  assertSkusFree(org, [p.sku, ...p.variations.map((v) => v.sku), built.rec.sku], p.id);
  p.variations.push(built.rec);
  indexSkus(org, p);
  if (built.stock !== null)
    sim.stockRecord(org, p.id, built.rec.id, org.defaultWarehouseId).total = built.stock;
  return built.rec;
}

export function updateVariation(
  sim: ZydonSimulator,
  org: OrgState,
  productId: string,
  id: string,
  body: Json,
): void {
  const p = org.products.get(productId);
  if (!p) throw notFound("Product", productId);
  const v = p.variations.find((x) => x.id === id);
  if (!v) throw notFound("ProductVariation", id);
  const sku = str(body.sku)?.trim();
  if (sku && sku !== v.sku) {
    assertSkusFree(org, [p.sku, ...p.variations.filter((x) => x.id !== id).map((x) => x.sku), sku], p.id);
    v.sku = sku;
    indexSkus(org, p);
  }
  if (body.price !== undefined) v.price = num(body.price);
  for (const k of Object.keys(body)) {
    if (/^(variation|packaging)_(weight|width|height|depth)$/.test(k)) v[k] = body[k];
  }
  if (num(body.stock) !== null)
    sim.stockRecord(org, p.id, v.id, org.defaultWarehouseId).total = num(body.stock) as number;
  p.updated_at = sim.now().toISOString();
}

// ---------------------------------------------------------------------------------------------------------

function validatePartner(org: OrgState, body: Json, ownId: string | null): void {
  requireText(body, "name", "nome");
  // zydon-api.md §6 + [HELP-bling]: CPF/CNPJ or IE/RG is required.
  if (!A.partnerHasFiscalIdentity(body)) {
    throw unprocessable(
      "É obrigatório informar CPF/CNPJ (fiscal_registration_number) ou IE/RG (state_registration)",
    );
  }
  const type = str(body.type);
  if (type && !(A.PARTNER_TYPES as readonly string[]).includes(type))
    throw unprocessable(`Tipo de parceiro inválido: ${type}`);
  const doc = (str(body.fiscal_registration_number) ?? "").replace(/\D/g, "");
  if (doc) {
    for (const p of org.partners.values()) {
      if (p.id !== ownId && (str(p.fiscal_registration_number) ?? "").replace(/\D/g, "") === doc) {
        throw unprocessable(`Já existe um parceiro com o documento ${doc}`);
      }
    }
  }
}

export function createPartnerRecord(sim: ZydonSimulator, org: OrgState, body: Json): Json & { id: string } {
  validatePartner(org, body, null);
  const ts = sim.now().toISOString();
  const rec = {
    ...structuredClone(body),
    id: sim.nextId(),
    active: typeof body.active === "boolean" ? body.active : true,
    addresses: Array.isArray(body.addresses)
      ? body.addresses.map((a: Json) => ({ ...a, id: sim.nextId() }))
      : [],
    created_at: ts,
    updated_at: ts,
  };
  org.partners.set(rec.id, rec);
  return rec;
}

export function replacePartnerRecord(sim: ZydonSimulator, org: OrgState, id: string, body: Json): void {
  const current = org.partners.get(id);
  if (!current) throw notFound("Partner", id);
  validatePartner(org, body, id);
  org.partners.set(id, {
    ...structuredClone(body),
    id,
    created_at: current.created_at,
    updated_at: sim.now().toISOString(),
  });
}

// ---------------------------------------------------------------------------------------------------------

const w = (value: string | null) => ({ value });

/** `GET /orders/{id}` shape (zydon-api.md §8.1) with its camelCase `{value}` wrappers. */
export function renderOrder(org: OrgState, o: OrderRecord): Json {
  return {
    id: o.id,
    origin: "B2B",
    company: null,
    partner_id: o.partnerId,
    negotiation_date: o.createdAt,
    seller_id: o.sellerId,
    total_value: o.totalValue,
    order_value: o.orderValue,
    discount_value: o.discountValue,
    freight_value: o.freightValue,
    ...o.shipment,
    quotation: false,
    attachments: [],
    invoices: o.invoices.map((i) => ({ ...i, xml_file_name: null, danfe_file_name: null })),
    attributes: { ...(o.attributes ?? {}) },
    items: o.items.map((i) => ({
      id: w(i.id),
      orderId: w(o.id),
      productId: w(i.productId),
      unitValue: i.unitValue,
      quantity: i.quantity,
      unit: w(null),
      discount: i.discount,
      productVariationId: w(i.variationId),
      attributes: {},
      sku: i.sku,
    })),
    payments: o.payments.map((p) => ({
      id: w(p.id),
      orderId: w(o.id),
      paymentMethodId: w(p.paymentMethodId),
      amount: p.amount,
      installments: p.installments,
    })),
    statuses: o.statuses.map((s) => ({ ...s })),
    organization_id: org.id,
  };
}

function currentStatus(org: OrgState, o: OrderRecord): StatusRecord | null {
  const last = o.statuses.at(-1);
  return last ? (org.statuses.get(last.status_id) ?? null) : null;
}

/** `GET /sales` list item (zydon-api.md §8.2). */
export function renderSaleListItem(org: OrgState, o: OrderRecord): Json {
  const st = currentStatus(org, o);
  const partner = org.partners.get(o.partnerId);
  return {
    id: o.id,
    company_id: null,
    external_id: o.externalId,
    partner_id: o.partnerId,
    partner_name: partner?.name ?? null,
    total_value: o.totalValue,
    items_quantity: o.items.reduce((s, i) => s + i.quantity, 0),
    origin_id: null,
    origin_name: "B2B",
    created_at: o.createdAt,
    payments: o.payments.map((p) => ({
      id: p.paymentMethodId,
      name: org.paymentMethods.get(p.paymentMethodId)?.name,
    })),
    status: st
      ? {
          id: st.id,
          status_id: st.id,
          title: st.title,
          background_color: st.background_color,
          font_color: st.font_color,
        }
      : null,
    webhook_error: o.webhookError,
    quotation: false,
  };
}

/** `GET /sales/{id}` (zydon-api.md §8.2). */
export function renderSale(org: OrgState, o: OrderRecord): Json {
  const partner = org.partners.get(o.partnerId);
  return {
    id: o.id,
    organization_id: org.id,
    company: null,
    external_id: o.externalId,
    total_value: o.totalValue,
    full_value: o.orderValue,
    observation: o.observation,
    partner: partner
      ? {
          id: partner.id,
          name: partner.name,
          phone: partner.phone ?? null,
          mobile: partner.mobile ?? null,
          fiscal_registration_number: partner.fiscal_registration_number ?? null,
          email: partner.email ?? null,
        }
      : null,
    seller: null,
    invoices: o.invoices.map((i) => i.invoice_key),
    created_at: o.createdAt,
    updated_by: null,
    total_discount: o.discountValue,
    items: o.items.map((i) => ({
      id: i.id,
      product_id: i.productId,
      product_name: org.products.get(i.productId)?.name ?? null,
      quantity: i.quantity,
      unit_value: i.unitValue,
      discount: i.discount,
      total_value: Math.round((i.unitValue * i.quantity - i.discount) * 100) / 100,
      product_variation_id: i.variationId,
    })),
    freight: { id: null, amount: o.freightValue },
    discount: o.discountValue ? [{ id: null, type: "MONETARY", amount: o.discountValue }] : [],
    payments: o.payments.map((p) => {
      const pm = org.paymentMethods.get(p.paymentMethodId);
      return {
        id: p.id,
        payment_method_id: p.paymentMethodId,
        payment_method_name: pm?.name ?? null,
        payment_method_type: pm?.type ?? null,
        amount: p.amount,
        installments: p.installments,
      };
    }),
  };
}

/**
 * Status change through the adapter's guessed endpoint, with the adapter's transition rule; `by: "merchant"`
 * is a move in Zydon's admin, where `can_edit_by_api` (an API gate, INFERENCE §8.3) does not apply but the
 * allowed next statuses (`relations`) do. Returns the order when it moved (null when already there).
 */
export function changeOrderStatus(
  sim: ZydonSimulator,
  org: OrgState,
  orderId: string,
  statusId: string,
  by: "api" | "merchant" = "api",
): OrderRecord | null {
  const order = org.orders.get(orderId);
  if (!order) throw notFound("Order", orderId);
  const target = org.statuses.get(statusId);
  if (!target) throw notFound("Status", statusId);
  const current = currentStatus(org, order);
  if (current?.id === target.id) return null;
  const verdict = A.statusTransitionAllowed({
    current,
    target: by === "merchant" ? { ...target, can_edit_by_api: true } : target,
  });
  if (!verdict.ok) {
    throw unprocessable(
      verdict.reason === "not_editable_by_api"
        ? `O status ${target.title} não pode ser alterado via API`
        : `Transição de ${current?.title ?? "?"} para ${target.title} não permitida`,
    );
  }
  order.statuses.push({ status_id: target.id, created_at: sim.now().toISOString() });
  return order;
}

/**
 * The adapter's guessed attribute write (`orderAttributesPath`, PATCH `{ attributes }`: zydon-api.md §8.1,
 * INFERENCE). The stricter of the two readings is simulated: the map given replaces the order's map, so a
 * client that does not send back the attributes it read loses them. Values must be strings (422 otherwise).
 */
export function replaceOrderAttributes(org: OrgState, orderId: string, body: Json): OrderRecord {
  const order = org.orders.get(orderId);
  if (!order) throw notFound("Order", orderId);
  const attrs = body.attributes;
  if (!attrs || typeof attrs !== "object" || Array.isArray(attrs))
    throw unprocessable("attributes deve ser um objeto");
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs as Record<string, unknown>)) {
    if (typeof v !== "string") throw unprocessable(`O atributo ${k} deve ser um texto`);
    if (k.length > 100 || v.length > 2000) throw unprocessable(`O atributo ${k} é longo demais`);
    next[k] = v;
  }
  order.attributes = next;
  return order;
}
