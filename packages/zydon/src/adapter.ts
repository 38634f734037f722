/**
 * Every guess about Zydon in one place. Each entry cites the section of ../shared/reference/zydon-api.md it
 * rests on; "INFERENCE" marks what that reference could not confirm. When Zydon corrects a guess, change it
 * here: the client and the simulator (which imports this module) follow. The guesses that are paths, body
 * field names or webhook auth are also overridable by configuration without a code change: their defaults
 * live in `contract.ts` (DEFAULT_ZYDON_CONTRACT) and the functions below take the deployment's contract.
 *
 * Facts (documented) live here too when the simulator must reproduce them exactly (header names, paging).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { DEFAULT_ZYDON_CONTRACT, fillPath, type ZydonContract } from "./contract.js";

// ---------------------------------------------------------------------------------------------------------
// Hosts and paths

/** zydon-api.md §1: catalog, partners, orders… all under /api/sales. */
export const SALES_PREFIX = "/api/sales";

/** zydon-api.md §2.2 step 1: documented authorize screen on the admin host. */
export const AUTHORIZE_PATH = "/oauth/authorize";

/**
 * zydon-api.md §2.2 step 5 + §2.4: "POST https://api.zydon.com.br/app…" — the path goes from the host straight
 * to `/app…` (so not `/api/appcenter/…`, the earlier guess); the rest is cut in every copy. INFERENCE: the App
 * Center's OAuth token route. Configurable: contract `tokenExchangePath` (this is its default).
 */
export const TOKEN_EXCHANGE_PATH = DEFAULT_ZYDON_CONTRACT.tokenExchangePath;

/**
 * zydon-api.md §2 (hosts table and "Frontend plugins are served under `/store/apps/${APP_NAME}`" [TPL]): where
 * the merchant opens our page inside Zydon's admin; APP_NAME is our plugin's, zydon-bling, as in apps/web's Vite
 * base and the API's WEB_BASE_PATH. Alerts link here (the admin opens the page with the merchant's session).
 */
export const APP_PAGE_PATH = "/store/apps/zydon-bling/";

/** zydon-api.md §3: portal JWT login with the access-key pair (documented by integrators [M-poc]). */
export const ACCESS_KEY_LOGIN_PATH = "/api/account/access-key/login";

/**
 * zydon-api.md §3 last bullet: front-end user sessions carry `accessToken` + `organizationId` [TPL]; no endpoint
 * to check one is public. INFERENCE: an account "who am I" route answering for a user's Bearer token.
 */
export const ADMIN_SESSION_VERIFY_PATH = DEFAULT_ZYDON_CONTRACT.adminSessionVerifyPath;

/**
 * zydon-api.md §8.3 "Changing an order's status via API: endpoint UNKNOWN". INFERENCE: a status sub-route of
 * the order taking the target status id.
 */
export function orderStatusPath(orderId: string, c: ZydonContract = DEFAULT_ZYDON_CONTRACT): string {
  return fillPath(c.orderStatusPath, { orderId });
}
export function orderStatusBody(
  statusId: string,
  c: ZydonContract = DEFAULT_ZYDON_CONTRACT,
): Record<string, unknown> {
  return { [c.orderStatusField]: statusId };
}

/**
 * zydon-api.md §7.2: "Stock → Override" exists, path/body UNKNOWN. INFERENCE: PUT /stock/override with the same
 * fields as the documented /stock/movement, `total` meaning the absolute quantity.
 */
export const STOCK_OVERRIDE_PATH = DEFAULT_ZYDON_CONTRACT.stockOverridePath;
/** zydon-api.md §7.2: documented "Increment or Decrement stock given a movement". */
export const STOCK_MOVEMENT_PATH = `${SALES_PREFIX}/stock/movement`;
/** zydon-api.md §7.2: `type` enum, only "PRODUCT" seen. INFERENCE: a variation uses "PRODUCT_VARIATION". */
export function stockTargetType(variationId: string | null): string {
  return variationId ? "PRODUCT_VARIATION" : "PRODUCT";
}
export function stockOverrideBody(input: {
  productId: string;
  variationId: string | null;
  warehouseId: string | null;
  quantity: number;
}): Record<string, unknown> {
  return {
    type: stockTargetType(input.variationId),
    product_id: input.productId,
    product_variation_id: input.variationId,
    warehouse_id: input.warehouseId,
    total: input.quantity,
    active: true,
  };
}

/**
 * zydon-api.md §7.1: price tables have a "Products" sub-page, path UNKNOWN. INFERENCE: PUT replaces the
 * table's explicit product prices, body `{ products: [{ product_id, product_variation_id, price }] }`.
 */
/**
 * The rows that PUT wrote, as `GET /price-tables/{id}` gives them back. zydon-api.md §7.1 [D-pricetables] shows
 * `products[{product_id, price, base_price, name, sku, product_variation_id}]` only inside `criteria[]` (rows a
 * criterion computed). INFERENCE: the table's explicit rows are its top-level `products`, the body's own key;
 * the sync reads them to merge before each PUT (the PUT replaces them whole).
 */
export function priceTableExplicitRows(table: {
  products?:
    | ReadonlyArray<{
        product_id?: string | null | undefined;
        product_variation_id?: string | null | undefined;
        price?: number | null | undefined;
      }>
    | null
    | undefined;
}): Array<{ product_id: string; product_variation_id: string | null; price: number }> {
  const out: Array<{ product_id: string; product_variation_id: string | null; price: number }> = [];
  for (const r of table.products ?? [])
    if (r.product_id && typeof r.price === "number")
      out.push({
        product_id: r.product_id,
        product_variation_id: r.product_variation_id ?? null,
        price: r.price,
      });
  return out;
}

export function priceTableProductsPath(
  priceTableId: string,
  c: ZydonContract = DEFAULT_ZYDON_CONTRACT,
): string {
  return fillPath(c.priceTableProductsPath, { priceTableId });
}

/**
 * zydon-api.md §5.1: Enable/Disable sub-resources exist, paths UNKNOWN. INFERENCE: PUT /products/{id}/enable.
 */
export function productTogglePath(
  productId: string,
  enable: boolean,
  c: ZydonContract = DEFAULT_ZYDON_CONTRACT,
): string {
  return fillPath(enable ? c.productEnablePath : c.productDisablePath, { productId });
}

/**
 * zydon-api.md §5.2: GET|PUT|DELETE /products/{product_id}/variations/{id} documented; adding one SKU to an
 * existing product is not. INFERENCE: POST to the collection.
 */
export function productVariationsPath(productId: string, c: ZydonContract = DEFAULT_ZYDON_CONTRACT): string {
  return fillPath(c.productVariationsPath, { productId });
}

/** zydon-api.md §5.3: legacy multipart upload, field `files` → `{ resourceFiles: [{ id }] }` (documented). */
export const RESOURCE_FILES_PATH = `${SALES_PREFIX}/resource-files`;
export const RESOURCE_FILES_FIELD = "files";

/**
 * zydon-api.md §8.1: documented invoice attach; query params verbatim. INFERENCE: the NF-e XML and DANFE go
 * through the same legacy `resource-files` upload as images and its ids are what `xml_file_id` /
 * `danfe_file_id` accept (the docs only say "file ids"; the newer `/api/files/files` ids might be meant).
 */
export function orderInvoicePath(orderId: string): string {
  return `${SALES_PREFIX}/orders/${encodeURIComponent(orderId)}/invoices`;
}

// ---------------------------------------------------------------------------------------------------------
// Access-key headers and paging

/** zydon-api.md §3: header names from [MC], [M-cred] (docs page example is cut: INFERENCE they are exact). */
export const ACCESS_KEY_CODE_HEADER = "X-Zydon-Access-Key-Code";
export const ACCESS_KEY_TOKEN_HEADER = "X-Zydon-Access-Key-Token";

/** zydon-api.md §4 "Pagination": docs default page=0, MindCloud says 1. INFERENCE: 0-based. */
export const FIRST_PAGE = 0;
/** zydon-api.md §4: docs default perPage 25; 200 seen on large lists. */
export const DEFAULT_PER_PAGE = 100;
export const MAX_PER_PAGE = 200;

/**
 * zydon-api.md §4 "Search": `search` exists on list endpoints but which fields it matches is UNKNOWN.
 * INFERENCE: it matches product `sku` (incl. variation skus) and partner documents; the client always
 * filters results for an exact match, so a broader search costs pages, not correctness.
 */
export const SEARCH_PARAM = "search";

/** zydon-api.md §8.2: sales list filters by creation time with `start_date`/`final_date` (documented). */
export const SALES_SINCE_PARAM = "start_date";
/**
 * zydon-api.md §8.1/§8.2: orders and sales are two views of one purchase. INFERENCE: they share the id, so an
 * id from `/sales` can be used on `/orders/{id}` and on the order webhook.
 */
export const SALE_ID_IS_ORDER_ID = true;

// ---------------------------------------------------------------------------------------------------------
// Rate limit and the "404 right after create" quirk

/** zydon-api.md §4 "Rate limit": headers UNKNOWN; honour Retry-After if sent, else integrators' 15/30/60/120 s. */
export const RETRY_AFTER_HEADER = "retry-after";
export const RATE_LIMIT_BACKOFF_MS = [15_000, 30_000, 60_000, 120_000] as const;
export function rateLimitBackoffMs(attempt: number): number {
  const i = Math.min(Math.max(attempt, 0), RATE_LIMIT_BACKOFF_MS.length - 1);
  return RATE_LIMIT_BACKOFF_MS[i] ?? 120_000;
}

/**
 * zydon-api.md §2.4 "404 right after a create" (corrects §4): the one 404 on record came minutes after the
 * category was used, and no fixed "60 s after create" window is on record. A 404 on a record this client
 * created within this window (minutes, not 60 s) is treated as possibly transient (the caller retries it
 * briefly). Configurable: contract `notFoundRetryWindowMs` (this is its default).
 */
export const NOT_FOUND_RETRY_WINDOW_MS = DEFAULT_ZYDON_CONTRACT.notFoundRetryWindowMs;

// ---------------------------------------------------------------------------------------------------------
// OAuth token exchange

/**
 * zydon-api.md §2.2 step 5: Basic auth (INFERENCE `client_id:access_key`), form body with field names UNKNOWN
 * (INFERENCE: grant_type, code, redirect_uri).
 */
export function tokenExchangeRequest(input: {
  pluginId: string;
  accessKey: string;
  code: string;
  redirectUri: string;
  /** Contract `tokenExchangeGrantType`. */
  grantType?: string;
}): { headers: Record<string, string>; body: string } {
  const basic = Buffer.from(`${input.pluginId}:${input.accessKey}`, "utf8").toString("base64");
  const body = new URLSearchParams({
    grant_type: input.grantType ?? DEFAULT_ZYDON_CONTRACT.tokenExchangeGrantType,
    code: input.code,
    redirect_uri: input.redirectUri,
  }).toString();
  return {
    headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
    body,
  };
}

/** Parses the Basic header of a token-exchange request (simulator side of the guess above). */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  if (!header?.startsWith("Basic ")) return null;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return null;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/**
 * zydon-api.md §2.2 step 5: credentials are `access_key_code` + `access_key_token` (documented). Whether the
 * response names the organization is UNKNOWN (§2.2 "Organization id"). INFERENCE: `organization_id` when
 * present; null sends the caller to the access-key login fallback.
 */
export function normalizeTokenExchangeResponse(
  body: unknown,
): { accessKeyCode: string; accessKeyToken: string; organizationId: string | null } | null {
  if (!body || typeof body !== "object") return null;
  const b = body as Record<string, unknown>;
  const code = b.access_key_code ?? b.accessKeyCode;
  const token = b.access_key_token ?? b.accessKeyToken;
  const org = b.organization_id ?? b.organizationId;
  if (typeof code !== "string" || typeof token !== "string" || !code || !token) return null;
  return {
    accessKeyCode: code,
    accessKeyToken: token,
    organizationId: typeof org === "string" || typeof org === "number" ? String(org) : null,
  };
}

/** The simulator's answer to a good exchange; `includeOrganizationId: false` exercises the fallback. */
export function tokenExchangeResponseBody(input: {
  accessKeyCode: string;
  accessKeyToken: string;
  organizationId: string;
  includeOrganizationId: boolean;
}): Record<string, unknown> {
  return {
    access_key_code: input.accessKeyCode,
    access_key_token: input.accessKeyToken,
    ...(input.includeOrganizationId ? { organization_id: input.organizationId } : {}),
  };
}

/** zydon-api.md §3: login body `{ code, token, solution_id }` → `{ accessToken }` (documented [M-poc]). */
export function accessKeyLoginBody(
  code: string,
  token: string,
  solutionId?: string,
): Record<string, unknown> {
  return solutionId ? { code, token, solution_id: solutionId } : { code, token };
}

/**
 * zydon-api.md §2.2: a team "confirmed the org by decoding the JWT of access-key/login" [M-cred]; the claim
 * name is UNKNOWN. INFERENCE: `organization_id`, with `organizationId`/`org_id` accepted.
 */
export const JWT_ORGANIZATION_CLAIMS = ["organization_id", "organizationId", "org_id"] as const;
export function organizationIdFromJwt(jwt: string): string | null {
  const payload = decodeJwtPayload(jwt);
  if (!payload) return null;
  for (const claim of JWT_ORGANIZATION_CLAIMS) {
    const v = payload[claim];
    if (typeof v === "string" || typeof v === "number") return String(v);
  }
  return null;
}

export function decodeJwtPayload(jwt: string): Record<string, unknown> | null {
  const part = jwt.split(".")[1];
  if (!part) return null;
  try {
    const json: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return json && typeof json === "object" ? (json as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Admin session handed to the settings page

/**
 * zydon-api.md §3: user sessions have `accessToken` + `organizationId` [TPL]; how a third party verifies one is
 * UNKNOWN. INFERENCE: GET ADMIN_SESSION_VERIFY_PATH with `Authorization: Bearer <accessToken>` answers 200 with
 * the user's organization (401 when forged/expired); we accept the session only if the organization matches.
 */
export function adminSessionRequestHeaders(accessToken: string): Record<string, string> {
  return { authorization: `Bearer ${accessToken}`, accept: "application/json" };
}
/**
 * zydon-api.md §3 last bullet: `@zydon/auth` user data carries `profile` `SELLER|PARTNER` [TPL] (a PARTNER is
 * a portal customer, i.e. a buyer). INFERENCE: the session check's answer carries the same `profile` claim, and
 * only a SELLER (the organization's own staff: admin and sales) may open the settings page; a PARTNER, or an
 * answer without the claim, is refused, so a merchant's customer can never disconnect Bling or change settings.
 * `pnpm probe` names the claim it expects (tools/probe zydon-checks).
 */
export const ADMIN_SESSION_PROFILE_CLAIM = "profile";
export const ADMIN_SESSION_ALLOWED_PROFILES: readonly string[] = ["SELLER"];

/**
 * zydon-api.md "User JWT" [CAR-jwt]: the user's claims include `organization_name`. INFERENCE: the session
 * check's answer carries it too (either spelling); used only to name the organization on the Bling
 * confirmation page ("Conectar a empresa X do Bling à organização Y da Zydon?"), the id stands in without it.
 */
export function normalizeAdminSessionResponse(body: unknown): {
  organizationId: string;
  organizationName: string | null;
  userId: string | null;
  profile: string | null;
} | null {
  if (!body || typeof body !== "object") return null;
  const b = body as Record<string, unknown>;
  const org = b.organization_id ?? b.organizationId;
  const orgName = b.organization_name ?? b.organizationName;
  const user = b.id ?? b.user_id ?? null;
  const profile = b[ADMIN_SESSION_PROFILE_CLAIM];
  if (typeof org !== "string" && typeof org !== "number") return null;
  return {
    organizationId: String(org),
    organizationName: typeof orgName === "string" && orgName.trim() ? orgName.trim().slice(0, 200) : null,
    userId: typeof user === "string" || typeof user === "number" ? String(user) : null,
    profile: typeof profile === "string" ? profile.toUpperCase() : null,
  };
}

/** Whether the session's profile may administer the app (see ADMIN_SESSION_ALLOWED_PROFILES). */
export function isAdminSessionProfile(profile: string | null): boolean {
  return profile !== null && ADMIN_SESSION_ALLOWED_PROFILES.includes(profile);
}

// ---------------------------------------------------------------------------------------------------------
// What Zydon sends us: install/uninstall notification and the order webhook

/**
 * zydon-api.md §2.3: `POST {installation_endpoint.url}` with `{"organization_id": "string"}` (Zydon's own
 * plugins, [ZS-330]). §2.4: the manifest also declares `uninstallation_endpoint {url}` (so the uninstall URL is
 * the declared one, never derived from the install URL) and `is_alive_endpoint {url}` — see `manifest.ts`.
 * Who signs these and how is UNKNOWN. INFERENCE (HMAC guess, still accepted by default):
 * - both carry `X-Zydon-Event: install|uninstall`, `X-Zydon-Timestamp: <unix seconds>` and
 *   `X-Zydon-Signature: sha256=<hex HMAC-SHA256(plugin access_key, "<timestamp>.<raw body>")>`.
 * The order webhook (§9, signing UNKNOWN) is signed the same way. §2.4: no public source shows any Zydon
 * signature; plugins declare fixed `headers` for their webhooks in `native-resources/webhooks.yml`, so the
 * declared header secret (`verifyWebhookAuth`, contract `webhookAuth` / `webhookSecretHeader`) is accepted too.
 */
export const EVENT_HEADER = "x-zydon-event";
export const TIMESTAMP_HEADER = "x-zydon-timestamp";
export const SIGNATURE_HEADER = "x-zydon-signature";
export const DELIVERY_HEADER = "x-zydon-delivery";
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

export type NotificationEvent = "install" | "uninstall";

export function notificationBody(organizationId: string): string {
  return JSON.stringify({ organization_id: organizationId });
}

export function signPayload(accessKey: string, timestampSec: number, rawBody: string): string {
  const mac = createHmac("sha256", accessKey).update(`${timestampSec}.${rawBody}`).digest("hex");
  return `sha256=${mac}`;
}

export function signedHeaders(input: {
  accessKey: string;
  rawBody: string;
  now: Date;
  event: string;
  deliveryId: string;
}): Record<string, string> {
  const ts = Math.floor(input.now.getTime() / 1000);
  return {
    "content-type": "application/json",
    [EVENT_HEADER]: input.event,
    [TIMESTAMP_HEADER]: String(ts),
    [SIGNATURE_HEADER]: signPayload(input.accessKey, ts, input.rawBody),
    [DELIVERY_HEADER]: input.deliveryId,
  };
}

export type HeaderBag = Record<string, string | string[] | undefined> | Headers;

export function headerValue(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === lower) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySignature(input: {
  accessKey: string;
  rawBody: string;
  headers: HeaderBag;
  now: Date;
}): SignatureCheck {
  const ts = headerValue(input.headers, TIMESTAMP_HEADER);
  const sig = headerValue(input.headers, SIGNATURE_HEADER);
  if (!ts || !sig) return { ok: false, reason: "missing signature headers" };
  const tsNum = Number(ts);
  if (!Number.isInteger(tsNum)) return { ok: false, reason: "bad timestamp" };
  if (Math.abs(input.now.getTime() - tsNum * 1000) > SIGNATURE_TOLERANCE_MS) {
    return { ok: false, reason: "timestamp outside tolerance" };
  }
  const expected = Buffer.from(signPayload(input.accessKey, tsNum, input.rawBody));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "signature mismatch" };
  }
  return { ok: true };
}

/** Constant-time equality of two secrets of any length (hashing first hides the length too). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/**
 * The fixed header secret declared in our `webhooks.yml` (zydon-api.md §2.4). `secrets` holds the current one
 * first and, during a rotation, the previous one: both are accepted until the operator drops the old.
 */
export function verifyHeaderSecret(input: {
  headers: HeaderBag;
  header: string;
  secrets: readonly string[];
}): SignatureCheck {
  const given = headerValue(input.headers, input.header);
  if (!given) return { ok: false, reason: "missing webhook secret header" };
  // Compare against every secret (no early exit) so timing does not tell which one matched.
  let matched = false;
  for (const s of input.secrets) if (s && secretsEqual(given, s)) matched = true;
  return matched ? { ok: true } : { ok: false, reason: "webhook secret mismatch" };
}

/**
 * What a request from Zydon must pass, per contract `webhookAuth`: `header` (the declared secret), `hmac` (the
 * signature guess) or `header_or_hmac` (either; a request with neither is refused).
 */
export function verifyWebhookAuth(input: {
  mode: ZydonContract["webhookAuth"];
  header: string;
  secrets: readonly string[];
  accessKey: string;
  rawBody: string;
  headers: HeaderBag;
  now: Date;
}): SignatureCheck {
  const canHeader = input.mode !== "hmac" && input.secrets.some((s) => s.length > 0);
  if (canHeader) {
    const h = verifyHeaderSecret(input);
    if (h.ok || input.mode === "header") return h;
    // header_or_hmac: a wrong header secret is a refusal, not a reason to try HMAC.
    if (headerValue(input.headers, input.header) !== undefined) return h;
  } else if (input.mode === "header") {
    return { ok: false, reason: "no webhook secret configured" };
  }
  return verifySignature(input);
}

export function parseNotificationBody(rawBody: string): { organizationId: string } | null {
  try {
    const b: unknown = JSON.parse(rawBody);
    if (!b || typeof b !== "object") return null;
    const org = (b as Record<string, unknown>).organization_id;
    if (typeof org !== "string" && typeof org !== "number") return null;
    return { organizationId: String(org) };
  } catch {
    return null;
  }
}

/**
 * zydon-api.md §9: "Envio de Pedido" body starts `{"amount_value", "automation_fields", …}`; the rest is UNKNOWN.
 * INFERENCE: it also names the order (`order_id`) and the organization (`organization_id`), sales carry
 * `organization_id` (§8.2); the event header is `order.created`. Consumers key deliveries by order id.
 */
export const ORDER_WEBHOOK_EVENT = "order.created";
export function orderWebhookBody(input: {
  orderId: string;
  organizationId: string;
  amountValue: number;
  createdAt: string;
  automationFields?: Record<string, unknown>;
}): string {
  return JSON.stringify({
    amount_value: input.amountValue,
    automation_fields: input.automationFields ?? {},
    order_id: input.orderId,
    organization_id: input.organizationId,
    created_at: input.createdAt,
  });
}
export function parseOrderWebhookBody(
  rawBody: string,
): { orderId: string; organizationId: string; amountValue: number | null } | null {
  try {
    const b: unknown = JSON.parse(rawBody);
    if (!b || typeof b !== "object") return null;
    const r = b as Record<string, unknown>;
    const id = r.order_id ?? r.sale_id ?? r.id;
    const org = r.organization_id;
    if (
      (typeof id !== "string" && typeof id !== "number") ||
      (typeof org !== "string" && typeof org !== "number")
    ) {
      return null;
    }
    const amount = typeof r.amount_value === "number" ? r.amount_value : null;
    return { orderId: String(id), organizationId: String(org), amountValue: amount };
  } catch {
    return null;
  }
}

/**
 * zydon-api.md §9: "a closed story added an order-update webhook (status, edit, event)" [ZS-233]; its contract
 * (event name, body, signing) is UNKNOWN. INFERENCE, all of it:
 * - declared in `webhooks.yml` like the order webhook (§2.4): resource `ORDER`, event `UPDATED`, its own URL and
 *   the same fixed header secret (`manifest.ts`, `ORDER_UPDATE_WEBHOOK_ID`);
 * - the event header (if any) is `order.updated`;
 * - the body names the order (`order_id`, else `sale_id` / `id`, as the order webhook guess) and the
 *   organization (`organization_id`), and may carry what changed: `event` (e.g. `STATUS` / `EDIT`, the story's
 *   words), the new status (`status_id`, or a `status {id | status_id}` object as `GET /sales` lists it,
 *   §8.2) and when (`updated_at`).
 * Only the order id and the organization are required; the consumer never decides on the body's status: it
 * reads the order again (`GET /orders/{id}` `statuses[{status_id, created_at}]`, §8.1 [D-orders]). INFERENCE:
 * the last entry by `created_at` is the current status and its `created_at` is when the order entered it.
 */
export const ORDER_UPDATE_WEBHOOK_EVENT = "order.updated";
/** INFERENCE [ZS-233]: the `event` values of the update body ("status, edit"). */
export const ORDER_UPDATE_KINDS = { status: "STATUS", edit: "EDIT" } as const;

export function orderUpdateWebhookBody(input: {
  orderId: string;
  organizationId: string;
  statusId: string | null;
  kind: (typeof ORDER_UPDATE_KINDS)[keyof typeof ORDER_UPDATE_KINDS];
  updatedAt: string;
}): string {
  return JSON.stringify({
    order_id: input.orderId,
    organization_id: input.organizationId,
    event: input.kind,
    status_id: input.statusId,
    updated_at: input.updatedAt,
  });
}

const webhookId = z.union([z.string().min(1), z.number()]).transform(String);
const optionalText = z.string().min(1).optional().catch(undefined);
/** Tolerant: the ids it needs are required, everything else is read when present and ignored when odd. */
const orderUpdateBodySchema = z.looseObject({
  order_id: webhookId.optional().catch(undefined),
  sale_id: webhookId.optional().catch(undefined),
  id: webhookId.optional().catch(undefined),
  organization_id: webhookId,
  event: optionalText,
  status_id: webhookId.optional().catch(undefined),
  status: z
    .looseObject({
      id: webhookId.optional().catch(undefined),
      status_id: webhookId.optional().catch(undefined),
    })
    .optional()
    .catch(undefined),
  updated_at: optionalText,
});

export interface OrderUpdateWebhookBody {
  orderId: string;
  organizationId: string;
  /** The status the body names, if any: informative only (the order is read again before any decision). */
  statusId: string | null;
  event: string | null;
  updatedAt: string | null;
}

export function parseOrderUpdateWebhookBody(rawBody: string): OrderUpdateWebhookBody | null {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return null;
  }
  const r = orderUpdateBodySchema.safeParse(json);
  if (!r.success) return null;
  const b = r.data;
  const orderId = b.order_id ?? b.sale_id ?? b.id;
  if (!orderId) return null;
  return {
    orderId,
    organizationId: b.organization_id,
    statusId: b.status_id ?? b.status?.status_id ?? b.status?.id ?? null,
    event: b.event ?? null,
    updatedAt: b.updated_at ?? null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Bodies whose shape is partly guessed

/**
 * zydon-api.md §6: create body UNKNOWN; INFERENCE: same fields as the documented PUT (required `name, type,
 * fiscal_registration_number, state_registration, email, phone, mobile, seller_id, active, status`).
 * `type`/`status` enums are UNKNOWN; INFERENCE: "PF"/"PJ" and "ACTIVE".
 */
export const PARTNER_TYPES = ["PF", "PJ"] as const;
export const PARTNER_DEFAULT_STATUS = "ACTIVE";
export function partnerCreateBody(input: {
  name: string;
  type: string;
  fiscal_registration_number: string | null;
  state_registration: string | null;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  active: boolean;
  seller_id?: string | null;
  profile_id?: string | null;
  addresses?: Array<Record<string, unknown>>;
}): Record<string, unknown> {
  return {
    seller_id: null,
    status: PARTNER_DEFAULT_STATUS,
    addresses: [],
    ...input,
  };
}

/** zydon-api.md §6 + [HELP-bling]: Zydon requires CPF/CNPJ or IE/RG on a partner. */
export function partnerHasFiscalIdentity(p: {
  fiscal_registration_number?: unknown;
  state_registration?: unknown;
}): boolean {
  const filled = (v: unknown) => typeof v === "string" && v.replace(/\D/g, "").length > 0;
  return filled(p.fiscal_registration_number) || filled(p.state_registration);
}

/** zydon-api.md §5.1: fields integrators drop before PUT-ing a GET back (documented [M-img]). */
export const PRODUCT_READ_ONLY_FIELDS = ["id", "created_at", "updated_at", "brand", "category"] as const;

/**
 * A GET put back also drops its `stock` (the product's and each variation's). zydon-api.md §5.1/§7.2: `stock` on
 * the product and variation body is writable [M-json]; INFERENCE: a body without it leaves the stock as it is
 * (what the sync already relies on for the variations it writes). Echoing the stock the GET read undid a stock
 * write landing between the GET and the PUT — a price, image or content edit racing the stock pipeline (the
 * fresh-clone CI caught "stock 0 ≠ 139" once) — and the link's stored quantity then hid it from every later pass.
 * Stock is written only by the stock endpoints (`/stock/movement`).
 */
export function withoutEchoedStock<B extends Record<string, unknown>>(body: B): B {
  const { stock: _stock, ...rest } = body;
  const out = rest as Record<string, unknown>;
  if (Array.isArray(body.variations))
    out.variations = (body.variations as unknown[]).map((v) => {
      if (!v || typeof v !== "object") return v;
      const { stock: _v, ...vr } = v as Record<string, unknown>;
      return vr;
    });
  return out as B;
}
/** INFERENCE: the same rule for partners (read-only names the GET adds). */
export const PARTNER_READ_ONLY_FIELDS = ["id", "created_at", "updated_at", "profile_name"] as const;

/**
 * zydon-api.md §8.3: `relations[].destiny` = allowed next statuses and `can_edit_by_api` gates API changes —
 * both INFERENCE. We read `can_edit_by_api` on the *target* status: the API may move an order into it.
 */
export function statusTransitionAllowed(input: {
  current: { id: string; relations: Array<{ destiny: { id: string } }> } | null;
  target: { id: string; can_edit_by_api: boolean };
}): { ok: true } | { ok: false; reason: "not_editable_by_api" | "not_a_relation" } {
  if (!input.target.can_edit_by_api) return { ok: false, reason: "not_editable_by_api" };
  if (input.current && input.current.id !== input.target.id) {
    if (!input.current.relations.some((r) => r.destiny.id === input.target.id)) {
      return { ok: false, reason: "not_a_relation" };
    }
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------------------
// Post-sale marks on an order (tracking code, delivered, NF-e cancelled after it was attached)

/**
 * zydon-api.md §8.1: `GET /orders/{id}` has `attributes{}` (a free map) and `delivery_date` [D-orders]; `PUT
 * /orders/{id}` exists but its body is cut after the required `origin, partner_id, negotiation_date, seller_id,
 * total_value…` (a full replace of the order). No tracking field, no "delivered" field and no invoice status or
 * invoice DELETE is documented: all UNKNOWN. INFERENCE, chosen to touch nothing the buyer ordered:
 * - the app's post-sale marks are order `attributes` with string values, written by `PATCH` on the order
 *   (contract `orderAttributesPath`) with a body holding only `attributes`, never by a full PUT that could
 *   rewrite items, payments or the delivery address;
 * - the body carries the order's whole attribute map (read first, ours merged in), so the write is right
 *   whether Zydon merges the map or replaces it;
 * - the attribute names are the contract's `trackingCodeAttribute` (codes joined by ", "),
 *   `deliveredAtAttribute` (ISO date-time of the Bling situação that means delivered) and
 *   `cancelledInvoicesAttribute` (44-digit keys joined by ","). `delivery_date` is left alone: it sits beside
 *   `delivery_rule_id`/`delivery_scheduling_id`, so it reads as the promised date (INFERENCE);
 * - a cancelled NF-e is marked rather than detached: the invoice stays on the order (the buyer keeps the XML
 *   and DANFE of a note that existed) and the attribute says it was cancelled — additive and reversible, where a
 *   DELETE of the invoice (undocumented) would erase the record.
 */
export function orderAttributesPath(orderId: string, c: ZydonContract = DEFAULT_ZYDON_CONTRACT): string {
  return fillPath(c.orderAttributesPath, { orderId });
}
export const ORDER_ATTRIBUTES_METHOD = "PATCH";
export function orderAttributesBody(attributes: Record<string, string>): Record<string, unknown> {
  return { attributes };
}

/** What the app writes after the sale (each field optional: only the given ones change). */
export interface OrderPostSaleMarks {
  trackingCodes?: string[];
  deliveredAt?: string | null;
  cancelledInvoiceKeys?: string[];
}

const TRACKING_SEPARATOR = ", ";
const KEYS_SEPARATOR = ",";

/** The attribute entries for `marks` (an empty list or null removes that entry's value: ""), see above. */
export function postSaleAttributes(
  marks: OrderPostSaleMarks,
  c: ZydonContract = DEFAULT_ZYDON_CONTRACT,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (marks.trackingCodes !== undefined)
    out[c.trackingCodeAttribute] = marks.trackingCodes.join(TRACKING_SEPARATOR);
  if (marks.deliveredAt !== undefined) out[c.deliveredAtAttribute] = marks.deliveredAt ?? "";
  if (marks.cancelledInvoiceKeys !== undefined)
    out[c.cancelledInvoicesAttribute] = marks.cancelledInvoiceKeys.join(KEYS_SEPARATOR);
  return out;
}

/** The order's current attributes as strings (anything else Zydon holds there is kept as its JSON text). */
export function attributeStrings(attributes: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!attributes || typeof attributes !== "object" || Array.isArray(attributes)) return out;
  for (const [k, v] of Object.entries(attributes as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

/** Read the app's marks back from an order's attributes (the reverse of `postSaleAttributes`). */
export function readPostSaleAttributes(
  attributes: unknown,
  c: ZydonContract = DEFAULT_ZYDON_CONTRACT,
): { trackingCodes: string[]; deliveredAt: string | null; cancelledInvoiceKeys: string[] } {
  const a = attributeStrings(attributes);
  const list = (v: string | undefined, sep: string) =>
    (v ?? "")
      .split(sep)
      .map((s) => s.trim())
      .filter((s) => s !== "");
  return {
    trackingCodes: list(a[c.trackingCodeAttribute], TRACKING_SEPARATOR.trim()),
    deliveredAt: a[c.deliveredAtAttribute] ? (a[c.deliveredAtAttribute] as string) : null,
    cancelledInvoiceKeys: list(a[c.cancelledInvoicesAttribute], KEYS_SEPARATOR),
  };
}

// Categories and brands (zydon-api.md §5.4, §5.1)

/**
 * zydon-api.md §5.4 [M-poc], [M-json], [MC]: categories are a tree and `PUT /categories/{id}` takes
 * `name, root_id, active, is_solution_specific, solutions[]`. INFERENCE: `root_id` is the parent category
 * (null for a root), and `POST /categories` takes the same body as the PUT (the create body is not on record);
 * `is_solution_specific: false` with `solutions: []` = the category is visible in every solution of the org.
 */
export function categoryWriteBody(input: {
  name: string;
  parentId: string | null;
  active?: boolean;
}): Record<string, unknown> {
  return {
    name: input.name,
    root_id: input.parentId,
    active: input.active ?? true,
    is_solution_specific: false,
    solutions: [],
  };
}

/** INFERENCE (zydon-api.md §5.4): the parent of a category as read back, `root_id` (null or absent = root). */
export function categoryParentId(c: { root_id?: string | number | null | undefined }): string | null {
  return c.root_id === undefined || c.root_id === null || c.root_id === "" ? null : String(c.root_id);
}

/**
 * zydon-api.md §5.4 names a `brands` resource and §5.1 products carry `brand_id` / `brand_name`; no brand body
 * is on record. INFERENCE: `POST /brands` with `{name, active}`, like the other named catalog resources
 * (payment methods §7.3, variation axes §5.2).
 */
export function brandWriteBody(input: { name: string }): Record<string, unknown> {
  return { name: input.name, active: true };
}

/**
 * zydon-api.md §5.1 [M-json]: a product is written with `category_id` and `brand_id` (the POST payload on
 * record); `category_name` / `brand_name` are read back. INFERENCE: Zydon derives the names from the ids
 * (a name sent without an id is not what sets the brand).
 */
export const PRODUCT_TAXONOMY_FIELDS = ["category_id", "brand_id"] as const;

/**
 * zydon-api.md §4 [M-inc]: a 404 names the missing record as `"<Class> com ID <id> não foi encontrado!"`
 * ("Category com ID 450 não foi encontrado!"). INFERENCE: a product write that references a category or brand
 * Zydon does not have answers that 404 with `Category` / `Brand` (the class names, by analogy with `Category`
 * and `MeasureUnit` on record). Null when the message is not of that form.
 */
export function notFoundReference(
  message: string | null | undefined,
): { resource: string; id: string } | null {
  const m = /^\s*([A-Za-z]+) com ID (\S+) não foi encontrad[oa]/.exec(message ?? "");
  return m ? { resource: m[1] as string, id: m[2] as string } : null;
}
export const CATEGORY_RESOURCE = "Category";
export const BRAND_RESOURCE = "Brand";
