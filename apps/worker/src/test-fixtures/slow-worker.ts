// Test fixture: a worker process with one slow job type, using the real runtime and shutdown handling.
import { createLogger, readProcessEnv } from "@zb/config";
import { Redis } from "ioredis";
import { createWorkerRuntime, installShutdown } from "../runtime.js";

const env = readProcessEnv();
const logger = createLogger({ level: "silent" });
const marker = new Redis(env.REDIS_URL as string);
const runtime = createWorkerRuntime({
  redisUrl: env.REDIS_URL as string,
  prefix: env.REDIS_PREFIX as string,
  concurrency: 1,
  logger,
  processors: {
    slow: async (job) => {
      await marker.set(`${env.REDIS_PREFIX}:started:${job.id}`, "1");
      await new Promise((r) => setTimeout(r, Number(job.data.ms)));
      await marker.set(`${env.REDIS_PREFIX}:finished:${job.id}`, "1");
      return "ok";
    },
  },
});
installShutdown(async () => {
  await runtime.close();
  marker.disconnect();
}, logger);
process.stdout.write("ready\n");
