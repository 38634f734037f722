import { type Env, type Logger, type workerEnvKeys, zydonContractOverrides } from "@zb/config";
import { createDb, type DbHandle, type SecretBox, secretBoxFromConfig, type Tenant } from "@zb/db";
import {
  acquireLock,
  type BlingBudget,
  type BlingLane,
  BlingNotConnectedError,
  type BlingTokenManager,
  budgetHook,
  createBlingPort,
  ensureGlobalSchedulers,
  ensureTenantSchedulers,
  JobProducer,
  LockBusyError,
  nfeJobId,
  pruneRetention,
  QUEUES,
  type SyncContext,
  type TenantSettings,
  wireBlingClient,
  wireBlingOAuth,
  wireBudget,
  wireTokenManager,
  wireZydonApp,
  ZydonPortAdapter,
} from "@zb/sync";
import type { WorkerOptions } from "bullmq";
import { Redis } from "ioredis";
import { createProcessor, type WorkerDeps } from "./processors.js";
import { createWorkerRuntime, type WorkerRuntime } from "./runtime.js";

export type WorkerEnv = Pick<Env, (typeof workerEnvKeys)[number]>;

export interface ComposeWorkerOptions {
  /** Longest one Bling request waits for a budget slot before its job is delayed (default 20 s). */
  budgetMaxWaitMs?: number;
  /** Tests shorten the per-tenant polling/reconciliation intervals. */
  schedulerIntervals?: { pollChangesMs?: number; reconcileStockMs?: number };
  /**
   * Overrides BLING_RATE_SHARE (capped at Bling's 3 req/s by the config schema) for compressed-time tests and
   * benchmarks, which raise the Bling simulator's limit by the same factor so every ratio holds.
   */
  rateShare?: number;
  /** Restrict the queues this process serves (default: all). */
  queues?: string[];
  /** BullMQ worker settings (fault tests shorten the lock/stalled timings so a killed job resumes sooner). */
  workerOptions?: Partial<WorkerOptions>;
}

export interface ComposedWorker {
  runtime: WorkerRuntime;
  deps: WorkerDeps;
  tokens: BlingTokenManager;
  budget: BlingBudget;
  db: DbHandle;
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
  // Workers only refresh; the authorize URL is the API's concern.
  const oauth = wireBlingOAuth(config);
  const { tokens, credentials, tenants } = wireTokenManager({ db: db.db, redis, secretBox, logger }, config, {
    oauth,
    tokenGate,
  });
  // Zydon's retry layer repeats one HTTP request after a short-lived failure (5xx of GET/PUT, dropped
  // connections, 429 with a short Retry-After): at most 5 requests per call (packages/zydon/src/retry.ts).
  const zydon = wireZydonApp(config, { retry: true, contract: zydonContractOverrides(config) });
  const maxWaitMs = opts.budgetMaxWaitMs ?? 20_000;

  async function contextFor(tenant: Tenant, settings: TenantSettings, lane: BlingLane): Promise<SyncContext> {
    const conn = await credentials.getBlingConnection(tenant.id);
    if (!conn?.tokens || conn.status !== "connected") throw new BlingNotConnectedError(tenant.id);
    const zydonKey = await credentials.getZydonAccessKey(tenant.id);
    if (!zydonKey) throw new BlingNotConnectedError(tenant.id);
    // One budget per Bling account: two tenants can never share one, but the key follows the account.
    const accountId = conn.blingCompanyId ?? tenant.id;
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
      budget: budgetHook(budget, accountId, lane, { maxWaitMs }),
    });
    return {
      tenantId: tenant.id,
      settings,
      bling: createBlingPort(client),
      zydon: new ZydonPortAdapter(
        zydon.client({ code: zydonKey.accessKeyCode, token: zydonKey.accessKeyToken }),
      ),
      db: db.db,
      log: logger.child({ tenantId: tenant.id }),
      now: () => new Date(),
      guards: { share: config.SYNC_MASS_CHANGE_SHARE, priceChange: config.SYNC_PRICE_GUARD_CHANGE },
      exclusive: async (key, fn) => {
        const lock = await acquireLock(redis, `${config.REDIS_PREFIX}:lock:${tenant.id}:${key}`, {
          ttlMs: 120_000,
          waitMs: 30_000,
        });
        // Someone else holds it for long: let the job retry later rather than wait here.
        if (!lock) throw new LockBusyError(key);
        try {
          return await fn();
        } finally {
          await lock.release();
        }
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
        const purged = await credentials.purgeExpired(new Date());
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
  };

  const processor = createProcessor(deps);
  const queues = opts.queues ?? Object.values(QUEUES);
  const runtime = createWorkerRuntime({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    processors: Object.fromEntries(queues.map((q) => [q, processor])),
    concurrency: config.WORKER_CONCURRENCY,
    logger,
    ...(opts.workerOptions ? { workerOptions: opts.workerOptions } : {}),
  });

  // Recurring work survives restarts and lost scheduler keys: upserts are idempotent.
  await ensureGlobalSchedulers(producer);
  for (const t of await tenants.listByState("active")) {
    if (t.initialSyncDoneAt) await ensureTenantSchedulers(producer, t.id, opts.schedulerIntervals ?? {});
  }

  let closing: Promise<void> | undefined;
  return {
    runtime,
    deps,
    tokens,
    budget,
    db,
    close() {
      closing ??= (async () => {
        await runtime.close();
        await producer.close();
        redis.disconnect();
        await db.close();
      })();
      return closing;
    },
  };
}
