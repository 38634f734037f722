import {
  type apiEnvKeys,
  type Env,
  type Logger,
  zydonContractOverrides,
  zydonWebhookSecrets,
} from "@zb/config";
import { secretBoxFromConfig } from "@zb/db";
import {
  ensureTenantSchedulers,
  JobProducer,
  removeTenantSchedulers,
  wireBudget,
  wireTokenManager,
  wireZydonApp,
} from "@zb/sync";
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
  const { budget, tokenGate, exchangeGate } = wireBudget(config, redis);
  // Code exchanges spend the exchange lane of the deployment-wide token-call cap; refreshes (the token
  // manager below, and the workers') the refresh lane, so a connect flood cannot stop every tenant's sync.
  const bling = createBlingGateway(config, { exchangeGate });
  const zydon = wireZydonApp(config, {
    contract: zydonContractOverrides(config),
    webhookSecrets: zydonWebhookSecrets(config),
  });
  const { tokens } = wireTokenManager({ db: db.db, redis, secretBox, logger }, config, {
    oauth: bling,
    tokenGate,
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
      config,
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
      setBudgetPause: (tenantId, paused) =>
        paused ? budget.pauseTenant(tenantId) : budget.resumeTenant(tenantId),
    },
    async close() {
      await producer.close();
      redis.disconnect();
      await db.close();
    },
  };
}
