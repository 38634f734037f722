import { apiEnvKeys, createLogger, loadConfigOrExit } from "@zb/config";
import { guardRedisPolicyOrExit } from "@zb/sync";
import closeWithGrace from "close-with-grace";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { apiServerOptions, app } from "./app.js";
import { composeAppDeps } from "./compose.js";

const config = loadConfigOrExit(apiEnvKeys);
const logger = createLogger({ level: config.LOG_LEVEL, name: "api" });
await guardRedisPolicyOrExit(config, logger);
const deps = composeAppDeps(config, logger);

const server = Fastify(apiServerOptions(logger as FastifyBaseLogger, { trustProxy: config.API_TRUST_PROXY }));
await server.register(app, deps);

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) logger.error({ err }, "shutting down after an error");
  else logger.info({ signal }, "shutting down");
  await server.close();
  await deps.close();
});

await server.listen({ host: config.API_HOST, port: config.API_PORT });
