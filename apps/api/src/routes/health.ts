import { createRequire } from "node:module";
import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../deps.js";

const CHECK_TIMEOUT_MS = 1_500;
/** Zydon's is_alive call (zydon-api.md §2.4) must answer fast: a shorter bound than readiness. */
const IS_ALIVE_TIMEOUT_MS = 1_000;
const VERSION: string = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The producer connection fails fast while disconnected, so give a (re)connecting client a moment. */
async function pingRedis(redis: AppDeps["redis"]): Promise<string> {
  if (redis.status === "connecting" || redis.status === "connect" || redis.status === "reconnecting") {
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        redis.off("error", onError);
        resolve();
      };
      const onError = (e: Error) => {
        redis.off("ready", onReady);
        reject(e);
      };
      redis.once("ready", onReady);
      redis.once("error", onError);
    });
  }
  return redis.ping();
}

/** Postgres and Redis, each "ok" or the failure's message (which names no secret: no URL, no password). */
async function dependencyChecks(deps: Pick<AppDeps, "db" | "redis">, timeoutMs: number) {
  const [database, redis] = await Promise.all([
    withTimeout(deps.db.sql`select 1`, timeoutMs).then(
      () => "ok" as const,
      () => "unreachable" as const,
    ),
    withTimeout(pingRedis(deps.redis), timeoutMs).then(
      () => "ok" as const,
      () => "unreachable" as const,
    ),
  ]);
  return { database, redis };
}

export async function healthRoutes(app: FastifyInstance, deps: Pick<AppDeps, "db" | "redis">): Promise<void> {
  /**
   * The manifest's `is_alive_endpoint` (zydon-api.md §2.4): what Zydon calls to see the plugin is up. Fast, and
   * no secrets: the version and whether the database and Redis answer. 503 when either does not.
   */
  app.get("/zydon/is-alive", async (_req, reply) => {
    const checks = await dependencyChecks(deps, IS_ALIVE_TIMEOUT_MS);
    const alive = checks.database === "ok" && checks.redis === "ok";
    return reply
      .code(alive ? 200 : 503)
      .send({ status: alive ? "alive" : "degraded", version: VERSION, ...checks });
  });

  /** Liveness: the process answers. No dependency checks, so a Redis outage does not restart the pod. */
  app.get("/healthz", async () => ({ status: "ok" }));

  /** Readiness: Postgres and Redis both reachable; otherwise 503 naming what failed. */
  app.get("/readyz", async (_req, reply) => {
    const checks = await Promise.all([
      withTimeout(deps.db.sql`select 1`, CHECK_TIMEOUT_MS).then(
        () => ["postgres", "ok"] as const,
        (e: Error) => ["postgres", e.message] as const,
      ),
      withTimeout(pingRedis(deps.redis), CHECK_TIMEOUT_MS).then(
        () => ["redis", "ok"] as const,
        (e: Error) => ["redis", e.message] as const,
      ),
    ]);
    const failing = checks.filter(([, r]) => r !== "ok").map(([name]) => name);
    if (failing.length > 0) {
      app.log.warn({ failing, checks: Object.fromEntries(checks) }, "readiness check failed");
      return reply.code(503).send({ status: "unavailable", failing });
    }
    return { status: "ready" };
  });
}
