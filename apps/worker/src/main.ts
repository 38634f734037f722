import { createLogger, loadConfigOrExit, workerEnvKeys } from "@zb/config";
import { guardRedisPolicyOrExit } from "@zb/sync";
import { composeWorker } from "./compose.js";
import { installShutdown } from "./runtime.js";

const config = loadConfigOrExit(workerEnvKeys);
const logger = createLogger({ level: config.LOG_LEVEL, name: "worker" });

await guardRedisPolicyOrExit(config, logger);
const worker = await composeWorker(config, logger);
installShutdown(worker.close, logger);
logger.info({ queues: worker.runtime.workers.map((w) => w.name) }, "worker started");
