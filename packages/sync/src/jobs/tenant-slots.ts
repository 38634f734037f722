import type { Redis } from "ioredis";

/**
 * Per-tenant fairness (issue 21 #4): at most `limit` jobs of one tenant run at once on one queue, across every
 * worker process. A Redis sorted set per (tenant, queue) holds the running jobs' leases, scored by their
 * expiry (Redis clock): a lease of a process that died expires after `leaseMs` and frees its slot; a live job
 * renews its lease while it runs. The lease id is the BullMQ job id, so a job picked up again after a stall
 * takes its own slot back instead of a second one. A job that finds its tenant's slots full is not run: the
 * worker moves it back to delayed (it holds no worker slot meanwhile), so one tenant's flood of jobs (a bulk
 * edit, 20 slow image links, "retry all") can take at most `limit` of a queue's concurrency and every other
 * tenant's jobs keep flowing. When the queue is saturated the cap tightens to the tenant's fair share of the
 * concurrency among the tenants active lately (`acquire`'s `capacity`): a fixed 2 of 8 slots still cost
 * fifty normal tenants 1.24× their p95 beside a flooding one.
 */
export const DEFAULT_TENANT_SLOTS = 4;
export const TENANT_LEASE_MS = 15_000;

// KEYS[1] = the tenant's set, KEYS[2] = the queue's running leases, KEYS[3] = the queue's recently active
// tenants; ARGV = lease id, limit, lease ms, capacity (0: no fair share), tenant id, activity window ms.
// Returns {1, holders} when taken, {0, ms until the first lease expires} when full.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local member = ARGV[5] .. '|' .. ARGV[1]
if capacity > 0 then
  local window = tonumber(ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  redis.call('ZADD', KEYS[3], now + window, ARGV[5])
  redis.call('PEXPIRE', KEYS[3], window * 2)
end
local function take(n)
  redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  if capacity > 0 then
    redis.call('ZADD', KEYS[2], now + lease, member)
    redis.call('PEXPIRE', KEYS[2], lease * 2)
  end
  return {1, n}
end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return take(redis.call('ZCARD', KEYS[1]))
end
local n = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[2])
if capacity > 0 and redis.call('ZCARD', KEYS[2]) >= capacity then
  -- Saturated: each tenant active lately gets its share of the capacity (at least one slot).
  local active = redis.call('ZCARD', KEYS[3])
  limit = math.min(limit, math.max(1, math.floor(capacity / active)))
end
if n < limit then
  return take(n + 1)
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
  if redis.call('ZSCORE', KEYS[2], ARGV[3]) then
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
    redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) * 2)
  end
  return 1
end
return 0
`;

/** How long a tenant counts as active on a queue after it last asked for a slot there. */
export const TENANT_ACTIVE_WINDOW_MS = 10_000;

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

  /**
   * Take one of `limit` slots of `tenantId` on `queue` for `leaseId` (the job id); never waits. With
   * `capacity` (the queue's concurrency), once that many jobs of all tenants run, a tenant gets at most its
   * share of it — capacity ÷ tenants active on the queue in the last 10 s, at least one — so beside fifty
   * busy tenants a flooding one runs one job, not `limit`.
   */
  async acquire(
    tenantId: string,
    queue: string,
    leaseId: string,
    limit: number,
    opts: { capacity?: number } = {},
  ): Promise<SlotResult> {
    const key = this.key(tenantId, queue);
    const running = `${this.prefix}:slots:${queue}:_running`;
    const active = `${this.prefix}:slots:${queue}:_active`;
    const member = `${tenantId}|${leaseId}`;
    const [taken, n] = (await this.redis.eval(
      ACQUIRE,
      3,
      key,
      running,
      active,
      leaseId,
      limit,
      this.leaseMs,
      opts.capacity ?? 0,
      tenantId,
      TENANT_ACTIVE_WINDOW_MS,
    )) as [number, number];
    if (taken !== 1) return { ok: false, holders: limit, retryInMs: Math.max(0, n) };
    // Renew while the job runs (a third of the lease), so only a dead process's lease expires.
    const timer = setInterval(
      () =>
        void this.redis.eval(RENEW, 2, key, running, leaseId, this.leaseMs, member).catch(() => undefined),
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
          await this.redis.multi().zrem(key, leaseId).zrem(running, member).exec();
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
