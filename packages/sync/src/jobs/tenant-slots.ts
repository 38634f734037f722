import type { Redis } from "ioredis";

/**
 * Per-tenant fairness (issue 21 #4): at most `limit` jobs of one tenant run at once on one queue, across every
 * worker process. A Redis sorted set per (tenant, queue) holds the running jobs' leases, scored by their
 * expiry (Redis clock): a lease of a process that died expires after `leaseMs` and frees its slot; a live job
 * renews its lease while it runs. The lease id is the BullMQ job id, so a job picked up again after a stall
 * takes its own slot back instead of a second one. A job that finds its tenant's slots full is not run: the
 * worker moves it back to delayed (it holds no worker slot meanwhile), so one tenant's flood of jobs (a bulk
 * edit, 20 slow image links, "retry all") can take at most `limit` of a queue's concurrency and every other
 * tenant's jobs keep flowing.
 */
export const DEFAULT_TENANT_SLOTS = 4;
export const TENANT_LEASE_MS = 15_000;

// KEYS[1] = the set; ARGV = lease id, limit, lease ms. Returns {1, holders} when taken, {0, ms until the
// first lease expires} when full.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  return {1, redis.call('ZCARD', KEYS[1])}
end
local n = redis.call('ZCARD', KEYS[1])
if n < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  return {1, n + 1}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(first[2]) - now}
`;

// Renew only a lease still held (an expired one was given to someone else's count).
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
`;

export interface TenantSlotLease {
  release(): Promise<void>;
}

export type SlotResult =
  | { ok: true; lease: TenantSlotLease }
  | { ok: false; holders: number; retryInMs: number };

export class TenantSlots {
  private readonly leaseMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    opts: { leaseMs?: number } = {},
  ) {
    this.leaseMs = opts.leaseMs ?? TENANT_LEASE_MS;
  }

  key(tenantId: string, queue: string): string {
    return `${this.prefix}:slots:${queue}:${tenantId}`;
  }

  /** Take one of `limit` slots of `tenantId` on `queue` for `leaseId` (the job id); never waits. */
  async acquire(tenantId: string, queue: string, leaseId: string, limit: number): Promise<SlotResult> {
    const key = this.key(tenantId, queue);
    const [taken, n] = (await this.redis.eval(ACQUIRE, 1, key, leaseId, limit, this.leaseMs)) as [
      number,
      number,
    ];
    if (taken !== 1) return { ok: false, holders: limit, retryInMs: Math.max(0, n) };
    // Renew while the job runs (a third of the lease), so only a dead process's lease expires.
    const timer = setInterval(
      () => void this.redis.eval(RENEW, 1, key, leaseId, this.leaseMs).catch(() => undefined),
      Math.max(1_000, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    let released = false;
    return {
      ok: true,
      lease: {
        release: async () => {
          if (released) return;
          released = true;
          clearInterval(timer);
          await this.redis.zrem(key, leaseId);
        },
      },
    };
  }

  /** Jobs of `tenantId` holding a slot on `queue` now (tests, health). */
  async holders(tenantId: string, queue: string): Promise<number> {
    const key = this.key(tenantId, queue);
    const t = await this.redis.time();
    const now = Number(t[0]) * 1000 + Math.floor(Number(t[1]) / 1000);
    return this.redis.zcount(key, now, "+inf");
  }
}
