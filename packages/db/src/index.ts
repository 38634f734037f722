export { type CreateDbOptions, createDb, type Database, type DbHandle, type Sql } from "./client.js";
export { migrationsFolder, runMigrations } from "./migrate.js";
export {
  type BlingConnection,
  type BlingTokens,
  CompanyAlreadyBoundError,
  CredentialsRepository,
  type ZydonAccessKey,
} from "./repositories/credentials-repository.js";
export { type Tenant, TenantsRepository } from "./repositories/tenants-repository.js";
export * from "./schema/index.js";
export { type RotationReport, rotateSecrets } from "./secrets/rotate-secrets.js";
export {
  SecretBox,
  SecretDecryptionError,
  type SecretKey,
  secretBoxFromConfig,
} from "./secrets/secret-box.js";
