import { BlingError, BlingRateLimitedError } from "@zb/bling";
import { ZydonError, ZydonRateLimitedError } from "@zb/zydon";
import { BudgetWaitError } from "../budget/errors.js";
import { BlingNotConnectedError, BlingReauthRequiredError } from "../tokens/token-manager.js";

/**
 * What to do with a failure: retry the step later, wait (rate limit, budget), ask the merchant to reconnect,
 * or give up (the same call will never work). Decided by the error's class, never its message.
 */
export type ErrorAction = "retry" | "wait" | "reconnect" | "give_up";

/** A failure of our own that clears by itself: the job runs again later (BullMQ retry). */
export class RetryLaterError extends Error {
  readonly action = "retry" as const;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Another worker holds the tenant-scoped lease (`SyncContext.exclusive`) for long: retry the job later. */
export class LockBusyError extends RetryLaterError {
  constructor(readonly key: string) {
    super(`busy: ${key}`);
  }
}

/**
 * Another job holds the tenant-scoped claim this job needs (e.g. the product's image upload), and waiting
 * for it inside a worker slot would hold the slot: the job is delayed by `retryAfterMs` without spending an
 * attempt, and runs again once the holder is done.
 */
export class ClaimBusyError extends Error {
  readonly action = "wait" as const;
  constructor(
    readonly key: string,
    readonly retryAfterMs: number,
  ) {
    super(`claimed by another job: ${key}; run again in ${retryAfterMs} ms`);
    this.name = new.target.name;
  }
}

/**
 * Zydon answered 404 for a record the sync created, linked or wrote moments ago (within the contract window
 * `notFoundRetryWindowMs`, zydon-api.md §2.4): possibly transient, so the job waits and runs again instead of
 * treating the record as deleted by hand. The waits grow with the record's age and the last one lands just
 * past the window, where a 404 that persists takes the normal path and is recorded in the ledger.
 */
export class ZydonNotFoundYetError extends Error {
  readonly action = "wait" as const;
  constructor(
    /** The Zydon 404 (the error, or `undefined` when the port answered `null` for its read). */
    readonly notFound: unknown,
    readonly referencedAt: Date,
    readonly retryAfterMs: number,
  ) {
    super(
      `Zydon 404 on a record referenced at ${referencedAt.toISOString()}, within the contract window: retry in ${retryAfterMs} ms`,
      notFound === undefined ? undefined : { cause: notFound },
    );
    this.name = new.target.name;
  }
}

/**
 * BullMQ failed a job without running it: its process died while running it more often than the stall limit
 * allows (SIGKILL, OOM, a deploy), so the worker that picked it up next failed it at once. The job's
 * `onGiveUp` still records it (the worker's runtime calls it), with this as the error.
 */
export class JobStalledError extends Error {
  constructor(readonly stalls: number) {
    super(`job stalled ${stalls} times`);
    this.name = new.target.name;
  }
  /** For ledger reasons (`errorMessage`). */
  ptBrMessage(): string {
    return `o processo da integração parou ${this.stalls} vezes durante o trabalho (reinício ou falta de memória)`;
  }
}

/** The action of a known error class; `undefined` for anything else (a bug, an unexpected library error). */
/**
 * Redis unreachable (restarting, failing over): ioredis gives up on a command with MaxRetriesPerRequestError
 * or "Connection is closed.", and a fail-fast connection refuses with "Stream isn't writeable". Redis is used
 * only before a vendor request is sent (budget slot, locks, token lease), so such a failure never means a
 * request went out: retry the job (issue 17 #1).
 */
export function isRedisUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof BlingError || err instanceof ZydonError) return false;
  return (
    err.name === "MaxRetriesPerRequestError" ||
    /^(Connection is closed\.|Stream isn't writeable|Reached the max retries per request limit)/.test(
      err.message,
    )
  );
}

export function actionOf(err: unknown): ErrorAction | undefined {
  if (err instanceof BlingError || err instanceof ZydonError) return err.action;
  if (err instanceof BudgetWaitError) return err.action;
  if (err instanceof BlingNotConnectedError || err instanceof BlingReauthRequiredError) return err.action;
  if (err instanceof RetryLaterError || err instanceof ZydonNotFoundYetError) return err.action;
  if (err instanceof ClaimBusyError) return err.action;
  if (isRedisUnavailableError(err)) return "retry";
  return undefined;
}

/** How long a "wait" error asks to wait; `period: "day"` means the Bling account is done until tomorrow. */
export interface WaitHint {
  retryAfterMs: number | undefined;
  period: "second" | "day" | undefined;
  retryAt: Date | undefined;
}

export function waitHintOf(err: unknown): WaitHint {
  if (err instanceof BudgetWaitError)
    return { retryAfterMs: err.retryAfterMs, period: err.period, retryAt: err.retryAt };
  if (err instanceof BlingRateLimitedError)
    return { retryAfterMs: err.retryAfterMs, period: err.period, retryAt: undefined };
  if (err instanceof ZydonNotFoundYetError || err instanceof ClaimBusyError)
    return { retryAfterMs: err.retryAfterMs, period: undefined, retryAt: undefined };
  if (err instanceof BlingError || err instanceof ZydonRateLimitedError)
    return { retryAfterMs: err.retryAfterMs, period: undefined, retryAt: undefined };
  return { retryAfterMs: undefined, period: undefined, retryAt: undefined };
}
