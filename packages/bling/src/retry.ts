import { BlingNetworkError, BlingRateLimitedError, BlingServerError } from "./errors.js";

/**
 * Bling's one retry layer (used by BlingHttp.request). RETRY CAP: at most `BLING_MAX_ATTEMPTS` (1 + 4)
 * HTTP requests per logical request for short-lived failures, plus at most one re-send after the forced
 * token refresh of a 401 — so never more than `BLING_MAX_REQUESTS_PER_CALL` (6). Nothing above the client
 * repeats a single call: a job attempt that fails after the client gave up re-runs its step, so across the
 * job's attempts one read is bounded by attempts × 6 (see README "Retries"). Every request, repeats
 * included, goes through the budget hook first, so the per-account share holds.
 */
export const BLING_MAX_ATTEMPTS = 5;
export const BLING_MAX_REQUESTS_PER_CALL = BLING_MAX_ATTEMPTS + 1;

/**
 * ACROSS LAYERS: the job's attempts and delayed re-runs repeat its steps, each step's calls going through
 * the layer above again (6 × 8 job attempts = 48 requests for one read). The `CallAttemptCap` bounds one
 * logical call for the whole life of its job: asked before every HTTP request (401 re-sends included),
 * told of every failed one (status ≥ 400 or no response), keyed by the call (method, path and query, body).
 * The worker keeps it in Redis per job id: at most 10 requests of a call that keeps failing, none sent
 * later than the cap's time bound after its first failure.
 */
export interface CallAttemptCap {
  /** Before each request; `failures` so far lets the caller skip `succeeded` for a call that never failed. */
  allow(
    key: string,
  ): Promise<{ ok: true; failures: number } | { ok: false; failures: number; reason: "attempts" | "time" }>;
  /** After a failed request: its status (`null`: no response). A 429 counts but does not start the clock. */
  failed(key: string, status: number | null): Promise<void>;
  /** After a success of a call that had failed: the logical call is over, its count is dropped. */
  succeeded(key: string): Promise<void>;
}

export interface BlingRetryOptions {
  /** Further tries of one request (default 4, so `BLING_MAX_ATTEMPTS` in all; capped at 8). */
  retries?: number;
  /** Longest single wait; a longer Retry-After goes back to the job, which is delayed instead (default 5 s). */
  maxWaitMs?: number;
  /** First wait after a 5xx/timeout of a GET; doubled per try (default 500 ms). */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RetryPolicy {
  retries: number;
  maxWaitMs: number;
  baseDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `undefined`/`false`: every request is sent once (plus the 401 re-send); `true`: the default policy. */
export function retryPolicy(retry: BlingRetryOptions | boolean | undefined): RetryPolicy {
  const o = typeof retry === "object" ? retry : {};
  return {
    retries: retry ? Math.min(o.retries ?? BLING_MAX_ATTEMPTS - 1, 8) : 0,
    maxWaitMs: o.maxWaitMs ?? 5_000,
    baseDelayMs: o.baseDelayMs ?? 500,
    sleep: o.sleep ?? defaultSleep,
  };
}

/**
 * How long to wait before repeating a failed request, or `undefined` to hand the error to the caller:
 * - a per-second 429, for any method — the refused request was not processed, so repeating it cannot
 *   create anything twice;
 * - a 5xx, a timeout or a dropped connection, for GETs only — a write that may have reached Bling goes back
 *   to the job, whose step looks the record up before creating it again.
 * Daily 429s, auth and validation errors pass straight through. Without this a page step restarted from its
 * first call after each such error: when Bling allowed fewer calls than our share, the step's second call
 * was refused every time and the page never completed (fault test bling-errors).
 */
export function retryWaitMs(
  err: unknown,
  method: string,
  attempt: number,
  policy: RetryPolicy,
): number | undefined {
  if (attempt >= policy.retries) return undefined;
  let wait: number | undefined;
  if (err instanceof BlingRateLimitedError)
    wait = err.period === "second" ? (err.retryAfterMs ?? 1_000) : undefined;
  else if (method === "GET" && (err instanceof BlingServerError || err instanceof BlingNetworkError))
    wait = policy.baseDelayMs * 2 ** attempt;
  if (wait === undefined || wait > policy.maxWaitMs) return undefined;
  // Spread the repeats so concurrent calls of one account do not collide again.
  return wait + Math.floor(Math.random() * 250 * (attempt + 1));
}
