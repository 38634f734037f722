import {
  zydonAdapter as A,
  type FetchLike,
  type ZydonAccessKey,
  type ZydonApp,
  ZydonNetworkError,
} from "@zb/zydon";
import type { Check } from "./check.js";

export interface ZydonProbeTarget {
  /** The deployment's ZydonApp: plugin credentials and the contract (defaults + overrides) under test. */
  app: ZydonApp;
  apiBaseUrl: string;
  pluginId: string;
  accessKey: string;
  /** One real tenant's access-key pair. */
  tenantKey: ZydonAccessKey;
  /** Needed by --write checks that must not touch a merchant's records: ids of records made for the probe. */
  orderId?: string | undefined;
  priceTableId?: string | undefined;
  fetch?: FetchLike;
}

const S = A.SALES_PREFIX;
const CONTRACT = "contract entry";

/** Status of a raw request to a route whose path is a guess: 404 (or 405) means the route is not there. */
async function routeStatus(
  t: ZydonProbeTarget,
  init: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<number> {
  const f = t.fetch ?? ((i, o) => fetch(i, o));
  try {
    const res = await f(`${t.apiBaseUrl.replace(/\/$/, "")}${init.path}`, {
      method: init.method,
      headers: init.headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new ZydonNetworkError({ status: null, method: init.method, path: init.path, timedOut, cause: err });
  }
}

function routeVerdict(status: number, refusedMeans: string): string | { contradicted: string } {
  if (status === 404 || status === 405) return { contradicted: `HTTP ${status}: no such route at this path` };
  if (status >= 500) return { contradicted: `HTTP ${status}` };
  if (status >= 400) return `route answers (HTTP ${status} ${refusedMeans})`;
  return { contradicted: `HTTP ${status}: a made-up input was accepted` };
}

export function zydonChecks(t: ZydonProbeTarget, opts: { write: boolean }): Check[] {
  const c = t.app.contract;
  const client = t.app.client(t.tenantKey);
  const z = (x: Omit<Check, "system">): Check => ({ system: "zydon", ...x });
  const state: { productId?: string } = {};
  const needsWrite = { notChecked: "needs --write" };

  const checks: Check[] = [
    z({
      assumption: "ACCESS_KEY_*_HEADER, FIRST_PAGE=0, products page (productSchema)",
      request: `GET ${S}/products?page=0&perPage=1`,
      fix: "adapter.ts ACCESS_KEY_CODE_HEADER / ACCESS_KEY_TOKEN_HEADER (401) or FIRST_PAGE (currentPage)",
      run: async () => {
        const page = await client.products.list({ perPage: 1 });
        if (page.currentPage !== undefined && page.currentPage !== A.FIRST_PAGE)
          return { contradicted: `currentPage ${page.currentPage} for page=${A.FIRST_PAGE}` };
        return `${page.items.length} item(s), currentPage ${page.currentPage ?? "absent"}`;
      },
    }),
    z({
      assumption: "partners page (partnerSchema)",
      request: `GET ${S}/partners?page=0&perPage=1`,
      fix: "schemas.ts partnerSchema",
      run: async () => `${(await client.partners.list({ perPage: 1 })).items.length} item(s)`,
    }),
    z({
      assumption: "payment methods page (paymentMethodSchema)",
      request: `GET ${S}/payment-methods?page=0&perPage=1`,
      fix: "schemas.ts paymentMethodSchema",
      run: async () => `${(await client.paymentMethods.list({ perPage: 1 })).items.length} item(s)`,
    }),
    z({
      assumption: "price tables page (priceTableSchema)",
      request: `GET ${S}/price-tables?page=0&perPage=1`,
      fix: "schemas.ts priceTableSchema",
      run: async () => `${(await client.priceTables.list({ perPage: 1 })).items.length} item(s)`,
    }),
    z({
      assumption: "statuses with relations/can_edit_by_api (statusSchema)",
      request: `GET ${S}/status?page=0&perPage=1`,
      fix: "schemas.ts statusSchema; adapter.ts statusTransitionAllowed",
      run: async () => `${(await client.statuses.list({ perPage: 1 })).items.length} item(s)`,
    }),
    z({
      assumption: "warehouses page (namedSchema)",
      request: `GET ${S}/warehouses?page=0&perPage=1`,
      fix: "schemas.ts namedSchema",
      run: async () => `${(await client.warehouses.list({ perPage: 1 })).items.length} item(s)`,
    }),
    z({
      assumption: `SALES_SINCE_PARAM=${A.SALES_SINCE_PARAM}, SALE_ID_IS_ORDER_ID (saleListItemSchema, orderSchema)`,
      request: `GET ${S}/sales?${A.SALES_SINCE_PARAM}=…; GET ${S}/orders/{sale id}`,
      fix: "adapter.ts SALES_SINCE_PARAM / SALE_ID_IS_ORDER_ID",
      run: async () => {
        const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
        const page = await client.sales.list({ perPage: 1, [A.SALES_SINCE_PARAM]: since });
        const sale = page.items[0];
        if (!sale) return { notChecked: "no sale in the last 30 days to read back as an order" };
        const order = await client.orders.get(String(sale.id));
        return `sale ${sale.id} reads back as order ${order.id}`;
      },
    }),
    z({
      assumption: "ACCESS_KEY_LOGIN_PATH, JWT_ORGANIZATION_CLAIMS",
      request: `POST ${A.ACCESS_KEY_LOGIN_PATH}`,
      fix: "adapter.ts JWT_ORGANIZATION_CLAIMS",
      run: async () => {
        const login = await client.portalLogin();
        return login.organizationId
          ? `JWT names organization ${login.organizationId}`
          : { contradicted: `JWT has none of ${A.JWT_ORGANIZATION_CLAIMS.join(", ")}` };
      },
    }),
    z({
      assumption: `token exchange path ${c.tokenExchangePath} (Basic client_id:access_key, form body)`,
      request: `POST ${c.tokenExchangePath} (made-up code)`,
      fix: `${CONTRACT} tokenExchangePath (ZYDON_TOKEN_EXCHANGE_PATH)`,
      run: async () => {
        const req = A.tokenExchangeRequest({
          pluginId: t.pluginId,
          accessKey: t.accessKey,
          code: "zb-probe-made-up-code",
          redirectUri: "https://probe.invalid/callback",
          grantType: c.tokenExchangeGrantType,
        });
        const status = await routeStatus(t, {
          method: "POST",
          path: c.tokenExchangePath,
          headers: req.headers,
          body: req.body,
        });
        return routeVerdict(status, "for a made-up code");
      },
    }),
    z({
      // Issue 21 #7: a session opens the settings only with an admin profile claim (adapter guess, §3).
      assumption: `admin session check ${c.adminSessionVerifyPath} (Bearer; claim "${A.ADMIN_SESSION_PROFILE_CLAIM}" ∈ ${A.ADMIN_SESSION_ALLOWED_PROFILES.join("|")})`,
      request: `GET ${c.adminSessionVerifyPath} (made-up token)`,
      fix: `${CONTRACT} adminSessionVerifyPath; adapter.ts ADMIN_SESSION_PROFILE_CLAIM / ADMIN_SESSION_ALLOWED_PROFILES`,
      run: async () => {
        const status = await routeStatus(t, {
          method: "GET",
          path: c.adminSessionVerifyPath,
          headers: A.adminSessionRequestHeaders("zb-probe-made-up-token"),
        });
        return routeVerdict(status, "for a made-up token");
      },
    }),
    z({
      // Issue 19 #1: the tree is read through `root_id` (adapter.ts categoryParentId, INFERENCE §5.4).
      assumption: "categories page (categorySchema; root_id = parent category)",
      request: `GET ${S}/categories?page=0&perPage=${A.MAX_PER_PAGE}`,
      fix: "schemas.ts categorySchema; adapter.ts categoryParentId / categoryWriteBody",
      run: async () => {
        const items = (await client.categories.list({ perPage: A.MAX_PER_PAGE })).items;
        const ids = new Set(items.map((x) => x.id));
        const roots = items.filter((x) => A.categoryParentId(x) === null).length;
        const orphan = items.find((x) => {
          const parent = A.categoryParentId(x);
          return parent !== null && !ids.has(parent) && items.length < A.MAX_PER_PAGE;
        });
        if (orphan)
          return { contradicted: `category ${orphan.id}'s root_id ${orphan.root_id} is no category` };
        return `${items.length} item(s), ${roots} root(s)`;
      },
    }),
    z({
      assumption: "brands page (namedSchema)",
      request: `GET ${S}/brands?page=0&perPage=1`,
      fix: "schemas.ts namedSchema; adapter.ts brandWriteBody",
      run: async () => `${(await client.brands.list({ perPage: 1 })).items.length} item(s)`,
    }),
  ];

  // Writes: one clearly named test product, disabled again at the end (Zydon documents no product delete).
  const sku = `ZB-PROBE-${Date.now()}`;
  checks.push(
    z({
      assumption: "product create (createdSchema) and read back (productSchema)",
      request: `POST ${S}/products; GET ${S}/products/{id}`,
      fix: "schemas.ts createdSchema / productSchema",
      run: async () => {
        if (!opts.write) return needsWrite;
        state.productId = await client.products.create({
          name: "ZB PROBE — produto de teste, pode remover",
          sku,
          price: 1,
          active: true,
        });
        const back = await client.products.get(state.productId);
        return `created ${back.id} (sku ${sku})`;
      },
    }),
    z({
      assumption: `stock override ${c.stockOverridePath} (stockOverrideBody)`,
      request: `PUT ${c.stockOverridePath}`,
      fix: `${CONTRACT} stockOverridePath; adapter.ts stockOverrideBody`,
      run: async () => {
        if (!opts.write || !state.productId) return needsWrite;
        await client.stock.override({ productId: state.productId, variationId: null, quantity: 0 });
        return "quantity set to 0 on the probe product";
      },
    }),
    z({
      assumption: `product variation add ${c.productVariationsPath}`,
      request: `POST ${c.productVariationsPath}`,
      fix: `${CONTRACT} productVariationsPath`,
      run: async () => {
        if (!opts.write || !state.productId) return needsWrite;
        const vid = await client.products.createVariation(state.productId, {
          sku: `${sku}-V`,
          price: 1,
          values: [],
        });
        await client.products.deleteVariation(state.productId, vid);
        return `variation ${vid} added and deleted`;
      },
    }),
    z({
      assumption: `price-table products ${c.priceTableProductsPath}`,
      request: `PUT ${c.priceTableProductsPath}`,
      fix: `${CONTRACT} priceTableProductsPath`,
      run: async () => {
        if (!opts.write || !state.productId) return needsWrite;
        if (!t.priceTableId) return { notChecked: "pass --price-table-id of a table made for the probe" };
        await client.priceTables.putProducts(t.priceTableId, [
          { product_id: state.productId, product_variation_id: null, price: 1 },
        ]);
        return `probe product priced in table ${t.priceTableId}`;
      },
    }),
    z({
      assumption: `order status change ${c.orderStatusPath} {${c.orderStatusField}}`,
      request: `PUT ${c.orderStatusPath}`,
      fix: `${CONTRACT} orderStatusPath / orderStatusField`,
      run: async () => {
        if (!opts.write) return needsWrite;
        if (!t.orderId) return { notChecked: "pass --order-id of an order made for the probe" };
        const order = await client.orders.get(t.orderId);
        const current = order.statuses.at(-1)?.status_id;
        if (!current) return { notChecked: `order ${t.orderId} has no status to set again` };
        // The order's own current status again: checks the route and body without moving the order.
        await client.orders.setStatus(t.orderId, String(current));
        return `order ${t.orderId} set to its current status ${current}`;
      },
    }),
    z({
      assumption: `order attributes ${A.ORDER_ATTRIBUTES_METHOD} ${c.orderAttributesPath} {attributes} (post-sale marks ${c.trackingCodeAttribute}, ${c.deliveredAtAttribute}, ${c.cancelledInvoicesAttribute})`,
      request: `${A.ORDER_ATTRIBUTES_METHOD} ${c.orderAttributesPath}`,
      fix: `${CONTRACT} orderAttributesPath / trackingCodeAttribute / deliveredAtAttribute / cancelledInvoicesAttribute`,
      run: async () => {
        if (!opts.write) return needsWrite;
        if (!t.orderId) return { notChecked: "pass --order-id of an order made for the probe" };
        // The order's own attributes written back: checks the route and body without changing the order.
        const attrs = A.attributeStrings((await client.orders.get(t.orderId)).attributes);
        await client.orders.setAttributes(t.orderId, attrs);
        const back = A.attributeStrings((await client.orders.get(t.orderId)).attributes);
        if (JSON.stringify(back) !== JSON.stringify(attrs))
          return { contradicted: `attributes read back differ: ${JSON.stringify(back).slice(0, 200)}` };
        return `order ${t.orderId}: its ${Object.keys(attrs).length} attributes written back unchanged`;
      },
    }),
    z({
      assumption: `product disable ${c.productDisablePath} (cleanup)`,
      request: `PUT ${c.productDisablePath}`,
      fix: `${CONTRACT} productDisablePath / productEnablePath`,
      run: async () => {
        if (!opts.write || !state.productId) return needsWrite;
        await client.products.disable(state.productId);
        return `probe product ${state.productId} disabled`;
      },
    }),
  );
  return checks;
}
