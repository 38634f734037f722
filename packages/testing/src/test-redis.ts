import { randomBytes } from "node:crypto";
import { readProcessEnv } from "@zb/config";
import { Redis } from "ioredis";

export function testRedisUrl(): string {
  return readProcessEnv().TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
}

export interface TestRedis {
  url: string;
  /** Unique per test file: pass as REDIS_PREFIX / BullMQ `prefix` so parallel files never share keys. */
  prefix: string;
  /** Delete every key under the prefix. */
  cleanup(): Promise<void>;
}

export function createTestRedis(): TestRedis {
  const prefix = `zbt_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const url = testRedisUrl();
  return {
    url,
    prefix,
    async cleanup() {
      const r = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
      try {
        await r.connect();
        let cursor = "0";
        do {
          const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
          cursor = next;
          if (keys.length > 0) await r.unlink(...keys);
        } while (cursor !== "0");
      } finally {
        r.disconnect();
      }
    },
  };
}
