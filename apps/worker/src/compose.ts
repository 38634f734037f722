import { randomUUID } from "node:crypto";
import { revokeTokenPair } from "@zb/bling";
import { type Env, type Logger, type workerEnvKeys, zydonContractOverrides } from "@zb/config";
import {
  createDb,
  type DbHandle,
  OpsRepository,
  type SecretBox,
  secretBoxFromConfig,
  type Tenant,
} from "@zb/db";
import {
  blingMetricsLogger,
  observeBudgetHook,
  observeProcessor,
  observeRefreshPort,
  registerQueueMetrics,
  registerUsageMetrics,
  ZbMetrics,
} from "@zb/metrics";
import {
  acquireLock,
  type BlingBudget,
  type BlingLane,
  BlingNotConnectedError,
  type BlingTokenManager,
  BudgetWaitError,
  budgetHook,
  callAttemptsKey,
  createBlingPort,
  DEFAULT_TENANT_SLOTS,
  ensureGlobalSchedulers,
  ensureTenantSchedulers,
  findJob,
  JobProducer,
  LockBusyError,
  nfeJobId,
  pruneRetention,
  purgeExpiredTenants,
  QUEUES,
  RedisCallAttempts,
  type SyncContext,
  type TenantSettings,
  TenantSlots,
  watchRedisLoss,
  wireBlingClient,
  wireBlingOAuth,
  wireBudget,
  wireTokenManager,
  wireZydonApp,
  wireZydonBudget,
  ZydonPortAdapter,
  zydonBudgetHook,
} from "@zb/sync";
import { zydonAdapter } from "@zb/zydon";
import type { WorkerOptions } from "bullmq";
import { Redis } from "ioredis";
import { createAlertTransport } from "./alert-transport.js";
import { type MetricsServer, startMetricsServer } from "./metrics-server.js";
import { createProcessor, createStalledGiveUp, type JobRef, type WorkerDeps } from "./processors.js";
import { createWorkerRuntime, MAX_STALLED_COUNT, type WorkerRuntime } from "./runtime.js";

export type WorkerEnv = Pick<Env, (typeof workerEnvKeys)[number]>;

/** How long a job's pre-taken Bling grant stays usable by its first request (later, that request asks anew). */
const PREPAID_FRESH_MS = 500;

// Take `KEYS[1]` for `ARGV[1]` (or take it back when it already holds it) for ARGV[2] ms.
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
return 0
`;
const RELEASE_CLAIM = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface ComposeWorkerOptions {
  /** Longest one Bling request waits for a budget slot before its job is delayed (default 20 s). */
  budgetMaxWaitMs?: number;
  /**
   * A job whose first Bling grant is further away than this is delayed by that wait before it runs,
   * instead of waiting in its worker slot (default 2 s).
   */
  budgetPrecheckMs?: number;
  /** Running jobs of one tenant per queue, across processes (default WORKER_TENANT_SLOTS). */
  tenantSlots?: number;
  /** How long a job over its tenant's slots is delayed, jittered up to twice this (default 1 s). */
  tenantSlotDelayMs?: number;
  /** Longest download of one tenant-supplied file before that link is given up (default 20 s). */
  downloadTimeoutMs?: number;
  /** Tests shorten the per-tenant polling/reconciliation intervals. */
  schedulerIntervals?: { pollChangesMs?: number; reconcileStockMs?: number; watchZydonOrdersMs?: number };
  /**
   * Overrides BLING_RATE_SHARE (capped at Bling's 3 req/s by the config schema) for compressed-time tests and
   * benchmarks, which raise the Bling simulator's limit by the same factor so every ratio holds.
   */
  rateShare?: number;
  /** Restrict the queues this process serves (default: all). */
  queues?: string[];
  /** BullMQ worker settings (fault tests shorten the lock/stalled timings so a killed job resumes sooner). */
  workerOptions?: Partial<WorkerOptions>;
  /** The process's metrics registry (tests pass their own; default: a new one). */
  metrics?: ZbMetrics;
}

export interface ComposedWorker {
  runtime: WorkerRuntime;
  deps: WorkerDeps;
  tokens: BlingTokenManager;
  budget: BlingBudget;
  db: DbHandle;
  metrics: ZbMetrics;
  /** The `/metrics` listener, when WORKER_METRICS_PORT is set. */
  metricsServer: MetricsServer | undefined;
  close(): Promise<void>;
}

/**
 * Production wiring of the worker: one Postgres pool, one Redis producer connection, the per-Bling-account
 * budget, the token manager (refresh single-flight across processes), and per-job tenant contexts.
 * main.ts owns the lifecycle; integration tests call this with their own environment.
 */
export async function composeWorker(
  config: WorkerEnv,
  logger: Logger,
  opts: ComposeWorkerOptions = {},
): Promise<ComposedWorker> {
  const db = createDb({ url: config.DATABASE_URL, max: config.DATABASE_POOL_MAX, appName: "zb-worker" });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  redis.on("error", (err) => logger.warn({ err: err.message }, "redis connection error"));
  const secretBox: SecretBox = secretBoxFromConfig(config);
  const producer = new JobProducer(redis, config.REDIS_PREFIX);
  const { budget, tokenGate } = wireBudget(
    config,
    redis,
    opts.rateShare !== undefined ? { rateShare: opts.rateShare } : {},
  );
  const metrics = opts.metrics ?? new ZbMetrics({ app: "worker" });
  // Workers only refresh; the authorize URL is the API's concern. Every refresh is counted (ok / failed).
  const blingOAuth = wireBlingOAuth(config);
  const oauth = observeRefreshPort(blingOAuth, metrics);
  const blingLog = blingMetricsLogger(metrics);
  const { tokens, credentials, tenants } = wireTokenManager({ db: db.db, redis, secretBox, logger }, config, {
    oauth,
    tokenGate,
  });
  // Zydon's retry layer repeats one HTTP request after a short-lived failure (5xx of GET/PUT, dropped
  // connections, 429 with a short Retry-After): at most 5 requests per call (packages/zydon/src/retry.ts).
  const zydon = wireZydonApp(config, { retry: true, contract: zydonContractOverrides(config) });
  // Every Zydon request of a tenant, retries included, spends that tenant's Zydon budget (issue 21 #4).
  // Compressed-time runs (rateShare × K) scale it with Bling's share.
  const zydonBudget = wireZydonBudget(
    opts.rateShare !== undefined
      ? {
          ...config,
          ZYDON_RATE_PER_TENANT: (config.ZYDON_RATE_PER_TENANT * opts.rateShare) / config.BLING_RATE_SHARE,
        }
      : config,
    redis,
  );
  const maxWaitMs = opts.budgetMaxWaitMs ?? 20_000;
  const precheckMs = opts.budgetPrecheckMs ?? 2_000;
  const downloadTimeoutMs = opts.downloadTimeoutMs ?? config.WORKER_DOWNLOAD_TIMEOUT_MS;
  const attemptsOf = (job: JobRef) =>
    new RedisCallAttempts(redis, callAttemptsKey(config.REDIS_PREFIX, job.queue, job.id));

  /**
   * The account's budget checked before the job runs: its first grant is taken now. Granted → the job's
   * first Bling request spends it (if it comes within `PREPAID_FRESH_MS`; later, it asks the budget as usual
   * and this grant was spent for nothing, as a job that makes no Bling call spends it). Refused with a wait
   * above `precheckMs` → BudgetWaitError before anything runs: the worker delays the job by that wait, so no
   * slot sleeps on a busy account. Refused for less → the job runs and its first request waits normally.
   */
  async function prepaidGrant(
    accountId: string,
    tenantId: string,
    lane: BlingLane,
    job: JobRef,
  ): Promise<number | undefined> {
    if (!job.prepay) return undefined;
    // The tenant's pause flag is read by this grant too (issue 17 #3).
    const r = await budget.take({ accountId, tenantId, lane, claimId: `job:${job.id}` });
    if (r.ok) return Date.now();
    if (r.reason === "day" || r.waitMs > precheckMs) {
      await budget.releaseClaim(accountId, lane, r.claimId).catch(() => undefined);
      throw new BudgetWaitError(r.reason, r.waitMs, r.retryAt, r.reserveOnly === true);
    }
    await budget.releaseClaim(accountId, lane, r.claimId).catch(() => undefined);
    return undefined;
  }

  async function contextFor(
    tenant: Tenant,
    settings: TenantSettings,
    lane: BlingLane,
    job: JobRef = { id: `direct-${randomUUID()}`, queue: "direct", prepay: false },
  ): Promise<SyncContext> {
    const conn = await credentials.getBlingConnection(tenant.id);
    if (!conn?.tokens || conn.status !== "connected") throw new BlingNotConnectedError(tenant.id);
    const zydonKey = await credentials.getZydonAccessKey(tenant.id);
    if (!zydonKey) throw new BlingNotConnectedError(tenant.id);
    // One budget per Bling account: two tenants can never share one, but the key follows the account.
    const accountId = conn.blingCompanyId ?? tenant.id;
    let prepaidAt = await prepaidGrant(accountId, tenant.id, lane, job);
    // Grants, waits and refusals by lane are counted around the hook; answers (429s) through the logger.
    const hook = observeBudgetHook(
      budgetHook(budget, accountId, lane, { maxWaitMs, tenantId: tenant.id }),
      metrics,
      lane,
    );
    // Both clients count one logical call's failed requests across every run of this job (≤ 10 in all).
    const attemptCap = attemptsOf(job);
    let usedToken: string | undefined;
    // Bling's retry layer repeats one request after a per-second 429 (any request) or a 5xx/timeout/dropped
    // connection of a GET, through the budget hook each time: at most 6 requests per call
    // (packages/bling/src/retry.ts). The job's attempts come only after the client gave up.
    const client = wireBlingClient(config, {
      retry: true,
      getAccessToken: async () => {
        usedToken = await tokens.getAccessToken(tenant.id);
        return usedToken;
      },
      // Say which token Bling refused: if another job or process already rotated it, its new token is used
      // instead of refreshing again (six refreshes for one expiry under two busy workers, fault test).
      onUnauthorized: () => tokens.forceRefresh(tenant.id, usedToken),
      budget: async (req) => {
        const paid = prepaidAt;
        prepaidAt = undefined;
        if (paid !== undefined && Date.now() - paid <= PREPAID_FRESH_MS && !/\/oauth\/token\b/.test(req.path))
          return;
        await hook(req);
      },
      attemptCap,
      logger: blingLog,
    });
    const exclusive = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
      const lock = await acquireLock(redis, `${config.REDIS_PREFIX}:lock:${tenant.id}:${key}`, {
        // Short lease, renewed while held: a SIGKILLed holder blocks the key for at most 15 s (the advisory
        // lock it replaces was freed with the dead connection; a 120 s lease stalled order exports).
        ttlMs: 15_000,
        waitMs: 30_000,
        renewMs: 5_000,
      });
      // Someone else holds it for long: let the job retry later rather than wait here.
      if (!lock) throw new LockBusyError(key);
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    };
    return {
      tenantId: tenant.id,
      settings,
      bling: createBlingPort(client),
      zydon: new ZydonPortAdapter(
        zydon.client(
          { code: zydonKey.accessKeyCode, token: zydonKey.accessKeyToken },
          { budget: zydonBudgetHook(zydonBudget, tenant.id, { maxWaitMs }), attemptCap, downloadTimeoutMs },
        ),
        // Variation axes are shared by the tenant's catalog: added to under one lease (the adapter's comment).
        { exclusive },
      ),
      db: db.db,
      log: logger.child({ tenantId: tenant.id }),
      now: () => new Date(),
      guards: { share: config.SYNC_MASS_CHANGE_SHARE, priceChange: config.SYNC_PRICE_GUARD_CHANGE },
      exclusive,
      // Owned by the job: the same job run again (a stall, a delay) takes its own claim back.
      claim: async (key, ttlMs) => {
        const k = `${config.REDIS_PREFIX}:claim:${tenant.id}:${key}`;
        const owner = `job:${job.queue}:${job.id}`;
        const taken = (await redis.eval(CLAIM, 1, k, owner, ttlMs)) as number;
        if (taken !== 1) return null;
        return {
          release: async () => {
            await redis.eval(RELEASE_CLAIM, 1, k, owner);
          },
        };
      },
      enqueueImages: async (blingProductId) => {
        await producer.enqueue("product-images", { tenantId: tenant.id, blingProductId });
      },
      // One NF-e job per order (stable id): a second trigger for the same order is a no-op.
      enqueueNfe: async (zydonOrderId) => {
        await producer.enqueue(
          "nfe-step",
          { tenantId: tenant.id, zydonOrderId },
          { jobId: nfeJobId(tenant.id, zydonOrderId, 0) },
        );
      },
    };
  }

  const alertTransport = createAlertTransport(config, logger);
  const deps: WorkerDeps = {
    db: db.db,
    redis,
    producer,
    prefix: config.REDIS_PREFIX,
    log: logger,
    contextFor,
    maintenance: {
      async keepAliveAll() {
        for (const t of await tenants.listByState("active")) {
          try {
            await tokens.keepAlive(t.id);
          } catch (err) {
            logger.warn({ tenantId: t.id, err: (err as Error).name }, "Bling keep-alive refresh failed");
          }
        }
      },
      async purgeSecrets() {
        // Secrets and personal data together when the retention window ends (issue 17 #7); the Bling
        // tokens stop working at Bling before they are forgotten here (issue 21 #6).
        const purged = await purgeExpiredTenants(db.db, credentials, logger, new Date(), {
          revokeAtBling: async (tenantId, t) => {
            const failed = await revokeTokenPair(blingOAuth, t);
            if (failed.length > 0) {
              logger.warn({ tenantId, failures: failed.length }, "Bling token revoke at purge failed");
            }
          },
        });
        if (purged.length > 0) logger.info({ count: purged.length }, "secrets of uninstalled tenants purged");
      },
      async pruneRetention() {
        await pruneRetention(
          db.db,
          {
            inboxDays: config.RETENTION_INBOX_DAYS,
            ledgerDays: config.RETENTION_LEDGER_DAYS,
          },
          logger,
        );
      },
    },
    onInitialSyncFinished: (tenantId) =>
      ensureTenantSchedulers(producer, tenantId, opts.schedulerIntervals ?? {}),
    tenantSlots: {
      slots: new TenantSlots(redis, config.REDIS_PREFIX),
      limit: opts.tenantSlots ?? config.WORKER_TENANT_SLOTS ?? DEFAULT_TENANT_SLOTS,
      // Each queue's worker runs this many jobs at once: the capacity a tenant's fair share is taken of.
      capacity: config.WORKER_CONCURRENCY,
      ...(opts.tenantSlotDelayMs !== undefined ? { delayMs: opts.tenantSlotDelayMs } : {}),
    },
    onJobSettled: (job) => attemptsOf(job).clear(),
    alerts: {
      transport: alertTransport,
      // The app inside Zydon's admin, where plugin front ends live (zydon-api.md §2, [TPL]).
      pageUrl: new URL(zydonAdapter.APP_PAGE_PATH, config.ZYDON_ADMIN_URL).toString(),
    },
  };

  // Durations and failures by job name, webhook lag: observed around the one processor.
  const processor = observeProcessor(createProcessor(deps), metrics);
  const queues = opts.queues ?? Object.values(QUEUES);
  registerQueueMetrics(
    metrics,
    Object.values(QUEUES).map((q) => producer.queue(q)),
    Date.now,
    { laneOf: (name) => findJob(name)?.lane },
  );
  const ops = new OpsRepository(db.db);
  registerUsageMetrics(
    metrics,
    { accounts: () => ops.budgetAccounts(), today: async (a) => (await budget.usage(a)).today },
    { topN: config.METRICS_TOP_ACCOUNTS },
  );
  const runtime = createWorkerRuntime({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    processors: Object.fromEntries(queues.map((q) => [q, processor])),
    concurrency: config.WORKER_CONCURRENCY,
    logger,
    ...(opts.workerOptions ? { workerOptions: opts.workerOptions } : {}),
    onFailedUnrun: createStalledGiveUp(deps, opts.workerOptions?.maxStalledCount ?? MAX_STALLED_COUNT),
  });

  // Recurring work survives restarts and lost scheduler keys: upserts are idempotent.
  await ensureGlobalSchedulers(producer);
  for (const t of await tenants.listByState("active")) {
    if (t.initialSyncDoneAt) await ensureTenantSchedulers(producer, t.id, opts.schedulerIntervals ?? {});
  }
  // Redis back empty (issue 17 #1): at every reconnect, rebuild the queue state from Postgres if it was lost.
  const redisLoss = watchRedisLoss({
    redis,
    prefix: config.REDIS_PREFIX,
    producer,
    db: db.db,
    log: logger,
    ...(opts.schedulerIntervals ? { schedulerIntervals: opts.schedulerIntervals } : {}),
  });
  await redisLoss.ready;

  const metricsServer =
    config.WORKER_METRICS_PORT === undefined
      ? undefined
      : await startMetricsServer(metrics, {
          host: config.WORKER_METRICS_HOST,
          port: config.WORKER_METRICS_PORT,
          logger,
        });

  let closing: Promise<void> | undefined;
  return {
    runtime,
    deps,
    tokens,
    budget,
    db,
    metrics,
    metricsServer,
    close() {
      closing ??= (async () => {
        redisLoss.stop();
        await runtime.close();
        await metricsServer?.close();
        await producer.close();
        await alertTransport.close();
        redis.disconnect();
        await db.close();
      })();
      return closing;
    },
  };
}
