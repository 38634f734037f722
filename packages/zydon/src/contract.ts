/**
 * The Zydon contract values that no public source confirms (../shared/reference/zydon-api.md §2.4 "Still
 * UNKNOWN"), gathered so that an operator can correct one by configuration, without a code change, when Zydon
 * (or `pnpm probe`) says otherwise. Defaults follow the corrected facts of §2.4. `@zb/config` validates the
 * overrides (env values or a JSON file) and hands them to `resolveZydonContract`.
 *
 * Path templates name their parameters in braces (`{orderId}`); `fillPath` URL-encodes the values.
 */

export type WebhookAuthMode = "header" | "hmac" | "header_or_hmac";

export interface ZydonContract {
  /**
   * zydon-api.md §2.2 step 5 + §2.4: "POST https://api.zydon.com.br/app…" — the path starts at `/app`, the rest
   * is cut in every copy. INFERENCE: the App Center's OAuth token route, `/appcenter/oauth/token`.
   */
  tokenExchangePath: string;
  /** zydon-api.md §2.2 step 5: form field names UNKNOWN. INFERENCE: OAuth's `grant_type=authorization_code`. */
  tokenExchangeGrantType: string;
  /** zydon-api.md §3 last bullet: no public route checks a user session. INFERENCE: `/api/account/me`. */
  adminSessionVerifyPath: string;
  /** zydon-api.md §8.3: order-status change endpoint UNKNOWN. INFERENCE: PUT `…/orders/{orderId}/status`. */
  orderStatusPath: string;
  /** zydon-api.md §8.3: INFERENCE: the body names the target status in `status_id`. */
  orderStatusField: string;
  /** zydon-api.md §7.2: "Stock → Override" path UNKNOWN. INFERENCE: PUT `…/stock/override`. */
  stockOverridePath: string;
  /** zydon-api.md §7.1: price-table products path UNKNOWN. INFERENCE: PUT `…/price-tables/{priceTableId}/products`. */
  priceTableProductsPath: string;
  /** zydon-api.md §5.1: Enable/Disable paths UNKNOWN. INFERENCE: PUT `…/products/{productId}/enable|disable`. */
  productEnablePath: string;
  productDisablePath: string;
  /** zydon-api.md §5.2: adding a SKU to a product is undocumented. INFERENCE: POST `…/products/{productId}/variations`. */
  productVariationsPath: string;
  /**
   * zydon-api.md §2.4 "404 right after a create": one 404 minutes after a record was used, no fixed window on
   * record. A 404 on a record created, linked or written within this window is treated as possibly transient:
   * by the client for the ids it created itself (`HttpCore.rememberCreated`), and by the sync for every record
   * its links name, across jobs (packages/sync/src/pipelines/zydon-not-found.ts `checkZydonNotFound`).
   */
  notFoundRetryWindowMs: number;
  /**
   * zydon-api.md §2.4: no public source shows a Zydon webhook signature; plugins declare fixed `headers` in
   * `native-resources/webhooks.yml`. Which check a webhook must pass: the declared header secret, the HMAC guess,
   * or either (default, until Zydon confirms one).
   */
  webhookAuth: WebhookAuthMode;
  /** The header our `webhooks.yml` declares, carrying the per-deployment webhook secret. */
  webhookSecretHeader: string;
  /**
   * zydon-api.md §8.1: orders carry a free `attributes{}` map [D-orders]; no route updates only it (the PUT body
   * is cut after its required fields). INFERENCE: PATCH `…/orders/{orderId}` with `{ attributes }`.
   */
  orderAttributesPath: string;
  /** zydon-api.md §8.1: no tracking field is documented. INFERENCE: an order attribute, `tracking_code`. */
  trackingCodeAttribute: string;
  /**
   * zydon-api.md §8.1: `delivery_date` sits beside `delivery_rule_id`/`delivery_scheduling_id` (the promised date,
   * INFERENCE), no "delivered" field is documented. INFERENCE: an order attribute, `delivered_at`.
   */
  deliveredAtAttribute: string;
  /**
   * zydon-api.md §8.1: `invoices[]` entries have no status, and no invoice DELETE is documented. INFERENCE: the
   * keys of notes cancelled after they were attached go in an order attribute, `cancelled_invoice_keys`.
   */
  cancelledInvoicesAttribute: string;
}

const S = "/api/sales";

export const DEFAULT_ZYDON_CONTRACT: Readonly<ZydonContract> = Object.freeze({
  tokenExchangePath: "/appcenter/oauth/token",
  tokenExchangeGrantType: "authorization_code",
  adminSessionVerifyPath: "/api/account/me",
  orderStatusPath: `${S}/orders/{orderId}/status`,
  orderStatusField: "status_id",
  stockOverridePath: `${S}/stock/override`,
  priceTableProductsPath: `${S}/price-tables/{priceTableId}/products`,
  productEnablePath: `${S}/products/{productId}/enable`,
  productDisablePath: `${S}/products/{productId}/disable`,
  productVariationsPath: `${S}/products/{productId}/variations`,
  notFoundRetryWindowMs: 5 * 60_000,
  webhookAuth: "header_or_hmac",
  webhookSecretHeader: "x-zb-webhook-secret",
  orderAttributesPath: `${S}/orders/{orderId}`,
  trackingCodeAttribute: "tracking_code",
  deliveredAtAttribute: "delivered_at",
  cancelledInvoicesAttribute: "cancelled_invoice_keys",
});

/** The parameters each path template must name (checked by `@zb/config` when an override is loaded). */
export const CONTRACT_PATH_PARAMS = {
  tokenExchangePath: [],
  adminSessionVerifyPath: [],
  orderStatusPath: ["orderId"],
  stockOverridePath: [],
  priceTableProductsPath: ["priceTableId"],
  productEnablePath: ["productId"],
  productDisablePath: ["productId"],
  productVariationsPath: ["productId"],
  orderAttributesPath: ["orderId"],
} as const satisfies Partial<Record<keyof ZydonContract, readonly string[]>>;

/** Every entry optional; `undefined` means "keep the default" (what a parsed config may hold). */
export type ZydonContractOverrides = { [K in keyof ZydonContract]?: ZydonContract[K] | undefined };

export function resolveZydonContract(overrides: ZydonContractOverrides = {}): ZydonContract {
  const out: ZydonContract = { ...DEFAULT_ZYDON_CONTRACT };
  for (const [k, v] of Object.entries(overrides) as Array<[keyof ZydonContract, unknown]>) {
    if (v !== undefined) Object.assign(out, { [k]: v });
  }
  return out;
}

/** `fillPath("/a/{id}/b", { id: "x y" })` → `/a/x%20y/b`; a missing parameter is a programming error. */
export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{([A-Za-z]+)\}/g, (_m, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`path template ${template} needs {${k}}`);
    return encodeURIComponent(v);
  });
}

/** The contract entries an operator can override, with the reference section each rests on (for docs/probe). */
export const CONTRACT_SOURCES: Record<keyof ZydonContract, string> = {
  tokenExchangePath: "zydon-api.md §2.2 step 5, §2.4",
  tokenExchangeGrantType: "zydon-api.md §2.2 step 5",
  adminSessionVerifyPath: "zydon-api.md §3",
  orderStatusPath: "zydon-api.md §8.3",
  orderStatusField: "zydon-api.md §8.3",
  stockOverridePath: "zydon-api.md §7.2",
  priceTableProductsPath: "zydon-api.md §7.1",
  productEnablePath: "zydon-api.md §5.1",
  productDisablePath: "zydon-api.md §5.1",
  productVariationsPath: "zydon-api.md §5.2",
  notFoundRetryWindowMs: "zydon-api.md §2.4, §4",
  webhookAuth: "zydon-api.md §2.4, §9",
  webhookSecretHeader: "zydon-api.md §2.4 (native-resources/webhooks.yml)",
  orderAttributesPath: "zydon-api.md §8.1",
  trackingCodeAttribute: "zydon-api.md §8.1",
  deliveredAtAttribute: "zydon-api.md §8.1",
  cancelledInvoicesAttribute: "zydon-api.md §8.1",
};
