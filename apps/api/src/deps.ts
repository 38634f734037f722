import type { Env, Logger } from "@zb/config";
import { createDb, type DbHandle } from "@zb/db";
import { Redis } from "ioredis";

/** Everything the HTTP app needs from the outside world; tests build their own. */
export interface AppDeps {
  config: Pick<Env, "NODE_ENV" | "PUBLIC_BASE_URL">;
  db: DbHandle;
  /** Producer-side connection: fails fast when Redis is down instead of queueing commands forever. */
  redis: Redis;
  logger: Logger;
}

export function createRedisProducer(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
}

export function createDbHandle(cfg: Pick<Env, "DATABASE_URL" | "DATABASE_POOL_MAX">): DbHandle {
  return createDb({ url: cfg.DATABASE_URL, max: cfg.DATABASE_POOL_MAX, appName: "zydon-bling-api" });
}
