import type { Redis } from "ioredis";
import { BudgetWaitError } from "./errors.js";
import { spacedTakeScript } from "./scripts.js";

/** What the Zydon client passes to its `budget` hook before every HTTP request. */
export interface ZydonBudgetRequest {
  method: string;
  url: string;
}

export interface ZydonBudgetOptions {
  redis: Redis;
  /** Key prefix (tests pass createTestRedis().prefix). */
  keyPrefix: string;
  /** Zydon requests per second per tenant (ZYDON_RATE_PER_TENANT). */
  ratePerSecond: number;
  /** After the state began anew (Redis back empty), no tenant is granted before this long (default 1 s). */
  restartHoldMs?: number;
  /** How soon a paused tenant's caller is told to ask again (default 30 s). */
  pausedRetryMs?: number;
}

const STATE_TTL_MS = 60_000;

/**
 * The per-tenant budget for Zydon calls (issue 21 #4), shared by every process: the Bling budget's spacing on
 * the Redis clock (one grant per 1000/rate ms per tenant, the next slot reserved up to one spacing ahead and
 * slept to), refused at once while the tenant's pause flag is set — the same flag `BlingBudget.pauseTenant`
 * sets, so an uninstall stops Zydon calls at the next request too.
 */
export class ZydonBudget {
  readonly spacingMs: number;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly pausePrefix: string;
  private readonly restartHoldMs: number;
  private readonly pausedRetryMs: number;

  constructor(opts: ZydonBudgetOptions) {
    if (!(Number.isFinite(opts.ratePerSecond) && opts.ratePerSecond > 0)) {
      throw new RangeError(`Zydon rate must be > 0, got ${opts.ratePerSecond}`);
    }
    this.redis = opts.redis;
    this.prefix = `${opts.keyPrefix}:zbudget`;
    // The flags BlingBudget.pauseTenant sets under the same key prefix.
    this.pausePrefix = `${opts.keyPrefix}:budget:pause`;
    this.spacingMs = 1000 / opts.ratePerSecond;
    this.restartHoldMs = opts.restartHoldMs ?? 1000;
    this.pausedRetryMs = opts.pausedRetryMs ?? 30_000;
  }

  /** Try to spend one Zydon request of `tenantId` now (`aheadMs` > 0: a slot that close may be reserved). */
  async take(
    tenantId: string,
    aheadMs = 0,
  ): Promise<
    | { ok: true; grantedAt: number; delayMs: number }
    | { ok: false; reason: "second" | "paused"; waitMs: number }
  > {
    if (String(tenantId).length === 0) throw new TypeError("Zydon budget tenantId must not be empty");
    const [granted, reason, waitMs, now] = (await spacedTakeScript.run(
      this.redis,
      [
        `${this.prefix}:tenant:${tenantId}:next`,
        `${this.pausePrefix}:tenant:${tenantId}`,
        `${this.prefix}:epoch`,
      ],
      [this.spacingMs.toFixed(3), aheadMs, this.restartHoldMs, STATE_TTL_MS + aheadMs, this.pausedRetryMs],
    )) as [number, string, number, number];
    if (granted === 1) return { ok: true, grantedAt: now + waitMs, delayMs: waitMs };
    return { ok: false, reason: reason === "paused" ? "paused" : "second", waitMs };
  }

  /**
   * Wait (bounded, abortable) for a slot. A paused tenant, or a slot beyond `maxWaitMs` (default 30 s), throws
   * BudgetWaitError (the worker delays the job).
   */
  async waitFor(
    tenantId: string,
    opts: { signal?: AbortSignal; maxWaitMs?: number } = {},
  ): Promise<{ grantedAt: number; waitedMs: number }> {
    const started = Date.now();
    const maxWaitMs = opts.maxWaitMs ?? 30_000;
    for (;;) {
      opts.signal?.throwIfAborted();
      const left = maxWaitMs - (Date.now() - started);
      const r = await this.take(tenantId, Math.max(0, Math.min(Math.floor(this.spacingMs), left)));
      if (r.ok) {
        if (r.delayMs > 0) await sleep(r.delayMs, opts.signal);
        return { grantedAt: r.grantedAt, waitedMs: Date.now() - started };
      }
      if (r.reason === "paused" || Date.now() - started + r.waitMs > maxWaitMs) {
        throw new BudgetWaitError(r.reason, r.waitMs);
      }
      await sleep(r.waitMs + Math.floor(Math.random() * Math.min(20, 1 + r.waitMs / 4)), opts.signal);
    }
  }
}

/** The `budget` hook of the Zydon client (ZydonClientOptions.budget): one slot per HTTP request, retries too. */
export function zydonBudgetHook(
  budget: ZydonBudget,
  tenantId: string,
  opts: { maxWaitMs?: number; signal?: AbortSignal } = {},
): (req: ZydonBudgetRequest) => Promise<void> {
  return async () => {
    await budget.waitFor(tenantId, opts);
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
