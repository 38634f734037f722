export { createManualClock, type SimClock, systemClock } from "./clock.js";
export { type AccountSnapshot, BlingControl } from "./control.js";
export { type DemoAccountOptions, generateDemoAccount } from "./demo-data.js";
export type { ProductInput, ProductWriteResult } from "./domain.js";
export { BlingHttpError, type SimRequest, type SimResponse } from "./http-util.js";
export { defaultLimits, type LimitSettings } from "./limits.js";
export { blingMswHandlers } from "./msw.js";
export { BLING_SCOPE, type SimApp, type TokenResponse } from "./oauth.js";
export { buildBlingSimulatorApp, type StartedBlingSimulator, startBlingSimulator } from "./server.js";
export {
  BlingSimulator,
  type BlingSimulatorOptions,
  type RequestLogEntry,
  type SimFaults,
  type SimStats,
} from "./simulator.js";
export type {
  BlingCategory,
  BlingContact,
  BlingDeposit,
  BlingInvoice,
  BlingOrder,
  BlingPaymentMethod,
  BlingProduct,
  BlingSituacao,
  BlingStore,
  BlingStoreLink,
  NfeOutcome,
} from "./store.js";
export { BASE_SITUACOES, VENDAS_MODULE } from "./store.js";
export {
  signWebhook,
  type WebhookDeliveryLogEntry,
  type WebhookFaults,
  type WebhookResource,
} from "./webhooks.js";
