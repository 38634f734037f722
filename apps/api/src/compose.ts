import {
  type apiEnvKeys,
  type Env,
  type Logger,
  zydonContractOverrides,
  zydonWebhookSecrets,
} from "@zb/config";
import { CredentialsRepository, secretBoxFromConfig, TenantsRepository } from "@zb/db";
import {
  BlingBudget,
  BlingTokenManager,
  ensureTenantSchedulers,
  JobProducer,
  removeTenantSchedulers,
  tokenCallGate,
} from "@zb/sync";
import { ZydonApp } from "@zb/zydon";
import { createBlingGateway } from "./adapters/bling-gateway.js";
import { createChoices } from "./adapters/choices.js";
import { type AppDeps, createDbHandle, createRedisProducer } from "./deps.js";
import { defaultWebDistDir } from "./http/static-web.js";

export type ApiEnv = Pick<Env, (typeof apiEnvKeys)[number]>;

/** Production wiring of every port; server.ts owns the lifecycle, tests build their own deps. */
export function composeAppDeps(config: ApiEnv, logger: Logger): AppDeps & { close(): Promise<void> } {
  const db = createDbHandle(config);
  const redis = createRedisProducer(config.REDIS_URL);
  redis.on("error", (err) => logger.warn({ err: err.message }, "redis connection error"));
  const secretBox = secretBoxFromConfig(config);
  const producer = new JobProducer(redis, config.REDIS_PREFIX);
  const budget = new BlingBudget({
    redis,
    keyPrefix: config.REDIS_PREFIX,
    share: config.BLING_RATE_SHARE,
    dailyLimit: config.BLING_DAILY_LIMIT,
  });
  const gate = tokenCallGate(budget);
  const bling = createBlingGateway({
    clientId: config.BLING_CLIENT_ID,
    clientSecret: config.BLING_CLIENT_SECRET,
    apiBaseUrl: config.BLING_API_BASE_URL,
    authorizeUrl: config.BLING_AUTHORIZE_URL,
    enableJwt: config.BLING_ENABLE_JWT,
    timeoutMs: config.BLING_REQUEST_TIMEOUT_MS,
    // Code exchanges count against the same deployment-wide token-call cap as the workers' refreshes.
    oauthBudget: async (req) => {
      if (req.path.endsWith("/oauth/token")) await gate.acquire();
    },
  });
  const zydon = new ZydonApp({
    pluginId: config.ZYDON_PLUGIN_ID,
    accessKey: config.ZYDON_ACCESS_KEY,
    apiBaseUrl: config.ZYDON_API_BASE_URL,
    adminUrl: config.ZYDON_ADMIN_URL,
    timeoutMs: config.ZYDON_REQUEST_TIMEOUT_MS,
    contract: zydonContractOverrides(config),
    webhookSecrets: zydonWebhookSecrets(config),
  });
  const tokens = new BlingTokenManager({
    credentials: new CredentialsRepository(db.db, secretBox),
    tenants: new TenantsRepository(db.db),
    redis,
    oauth: bling,
    tokenGate: gate,
    keyPrefix: config.REDIS_PREFIX,
    log: logger,
  });
  return {
    config,
    db,
    redis,
    logger,
    secretBox,
    producer,
    bling,
    zydon,
    tokens,
    choices: createChoices({
      blingApiBaseUrl: config.BLING_API_BASE_URL,
      timeoutMs: config.BLING_REQUEST_TIMEOUT_MS,
      enableJwt: config.BLING_ENABLE_JWT,
      tokens,
      budget,
      zydon,
    }),
    // The settings page, framable by Zydon's admin.
    web: { distDir: defaultWebDistDir(), frameAncestors: [new URL(config.ZYDON_ADMIN_URL).origin] },
    // Keyed by the Bling company (one budget per Bling account), the same key the sync engine spends.
    budget: { usage: ({ tenantId, blingCompanyId }) => budget.usage(blingCompanyId ?? tenantId) },
    hooks: {
      onTenantPaused: (tenantId) => removeTenantSchedulers(producer, tenantId),
      onTenantResumed: (tenantId) => ensureTenantSchedulers(producer, tenantId),
    },
    async close() {
      await producer.close();
      redis.disconnect();
      await db.close();
    },
  };
}
