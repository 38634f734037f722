import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * RETRY CAP ACROSS LAYERS (issue 17 #5). One logical call — the same method, URL and body within one job — may
 * fail at most `maxFailures` times (default 10) over the whole life of its job: every request the vendor
 * client's retry layer repeats, every BullMQ attempt and every delayed re-run of the job counts, because the
 * count lives in Redis under the job's id and both clients (`@zb/bling`, `@zb/zydon`) ask it before each
 * HTTP request. The next request after the cap is not sent: the client throws its `…RetryCapError`
 * (`give_up`), so the job stops and the pipeline records the failure. Time bound: no request of a call is
 * sent more than `windowMs` (default 10 min) after its first failure other than a 429 (a rate limit, which
 * the worker waits out by delaying the job, may last until Bling's next day; it still counts as a failure).
 * A success ends the logical call and drops its count.
 *
 * So, for any job: ≤ 10 HTTP requests of a call that keeps failing, and none sent later than 10 min after
 * its first failure (plus one request timeout).
 */
export const MAX_FAILURES_PER_CALL = 10;
export const CALL_WINDOW_MS = 10 * 60_000;
/** The record outlives any job run (BullMQ keeps failed jobs 7 days; a job rarely lives a day). */
const RECORD_TTL_MS = 2 * 86_400_000;

export type CapVerdict =
  | { ok: true; failures: number }
  | { ok: false; failures: number; reason: "attempts" | "time" };

export interface CallAttemptsOptions {
  maxFailures?: number;
  windowMs?: number;
  now?: () => number;
}

/** Redis key of one job's record (one hash per job; fields per call). */
export function callAttemptsKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:callcap:${queue}:${jobId}`;
}

export class RedisCallAttempts {
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    /** `callAttemptsKey(prefix, queue, jobId)`. */
    private readonly key: string,
    opts: CallAttemptsOptions = {},
  ) {
    this.maxFailures = opts.maxFailures ?? MAX_FAILURES_PER_CALL;
    this.windowMs = opts.windowMs ?? CALL_WINDOW_MS;
    this.now = opts.now ?? Date.now;
  }

  private field(callKey: string): string {
    return createHash("sha1").update(callKey).digest("hex").slice(0, 20);
  }

  async allow(callKey: string): Promise<CapVerdict> {
    const f = this.field(callKey);
    const [n, t] = await this.redis.hmget(this.key, `n:${f}`, `t:${f}`);
    const failures = Number(n ?? 0);
    if (failures >= this.maxFailures) return { ok: false, failures, reason: "attempts" };
    if (t !== null && this.now() - Number(t) > this.windowMs) return { ok: false, failures, reason: "time" };
    return { ok: true, failures };
  }

  async failed(callKey: string, status: number | null): Promise<void> {
    const f = this.field(callKey);
    const m = this.redis.multi().hincrby(this.key, `n:${f}`, 1);
    if (status !== 429) m.hsetnx(this.key, `t:${f}`, String(this.now()));
    await m.pexpire(this.key, RECORD_TTL_MS).exec();
  }

  async succeeded(callKey: string): Promise<void> {
    const f = this.field(callKey);
    await this.redis.hdel(this.key, `n:${f}`, `t:${f}`);
  }

  /** Drop the job's record (its job completed). */
  async clear(): Promise<void> {
    await this.redis.del(this.key);
  }
}
