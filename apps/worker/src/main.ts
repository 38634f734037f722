import { createLogger, loadConfigOrExit, workerEnvKeys } from "@zb/config";
import { createWorkerRuntime, installShutdown } from "./runtime.js";

const config = loadConfigOrExit(workerEnvKeys);
const logger = createLogger({ level: config.LOG_LEVEL, name: "worker" });

// Processors are registered by the sync engine; until then the worker only proves it can run and stop.
const runtime = createWorkerRuntime({
  redisUrl: config.REDIS_URL,
  prefix: config.REDIS_PREFIX,
  processors: {},
  concurrency: config.WORKER_CONCURRENCY,
  logger,
});
installShutdown(runtime.close, logger);
logger.info({ queues: runtime.workers.map((w) => w.name) }, "worker started");
