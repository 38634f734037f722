import { parseArgs } from "node:util";
import { createLogger, loadConfigOrExit, workerEnvKeys } from "@zb/config";
import { composeWorker, installShutdown } from "@zb/worker";

/**
 * The worker exactly as main.ts composes it, for the benchmark's compressed-time mode: the per-account
 * share (BLING_RATE_SHARE is capped at Bling's 3 req/s by the env schema) and the polling intervals come
 * from argv, scaled by the same factor K as the simulator's limits.
 */
const { values } = parseArgs({
  options: {
    share: { type: "string" },
    "poll-ms": { type: "string" },
    "reconcile-ms": { type: "string" },
    "budget-wait-ms": { type: "string" },
  },
});
const config = loadConfigOrExit(workerEnvKeys);
const logger = createLogger({ level: config.LOG_LEVEL, name: "bench-worker" });
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const share = num(values.share) ?? config.BLING_RATE_SHARE;
const pollChangesMs = num(values["poll-ms"]);
const reconcileStockMs = num(values["reconcile-ms"]);
const budgetMaxWaitMs = num(values["budget-wait-ms"]);
// The per-tenant Zydon budget scales with the same factor (issue 21 #4).
const zydonRate = (config.ZYDON_RATE_PER_TENANT * share) / config.BLING_RATE_SHARE;
const worker = await composeWorker(
  { ...config, BLING_RATE_SHARE: share, ZYDON_RATE_PER_TENANT: zydonRate },
  logger,
  {
    ...(budgetMaxWaitMs ? { budgetMaxWaitMs } : {}),
    schedulerIntervals: {
      ...(pollChangesMs ? { pollChangesMs } : {}),
      ...(reconcileStockMs ? { reconcileStockMs } : {}),
    },
  },
);
installShutdown(worker.close, logger);
logger.warn({ share, pollChangesMs, reconcileStockMs }, "bench worker started");
