// The public surface of @zb/sync: what the apps (API, worker) and the tools use, named one by one so a new
// export is a decision, not a side effect of `export *`. Pipelines, mappers and ports are internal: jobs
// (packages/sync/src/jobs) call them, and tests import them by path inside this package.

export { createBlingPort } from "./adapters/bling-port-adapter.js";
export { ZydonPortAdapter } from "./adapters/zydon-port-adapter.js";
export {
  type AlertKind,
  type AlertSettings,
  type AlertSettingsInput,
  type AnyAlertKind,
  alertKinds,
  alertSettingsSchema,
  defaultAlertSettings,
  hasAlertChannel,
  MAX_ALERT_EMAILS,
  readAlertSettings,
} from "./alerts/alert-settings.js";
export {
  ALERT_MAX_TRIES,
  type AlertDeliveries,
  type AlertTransport,
  type ChannelDelivery,
  deliverAlert,
  readDeliveries,
  webhookHost,
} from "./alerts/deliver.js";
export { alertMessage, alertSubject } from "./alerts/messages.js";
export { ALERT_THROTTLE_MS, raiseAlert, watchAlerts } from "./alerts/watch.js";
// Per-Bling-account budget, tokens, locks.
export { BlingBudget } from "./budget/bling-budget.js";
export { budgetHook } from "./budget/budget-hook.js";
export { BudgetWaitError } from "./budget/errors.js";
export { ZydonBudget, zydonBudgetHook } from "./budget/zydon-budget.js";
// What errors ask the job layer to do.
export {
  actionOf,
  ClaimBusyError,
  JobStalledError,
  LockBusyError,
  RetryLaterError,
  waitHintOf,
} from "./engine/errors.js";
export { InitialSyncOrchestrator } from "./engine/initial-sync.js";
export {
  describeStepFailure,
  type RunFailure,
  readRunFailure,
  runFailureSchema,
} from "./engine/run-failure.js";
export { guardTenant } from "./engine/tenant-guard.js";
// Webhook inbox: one schema for what the API stores and the worker reads.
export {
  type BlingInboxPayload,
  blingInboxPayload,
  blingInboxSchema,
  ZYDON_ORDER_UPDATED_EVENT,
  type ZydonOrderInboxPayload,
  type ZydonOrderUpdateInboxPayload,
  zydonOrderInboxPayload,
  zydonOrderUpdateInboxPayload,
} from "./inbox/webhook-payloads.js";
export { enqueueAlertDelivery } from "./jobs/alert-jobs.js";
// Jobs: the registry the worker looks up, the producer the API enqueues with, schedulers, ids.
export {
  CALL_WINDOW_MS,
  callAttemptsKey,
  MAX_FAILURES_PER_CALL,
  RedisCallAttempts,
} from "./jobs/call-attempts.js";
export { type GiveUp, type JobRun, type JobServices, RunAgainSignal } from "./jobs/define-job.js";
export {
  findJob,
  isJobName,
  type JobName,
  type JobPayload,
  jobDefinition,
  type RegisteredJob,
  registeredJobs,
} from "./jobs/registry.js";
export { DEFAULT_TENANT_SLOTS, TENANT_LEASE_MS, TenantSlots } from "./jobs/tenant-slots.js";
export { purgeExpiredTenants, purgeOnRequest, purgeSummaryPtBr } from "./maintenance/personal-data.js";
export {
  type RedisRecoveryReport,
  recoverIfRedisLost,
  redisEpochKey,
  watchRedisLoss,
} from "./maintenance/redis-recovery.js";
export {
  pruneRetention,
  type RetentionOptions,
  type RetentionReport,
  type RetentionWindows,
} from "./maintenance/retention.js";
// Tenant settings (the page edits them, every pipeline reads them).
export { SETTINGS_ENTITY, type SettingKey } from "./pipelines/config-errors.js";
export type { SyncContext } from "./pipelines/context.js";
export { nfeJobId } from "./pipelines/nfe.js";
// Order export, for tests and tools that drive one export directly.
export { exportOrder } from "./pipelines/orders.js";
// The price-jump guard's held rows: the page decides on them (the API checks a row before queuing the job).
export {
  heldDetails,
  isOpenPriceHold,
  PRICE_JUMP_ACTION,
  type PriceHoldDecision,
} from "./pipelines/price-hold.js";
export {
  allowMassChange,
  isMassChangeHeld,
  type MassChangeGuard,
  releaseMassChangeGuard,
} from "./pipelines/stock-guard.js";
// The NF-e trigger's start time, recorded by the settings save (Zydon-side approvals start NF-e from then on).
export { noteNfeTriggerChange } from "./pipelines/zydon-status-watch.js";
export type { BlingLane } from "./ports/bling-port.js";
export { safeJobId } from "./queues/job-ids.js";
export { JobProducer } from "./queues/producer.js";
export { QUEUES, type QueueName, type SyncEntity, syncEntities, syncEntitySchema } from "./queues/queues.js";
export {
  checkRedisPolicy,
  guardRedisPolicyOrExit,
  REQUIRED_REDIS_POLICY,
  type RedisPolicyCheck,
} from "./queues/redis-guard.js";
export {
  ensureGlobalSchedulers,
  ensureTenantSchedulers,
  removeTenantSchedulers,
} from "./scheduling/tenant-schedulers.js";
export {
  blingIdPattern,
  type FieldGroup,
  fieldGroups,
  readTenantSettings,
  type TenantSettings,
  tenantSettingsInputSchema,
  tenantSettingsSchema,
  zydonOwns,
} from "./settings/tenant-settings.js";
export { acquireLock } from "./tokens/redis-lock.js";
export {
  BlingNotConnectedError,
  BlingReauthRequiredError,
  BlingTokenManager,
} from "./tokens/token-manager.js";
// Wiring from config (API, worker and the API's test harness build the same objects the same way).
export {
  type BlingWiringConfig,
  type BudgetWiringConfig,
  blingApiBase,
  type WiringHandles,
  wireBlingClient,
  wireBlingOAuth,
  wireBudget,
  wireTokenManager,
  wireZydonApp,
  wireZydonBudget,
  type ZydonWiringConfig,
} from "./wiring.js";
