import type { Logger } from "@zb/config";
import { Redis } from "ioredis";

/**
 * Issue 17 #6: everything the product keeps in Redis (queued jobs, the per-account budget, token and advisory
 * locks, dirty-stock sets) must never be evicted: with `allkeys-lru` or `volatile-*` a full Redis silently
 * drops a queued export or a lock, and nothing notices. API and worker read the policy at start and refuse
 * anything but `noeviction`.
 */
export const REQUIRED_REDIS_POLICY = "noeviction";

export type RedisPolicyCheck =
  | { verdict: "ok"; policy: string; source: "config" | "info" }
  | { verdict: "refused"; policy: string; source: "config" | "info"; message: string }
  | { verdict: "overridden"; policy: string; source: "config" | "info"; message: string }
  | { verdict: "unknown"; message: string };

/** The commands the check needs (an ioredis client fits). */
export interface RedisPolicyClient {
  call(command: string, ...args: string[]): Promise<unknown>;
}

function fromConfigReply(reply: unknown): string | undefined {
  // CONFIG GET answers [name, value] (RESP2) or { name: value } (RESP3).
  if (Array.isArray(reply) && typeof reply[1] === "string") return reply[1];
  if (reply && typeof reply === "object" && "maxmemory-policy" in reply)
    return String((reply as Record<string, unknown>)["maxmemory-policy"]);
  return undefined;
}

function fromInfo(info: unknown): string | undefined {
  if (typeof info !== "string") return undefined;
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/**
 * Reads `maxmemory-policy` (CONFIG GET; where a managed Redis disables CONFIG, the `maxmemory_policy` line of
 * INFO memory) and judges it. Never throws: a Redis that hides both answers "unknown" with a warning text.
 */
export async function checkRedisPolicy(
  client: RedisPolicyClient,
  opts: { allowEviction: boolean },
): Promise<RedisPolicyCheck> {
  let policy: string | undefined;
  let source: "config" | "info" = "config";
  let configError = "";
  try {
    policy = fromConfigReply(await client.call("CONFIG", "GET", "maxmemory-policy"));
  } catch (err) {
    configError = (err as Error).message;
  }
  if (policy === undefined) {
    source = "info";
    try {
      policy = fromInfo(await client.call("INFO", "memory"));
    } catch {
      policy = undefined;
    }
  }
  if (policy === undefined)
    return {
      verdict: "unknown",
      message:
        `could not read Redis maxmemory-policy (CONFIG GET failed${configError ? `: ${configError}` : ""}; ` +
        `INFO memory has no maxmemory_policy): make sure it is "${REQUIRED_REDIS_POLICY}" — ` +
        "an evicting Redis drops queued jobs, locks and budget state without an error",
    };
  if (policy === REQUIRED_REDIS_POLICY) return { verdict: "ok", policy, source };
  const why =
    `Redis maxmemory-policy is "${policy}", but this app needs "${REQUIRED_REDIS_POLICY}": ` +
    "under memory pressure Redis would delete queued jobs, locks and budget state without an error. " +
    `Set "maxmemory-policy ${REQUIRED_REDIS_POLICY}" in redis.conf (or CONFIG SET maxmemory-policy ${REQUIRED_REDIS_POLICY})`;
  return opts.allowEviction
    ? {
        verdict: "overridden",
        policy,
        source,
        message: `${why}; starting anyway because REDIS_ALLOW_EVICTION=true`,
      }
    : {
        verdict: "refused",
        policy,
        source,
        message: `${why}, or set REDIS_ALLOW_EVICTION=true for tests only`,
      };
}

/**
 * The startup guard of API and worker: one short-lived connection reads the policy; "refused" logs the reason
 * and exits with status 1 before anything is served; "unknown" and "overridden" log a warning and continue.
 * An unreachable Redis is not this guard's concern (the services reconnect, readiness says it is down): it
 * warns that the policy was not checked and continues.
 */
export async function guardRedisPolicyOrExit(
  config: { REDIS_URL: string; REDIS_ALLOW_EVICTION: boolean },
  logger: Logger,
  exit: (code: number) => never = (code) => process.exit(code),
): Promise<RedisPolicyCheck> {
  const client = new Redis(config.REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  let check: RedisPolicyCheck;
  try {
    await client.connect();
    check = await checkRedisPolicy(client, { allowEviction: config.REDIS_ALLOW_EVICTION });
  } catch (err) {
    check = {
      verdict: "unknown",
      message: `Redis did not answer at start (${(err as Error).message}): maxmemory-policy not checked`,
    };
  } finally {
    client.disconnect();
  }
  if (check.verdict === "refused") {
    logger.fatal({ policy: check.policy }, check.message);
    // The message must reach the operator even when the logger is asynchronous.
    console.error(check.message);
    exit(1);
  } else if (check.verdict !== "ok") logger.warn(check.message);
  return check;
}
