import { randomBytes, randomUUID } from "node:crypto";
import { BLING_TIME_ZONE, nextMidnight, timeZoneOffsetMs } from "@zb/bling";
import type { Redis } from "ioredis";
import type { BlingLane } from "../ports/bling-port.js";
import { BudgetWaitError } from "./errors.js";
import { higherLanes, reserveLanes } from "./lanes.js";
import {
  recordErrorScript,
  releaseClaimScript,
  rescindScript,
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

/** "paused": the tenant or account is paused (uninstall, merchant pause): no request until resumed. */
export type BudgetRefusalReason = "second" | "day" | "egress" | "errors" | "priority" | "token" | "paused";

export type TakeResult =
  | { ok: true; grantedAt: number; claimId: string }
  | {
      ok: false;
      reason: BudgetRefusalReason;
      waitMs: number;
      /** Set for "day" (next São Paulo midnight). */
      retryAt?: Date;
      /**
       * "day" only for this lane: catalog and reconciliation stop at `bulkDailyFraction` of the day, the rest
       * is kept for orders/status, so the account itself must not be paused.
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
  /** The tenant the request is for: its pause flag (uninstall, merchant pause) refuses the grant too. */
  tenantId?: string;
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
  /**
   * Fraction of the daily cap at which catalog, customers and stock/price reconciliation stop (default 0.8);
   * orders and statuses may spend up to the whole cap.
   */
  bulkDailyFraction?: number;
  /** Deployment-wide caps for the one egress IP (Bling blocks at 600 req/10 s, 300 errors/10 s, 20 tokens/60 s). */
  egress?: {
    requestsPer10s?: number;
    errorsPer10s?: number;
    tokenCallsPer60s?: number;
    /** Of `tokenCallsPer60s`, the part only code exchanges may spend (default 3); refreshes keep the rest. */
    exchangeTokenCallsPer60s?: number;
  };
  /**
   * Grants are spaced `1000 / share × (1 + spacingSlack)` ms apart (default 0.05: 525 ms at share 2, 95% of
   * the share); the slack is the jitter a grant may take on its way to Bling without bunching (see below). It
   * was 0.02 (20 ms of jitter at share 2): a busy CI machine bunched 3 and 4 arrivals into one second.
   */
  spacingSlack?: number;
  /** Added to every sliding share window (default 0; the spacing already keeps them). */
  windowMarginMs?: number;
  /**
   * After the budget's Redis state began anew (restart with an empty Redis, keys deleted), no account is
   * granted before this long has passed (default 1000 ms + 2 spacings): grants made before cannot be seen.
   */
  restartHoldMs?: number;
  /** How soon a paused tenant's caller is told to ask again (default 30 s). */
  pausedRetryMs?: number;
  /**
   * `waitFor` only: a request that would go out this much later than its slot (at most; measured from before
   * the take) gives its grant back and takes again, instead of landing next to later grants (default: what the
   * spacing leaves of a share window less 5 ms — 45 ms at share 2).
   */
  lateToleranceMs?: number;
  /** Tests: the sleep `waitFor` uses (a starved process is a late sleep). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
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
const STATE_TTL_MS = 60_000;
const KNOWN_DAYS_MAX = 10_000;

/**
 * The per-Bling-account request budget shared by every worker process (Redis + Lua, Redis clock): spaced
 * grants at the share, a daily counter that stops bulk lanes at a fraction of the day, priority lanes with
 * expiring waiting claims, pause flags per tenant and account, and the deployment-wide egress guard.
 *
 * Spacing (a GCRA with no burst): every grant of an account is placed on one schedule on the Redis clock,
 * at least T = 1000/share × (1 + slack) ms after the previous one, whatever process asks. Bling (and the
 * simulator: `Limiter.checkAccount` counts arrivals in (t − 1000, t], `stats().maxPerSecond` the most within
 * less than 1000 ms) calls a second "above the share" when share + 1 requests arrive within less than 1000 ms.
 * Any share + 1 consecutive grants span share × T = 1000 × (1 + slack) ms, so arrivals can only bunch if an
 * earlier request reaches Bling more than 1000 × slack ms (50 ms at share 2) later after its grant than one
 * `share` places behind it. Two rules keep that from happening: `waitFor` reserves the next slot up to one T
 * ahead and sleeps locally until it, so a late wake-up delays only that caller's sleep, never the schedule;
 * and a request whose process was starved (the slot is more than `lateToleranceMs` past when it would go)
 * gives its grant back and takes a new slot, since a late send could land next to grants made after it.
 * The sliding share windows (the log) are widened to exactly what the spacing keeps, and checked at the slot.
 * The old sliding window granted `share` requests at one instant, so one of a pair held back by a busy event
 * loop landed next to the following pair (3 in 972 ms). Throughput under saturation is share / (1 + slack).
 * A missing epoch (Redis back empty) holds every account for `restartHoldMs`; a day count that vanished is
 * restored from the last count this process saw for the account (see `take`). `take` never sleeps.
 */
export class BlingBudget {
  readonly share: number;
  readonly dailyLimit: number;
  /** Requests per day catalog, customers and stock/price may spend (bulkDailyFraction × dailyLimit). */
  readonly bulkDailyCeiling: number;
  /** Milliseconds between two grants of one account. */
  readonly spacingMs: number;
  private readonly windows: RateWindow[];
  private readonly restartHoldMs: number;
  private readonly pausedRetryMs: number;
  private readonly lateToleranceMs: number;
  /** Grants this instance gave back because they would have gone out late (benchmarks report it). */
  lateRetakes = 0;
  /**
   * Redis clock minus ours, estimated from above: the least (Redis now − the moment we asked) seen, creeping up
   * 0.01 ms per take so a changed offset is learnt again. A slot is at most this late locally.
   */
  private clockOffset = Number.POSITIVE_INFINITY;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Last day count this process saw per account, restored into a Redis that lost it. */
  private readonly knownDays = new Map<string, { day: number; used: number }>();
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
    const margin = opts.windowMarginMs ?? 0;
    if (!(margin >= 0 && margin < 1000)) throw new RangeError("windowMarginMs must be in [0, 1000)");
    const slack = opts.spacingSlack ?? 0.05;
    if (!(slack >= 0 && slack < 1)) throw new RangeError("spacingSlack must be in [0, 1)");
    this.spacingMs = (1000 / this.share) * (1 + slack);
    // Each share window widened to what the spacing already keeps (limit × T), so it never holds back a grant
    // made on time and binds exactly when a late send moved an entry (confirmLate).
    this.windows = shareWindows(this.share).map((w) => ({
      ...w,
      windowMs: w.windowMs + Math.max(0, Math.floor(w.limit * this.spacingMs - w.windowMs)) + margin,
    }));
    // What the spacing leaves of every window (50 ms at share 2), less 5 ms for the way from here to the socket.
    const room = Math.min(...shareWindows(this.share).map((w) => w.limit * this.spacingMs - w.windowMs));
    this.lateToleranceMs = opts.lateToleranceMs ?? Math.max(0, Math.floor(room) - 5);
    this.sleep = opts.sleep ?? sleep;
    this.restartHoldMs = opts.restartHoldMs ?? Math.ceil(1000 + 2 * this.spacingMs);
    if (!(this.restartHoldMs >= 0)) throw new RangeError("restartHoldMs must be ≥ 0");
    this.pausedRetryMs = positiveInt(opts.pausedRetryMs ?? 30_000, "pausedRetryMs");
    this.dailyLimit = positiveInt(opts.dailyLimit ?? 120_000, "dailyLimit");
    const fraction = opts.bulkDailyFraction ?? 0.8;
    if (!(fraction > 0 && fraction <= 1)) throw new RangeError("bulkDailyFraction must be in (0, 1]");
    this.bulkDailyCeiling = Math.floor(this.dailyLimit * fraction);
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
    const r = await this.takeSlot(args, 0);
    return r.ok ? { ok: true, grantedAt: r.grantedAt, claimId: r.claimId } : r;
  }

  /**
   * `take`, but a grant may be a slot up to `aheadMs` in the future (`delayMs` until it): the caller must not
   * send before it.
   */
  private async takeSlot(
    args: TakeArgs,
    aheadMs: number,
  ): Promise<
    | (TakeResult & { ok: false })
    | {
        ok: true;
        grantedAt: number;
        claimId: string;
        delayMs: number;
        nonce: string;
        cost: number;
        slot: string;
        offset: number;
      }
  > {
    const cost = args.cost ?? 1;
    const maxCost = Math.min(this.reqCap, ...this.windows.map((w) => w.limit));
    if (!Number.isInteger(cost) || cost < 1 || cost > maxCost) {
      throw new RangeError(`budget cost must be an integer in [1, ${maxCost}], got ${cost}`);
    }
    const claimId = args.claimId ?? randomUUID();
    const a = this.accountKeys(args.accountId);
    const ceiling = reserveLanes.includes(args.lane) ? this.dailyLimit : this.bulkDailyCeiling;
    const offset = timeZoneOffsetMs(Date.now(), this.timeZone);
    const known = this.knownDays.get(a.id);
    const grantNonce = nonce();
    const asked = Date.now();
    const keys = [
      a.log,
      a.days,
      this.key("egress", "requests"),
      this.key("egress", "errors"),
      a.claims(args.lane),
      a.state,
      this.pauseKey("acct", a.id),
      args.tenantId !== undefined ? this.pauseKey("tenant", args.tenantId) : this.key("pause", "none"),
      this.key("epoch"),
      ...higherLanes(args.lane).map((l) => a.claims(l)),
    ];
    const argv: Array<string | number> = [
      cost,
      ceiling,
      offset,
      this.reqCap,
      EGRESS_WINDOW_MS,
      this.errCap,
      EGRESS_WINDOW_MS,
      claimId,
      this.claimGraceMs,
      this.priorityPollMs,
      grantNonce,
      this.spacingMs.toFixed(3),
      aheadMs,
      this.restartHoldMs,
      known?.day ?? -1,
      known?.used ?? 0,
      STATE_TTL_MS + aheadMs,
      this.pausedRetryMs,
      this.windows.length,
      ...this.windows.flatMap((w) => [w.limit, w.windowMs]),
    ];
    const [granted, reason, waitMs, now, used, slot] = (await takeScript.run(this.redis, keys, argv)) as [
      number,
      string,
      number,
      number,
      number,
      string | undefined,
    ];
    this.clockOffset = Math.min(now - asked, this.clockOffset + 0.01);
    this.remember(a.id, Math.floor((now + offset) / 86_400_000), used);
    if (granted === 1) {
      return {
        ok: true,
        grantedAt: now + waitMs,
        claimId,
        delayMs: waitMs,
        nonce: grantNonce,
        cost,
        slot: slot ?? String(now + waitMs),
        offset,
      };
    }
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
        // Reserve the next slot up to one spacing ahead and sleep until it (see the class comment).
        const ahead = Math.max(0, Math.min(Math.floor(this.spacingMs), maxWaitMs - (Date.now() - started)));
        const r = await this.takeSlot({ ...take, claimId }, ahead);
        if (r.ok) {
          // The slot on our clock (no earlier than the true one: the offset is estimated from above).
          const slotHere = Number(r.slot) - this.clockOffset;
          const toSlot = Math.ceil(slotHere - Date.now());
          if (toSlot > 0) await this.sleep(toSlot, signal);
          const late = Date.now() - slotHere;
          if (late > this.lateToleranceMs) {
            await this.rescind(args.accountId, r);
            this.lateRetakes += 1;
            continue;
          }
          return { grantedAt: r.grantedAt, waitedMs: Date.now() - started };
        }
        const elapsed = Date.now() - started;
        if (r.reason === "day" || r.reason === "paused" || elapsed + r.waitMs > maxWaitMs) {
          throw new BudgetWaitError(r.reason, r.waitMs, r.retryAt, r.reserveOnly === true);
        }
        // Jitter spreads waiters that were told the same instant, so they do not all hit Redis at once.
        await this.sleep(r.waitMs + Math.floor(Math.random() * Math.min(50, 5 + r.waitMs / 4)), signal);
      }
    } catch (err) {
      // A caller that gives up must stop holding lower lanes back.
      await this.releaseClaim(args.accountId, args.lane, claimId).catch(() => undefined);
      throw err;
    }
  }

  /** Give a grant back that would go out late (see rescindScript). */
  private async rescind(
    accountId: string,
    g: { nonce: string; cost: number; slot: string; offset: number },
  ): Promise<void> {
    const a = this.accountKeys(accountId);
    await rescindScript.run(
      this.redis,
      [a.log, this.key("egress", "requests"), a.state, a.days],
      [g.nonce, g.cost, g.slot, this.spacingMs.toFixed(3), g.offset],
    );
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

  /**
   * Stop every grant for the tenant from the next request on (uninstall, merchant pause), in every process:
   * the flag is read inside each take. Cleared by `resumeTenant`.
   */
  async pauseTenant(tenantId: string): Promise<void> {
    await this.redis.set(this.pauseKey("tenant", tenantId), "1");
  }

  async resumeTenant(tenantId: string): Promise<void> {
    await this.redis.del(this.pauseKey("tenant", tenantId));
  }

  /** The same per Bling account (all tenants spending it). */
  async pauseAccount(accountId: string): Promise<void> {
    await this.redis.set(this.pauseKey("acct", accountId), "1");
  }

  async resumeAccount(accountId: string): Promise<void> {
    await this.redis.del(this.pauseKey("acct", accountId));
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

  private pauseKey(kind: "tenant" | "acct", id: string): string {
    if (String(id).length === 0) throw new TypeError(`budget ${kind} id must not be empty`);
    return this.key("pause", kind, String(id));
  }

  private remember(accountId: string, day: number, used: number): void {
    const known = this.knownDays.get(accountId);
    if (known && known.day === day && known.used >= used) return;
    this.knownDays.delete(accountId);
    this.knownDays.set(accountId, { day, used });
    if (this.knownDays.size > KNOWN_DAYS_MAX) {
      const oldest = this.knownDays.keys().next().value;
      if (oldest !== undefined) this.knownDays.delete(oldest);
    }
  }

  private accountKeys(accountId: string) {
    const id = String(accountId);
    if (id.length === 0) throw new TypeError("budget accountId must not be empty");
    const base = this.key("acct", id);
    return {
      id,
      log: `${base}:log`,
      days: `${base}:days`,
      state: `${base}:next`,
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
