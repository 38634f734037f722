import type { EnvKey } from "./env-schema.js";

const shared = [
  "NODE_ENV",
  "LOG_LEVEL",
  "DATABASE_URL",
  "DATABASE_POOL_MAX",
  "REDIS_URL",
  "REDIS_PREFIX",
  "SECRETS_KEY",
  "SECRETS_KEY_ID",
  "SECRETS_PREVIOUS_KEY",
  "SECRETS_PREVIOUS_KEY_ID",
  "SECRET_RETENTION_DAYS",
  "BLING_CLIENT_ID",
  "BLING_CLIENT_SECRET",
  "BLING_API_BASE_URL",
  "BLING_ENABLE_JWT",
  "BLING_RATE_SHARE",
  "BLING_DAILY_LIMIT",
  "BLING_REQUEST_TIMEOUT_MS",
  "SYNC_MASS_CHANGE_SHARE",
  "SYNC_PRICE_GUARD_CHANGE",
  "ZYDON_PLUGIN_ID",
  "ZYDON_ACCESS_KEY",
  "ZYDON_API_BASE_URL",
  "ZYDON_ADMIN_URL",
  "ZYDON_REQUEST_TIMEOUT_MS",
  "ZYDON_UPLOAD_TIMEOUT_MS",
  "ZYDON_CONTRACT_FILE",
  "ZYDON_TOKEN_EXCHANGE_PATH",
  "ZYDON_WEBHOOK_AUTH",
  "ZYDON_WEBHOOK_SECRET",
  "ZYDON_WEBHOOK_PREVIOUS_SECRET",
] as const satisfies readonly EnvKey[];

export const apiEnvKeys = [
  ...shared,
  "API_HOST",
  "API_PORT",
  "API_TRUST_PROXY",
  "PUBLIC_BASE_URL",
  "SESSION_SECRET",
  "BLING_AUTHORIZE_URL",
] as const satisfies readonly EnvKey[];

export const workerEnvKeys = [
  ...shared,
  "PUBLIC_BASE_URL",
  "WORKER_CONCURRENCY",
  "RETENTION_INBOX_DAYS",
  "RETENTION_LEDGER_DAYS",
  "OUTBOUND_ALLOW_HOSTS",
] as const satisfies readonly EnvKey[];

export const migrateEnvKeys = ["DATABASE_URL", "LOG_LEVEL"] as const satisfies readonly EnvKey[];
