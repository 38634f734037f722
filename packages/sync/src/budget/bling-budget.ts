import { randomBytes, randomUUID } from "node:crypto";
import { BLING_TIME_ZONE, nextMidnight, timeZoneOffsetMs } from "@zb/bling";
import type { Redis } from "ioredis";
import type { BlingLane } from "../ports/bling-port.js";
import { BudgetWaitError } from "./errors.js";
import { higherLanes, reserveLanes } from "./lanes.js";
import {
  recordErrorScript,
  releaseClaimScript,
  takeScript,
  tokenCallScript,
  usageScript,
} from "./scripts.js";
import { type RateWindow, shareWindows } from "./share-windows.js";

/**
 * The two lanes of the deployment-wide `/oauth/token` cap: workers' refreshes keep most of it, code
 * exchanges (a merchant clicking "Conectar ao Bling", which anyone can repeat) only the rest, so a flood of
 * connects with made-up codes can never take the refreshes every tenant's sync depends on.
 */
export type TokenCallLane = "refresh" | "exchange";

export type BudgetRefusalReason = "second" | "day" | "egress" | "errors" | "priority" | "token";

export type TakeResult =
  | { ok: true; grantedAt: number; claimId: string }
  | {
      ok: false;
      reason: BudgetRefusalReason;
      waitMs: number;
      /** Set for "day" (next São Paulo midnight). */
      retryAt?: Date;
      /**
       * "day" only for this lane: the rest of the day is the orders/status reserve, so the account itself
       * must not be paused.
       */
      reserveOnly?: boolean;
      /** Pass it back on the retry, so this caller's place ahead of lower lanes is kept and then cleared. */
      claimId: string;
    };

export interface TakeArgs {
  accountId: string;
  lane: BlingLane;
  /** Requests this grant covers (default 1); at most the per-second share. */
  cost?: number;
  /** Identifies one waiting caller across retries (a job id, a waitFor loop); generated when absent. */
  claimId?: string;
}

export interface WaitForArgs extends TakeArgs {
  signal?: AbortSignal;
  /** Give up (BudgetWaitError) rather than sleep past this (default 30 s). */
  maxWaitMs?: number;
}

export interface BlingBudgetOptions {
  redis: Redis;
  /** Key prefix (tests pass createTestRedis().prefix). */
  keyPrefix: string;
  /** Requests per second this app may use of Bling's 3/s per account (default 2; fractions allowed). */
  share?: number;
  /** Bling's daily cap per account (default 120,000). */
  dailyLimit?: number;
  /** Fraction of the daily cap only orders/status may spend (default 0.02). */
  dailyReserveFraction?: number;
  /** Deployment-wide caps for the one egress IP (Bling blocks at 600 req/10 s, 300 errors/10 s, 20 tokens/60 s). */
  egress?: {
    requestsPer10s?: number;
    errorsPer10s?: number;
    tokenCallsPer60s?: number;
    /** Of `tokenCallsPer60s`, the part only code exchanges may spend (default 3); refreshes keep the rest. */
    exchangeTokenCallsPer60s?: number;
  };
  /**
   * Added to every share window (default 100 ms): a grant is not an arrival — event-loop and network jitter
   * between our Redis clock and Bling's can squeeze `share` grants 1000 ms apart into less than a second at
   * Bling's end. 2 requests per 1.1 s keeps Bling's own per-second count at the share.
   */
  windowMarginMs?: number;
  /** How long a waiting claim outlives the wait it was told, before a vanished claimant stops blocking (default 2 s). */
  claimGraceMs?: number;
  /** How soon a lane held back by a higher lane asks again (default 250 ms). */
  priorityPollMs?: number;
  timeZone?: string;
}

export interface BudgetUsage {
  today: number;
  dailyLimit: number;
  /** Requests granted in the last 1000 ms. */
  lastSecond: number;
  share: number;
}

const EGRESS_WINDOW_MS = 10_000;
const TOKEN_WINDOW_MS = 60_000;

/**
 * The per-Bling-account request budget shared by every worker process (Redis + Lua, Redis clock):
 * sliding-window share per second, daily counter with a reserve for orders/status, priority lanes with
 * expiring waiting claims, and the deployment-wide egress guard. `take` never sleeps.
 */
export class BlingBudget {
  readonly share: number;
  readonly dailyLimit: number;
  readonly dailyReserve: number;
  private readonly windows: RateWindow[];
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly reqCap: number;
  private readonly errCap: number;
  private readonly tokenCaps: Record<TokenCallLane, number>;
  private readonly claimGraceMs: number;
  private readonly priorityPollMs: number;
  private readonly timeZone: string;

  constructor(opts: BlingBudgetOptions) {
    this.redis = opts.redis;
    this.prefix = `${opts.keyPrefix}:budget`;
    this.share = opts.share ?? 2;
    const margin = opts.windowMarginMs ?? 100;
    if (!(margin >= 0 && margin < 1000)) throw new RangeError("windowMarginMs must be in [0, 1000)");
    this.windows = shareWindows(this.share).map((w) => ({ ...w, windowMs: w.windowMs + margin }));
    this.dailyLimit = positiveInt(opts.dailyLimit ?? 120_000, "dailyLimit");
    const fraction = opts.dailyReserveFraction ?? 0.02;
    if (!(fraction >= 0 && fraction < 1)) throw new RangeError("dailyReserveFraction must be in [0, 1)");
    this.dailyReserve = Math.ceil(this.dailyLimit * fraction);
    this.reqCap = positiveInt(opts.egress?.requestsPer10s ?? 500, "egress.requestsPer10s");
    this.errCap = positiveInt(opts.egress?.errorsPer10s ?? 200, "egress.errorsPer10s");
    const tokenCap = positiveInt(opts.egress?.tokenCallsPer60s ?? 10, "egress.tokenCallsPer60s");
    const exchangeCap = positiveInt(
      opts.egress?.exchangeTokenCallsPer60s ?? Math.min(3, tokenCap - 1),
      "egress.exchangeTokenCallsPer60s",
    );
    if (exchangeCap >= tokenCap) {
      throw new RangeError("egress.exchangeTokenCallsPer60s must leave refreshes part of tokenCallsPer60s");
    }
    this.tokenCaps = { refresh: tokenCap - exchangeCap, exchange: exchangeCap };
    this.claimGraceMs = opts.claimGraceMs ?? 2_000;
    this.priorityPollMs = opts.priorityPollMs ?? 250;
    this.timeZone = opts.timeZone ?? BLING_TIME_ZONE;
  }

  /** Try to spend `cost` requests for `accountId` now. Never waits. */
  async take(args: TakeArgs): Promise<TakeResult> {
    const cost = args.cost ?? 1;
    const maxCost = Math.min(this.reqCap, ...this.windows.map((w) => w.limit));
    if (!Number.isInteger(cost) || cost < 1 || cost > maxCost) {
      throw new RangeError(`budget cost must be an integer in [1, ${maxCost}], got ${cost}`);
    }
    const claimId = args.claimId ?? randomUUID();
    const a = this.accountKeys(args.accountId);
    const ceiling = reserveLanes.includes(args.lane) ? this.dailyLimit : this.dailyLimit - this.dailyReserve;
    const keys = [
      a.log,
      a.days,
      this.key("egress", "requests"),
      this.key("egress", "errors"),
      a.claims(args.lane),
      ...higherLanes(args.lane).map((l) => a.claims(l)),
    ];
    const argv: Array<string | number> = [
      cost,
      ceiling,
      timeZoneOffsetMs(Date.now(), this.timeZone),
      this.reqCap,
      EGRESS_WINDOW_MS,
      this.errCap,
      EGRESS_WINDOW_MS,
      claimId,
      this.claimGraceMs,
      this.priorityPollMs,
      nonce(),
      this.windows.length,
      ...this.windows.flatMap((w) => [w.limit, w.windowMs]),
    ];
    const [granted, reason, waitMs, now, used] = (await takeScript.run(this.redis, keys, argv)) as [
      number,
      string,
      number,
      number,
      number,
    ];
    if (granted === 1) return { ok: true, grantedAt: now, claimId };
    if (reason === "day") {
      const retryAt = nextMidnight(new Date(now), this.timeZone);
      const reserveOnly = used + cost <= this.dailyLimit;
      return { ok: false, reason, waitMs: retryAt.getTime() - now, retryAt, reserveOnly, claimId };
    }
    return { ok: false, reason: reason as BudgetRefusalReason, waitMs, claimId };
  }

  /**
   * In-process convenience: take, sleeping (with jitter) between refusals. Throws BudgetWaitError at once
   * for "day", or when the next chance is beyond `maxWaitMs`; throws the signal's reason on abort.
   */
  async waitFor(args: WaitForArgs): Promise<{ grantedAt: number; waitedMs: number }> {
    const started = Date.now();
    const maxWaitMs = args.maxWaitMs ?? 30_000;
    const claimId = args.claimId ?? randomUUID();
    const { signal, maxWaitMs: _m, ...take } = args;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const r = await this.take({ ...take, claimId });
        if (r.ok) return { grantedAt: r.grantedAt, waitedMs: Date.now() - started };
        const elapsed = Date.now() - started;
        if (r.reason === "day" || elapsed + r.waitMs > maxWaitMs) {
          throw new BudgetWaitError(r.reason, r.waitMs, r.retryAt, r.reserveOnly === true);
        }
        // Jitter spreads waiters that were told the same instant, so they do not all hit Redis at once.
        await sleep(r.waitMs + Math.floor(Math.random() * Math.min(50, 5 + r.waitMs / 4)), signal);
      }
    } catch (err) {
      // A caller that gives up must stop holding lower lanes back.
      await this.releaseClaim(args.accountId, args.lane, claimId).catch(() => undefined);
      throw err;
    }
  }

  /** Drop a waiting claim (a caller that stops waiting); claims also expire on their own. */
  async releaseClaim(accountId: string, lane: BlingLane, claimId: string): Promise<void> {
    await releaseClaimScript.run(this.redis, [this.accountKeys(accountId).claims(lane)], [claimId]);
  }

  /** Count a 4xx/5xx/429 answer from Bling against the deployment's error cap (IP block at 300/10 s). */
  async recordError(): Promise<number> {
    return (await recordErrorScript.run(
      this.redis,
      [this.key("egress", "errors")],
      [EGRESS_WINDOW_MS, nonce()],
    )) as number;
  }

  /**
   * Spend one `/oauth/token` call of the deployment's cap (IP block for 60 min at 20/60 s) from `lane`'s
   * part of it (default "refresh"). Never waits.
   */
  async takeTokenCall(
    lane: TokenCallLane = "refresh",
  ): Promise<{ ok: true; grantedAt: number } | { ok: false; reason: "token" | "egress"; waitMs: number }> {
    const [granted, reason, waitMs, now] = (await tokenCallScript.run(
      this.redis,
      [this.key("egress", "token-calls", lane), this.key("egress", "requests")],
      [this.tokenCaps[lane], TOKEN_WINDOW_MS, this.reqCap, EGRESS_WINDOW_MS, nonce()],
    )) as [number, string, number, number];
    if (granted === 1) return { ok: true, grantedAt: now };
    return { ok: false, reason: reason === "egress" ? "egress" : "token", waitMs };
  }

  /** Sleep until a token call of `opts.lane` (default "refresh") is allowed (bounded, abortable). */
  async waitForTokenCall(
    opts: { signal?: AbortSignal; maxWaitMs?: number; lane?: TokenCallLane } = {},
  ): Promise<void> {
    const started = Date.now();
    const maxWaitMs = opts.maxWaitMs ?? 60_000;
    for (;;) {
      opts.signal?.throwIfAborted();
      const r = await this.takeTokenCall(opts.lane);
      if (r.ok) return;
      if (Date.now() - started + r.waitMs > maxWaitMs) throw new BudgetWaitError(r.reason, r.waitMs);
      await sleep(r.waitMs + Math.floor(Math.random() * 50), opts.signal);
    }
  }

  /** For the health page: requests used today (Bling's day) and in the last second. */
  async usage(accountId: string): Promise<BudgetUsage> {
    const a = this.accountKeys(accountId);
    const [today, lastSecond] = (await usageScript.run(
      this.redis,
      [a.log, a.days],
      [timeZoneOffsetMs(Date.now(), this.timeZone)],
    )) as [number, number, number];
    return {
      today,
      dailyLimit: this.dailyLimit,
      lastSecond,
      share: this.share,
    };
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(":");
  }

  private accountKeys(accountId: string) {
    const id = String(accountId);
    if (id.length === 0) throw new TypeError("budget accountId must not be empty");
    const base = this.key("acct", id);
    return {
      log: `${base}:log`,
      days: `${base}:days`,
      claims: (lane: BlingLane) => `${base}:claims:${lane}`,
    };
  }
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}

function nonce(): string {
  return randomBytes(9).toString("base64url");
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
