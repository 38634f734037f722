import { z } from "zod";
import {
  ACCESS_KEY_CODE_HEADER,
  ACCESS_KEY_LOGIN_PATH,
  ACCESS_KEY_TOKEN_HEADER,
  accessKeyLoginBody,
  attributeStrings,
  brandWriteBody,
  categoryWriteBody,
  DEFAULT_PER_PAGE,
  FIRST_PAGE,
  MAX_PER_PAGE,
  ORDER_ATTRIBUTES_METHOD,
  type OrderPostSaleMarks,
  orderAttributesBody,
  orderAttributesPath,
  orderInvoicePath,
  orderStatusBody,
  orderStatusPath,
  organizationIdFromJwt,
  PARTNER_READ_ONLY_FIELDS,
  PRODUCT_READ_ONLY_FIELDS,
  partnerCreateBody,
  postSaleAttributes,
  priceTableProductsPath,
  productTogglePath,
  productVariationsPath,
  RESOURCE_FILES_FIELD,
  RESOURCE_FILES_PATH,
  readPostSaleAttributes,
  SALES_PREFIX,
  SALES_SINCE_PARAM,
  SEARCH_PARAM,
  STOCK_MOVEMENT_PATH,
  stockOverrideBody,
  withoutEchoedStock,
} from "./adapter.js";
import { DEFAULT_ZYDON_CONTRACT, type ZydonContract } from "./contract.js";
import { type FetchLike, HttpCore, type ZydonLogger } from "./http.js";
import { OutboundFetcher } from "./outbound.js";
import { type ListQuery, paginate } from "./pagination.js";
import { type CallAttemptCap, clientFetch, type ZydonBudgetHook, type ZydonRetryOptions } from "./retry.js";
import {
  accessKeyLoginSchema,
  categorySchema,
  createdSchema,
  invoiceResultSchema,
  measureUnitSchema,
  namedSchema,
  orderSchema,
  type Page,
  pageSchema,
  partnerSchema,
  paymentMethodSchema,
  priceTableSchema,
  productSchema,
  productVariationSchema,
  resourceFilesSchema,
  saleListItemSchema,
  saleSchema,
  statusSchema,
  stockSchema,
  variationAxisSchema,
  type ZydonInvoiceResult,
  type ZydonOrder,
  type ZydonPartner,
  type ZydonProduct,
  type ZydonProductVariation,
  type ZydonSale,
  type ZydonSaleListItem,
  type ZydonStock,
} from "./schemas.js";

export interface ZydonAccessKey {
  code: string;
  token: string;
}

export interface ZydonClientOptions {
  baseUrl: string;
  accessKey: ZydonAccessKey;
  timeoutMs?: number;
  /** Image uploads take ~26 s at Zydon (zydon-api.md §4 "Latency"): their own, long timeout. */
  uploadTimeoutMs?: number;
  fetch?: FetchLike;
  /**
   * Repeat one HTTP request after a short-lived failure (retry.ts; `true` = the default policy, at most
   * `ZYDON_MAX_ATTEMPTS` requests per call). Off by default: each request is sent once.
   */
  retry?: ZydonRetryOptions | boolean;
  /** Cross-layer cap of one logical call's failed requests (retry.ts `CallAttemptCap`; the worker's, per job). */
  attemptCap?: CallAttemptCap;
  /**
   * Longest download of one tenant-supplied file (an image or NF-e link) before that URL is given up
   * (default: `uploadTimeoutMs`). A slow "drip" source must not hold a worker slot for minutes.
   */
  downloadTimeoutMs?: number;
  logger?: ZydonLogger;
  now?: () => Date;
  /** Resolved contract (`resolveZydonContract`); defaults to DEFAULT_ZYDON_CONTRACT. */
  contract?: ZydonContract;
  /**
   * Fetches the URLs taken from tenant data (image and NF-e links) with the SSRF guard and size cap of
   * outbound.ts. Default: one shared fetcher that reaches public addresses only.
   */
  outbound?: OutboundFetcher;
  /** Awaited before every HTTP request to Zydon, retries included (the per-tenant Zydon budget). */
  budget?: ZydonBudgetHook;
}

let defaultOutbound: OutboundFetcher | undefined;
function sharedOutbound(): OutboundFetcher {
  defaultOutbound ??= new OutboundFetcher();
  return defaultOutbound;
}

type JsonBody = Record<string, unknown>;
const enc = encodeURIComponent;

function listParams(q: ListQuery = {}): Record<string, string | number | boolean | null | undefined> {
  const { page, perPage, ...rest } = q;
  return { ...rest, page: page ?? FIRST_PAGE, perPage: Math.min(perPage ?? DEFAULT_PER_PAGE, MAX_PER_PAGE) };
}

/** list/iterate/get over one `/api/sales/<name>` collection. */
function collection<S extends z.ZodType>(http: HttpCore, base: string, item: S) {
  const page = pageSchema(item);
  const list = (q?: ListQuery): Promise<Page<z.output<S>>> =>
    http.json(page, { method: "GET", path: base, query: listParams(q) }) as Promise<Page<z.output<S>>>;
  return {
    list,
    iterate: (q: Omit<ListQuery, "page"> = {}): AsyncGenerator<z.output<S>, void, undefined> =>
      paginate(
        (p, perPage) => list({ ...q, page: p, perPage }),
        typeof q.perPage === "number" ? { perPage: q.perPage } : {},
      ),
    get: (id: string): Promise<z.output<S>> => http.json(item, { method: "GET", path: `${base}/${enc(id)}` }),
  };
}

function stripFields(obj: JsonBody, fields: readonly string[]): JsonBody {
  const out: JsonBody = { ...obj };
  for (const f of fields) delete out[f];
  return out;
}

const digits = (s: string | null | undefined) => (s ?? "").replace(/\D/g, "");

export class ZydonClient {
  readonly http: HttpCore;
  private readonly uploadTimeoutMs: number;
  private readonly downloadTimeoutMs: number;
  private readonly fetchImpl: FetchLike;
  private readonly outbound: OutboundFetcher;

  readonly products;
  readonly variationAxes;
  readonly files;
  readonly partners;
  readonly paymentMethods;
  readonly priceTables;
  readonly stock;
  readonly warehouses;
  readonly statuses;
  readonly sales;
  readonly orders;
  readonly measureUnits;
  readonly categories;
  readonly brands;

  constructor(private readonly opts: ZydonClientOptions) {
    const key = opts.accessKey;
    const c = opts.contract ?? DEFAULT_ZYDON_CONTRACT;
    this.uploadTimeoutMs = opts.uploadTimeoutMs ?? 180_000;
    this.downloadTimeoutMs = opts.downloadTimeoutMs ?? this.uploadTimeoutMs;
    this.fetchImpl = clientFetch(opts.fetch, opts.retry, opts.attemptCap, opts.budget);
    this.outbound = opts.outbound ?? sharedOutbound();
    this.http = new HttpCore({
      baseUrl: opts.baseUrl,
      timeoutMs: opts.timeoutMs ?? 30_000,
      authHeaders: () => ({ [ACCESS_KEY_CODE_HEADER]: key.code, [ACCESS_KEY_TOKEN_HEADER]: key.token }),
      fetch: this.fetchImpl,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      notFoundRetryWindowMs: c.notFoundRetryWindowMs,
    });
    const http = this.http;
    const S = SALES_PREFIX;

    const create = async (path: string, body: JsonBody): Promise<string> => {
      const { id } = await http.json(createdSchema, { method: "POST", path, json: body });
      http.rememberCreated(id);
      return id;
    };

    // ---- products (zydon-api.md §5.1/§5.2)
    const productsBase = collection(http, `${S}/products`, productSchema);
    const getProduct = (id: string) =>
      http.json(productSchema, {
        method: "GET",
        path: `${S}/products/${enc(id)}`,
        query: { summary: false },
      });
    const updateProduct = (id: string, body: JsonBody) =>
      http.void({ method: "PUT", path: `${S}/products/${enc(id)}`, json: body });
    this.products = {
      list: productsBase.list,
      iterate: productsBase.iterate,
      get: getProduct,
      create: (body: JsonBody) => create(`${S}/products`, body),
      /** PUT is a full replace (zydon-api.md §5.1): send the whole product, or use `modify`. */
      update: updateProduct,
      /** GET → drop read-only fields → edit → PUT, the integrators' pattern (zydon-api.md §5.1 [M-img]). */
      modify: async (id: string, edit: (body: JsonBody) => JsonBody | undefined): Promise<JsonBody> => {
        const current = (await getProduct(id)) as JsonBody;
        const body = withoutEchoedStock(stripFields(current, PRODUCT_READ_ONLY_FIELDS));
        const next = edit(body) ?? body;
        await updateProduct(id, next);
        return next;
      },
      enable: (id: string) => http.void({ method: "PUT", path: productTogglePath(id, true, c) }),
      disable: (id: string) => http.void({ method: "PUT", path: productTogglePath(id, false, c) }),
      /** Exact SKU match on a product or one of its variations (search semantics are a guess; see adapter). */
      findBySku: async (
        sku: string,
      ): Promise<{ product: ZydonProduct; variation: ZydonProductVariation | null } | null> => {
        for await (const item of productsBase.iterate({ [SEARCH_PARAM]: sku })) {
          if (item.sku === sku) return { product: await getProduct(item.id), variation: null };
          const listed = item.variations?.find((v) => v.sku === sku);
          if (listed || item.variations == null) {
            const full = await getProduct(item.id);
            if (full.sku === sku) return { product: full, variation: null };
            const v = full.variations?.find((x) => x.sku === sku);
            if (v) return { product: full, variation: v };
          }
        }
        return null;
      },
      getVariation: (productId: string, variationId: string) =>
        http.json(productVariationSchema, {
          method: "GET",
          path: `${productVariationsPath(productId, c)}/${enc(variationId)}`,
        }),
      createVariation: (productId: string, body: JsonBody) =>
        create(productVariationsPath(productId, c), body),
      updateVariation: (productId: string, variationId: string, body: JsonBody) =>
        http.void({
          method: "PUT",
          path: `${productVariationsPath(productId, c)}/${enc(variationId)}`,
          json: body,
        }),
      deleteVariation: (productId: string, variationId: string) =>
        http.void({ method: "DELETE", path: `${productVariationsPath(productId, c)}/${enc(variationId)}` }),
      /** Points the product's images at uploaded files; the first is main (zydon-api.md §5.1 `images`). */
      setImages: (productId: string, resourceFileIds: string[]) =>
        this.products.modify(productId, (b) => ({
          ...b,
          images: resourceFileIds.map((id, i) => ({ resource_file_id: id, main: i === 0 })),
        })),
    };

    this.variationAxes = {
      ...collection(http, `${S}/variations`, variationAxisSchema),
      create: (body: { name: string; active: boolean; values: string[] } & JsonBody) =>
        create(`${S}/variations`, body),
      /** Add values to an axis (full replace of the axis; path by analogy with the other resources — INFERENCE). */
      update: (id: string, body: { name: string; active: boolean; values: string[] } & JsonBody) =>
        http.void({ method: "PUT", path: `${S}/variations/${enc(id)}`, json: body }),
    };

    // ---- files (zydon-api.md §5.3, legacy multipart — the path integrators use successfully)
    const uploadImage = async (input: {
      bytes: Uint8Array;
      fileName: string;
      contentType: string;
    }): Promise<{ resourceFileId: string }> => {
      const form = new FormData();
      form.append(
        RESOURCE_FILES_FIELD,
        new Blob([input.bytes as Uint8Array<ArrayBuffer>], { type: input.contentType }),
        input.fileName,
      );
      const res = await http.json(resourceFilesSchema, {
        method: "POST",
        path: RESOURCE_FILES_PATH,
        multipart: form,
        timeoutMs: this.uploadTimeoutMs,
      });
      const id = res.resourceFiles[0]?.id;
      if (!id) throw new Error("unreachable: schema requires one file");
      return { resourceFileId: id };
    };
    /**
     * Downloads a file from a tenant-supplied URL (a Bling image, an NF-e XML or DANFE) through the guarded
     * fetcher (outbound.ts: public addresses only, redirects checked, 10 MiB cap) and uploads it. A document
     * keeps the caller's `fileName`/`contentType` (Bling's document links end in `.php`). Slow.
     */
    const uploadFromUrl = async (
      url: string,
      opts: { fileName?: string; contentType?: string } = {},
    ): Promise<{ resourceFileId: string }> => {
      const file = await this.outbound.fetch(url, {
        kind: "document",
        timeoutMs: this.downloadTimeoutMs,
        ...opts,
      });
      return uploadImage(file);
    };
    this.files = {
      uploadImage,
      uploadFromUrl,
      /**
       * Downloads the image (e.g. from Bling) and uploads it: the bytes must be PNG, JPEG, GIF or WebP, and
       * the file is named from its content (never from the URL). Slow: call it outside product writes.
       */
      uploadImageFromUrl: async (url: string): Promise<{ resourceFileId: string }> => {
        const file = await this.outbound.fetch(url, { kind: "image", timeoutMs: this.downloadTimeoutMs });
        return uploadImage(file);
      },
      /**
       * Only the download half (guarded, image bytes checked, `downloadTimeoutMs`): the image pipeline tells a
       * source that refuses or times out (that URL is given up) from an upload that failed (retried later).
       */
      downloadImage: (url: string) =>
        this.outbound.fetch(url, { kind: "image", timeoutMs: this.downloadTimeoutMs }),
    };

    // ---- partners (zydon-api.md §6)
    const partnersBase = collection(http, `${S}/partners`, partnerSchema);
    const getPartner = (id: string) =>
      http.json(partnerSchema, {
        method: "GET",
        path: `${S}/partners/${enc(id)}`,
        query: { summary: false },
      });
    const updatePartner = (id: string, body: JsonBody) =>
      http.void({ method: "PUT", path: `${S}/partners/${enc(id)}`, json: body });
    this.partners = {
      list: partnersBase.list,
      iterate: partnersBase.iterate,
      get: getPartner,
      create: (body: Parameters<typeof partnerCreateBody>[0]) =>
        create(`${S}/partners`, partnerCreateBody(body)),
      update: updatePartner,
      modify: async (id: string, edit: (body: JsonBody) => JsonBody | undefined): Promise<JsonBody> => {
        const body = stripFields((await getPartner(id)) as JsonBody, PARTNER_READ_ONLY_FIELDS);
        const next = edit(body) ?? body;
        await updatePartner(id, next);
        return next;
      },
      /** Exact match on CPF/CNPJ digits, or on IE/RG when that is all the partner has. */
      findByDocument: async (document: string): Promise<ZydonPartner | null> => {
        const want = digits(document);
        if (!want) return null;
        for await (const p of partnersBase.iterate({ [SEARCH_PARAM]: want })) {
          if (digits(p.fiscal_registration_number) === want || digits(p.state_registration) === want)
            return p;
        }
        return null;
      },
    };

    // ---- payment methods (zydon-api.md §7.3)
    this.paymentMethods = {
      ...collection(http, `${S}/payment-methods`, paymentMethodSchema),
      create: (body: { name: string; type?: string; active?: boolean } & JsonBody) =>
        create(`${S}/payment-methods`, body),
      update: (id: string, body: { name: string } & JsonBody) =>
        http.void({ method: "PUT", path: `${S}/payment-methods/${enc(id)}`, json: body }),
    };

    // ---- price tables (zydon-api.md §7.1)
    this.priceTables = {
      ...collection(http, `${S}/price-tables`, priceTableSchema),
      create: (body: JsonBody) => create(`${S}/price-tables`, body),
      putProducts: (
        priceTableId: string,
        products: Array<{ product_id: string; product_variation_id: string | null; price: number }>,
      ) => http.void({ method: "PUT", path: priceTableProductsPath(priceTableId, c), json: { products } }),
    };

    // ---- stock (zydon-api.md §7.2)
    const optionalStock = stockSchema.or(z.undefined()).or(z.looseObject({}));
    this.stock = {
      /** Absolute quantity (the "Override" guess): what a Bling balance sync wants. */
      override: async (input: {
        productId: string;
        variationId: string | null;
        warehouseId?: string | null;
        quantity: number;
      }): Promise<ZydonStock | undefined> =>
        (await http.json(optionalStock, {
          method: "PUT",
          path: c.stockOverridePath,
          json: stockOverrideBody({ ...input, warehouseId: input.warehouseId ?? null }),
        })) as ZydonStock | undefined,
      /** Documented relative movement. */
      movement: (body: { type: string } & JsonBody): Promise<ZydonStock> =>
        http.json(stockSchema, { method: "PUT", path: STOCK_MOVEMENT_PATH, json: body }),
    };

    this.warehouses = collection(http, `${S}/warehouses`, namedSchema);
    this.measureUnits = collection(http, `${S}/measure-units`, measureUnitSchema);
    // ---- categories and brands (zydon-api.md §5.4; bodies from adapter.ts, INFERENCE there)
    this.categories = {
      ...collection(http, `${S}/categories`, categorySchema),
      create: (input: { name: string; parentId: string | null }) =>
        create(`${S}/categories`, categoryWriteBody(input)),
      /** Documented PUT body (§5.4): a rename keeps the parent. */
      update: (id: string, input: { name: string; parentId: string | null; active?: boolean }) =>
        http.void({ method: "PUT", path: `${S}/categories/${enc(id)}`, json: categoryWriteBody(input) }),
    };
    this.brands = {
      ...collection(http, `${S}/brands`, namedSchema),
      create: (input: { name: string }) => create(`${S}/brands`, brandWriteBody(input)),
    };
    this.statuses = collection(http, `${S}/status`, statusSchema);

    // ---- sales and orders (zydon-api.md §8)
    const salesBase = collection(http, `${S}/sales`, saleListItemSchema);
    this.sales = {
      list: salesBase.list,
      get: (id: string): Promise<ZydonSale> =>
        http.json(saleSchema, { method: "GET", path: `${S}/sales/${enc(id)}` }),
      /** Sales created at or after `since`, oldest first: the polling fallback for a lost order webhook. */
      iterateSince: (since: Date, q: Omit<ListQuery, "page"> = {}): AsyncGenerator<ZydonSaleListItem> =>
        salesBase.iterate({ sort: "id", dir: "asc", ...q, [SALES_SINCE_PARAM]: since.toISOString() }),
    };
    this.orders = {
      get: (id: string): Promise<ZydonOrder> =>
        http.json(orderSchema, { method: "GET", path: `${S}/orders/${enc(id)}` }),
      setStatus: (orderId: string, statusId: string) =>
        http.void({ method: "PUT", path: orderStatusPath(orderId, c), json: orderStatusBody(statusId, c) }),
      /** zydon-api.md §8.1: file ids from uploads; multipart variant is deprecated. */
      attachInvoice: (
        orderId: string,
        input: { invoiceKey: string; xmlFileId?: string | null; danfeFileId?: string | null },
      ): Promise<ZydonInvoiceResult> =>
        http.json(invoiceResultSchema, {
          method: "POST",
          path: orderInvoicePath(orderId),
          query: {
            invoice_key: input.invoiceKey,
            xml_file_id: input.xmlFileId,
            danfe_file_id: input.danfeFileId,
          },
        }),
      /**
       * The order's whole attribute map (adapter `orderAttributesPath`: zydon-api.md §8.1, INFERENCE); the caller
       * reads the current map first and merges its own entries in.
       */
      setAttributes: (orderId: string, attributes: Record<string, string>) =>
        http.void({
          method: ORDER_ATTRIBUTES_METHOD,
          path: orderAttributesPath(orderId, c),
          json: orderAttributesBody(attributes),
        }),
      /**
       * Write the app's post-sale marks (adapter `postSaleAttributes`) on the order: the current attributes are
       * read and sent back with ours merged in, so nothing else on the order's map is lost either way Zydon
       * treats the map. Nothing is written when the marks are already there.
       */
      setPostSale: async (orderId: string, marks: OrderPostSaleMarks): Promise<void> => {
        const current = attributeStrings((await this.orders.get(orderId)).attributes);
        const ours = postSaleAttributes(marks, c);
        if (Object.entries(ours).every(([k, v]) => (current[k] ?? "") === v)) return;
        await this.orders.setAttributes(orderId, { ...current, ...ours });
      },
      /** The app's post-sale marks as an order read shows them. */
      readPostSale: (order: Pick<ZydonOrder, "attributes">) => readPostSaleAttributes(order.attributes, c),
    };
  }

  /**
   * Portal JWT from the access-key pair (zydon-api.md §3). Without `solutionId` the token is still good for
   * reading the organization claim, not for portal routes.
   */
  async portalLogin(solutionId?: string): Promise<{ accessToken: string; organizationId: string | null }> {
    const { accessToken } = await this.http.json(accessKeyLoginSchema, {
      method: "POST",
      path: ACCESS_KEY_LOGIN_PATH,
      json: accessKeyLoginBody(this.opts.accessKey.code, this.opts.accessKey.token, solutionId),
    });
    return { accessToken, organizationId: organizationIdFromJwt(accessToken) };
  }
}
