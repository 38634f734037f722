import { createLogger, loadConfigOrExit, workerEnvKeys } from "@zb/config";
import { guardRedisPolicyOrExit } from "@zb/sync";
import { composeWorker, installShutdown } from "@zb/worker";

/**
 * main.ts for the fault suite: the same composition and environment, with BullMQ's job lock shortened from
 * 30 s to 4 s (stalled check every 2 s) so that a job whose process was SIGKILLed is picked up again within
 * seconds instead of half a minute. Everything else — queues, processors, budget, token manager — is the
 * production wiring.
 */
export const FAULT_LOCK_MS = 4_000;
export const FAULT_STALLED_CHECK_MS = 2_000;

const config = loadConfigOrExit(workerEnvKeys);
const logger = createLogger({ level: config.LOG_LEVEL, name: "fault-worker" });
await guardRedisPolicyOrExit(config, logger);
const worker = await composeWorker(config, logger, {
  // The name lands in each job's `processedBy`: tests see which process ran what.
  workerOptions: {
    lockDuration: FAULT_LOCK_MS,
    stalledInterval: FAULT_STALLED_CHECK_MS,
    name: `fault-worker-${process.pid}`,
  },
});
installShutdown(worker.close, logger);
logger.info({ queues: worker.runtime.workers.map((w) => w.name) }, "fault worker started");
