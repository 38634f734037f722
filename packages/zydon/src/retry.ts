import { createHash } from "node:crypto";
import { ZydonRetryCapError } from "./errors.js";
import type { FetchLike } from "./http.js";

/**
 * Zydon's one retry layer. RETRY CAP: at most `ZYDON_MAX_ATTEMPTS` (1 + 4) HTTP requests per logical
 * request of this client. Across layers (the job's attempts and delayed re-runs repeat its steps), the
 * `CallAttemptCap` below bounds one logical call: it is asked before every HTTP request and told of every
 * failed one, keyed by the call (method, path and query, body) and remembered for the whole job, so a call
 * that keeps failing gets at most `cap.maxFailures` requests in all (10 in the worker), however many
 * times its job runs — see README "Retries".
 */
export const ZYDON_MAX_ATTEMPTS = 5;

/**
 * Called before every HTTP request to Zydon (the per-tenant Zydon budget of @zb/sync): resolves when the
 * request may go, throws (e.g. the sync's BudgetWaitError) when it must not.
 */
export type ZydonBudgetHook = (req: { method: string; url: string }) => Promise<void>;

/** The budget hook refused a request: carried through the fetch layers, rethrown as `reason` by the client. */
export class ZydonBudgetStop extends Error {
  constructor(readonly reason: unknown) {
    super("Zydon request budget refused the request");
    this.name = "ZydonBudgetStop";
  }
}

/**
 * The cross-layer count of one job's failed HTTP requests per logical call (the worker keeps it in Redis,
 * per job id, across the job's attempts). `allow` answers whether one more request of `key` may be sent;
 * `failed` counts one that failed (an error status or no response).
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

/** The logical call an HTTP request belongs to: method, path + query (no origin), and a digest of a text body. */
export function callKey(method: string, url: string, body?: unknown): string {
  let where = url;
  try {
    const u = new URL(url);
    where = `${u.pathname}${u.search}`;
  } catch {
    // a relative URL is its own key
  }
  const digest = typeof body === "string" ? createHash("sha1").update(body).digest("hex").slice(0, 16) : "";
  return `${method.toUpperCase()} ${where}${digest ? ` #${digest}` : ""}`;
}

/**
 * Below the retry layer: every HTTP request asks the cap first (a refused one throws `ZydonRetryCapError`,
 * `give_up`) and reports its failure (status ≥ 400, or no response) after.
 */
export function cappedFetch(inner: FetchLike, cap: CallAttemptCap): FetchLike {
  return async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const key = callKey(method, url, init?.body);
    const verdict = await cap.allow(key);
    if (!verdict.ok) {
      let path = url;
      try {
        path = new URL(url).pathname;
      } catch {}
      throw new ZydonRetryCapError({ status: null, method, path }, verdict.failures, verdict.reason);
    }
    let res: Response;
    try {
      res = await inner(input, init);
    } catch (err) {
      if (!(err instanceof ZydonBudgetStop)) await cap.failed(key, null);
      throw err;
    }
    if (res.status >= 400) await cap.failed(key, res.status);
    else if (verdict.failures > 0) await cap.succeeded(key);
    return res;
  };
}

export interface ZydonRetryOptions {
  /** Further tries of one request (default 4, so `ZYDON_MAX_ATTEMPTS` requests in all; capped at 9). */
  retries?: number;
  /** Longest single wait; a longer Retry-After is handed to the caller as the 429 it is (default 5 s). */
  maxWaitMs?: number;
  /** First wait after a 5xx / connection failure of an idempotent request; doubled per try (default 500 ms). */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function retryAfterMs(res: Response): number | undefined {
  const h = res.headers.get("retry-after");
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** Connection-level failures worth one more try; a DNS failure or a bad URL is not going to heal in a second. */
const DROPPED = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
function droppedConnection(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === "string" && DROPPED.has(cause.code);
}

/**
 * A fetch that repeats one HTTP request after a short-lived failure, below the client's composite calls (a
 * product update is GET + PUT): a 5xx or a dropped/refused connection of an idempotent request
 * (GET/PUT/DELETE), and a 429 of any request when Zydon says when to come back (Retry-After within
 * `maxWaitMs`; a refused request was not processed). A POST's 5xx and our own timeout (the caller's abort
 * signal is spent) are returned/thrown as they are: the job decides, and its step looks the record up
 * before creating it again. Without this, 20 % of Zydon's answers failing made an initial-sync page of a
 * dozen calls restart until its job attempts ran out (fault test zydon-errors).
 */
export function retryingFetch(inner: FetchLike, opts: ZydonRetryOptions = {}): FetchLike {
  const retries = Math.min(opts.retries ?? ZYDON_MAX_ATTEMPTS - 1, 9);
  const maxWaitMs = opts.maxWaitMs ?? 5_000;
  const baseDelayMs = opts.baseDelayMs ?? 500;
  const sleep = opts.sleep ?? defaultSleep;
  return async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const idempotent = IDEMPOTENT.has(method);
    const jitter = (attempt: number) => Math.floor(Math.random() * 100 * (attempt + 1));
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await inner(input, init);
      } catch (err) {
        const aborted = init?.signal?.aborted || (err instanceof Error && /Abort|Timeout/.test(err.name));
        if (!idempotent || aborted || !droppedConnection(err) || attempt >= retries) throw err;
        await sleep(baseDelayMs * 2 ** attempt + jitter(attempt));
        continue;
      }
      if (attempt >= retries) return res;
      let wait: number | undefined;
      if (res.status === 429) wait = retryAfterMs(res);
      else if (res.status >= 500 && idempotent) wait = baseDelayMs * 2 ** attempt;
      if (wait === undefined || wait > maxWaitMs) return res;
      // Drain the refused answer so the connection can be reused.
      await res.body?.cancel().catch(() => undefined);
      await sleep(wait + jitter(attempt));
    }
  };
}

/**
 * The fetch a client uses: `fetch` (or the global one), under the cross-layer cap when given, wrapped in
 * the retry layer when `retry` is set (so each repeat is counted by the cap).
 */
export function clientFetch(
  fetchImpl: FetchLike | undefined,
  retry: ZydonRetryOptions | boolean | undefined,
  cap?: CallAttemptCap,
  budget?: ZydonBudgetHook,
) {
  const raw: FetchLike = fetchImpl ?? ((input, init) => fetch(input, init));
  // The budget sits under the retry layer: every HTTP request, a repeat included, waits for its own slot.
  const budgeted: FetchLike = budget
    ? async (input, init) => {
        const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        try {
          await budget({ method: init?.method ?? (input instanceof Request ? input.method : "GET"), url });
        } catch (err) {
          throw new ZydonBudgetStop(err);
        }
        return raw(input, init);
      }
    : raw;
  // The cross-layer cap sits above the budget: a refused call spends no budget, a budget refusal is no failure.
  const base = cap ? cappedFetch(budgeted, cap) : budgeted;
  if (!retry) return base;
  return retryingFetch(base, retry === true ? {} : retry);
}
