import type { Logger } from "@zb/config";
import { type Job, type Processor, Worker, type WorkerOptions } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";

/**
 * BullMQ needs `maxRetriesPerRequest: null` on worker connections: blocking commands must wait out a Redis
 * restart instead of failing the worker loop (BullMQ "going to production" guide).
 */
export function workerRedisOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (n) => Math.min(n * 500, 5_000),
  };
}

/** How many times a job may be orphaned by a dead worker process before it counts as failed. */
export const MAX_STALLED_COUNT = 10;

export interface WorkerRuntimeOptions {
  redisUrl: string;
  prefix: string;
  processors: Record<string, Processor>;
  concurrency: number;
  logger: Logger;
  workerOptions?: Partial<WorkerOptions>;
  /**
   * Called for a job BullMQ failed without running it (over the stall limit: `job.deferredFailure` is set), so
   * the job can still record its end (processors.ts `createStalledGiveUp`).
   */
  onFailedUnrun?: (job: Job) => Promise<void>;
}

export interface WorkerRuntime {
  workers: Worker[];
  connection: Redis;
  /** Stop taking jobs, wait for running ones to finish, then disconnect. */
  close(): Promise<void>;
}

export function createWorkerRuntime(opts: WorkerRuntimeOptions): WorkerRuntime {
  const connection = new Redis(opts.redisUrl, workerRedisOptions());
  connection.on("error", (err) => opts.logger.warn({ err: err.message }, "redis connection error"));
  const workers = Object.entries(opts.processors).map(([queue, processor]) => {
    const worker = new Worker(queue, processor, {
      connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      // A job whose process died (SIGKILL, OOM, deploy) is "stalled" and handed to another worker; BullMQ's
      // default fails it for good on the second stall, which ended a whole initial sync (its step chain has
      // no other way to continue) after two crashes during one long step. Steps are idempotent, so a job
      // may stall up to this many times before it is failed (a job that kills its process every time still
      // stops eventually).
      maxStalledCount: MAX_STALLED_COUNT,
      ...opts.workerOptions,
    });
    worker.on("error", (err) => opts.logger.error({ err: err.message, queue }, "worker error"));
    worker.on("failed", (job, err) => {
      opts.logger.warn({ queue, jobName: job?.name, jobId: job?.id, err: err.message }, "job failed");
      if (job?.deferredFailure && opts.onFailedUnrun)
        opts
          .onFailedUnrun(job)
          .catch((e: unknown) =>
            opts.logger.error(
              { queue, jobName: job.name, jobId: job.id, err: e instanceof Error ? e.message : String(e) },
              "could not record the stalled job's end",
            ),
          );
    });
    return worker;
  });
  let closing: Promise<void> | undefined;
  return {
    workers,
    connection,
    close() {
      closing ??= (async () => {
        await Promise.all(workers.map((w) => w.close()));
        await connection.quit().catch(() => connection.disconnect());
      })();
      return closing;
    },
  };
}

/** SIGTERM/SIGINT → graceful close (running jobs finish); a second signal or the deadline forces exit. */
export function installShutdown(close: () => Promise<void>, logger: Logger, deadlineMs = 30_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down: waiting for running jobs");
    const timer = setTimeout(() => {
      logger.error("shutdown deadline passed: exiting with jobs still running");
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    close().then(
      () => {
        logger.info("worker closed cleanly");
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "error while closing");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
