import { apiEnvKeys, createLogger, loadConfigOrExit } from "@zb/config";
import closeWithGrace from "close-with-grace";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { app } from "./app.js";
import { createDbHandle, createRedisProducer } from "./deps.js";

const config = loadConfigOrExit(apiEnvKeys);
const logger = createLogger({ level: config.LOG_LEVEL, name: "api" });
const db = createDbHandle(config);
const redis = createRedisProducer(config.REDIS_URL);
redis.on("error", (err) => logger.warn({ err: err.message }, "redis connection error"));

const server = Fastify({
  loggerInstance: logger as FastifyBaseLogger,
  trustProxy: true,
  bodyLimit: 1_048_576,
});
await server.register(app, { config, db, redis, logger });

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) logger.error({ err }, "shutting down after an error");
  else logger.info({ signal }, "shutting down");
  await server.close();
  redis.disconnect();
  await db.close();
});

await server.listen({ host: config.API_HOST, port: config.API_PORT });
