import { BlingNetworkError } from "@zb/bling";
import { Redis, type RedisOptions } from "ioredis";
import { describe, expect, it } from "vitest";
import { actionOf, isRedisUnavailableError } from "./errors.js";

/** The errors ioredis really raises against a Redis that is not there (a closed port), classified. */
async function errorOf(opts: RedisOptions): Promise<unknown> {
  const r = new Redis("redis://127.0.0.1:1", { retryStrategy: () => 50, ...opts });
  r.on("error", () => undefined);
  try {
    await r.get("x");
    return undefined;
  } catch (err) {
    return err;
  } finally {
    r.disconnect();
  }
}

describe("Redis unavailable is a retry, never an unknown failure (issue 17 #1)", () => {
  it("classifies ioredis' own errors for an unreachable Redis", async () => {
    const maxRetries = await errorOf({ maxRetriesPerRequest: 1 });
    const failFast = await errorOf({ enableOfflineQueue: false, lazyConnect: false });
    for (const err of [maxRetries, failFast]) {
      expect(err).toBeInstanceOf(Error);
      expect(isRedisUnavailableError(err), String(err)).toBe(true);
      expect(actionOf(err)).toBe("retry");
    }
  });

  it("leaves vendor and programming errors alone", () => {
    expect(isRedisUnavailableError(new BlingNetworkError(false, true))).toBe(false);
    expect(isRedisUnavailableError(new TypeError("Cannot read properties of undefined"))).toBe(false);
    expect(actionOf(new Error("boom"))).toBeUndefined();
  });
});
