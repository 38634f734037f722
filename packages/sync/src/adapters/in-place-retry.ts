import { BlingNetworkError, BlingRateLimitedError, BlingServerError } from "@zb/bling";
import { ZydonNetworkError, ZydonRateLimitedError, ZydonServerError } from "@zb/zydon";

export interface InPlaceRetryOptions {
  /** Further tries of one call (default 4). */
  retries?: number;
  /** Longest single wait; a longer Retry-After goes back to the job, which is delayed instead (default 5 s). */
  maxWaitMs?: number;
  /** First wait after a 5xx/timeout of a read; doubled per try (default 500 ms). */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Port methods that only read (lookups before a write included): safe to repeat after any failure. */
const READ = /^(get|list|find)/;

/**
 * Wraps every method of a Bling or Zydon port so a short-lived failure repeats that one call instead of
 * ending the job:
 * - a per-second 429 (Bling) or a 429 with a short Retry-After (Zydon), for any call — the refused request
 *   was not processed, so repeating it cannot create anything twice;
 * - a 5xx or a timeout, for reads only — a write that may have reached the server goes back to the job,
 *   whose step looks the record up before creating it again.
 * Without this a page step restarts from its first call after each such error: when Bling allows fewer
 * calls than our share, the step's second call was refused every time and the page never completed; with
 * 20 % of Zydon's answers failing, a page of a dozen calls burnt all of its job attempts (fault tests).
 * Every repeat of a Bling call still goes through the budget hook. Daily 429s, auth and validation errors
 * pass straight through.
 */
export function retryInPlace<T extends object>(port: T, opts: InPlaceRetryOptions = {}): T {
  const retries = opts.retries ?? 4;
  const maxWaitMs = opts.maxWaitMs ?? 5_000;
  const baseDelayMs = opts.baseDelayMs ?? 500;
  const sleep = opts.sleep ?? defaultSleep;

  function waitFor(err: unknown, read: boolean, attempt: number): number | undefined {
    if (err instanceof BlingRateLimitedError)
      return err.period === "second" ? (err.retryAfterMs ?? 1_000) : undefined;
    if (err instanceof ZydonRateLimitedError) return err.retryAfterMs;
    const transient =
      err instanceof BlingServerError ||
      err instanceof BlingNetworkError ||
      err instanceof ZydonServerError ||
      err instanceof ZydonNetworkError;
    return read && transient ? baseDelayMs * 2 ** attempt : undefined;
  }

  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      const read = typeof prop === "string" && READ.test(prop);
      return async (...args: unknown[]) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await value.apply(target, args);
          } catch (err) {
            const wait = waitFor(err, read, attempt);
            if (wait === undefined || attempt >= retries || wait > maxWaitMs) throw err;
            // Spread the repeats so concurrent calls of one account do not collide again.
            await sleep(wait + Math.floor(Math.random() * 250 * (attempt + 1)));
          }
        }
      };
    },
  });
}
