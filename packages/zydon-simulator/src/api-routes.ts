/** `/api/sales/*` routes (zydon-api.md §5–§8) plus the adapter's guessed sub-routes. */
import { zydonAdapter as A, DEFAULT_ZYDON_CONTRACT, type ZydonContract } from "@zb/zydon";
import { badRequest, jsonResponse, notFound, type Router, SimHttpError, unprocessable } from "./http-util.js";
import {
  addVariation,
  changeOrderStatus,
  createPartnerRecord,
  createProductRecord,
  renderOrder,
  renderProduct,
  renderSale,
  renderSaleListItem,
  replaceOrderAttributes,
  replacePartnerRecord,
  replaceProductRecord,
  updateVariation,
} from "./records.js";
import type { ApiContext } from "./simulator.js";
import type { Json, OrgState, ProductRecord } from "./state.js";

const S = A.SALES_PREFIX;
const str = (v: unknown): string | null =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function org(ctx: ApiContext): OrgState {
  if (!ctx.org) throw new SimHttpError(401, "UnauthorizedException", "Credenciais de acesso inválidas");
  return ctx.org;
}

/** 0-based `page`, `perPage` (default 25), `search`, `sort`/`dir` → `{currentPage, perPage, total, items}`. */
/**
 * One page of `all`, searched and sorted. `render` turns the page's items into their answer (after the search
 * and the sort, so a search over 10,000 products renders one page, not the catalog); `renderedKeys` are the
 * sort keys only the rendered item has (sorting by them renders everything first).
 */
function pageOf<T extends Json>(
  ctx: ApiContext,
  all: T[],
  searchable: (item: T) => string[],
  render?: { render: (item: T) => Json; renderedKeys: string[] },
) {
  const q = ctx.url.searchParams;
  const page = Number(q.get("page") ?? A.FIRST_PAGE);
  const perPage = Number(q.get("perPage") ?? 25);
  if (!Number.isInteger(page) || page < 0 || !Number.isInteger(perPage) || perPage < 1 || perPage > 500) {
    throw badRequest("Parâmetros de paginação inválidos");
  }
  const search = (q.get(A.SEARCH_PARAM) ?? "").trim().toLowerCase();
  let items = search
    ? all.filter((it) => searchable(it).some((s) => s.toLowerCase().includes(search)))
    : [...all];
  const sort = q.get("sort") || "id";
  const dir = q.get("dir") === "desc" ? -1 : 1;
  let rendered: Json[] | undefined;
  if (render?.renderedKeys.includes(sort)) {
    rendered = items.map(render.render);
    items = rendered as T[];
  }
  items = items.sort((a, b) => {
    const x = a[sort];
    const y = b[sort];
    if (typeof x === "number" && typeof y === "number") return (x - y) * dir;
    const xs = String(x ?? "");
    const ys = String(y ?? "");
    // Numeric-string ids sort numerically, like the database would.
    if (/^\d+$/.test(xs) && /^\d+$/.test(ys)) return (Number(xs) - Number(ys)) * dir;
    return xs.localeCompare(ys) * dir;
  });
  return jsonResponse(200, {
    currentPage: page,
    perPage,
    total: items.length,
    items: items
      .slice(page * perPage, page * perPage + perPage)
      .map((it) => (render && !rendered ? render.render(it) : it)),
  });
}

const digits = (v: unknown) => (str(v) ?? "").replace(/\D/g, "");

function simpleCollection(
  router: Router<ApiContext>,
  path: string,
  label: string,
  pick: (o: OrgState) => Map<string, Json & { id: string }>,
) {
  router.add("GET", `${S}/${path}`, (ctx) =>
    pageOf(ctx, [...pick(org(ctx)).values()], (i) => [String(i.name ?? "")]),
  );
  router.add("GET", `${S}/${path}/:id`, (ctx, p) => {
    const rec = pick(org(ctx)).get(p.id as string);
    if (!rec) throw notFound(label, p.id as string);
    return jsonResponse(200, rec);
  });
}

export function registerApiRoutes(
  router: Router<ApiContext>,
  c: ZydonContract = DEFAULT_ZYDON_CONTRACT,
): void {
  // ---- products
  router.add("GET", `${S}/products`, (ctx) => {
    const o = org(ctx);
    return pageOf(
      ctx,
      [...o.products.values()] as unknown as Json[],
      (p) => [String(p.sku), String(p.name), ...((p.variations as Json[]) ?? []).map((v) => String(v.sku))],
      {
        render: (p) => renderProduct(ctx.sim, o, p as unknown as ProductRecord),
        renderedKeys: ["stock", "warehouse_default"],
      },
    );
  });
  router.add("POST", `${S}/products`, (ctx) => {
    const o = org(ctx);
    return jsonResponse(201, renderProduct(ctx.sim, o, createProductRecord(ctx.sim, o, ctx.json())));
  });
  router.add("GET", `${S}/products/:id`, (ctx, p) => {
    const o = org(ctx);
    const rec = o.products.get(p.id as string);
    if (!rec) throw notFound("Product", p.id as string);
    return jsonResponse(200, renderProduct(ctx.sim, o, rec));
  });
  router.add("PUT", `${S}/products/:id`, (ctx, p) => {
    const o = org(ctx);
    return jsonResponse(
      200,
      renderProduct(ctx.sim, o, replaceProductRecord(ctx.sim, o, p.id as string, ctx.json())),
    );
  });
  for (const enable of [true, false]) {
    router.add("PUT", A.productTogglePath(":id", enable, c), (ctx, p) => {
      const rec = org(ctx).products.get(p.id as string);
      if (!rec) throw notFound("Product", p.id as string);
      rec.active = enable;
      rec.updated_at = ctx.now.toISOString();
      return jsonResponse(204, undefined);
    });
  }
  router.add("POST", A.productVariationsPath(":pid", c), (ctx, p) => {
    const rec = addVariation(ctx.sim, org(ctx), p.pid as string, ctx.json());
    return jsonResponse(201, rec);
  });
  router.add("GET", `${A.productVariationsPath(":pid", c)}/:id`, (ctx, p) => {
    const o = org(ctx);
    const prod = o.products.get(p.pid as string);
    if (!prod) throw notFound("Product", p.pid as string);
    const v = prod.variations.find((x) => x.id === p.id);
    if (!v) throw notFound("ProductVariation", p.id as string);
    return jsonResponse(200, { ...v, stock: ctx.sim.stockTotal(o, prod.id, v.id) });
  });
  router.add("PUT", `${A.productVariationsPath(":pid", c)}/:id`, (ctx, p) => {
    updateVariation(ctx.sim, org(ctx), p.pid as string, p.id as string, ctx.json());
    return jsonResponse(200, { message: "Variation updated successfully" });
  });
  router.add("DELETE", `${A.productVariationsPath(":pid", c)}/:id`, (ctx, p) => {
    const o = org(ctx);
    const prod = o.products.get(p.pid as string);
    if (!prod) throw notFound("Product", p.pid as string);
    const before = prod.variations.length;
    prod.variations = prod.variations.filter((x) => x.id !== p.id);
    if (prod.variations.length === before) throw notFound("ProductVariation", p.id as string);
    ctx.sim.dropItemStock(o, prod.id, p.id as string);
    return jsonResponse(204, undefined);
  });

  // ---- variation axes
  router.add("GET", `${S}/variations`, (ctx) =>
    pageOf(ctx, [...org(ctx).variationAxes.values()], (i) => [String(i.name)]),
  );
  router.add("GET", `${S}/variations/:id`, (ctx, p) => {
    const rec = org(ctx).variationAxes.get(p.id as string);
    if (!rec) throw notFound("Variation", p.id as string);
    return jsonResponse(200, rec);
  });
  router.add("POST", `${S}/variations`, (ctx) => {
    const o = org(ctx);
    const b = ctx.json();
    const name = str(b.name)?.trim();
    if (!name) throw unprocessable("O campo nome é obrigatório");
    if (!Array.isArray(b.values) || b.values.some((v) => typeof v !== "string")) {
      throw unprocessable("values deve ser uma lista de textos");
    }
    if ([...o.variationAxes.values()].some((a) => a.name === name))
      throw unprocessable(`Variação ${name} já existe`);
    const id = ctx.sim.nextId();
    const rec = { ...b, id, name, active: b.active !== false, values: [...(b.values as string[])] };
    o.variationAxes.set(id, rec);
    return jsonResponse(201, rec);
  });
  router.add("PUT", `${S}/variations/:id`, (ctx, p) => {
    const o = org(ctx);
    const rec = o.variationAxes.get(p.id as string);
    if (!rec) throw notFound("Variation", p.id as string);
    const b = ctx.json();
    if (!Array.isArray(b.values) || b.values.some((v) => typeof v !== "string")) {
      throw unprocessable("values deve ser uma lista de textos");
    }
    // Values in use by a product variation cannot be removed.
    const used = new Set<string>();
    for (const prod of o.products.values())
      for (const v of prod.variations)
        for (const x of v.values) if (x.variation_id === rec.id) used.add(x.value);
    const next = b.values as string[];
    const removed = [...used].filter((v) => !next.includes(v));
    if (removed.length > 0)
      throw unprocessable(`Valores em uso não podem ser removidos: ${removed.join(", ")}`);
    const updated = { ...rec, ...b, id: rec.id, name: str(b.name)?.trim() || rec.name, values: [...next] };
    o.variationAxes.set(rec.id, updated);
    return jsonResponse(200, updated);
  });

  // ---- files (legacy multipart, zydon-api.md §5.3)
  router.add("POST", A.RESOURCE_FILES_PATH, async (ctx) => {
    const o = org(ctx);
    const ct = ctx.req.headers["content-type"] ?? ctx.req.headers["Content-Type"];
    const contentType = Array.isArray(ct) ? ct[0] : ct;
    if (!contentType?.startsWith("multipart/form-data") || ctx.req.body === undefined) {
      throw badRequest("Esperado multipart/form-data");
    }
    const raw = ctx.req.body;
    const form = await new Response(typeof raw === "string" ? raw : Buffer.from(raw), {
      headers: { "content-type": contentType },
    }).formData();
    const files = form
      .getAll(A.RESOURCE_FILES_FIELD)
      .filter((f) => typeof f !== "string") as unknown as Array<{ name: string; type: string; size: number }>;
    if (files.length === 0) throw badRequest(`Campo ${A.RESOURCE_FILES_FIELD} obrigatório`);
    const out = files.map((f) => {
      const id = ctx.sim.uuid();
      o.files.set(id, {
        id,
        name: f.name,
        content_type: f.type || "application/octet-stream",
        content_length: f.size,
        created_at: ctx.now.toISOString(),
      });
      return { id, name: f.name };
    });
    return jsonResponse(200, { resourceFiles: out });
  });

  // ---- partners
  router.add("GET", `${S}/partners`, (ctx) =>
    pageOf(ctx, [...org(ctx).partners.values()], (p) => [
      String(p.name ?? ""),
      digits(p.fiscal_registration_number),
      digits(p.state_registration),
      String(p.email ?? ""),
    ]),
  );
  router.add("GET", `${S}/partners/:id`, (ctx, p) => {
    const rec = org(ctx).partners.get(p.id as string);
    if (!rec) throw notFound("Partner", p.id as string);
    return jsonResponse(200, rec);
  });
  router.add("POST", `${S}/partners`, (ctx) =>
    jsonResponse(201, createPartnerRecord(ctx.sim, org(ctx), ctx.json())),
  );
  router.add("PUT", `${S}/partners/:id`, (ctx, p) => {
    replacePartnerRecord(ctx.sim, org(ctx), p.id as string, ctx.json());
    return jsonResponse(200, org(ctx).partners.get(p.id as string));
  });

  // ---- payment methods (zydon-api.md §7.3)
  simpleCollection(router, "payment-methods", "PaymentMethod", (o) => o.paymentMethods);
  router.add("POST", `${S}/payment-methods`, (ctx) => {
    const o = org(ctx);
    const b = ctx.json();
    const name = str(b.name)?.trim();
    if (!name) throw unprocessable("O campo nome é obrigatório");
    const id = ctx.sim.nextId();
    const rec = { ...b, id, name, type: str(b.type) ?? "IN_FULL", active: b.active !== false };
    o.paymentMethods.set(id, rec);
    return jsonResponse(201, rec);
  });
  router.add("PUT", `${S}/payment-methods/:id`, (ctx, p) => {
    const o = org(ctx);
    const cur = o.paymentMethods.get(p.id as string);
    if (!cur) throw notFound("PaymentMethod", p.id as string);
    const b = ctx.json();
    const name = str(b.name)?.trim();
    if (!name) throw unprocessable("O campo nome é obrigatório");
    o.paymentMethods.set(cur.id, { ...cur, ...b, id: cur.id, name });
    return jsonResponse(200, { message: "PaymentMethod updated successfully" });
  });

  // ---- price tables (zydon-api.md §7.1)
  simpleCollection(router, "price-tables", "PriceTable", (o) => o.priceTables);
  router.add("POST", `${S}/price-tables`, (ctx) => {
    const o = org(ctx);
    const b = ctx.json();
    const name = str(b.name)?.trim();
    if (!name || !str(b.start_date)) throw unprocessable("name e start_date são obrigatórios");
    // zydon-api.md §7.1: "in practice end_date is required (else 500)".
    if (!str(b.end_date))
      throw new SimHttpError(500, "InternalErrorException", "java.lang.NullPointerException");
    const id = ctx.sim.nextId();
    const rec = { criteria: [], ...b, id, name, products: [] as Json[] };
    o.priceTables.set(id, rec);
    return jsonResponse(201, rec);
  });
  router.add("PUT", A.priceTableProductsPath(":id", c), (ctx, p) => {
    const o = org(ctx);
    const table = o.priceTables.get(p.id as string);
    if (!table) throw notFound("PriceTable", p.id as string);
    const b = ctx.json();
    if (!Array.isArray(b.products)) throw unprocessable("products deve ser uma lista");
    const rows = (b.products as Json[]).map((row) => {
      const pid = str(row.product_id);
      const vid = str(row.product_variation_id);
      const price = num(row.price);
      if (!pid) throw unprocessable("product_id é obrigatório");
      const prod = o.products.get(pid);
      if (!prod) throw notFound("Product", pid);
      const variation = vid ? prod.variations.find((v) => v.id === vid) : null;
      if (vid && !variation) throw unprocessable(`Variação ${vid} não pertence ao produto ${pid}`);
      if (price === null || price < 0) throw unprocessable("price deve ser um número não negativo");
      return {
        product_id: pid,
        product_variation_id: vid,
        price,
        base_price: variation ? (variation.price ?? prod.price) : prod.price,
        sku: variation?.sku ?? prod.sku,
        name: prod.name,
      };
    });
    table.products = rows;
    return jsonResponse(204, undefined);
  });

  // ---- stock (zydon-api.md §7.2)
  const stockTarget = (o: OrgState, b: Json) => {
    const pid = str(b.product_id);
    if (!str(b.type)) throw unprocessable("O campo type é obrigatório");
    if (!pid) throw unprocessable("product_id é obrigatório");
    const prod = o.products.get(pid);
    if (!prod) throw notFound("Product", pid);
    const vid = str(b.product_variation_id);
    if (vid && !prod.variations.some((v) => v.id === vid))
      throw unprocessable(`Variação ${vid} não pertence ao produto`);
    if (str(b.type) !== A.stockTargetType(vid))
      throw unprocessable(`type ${String(b.type)} inválido para o alvo`);
    const wid = str(b.warehouse_id) ?? o.defaultWarehouseId;
    if (!o.warehouses.has(wid)) throw notFound("Warehouse", wid);
    return { pid, vid, wid };
  };
  const stockView = (o: OrgState, rec: ReturnType<ApiContext["sim"]["stockRecord"]>) => ({
    id: `${rec.product_id}:${rec.product_variation_id ?? ""}:${rec.warehouse_id}`,
    ...rec,
    company_id: null,
    active: true,
    available: rec.total - rec.reserved,
    organization_id: o.id,
  });
  router.add("PUT", c.stockOverridePath, (ctx) => {
    const o = org(ctx);
    const b = ctx.json();
    const t = stockTarget(o, b);
    const total = num(b.total);
    if (total === null || total < 0) throw unprocessable("total deve ser um número não negativo");
    const rec = ctx.sim.stockRecord(o, t.pid, t.vid, t.wid);
    rec.total = total;
    return jsonResponse(200, stockView(o, rec));
  });
  router.add("PUT", A.STOCK_MOVEMENT_PATH, (ctx) => {
    const o = org(ctx);
    const b = ctx.json();
    const t = stockTarget(o, b);
    const rec = ctx.sim.stockRecord(o, t.pid, t.vid, t.wid);
    rec.total += num(b.total) ?? 0;
    rec.reserved += num(b.reserved) ?? 0;
    return jsonResponse(200, stockView(o, rec));
  });

  simpleCollection(router, "warehouses", "Warehouse", (o) => o.warehouses);
  simpleCollection(router, "measure-units", "MeasureUnit", (o) => o.measureUnits);
  // ---- categories and brands (zydon-api.md §5.4: a tree; the bodies are adapter.ts's guesses)
  simpleCollection(router, "categories", "Category", (o) => o.categories);
  const categoryBody = (o: OrgState, b: Json, self: string | null) => {
    const name = str(b.name)?.trim();
    if (!name) throw unprocessable("O campo nome é obrigatório");
    const parent = A.categoryParentId({ root_id: str(b.root_id) });
    if (parent && !o.categories.has(parent)) throw notFound("Category", parent);
    // A category cannot sit under itself or under one of its own descendants.
    for (let at = parent; at; at = A.categoryParentId({ root_id: str(o.categories.get(at)?.root_id) })) {
      if (at === self) throw unprocessable("Uma categoria não pode ser filha de si mesma");
    }
    return { name, root_id: parent, active: b.active !== false };
  };
  router.add("POST", `${S}/categories`, (ctx) => {
    const o = org(ctx);
    const b = ctx.json();
    const id = ctx.sim.nextId();
    const rec = { ...b, id, ...categoryBody(o, b, null) };
    o.categories.set(id, rec);
    return jsonResponse(201, rec);
  });
  router.add("PUT", `${S}/categories/:id`, (ctx, p) => {
    const o = org(ctx);
    const cur = o.categories.get(p.id as string);
    if (!cur) throw notFound("Category", p.id as string);
    const b = ctx.json();
    o.categories.set(cur.id, { ...b, id: cur.id, ...categoryBody(o, b, cur.id) });
    return jsonResponse(200, { message: "Category updated successfully" });
  });
  simpleCollection(router, "brands", "Brand", (o) => o.brands);
  router.add("POST", `${S}/brands`, (ctx) => {
    const o = org(ctx);
    const b = ctx.json();
    const name = str(b.name)?.trim();
    if (!name) throw unprocessable("O campo nome é obrigatório");
    const id = ctx.sim.nextId();
    const rec = { ...b, id, name, active: b.active !== false };
    o.brands.set(id, rec);
    return jsonResponse(201, rec);
  });

  // ---- statuses (zydon-api.md §8.3)
  router.add("GET", `${S}/status`, (ctx) =>
    pageOf(ctx, [...org(ctx).statuses.values()] as unknown as Json[], (s) => [
      String(s.name),
      String(s.title),
    ]),
  );
  router.add("GET", `${S}/status/:id`, (ctx, p) => {
    const rec = org(ctx).statuses.get(p.id as string);
    if (!rec) throw notFound("Status", p.id as string);
    return jsonResponse(200, rec);
  });

  // ---- sales and orders (zydon-api.md §8.1/§8.2)
  router.add("GET", `${S}/sales`, (ctx) => {
    const o = org(ctx);
    const q = ctx.url.searchParams;
    const start = q.get(A.SALES_SINCE_PARAM);
    const final = q.get("final_date");
    const partner = q.get("partner_id");
    const startMs = start ? Date.parse(start) : null;
    const finalMs = final ? Date.parse(final) : null;
    if ((start && Number.isNaN(startMs)) || (final && Number.isNaN(finalMs)))
      throw badRequest("Data inválida");
    const all = [...o.orders.values()]
      .filter((x) => startMs === null || Date.parse(x.createdAt) >= startMs)
      .filter((x) => finalMs === null || Date.parse(x.createdAt) <= finalMs)
      .filter((x) => !partner || x.partnerId === partner)
      .map((x) => renderSaleListItem(o, x));
    return pageOf(ctx, all, (s) => [String(s.id), String(s.partner_name ?? "")]);
  });
  router.add("GET", `${S}/sales/:id`, (ctx, p) => {
    const o = org(ctx);
    const rec = o.orders.get(p.id as string);
    if (!rec) throw notFound("Sale", p.id as string);
    return jsonResponse(200, renderSale(o, rec));
  });
  router.add("GET", `${S}/orders`, (ctx) => {
    const o = org(ctx);
    return pageOf(
      ctx,
      [...o.orders.values()].map((x) => renderOrder(o, x)),
      (x) => [String(x.id)],
    );
  });
  router.add("GET", `${S}/orders/:id`, (ctx, p) => {
    const o = org(ctx);
    const rec = o.orders.get(p.id as string);
    if (!rec) throw notFound("Order", p.id as string);
    return jsonResponse(200, renderOrder(o, rec));
  });
  router.add("PUT", A.orderStatusPath(":id", c), (ctx, p) => {
    const b = ctx.json();
    const statusId = str(b[c.orderStatusField]);
    if (!statusId) throw unprocessable(`${c.orderStatusField} é obrigatório`);
    const o = org(ctx);
    const moved = changeOrderStatus(ctx.sim, o, p.id as string, statusId);
    // Zydon announces the change to plugins like any other (zydon-api.md §9 [ZS-233]), after answering.
    if (moved) ctx.sim.announceOrderUpdate(o, moved);
    return jsonResponse(204, undefined);
  });
  router.add("POST", A.orderInvoicePath(":id"), (ctx, p) => {
    const o = org(ctx);
    const order = o.orders.get(p.id as string);
    if (!order) throw notFound("Order", p.id as string);
    const q = ctx.url.searchParams;
    const key = q.get("invoice_key") ?? "";
    if (!/^\d{44}$/.test(key)) throw unprocessable("invoice_key deve ter 44 dígitos");
    const xml = q.get("xml_file_id");
    const danfe = q.get("danfe_file_id");
    for (const f of [xml, danfe])
      if (f && !o.files.has(f)) throw unprocessable(`Arquivo ${f} não encontrado`);
    if (order.invoices.some((i) => i.invoice_key === key)) throw unprocessable(`Nota ${key} já anexada`);
    const inv = { invoice_key: key, xml_resource_id: xml, danfe_resource_id: danfe };
    order.invoices.push(inv);
    return jsonResponse(201, inv);
  });
  router.add(A.ORDER_ATTRIBUTES_METHOD, A.orderAttributesPath(":id", c), (ctx, p) => {
    const o = org(ctx);
    return jsonResponse(200, renderOrder(o, replaceOrderAttributes(o, p.id as string, ctx.json())));
  });
}
