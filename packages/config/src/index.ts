export { apiEnvKeys, migrateEnvKeys, workerEnvKeys } from "./app-keys.js";
export { type Env, type EnvKey, envSchema } from "./env-schema.js";
export { allEnvKeys, ConfigError, loadConfig, loadConfigOrExit, readProcessEnv } from "./load-config.js";
export { createLogger, type Logger, redactedKeys } from "./logger.js";
export {
  type ZydonContractOverridesConfig,
  zydonContractOverrides,
  zydonContractOverridesSchema,
  zydonWebhookSecrets,
} from "./zydon-contract.js";
