export { withAdvisoryLock } from "./advisory-lock.js";
export {
  type CreateDbOptions,
  createDb,
  type Database,
  type DbHandle,
  type DbOrTx,
  type DbTransaction,
  type Sql,
} from "./client.js";
export { migrationsFolder, runMigrations } from "./migrate.js";
export {
  type AlertRow,
  AlertsRepository,
  type OpenFailure,
  type RaiseAlert,
  type RaiseResult,
} from "./repositories/alerts-repository.js";
export {
  type BlingConnection,
  type BlingTokens,
  CompanyAlreadyBoundError,
  CredentialsRepository,
  SEALED_COLUMNS,
  sealedAt,
  type ZydonAccessKey,
} from "./repositories/credentials-repository.js";
export { CursorsRepository } from "./repositories/cursors-repository.js";
export { HealthRepository, type WebhookLag } from "./repositories/health-repository.js";
export {
  type LedgerEntry,
  type LedgerQuery,
  LedgerRepository,
  type LedgerRow,
} from "./repositories/ledger-repository.js";
export {
  type EntityLink,
  type LinkData,
  type LinkInput,
  LinksRepository,
  linkData,
  linkDataSchema,
} from "./repositories/links-repository.js";
export { type ConsumedState, OAuthStatesRepository } from "./repositories/oauth-states-repository.js";
export { OpsRepository, type OpsTenantRow } from "./repositories/ops-repository.js";
export { type OrderExport, OrderExportsRepository } from "./repositories/order-exports-repository.js";
export {
  type PersonalDataPurgeCounts,
  type PersonalDataPurgeEvent,
  PersonalDataRepository,
  PURGE_AUDIT_STREAM,
} from "./repositories/personal-data-repository.js";
export { type SyncRun, SyncRunsRepository } from "./repositories/sync-runs-repository.js";
export { type Tenant, TenantsRepository } from "./repositories/tenants-repository.js";
export { type InboxRow, WebhookInboxRepository } from "./repositories/webhook-inbox-repository.js";
export * from "./schema/index.js";
export { type RotationReport, rotateSecrets } from "./secrets/rotate-secrets.js";
export {
  SecretBox,
  type SecretContext,
  SecretDecryptionError,
  type SecretKey,
  secretBoxFromConfig,
} from "./secrets/secret-box.js";
