export * as zydonAdapter from "./adapter.js";
export {
  type AdminSessionResult,
  type CallbackResult,
  type ExchangedCredentials,
  type NotificationResult,
  type OrderUpdateWebhookResult,
  type OrderWebhookResult,
  ZydonApp,
  type ZydonAppOptions,
} from "./app.js";
export { type ZydonAccessKey, ZydonClient, type ZydonClientOptions } from "./client.js";
export {
  CONTRACT_PATH_PARAMS,
  CONTRACT_SOURCES,
  DEFAULT_ZYDON_CONTRACT,
  fillPath,
  resolveZydonContract,
  type WebhookAuthMode,
  type ZydonContract,
  type ZydonContractOverrides,
} from "./contract.js";
export {
  isWithinNotFoundRetryWindow,
  parseRetryAfterMs,
  ZydonAuthError,
  ZydonError,
  type ZydonErrorAction,
  type ZydonErrorEnvelope,
  ZydonNetworkError,
  ZydonNotFoundError,
  ZydonRateLimitedError,
  ZydonResponseTooLargeError,
  ZydonRetryCapError,
  ZydonServerError,
  ZydonUnexpectedResponseError,
  ZydonValidationError,
  zydonErrorFromResponse,
} from "./errors.js";
export type { FetchLike, ZydonLogger } from "./http.js";
export {
  buildPluginManifest,
  MANIFEST_FILES,
  manifestUrls,
  ORDER_UPDATE_WEBHOOK_ID,
  ORDER_WEBHOOK_ID,
  PLUGIN_ENDPOINTS,
  PLUGIN_PERMISSIONS,
  type PluginConfiguration,
  type PluginManifest,
  type PluginWebhook,
  parsePluginManifest,
  pluginConfigurationSchema,
  pluginWebhooksSchema,
  renderPluginManifest,
  SECRET_PLACEHOLDER,
} from "./manifest.js";
export {
  type FetchedFile,
  isPublicAddress,
  type LookupFn,
  OUTBOUND_MAX_BYTES,
  OUTBOUND_MAX_REDIRECTS,
  OutboundFetcher,
  type OutboundOptions,
  type OutboundRefusal,
  OutboundRefusedError,
  sniffImage,
} from "./outbound.js";
export { type ListQuery, paginate } from "./pagination.js";
export {
  type CallAttemptCap,
  callKey,
  ZYDON_MAX_ATTEMPTS,
  type ZydonBudgetHook,
  type ZydonRetryOptions,
} from "./retry.js";
export type {
  Page,
  ZydonCategory,
  ZydonInvoiceResult,
  ZydonMeasureUnit,
  ZydonNamed,
  ZydonOrder,
  ZydonPartner,
  ZydonPaymentMethod,
  ZydonPriceTable,
  ZydonProduct,
  ZydonProductVariation,
  ZydonSale,
  ZydonSaleListItem,
  ZydonStatus,
  ZydonStock,
  ZydonVariationAxis,
} from "./schemas.js";
export { parseYaml, toYaml, type YamlValue } from "./yaml.js";
