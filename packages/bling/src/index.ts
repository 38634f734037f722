export {
  BlingClient,
  buildOrderCreateBody,
  type ContactCriterio,
  type ContactListFilters,
  type FiltroSaldoEstoque,
  MAX_IDS_PER_BALANCE_REQUEST,
  MAX_IDS_PER_REQUEST,
  type OrderListFilters,
  type PaymentMethodListFilters,
  type ProductCriterio,
  type ProductListFilters,
  type ProductStoreListFilters,
  type StockBalanceOptions,
} from "./client.js";
export {
  assertDateWindow,
  formatBlingDate,
  formatBlingDateTime,
  MAX_DATE_WINDOW_MS,
} from "./dates.js";
export {
  BlingError,
  type BlingErrorAction,
  type BlingErrorContext,
  type BlingFieldError,
  BlingInsufficientScopeError,
  BlingInvalidClientError,
  BlingInvalidGrantError,
  BlingIpBlockedError,
  BlingNetworkError,
  BlingNotFoundError,
  BlingRateLimitedError,
  BlingRequestError,
  BlingResponseTooLargeError,
  BlingRetryCapError,
  BlingServerError,
  BlingTokenError,
  BlingUnexpectedResponseError,
  BlingValidationError,
  blingErrorBodySchema,
  flattenBlingFields,
  mapBlingApiError,
  mapBlingOAuthError,
  msUntilNextSaoPauloDay,
  type ParsedBlingError,
  parseBlingErrorBody,
} from "./errors.js";
export {
  type BlingBudgetHook,
  type BlingBudgetRequest,
  type BlingClientOptions,
  BlingHttp,
  type BlingLogger,
  type BlingRequest,
  type FetchLike,
  MAX_URL_LENGTH,
  type QueryValue,
  type RequestOptions,
} from "./http.js";
export {
  BlingOAuth,
  type BlingOAuthOptions,
  type BlingTokenResponse,
  type BlingTokenSet,
  DEFAULT_ACCESS_TOKEN_TTL_SEC,
  DEFAULT_REFRESH_TOKEN_TTL_MS,
  revokeTokenPair,
  tokenResponseSchema,
  toTokenSet,
} from "./oauth.js";
export { BLING_PAGE_SIZE, type PaginateOptions, paginate } from "./paginate.js";
export {
  BLING_MAX_ATTEMPTS,
  BLING_MAX_REQUESTS_PER_CALL,
  type BlingRetryOptions,
  type CallAttemptCap as BlingCallAttemptCap,
} from "./retry.js";
export {
  blingDecimal,
  blingId,
  blingRefId,
  createdIdSchema,
  dataEnvelope,
  listEnvelope,
} from "./schemas/common.js";
export * from "./schemas/contacts.js";
export * from "./schemas/misc.js";
export * from "./schemas/orders.js";
export * from "./schemas/payment-methods.js";
export * from "./schemas/products.js";
export {
  BLING_TIME_ZONE,
  type LocalParts,
  localParts,
  nextMidnight,
  nextSaoPauloMidnight,
  timeZoneOffsetMs,
} from "./time-zone.js";
export {
  BLING_SIGNATURE_HEADER,
  type BlingKnownWebhookEvent,
  type BlingWebhookEnvelope,
  type BlingWebhookEvent,
  type BlingWebhookInvoiceData,
  type BlingWebhookOrderData,
  BlingWebhookPayloadError,
  type BlingWebhookProductData,
  type BlingWebhookStockData,
  type BlingWebhookVirtualStockData,
  parseBlingWebhook,
  signBlingPayload,
  verifyBlingSignature,
} from "./webhooks.js";
