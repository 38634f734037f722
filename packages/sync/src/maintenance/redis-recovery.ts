import { type Database, OrderExportsRepository, TenantsRepository, WebhookInboxRepository } from "@zb/db";
import type { Redis } from "ioredis";
import { InitialSyncOrchestrator } from "../engine/initial-sync.js";
import type { SyncLog } from "../pipelines/context.js";
import { safeJobId } from "../queues/job-ids.js";
import type { JobProducer } from "../queues/producer.js";
import {
  type schedulerIntervals as defaultIntervals,
  ensureGlobalSchedulers,
  ensureTenantSchedulers,
} from "../scheduling/tenant-schedulers.js";

/**
 * Issue 17 #1, Redis back EMPTY (AOF lost, a new instance, a failover to an unreplicated node): every queued
 * job, every recurring scheduler and every in-flight chain step is gone, while Postgres still knows what was
 * going on. Redis holds an epoch key; when a worker (at start, and at every reconnect) finds it missing, it
 * claims it (SET NX: one worker rebuilds, the others see the new key) and re-creates the queue's side of the
 * state from Postgres: the schedulers, the current step of every unfinished initial sync, a job per
 * unprocessed webhook and per order export not yet created. Every job id is the one the normal path uses,
 * so anything that did survive is not doubled.
 */
export function redisEpochKey(prefix: string): string {
  return `${prefix}:redis-epoch`;
}

export interface RedisRecoveryReport {
  schedulersFor: number;
  initialSyncsResumed: number;
  webhooksRequeued: number;
  ordersRequeued: number;
}

export interface RedisRecoveryDeps {
  redis: Redis;
  prefix: string;
  producer: JobProducer;
  db: Database;
  log: SyncLog;
  schedulerIntervals?: Partial<typeof defaultIntervals>;
}

/** Rows re-enqueued per table in one recovery (the polling fallbacks cover anything past it). */
const MAX_REQUEUE = 5_000;

/**
 * Rebuild the queue state when the epoch key is missing; `undefined` when Redis still had it (nothing was
 * lost, or another worker is rebuilding).
 */
export async function recoverIfRedisLost(d: RedisRecoveryDeps): Promise<RedisRecoveryReport | undefined> {
  const claimed = await d.redis.set(redisEpochKey(d.prefix), new Date().toISOString(), "NX");
  if (claimed !== "OK") return undefined;
  const report: RedisRecoveryReport = {
    schedulersFor: 0,
    initialSyncsResumed: 0,
    webhooksRequeued: 0,
    ordersRequeued: 0,
  };
  await ensureGlobalSchedulers(d.producer);
  const active = await new TenantsRepository(d.db).listByState("active");
  const orchestrator = new InitialSyncOrchestrator(d.db, d.producer);
  const exportsRepo = new OrderExportsRepository(d.db);
  for (const t of active) {
    if (t.initialSyncDoneAt) {
      await ensureTenantSchedulers(d.producer, t.id, d.schedulerIntervals ?? {});
      report.schedulersFor++;
    } else if ((await orchestrator.resume(t.id)) !== "finished") report.initialSyncsResumed++;
    for (const row of await exportsRepo.listByState(t.id, ["pending", "creating"], MAX_REQUEUE)) {
      await d.producer.enqueue(
        "export-order",
        { tenantId: t.id, zydonOrderId: row.zydonOrderId },
        { jobId: safeJobId("export", t.id, row.zydonOrderId) },
      );
      report.ordersRequeued++;
    }
  }
  const activeIds = new Set(active.map((t) => t.id));
  for (const row of await new WebhookInboxRepository(d.db).listUnprocessed(MAX_REQUEUE)) {
    if (!row.tenantId || !activeIds.has(row.tenantId)) continue;
    const job = row.provider === "bling" ? "bling-webhook" : "zydon-order-webhook";
    await d.producer.enqueue(
      job,
      { tenantId: row.tenantId, inboxId: row.id },
      { jobId: safeJobId(job, row.id) },
    );
    report.webhooksRequeued++;
  }
  d.log.warn({ ...report }, "Redis had lost its state: queues rebuilt from Postgres");
  return report;
}

/**
 * Run the recovery now and after every reconnect of `redis` (the worker's own connection). A failing
 * recovery (Redis dropped again) drops the claim so the next reconnect retries it. Returns the unsubscribe.
 */
export function watchRedisLoss(d: RedisRecoveryDeps): { ready: Promise<void>; stop(): void } {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= recoverIfRedisLost(d)
      .then(() => undefined)
      .catch(async (err) => {
        d.log.warn(
          { err: (err as Error).message },
          "Redis state recovery failed; retried at the next reconnect",
        );
        await d.redis.del(redisEpochKey(d.prefix)).catch(() => undefined);
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const onReady = () => void run();
  d.redis.on("ready", onReady);
  return { ready: run(), stop: () => d.redis.off("ready", onReady) };
}
