import {
  type apiEnvKeys,
  type Env,
  type Logger,
  zydonContractOverrides,
  zydonWebhookSecrets,
} from "@zb/config";
import { OpsRepository, secretBoxFromConfig } from "@zb/db";
import { registerQueueMetrics, registerUsageMetrics, ZbMetrics } from "@zb/metrics";
import {
  ensureTenantSchedulers,
  findJob,
  JobProducer,
  QUEUES,
  removeTenantSchedulers,
  wireBudget,
  wireTokenManager,
  wireZydonApp,
} from "@zb/sync";
import { createBlingGateway } from "./adapters/bling-gateway.js";
import { createChoices } from "./adapters/choices.js";
import { type AppDeps, createDbHandle, createRedisProducer } from "./deps.js";
import { defaultWebDistDir } from "./http/static-web.js";
import type { OpsDeps } from "./ops/ops-routes.js";
import { opsTenantsView } from "./ops/ops-tenants.js";

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
  const ops = composeOps(config, {
    opsRepo: new OpsRepository(db.db),
    queues: Object.values(QUEUES).map((q) => producer.queue(q)),
    usageToday: async (account) => (await budget.usage(account)).today,
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
    ops,
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

/**
 * The operator side (only with OPS_TOKEN): the API's metrics registry (queue depth and age, Bling usage
 * today with the top-N accounts), Bull Board's queues and the tenants page's read model.
 */
export function composeOps(
  config: Pick<ApiEnv, "OPS_TOKEN" | "METRICS_TOP_ACCOUNTS">,
  parts: {
    opsRepo: OpsRepository;
    queues: OpsDeps["queues"];
    usageToday: (account: string) => Promise<number>;
    metrics?: ZbMetrics;
  },
): OpsDeps | undefined {
  if (!config.OPS_TOKEN) return undefined;
  const metrics = parts.metrics ?? new ZbMetrics({ app: "api" });
  registerQueueMetrics(metrics, parts.queues, Date.now, { laneOf: (name) => findJob(name)?.lane });
  registerUsageMetrics(
    metrics,
    { accounts: () => parts.opsRepo.budgetAccounts(), today: parts.usageToday },
    { topN: config.METRICS_TOP_ACCOUNTS },
  );
  return {
    token: config.OPS_TOKEN,
    metrics,
    queues: parts.queues,
    tenants: (now) => opsTenantsView(parts.opsRepo, parts.usageToday, now),
  };
}
