/**
 * The settings page's API contract: the zod schema of every request body and response the page uses,
 * shared by apps/api (types its answers with them) and apps/web (parses every answer with them).
 * Imports nothing but zod: it is bundled into the browser.
 */
export {
  type ActionResult,
  actionResultSchema,
  type BlingConnectStartResponse,
  blingConnectStartResponseSchema,
  type DisconnectResponse,
  disconnectResponseSchema,
  type EnqueuedResponse,
  enqueuedResponseSchema,
  type GuardReleaseResponse,
  guardReleaseResponseSchema,
  type PauseResponse,
  PURGE_CONFIRMATION_WORD,
  type PurgeDataRequest,
  type PurgeDataResponse,
  pauseResponseSchema,
  purgeDataRequestSchema,
  purgeDataResponseSchema,
  type RetryFailedResponse,
  retryFailedResponseSchema,
} from "./actions.js";
export {
  type ErrorBody,
  errorBodySchema,
  idLike,
  type ValidationErrorBody,
  validationErrorBodySchema,
  wireDate,
} from "./common.js";
export {
  type LedgerItem,
  type LedgerOutcome,
  type LedgerPageResponse,
  type LedgerQueryParams,
  ledgerItemSchema,
  ledgerOutcomes,
  ledgerPageResponseSchema,
  ledgerQuerySchema,
} from "./ledger.js";
export {
  describeLedgerRow,
  formatDocument,
  type LedgerDisplay,
  ledgerActionLabels,
  ledgerEntityLabels,
  ledgerOutcomeLabels,
} from "./ledger-display.js";
export {
  type LaunchExchangeRequest,
  launchExchangeRequestSchema,
  type SessionRequest,
  type SessionResponse,
  sessionRequestSchema,
  sessionResponseSchema,
} from "./session.js";
export {
  type Option,
  optionSchema,
  type Settings,
  type SettingsOptionsResponse,
  type SettingsPreviewResponse,
  settingsOptionsResponseSchema,
  settingsPreviewResponseSchema,
  settingsSchema,
} from "./settings.js";
export {
  type AttentionItem,
  attentionItemSchema,
  computePageState,
  type GuardKind,
  guardKinds,
  type PageState,
  type PageStateFacts,
  type PageStateResponse,
  pageStateSchema,
  pageStates,
} from "./state.js";
export {
  type Activity,
  activitySchema,
  type BlingState,
  blingStates,
  type Connection,
  connectionSchema,
  type HealthResponse,
  healthResponseSchema,
  type Progress,
  type ProgressEntity,
  progressEntitySchema,
  progressSchema,
  type Readiness,
  type ReadinessProblem,
  readinessProblemSchema,
  readinessSchema,
  type TenantState,
  type TokenState,
  tenantStates,
  tokenStates,
} from "./views.js";
