import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * A lease in Redis (SET NX PX): shared by every process, expires on its own if the holder dies, and is
 * released only by its holder (compare-and-delete).
 */
export async function acquireLock(
  redis: Redis,
  key: string,
  opts: {
    ttlMs: number;
    waitMs: number;
    pollMs?: number;
    /** Renew the lease every `renewMs` while held (a live holder never loses it; a dead one's expires). */
    renewMs?: number;
  },
): Promise<HeldLock | undefined> {
  const token = randomBytes(12).toString("hex");
  const deadline = Date.now() + opts.waitMs;
  const poll = opts.pollMs ?? 50;
  for (;;) {
    const ok = await redis.set(key, token, "PX", opts.ttlMs, "NX");
    if (ok === "OK") {
      const renew = opts.renewMs
        ? setInterval(
            () => void redis.eval(RENEW, 1, key, token, opts.ttlMs).catch(() => undefined),
            opts.renewMs,
          )
        : undefined;
      renew?.unref();
      return {
        release: async () => {
          if (renew) clearInterval(renew);
          await redis.eval(RELEASE, 1, key, token);
        },
      };
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, poll + Math.floor(Math.random() * poll)));
  }
}
