import { BlingRateLimitedError } from "@zb/bling";

export interface RateLimitRetryOptions {
  /** Further tries of one call after Bling's per-second 429 (default 4). */
  retries?: number;
  /** Longest single wait; a longer Retry-After goes back to the job (default 5 s). */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Wraps every method of a Bling port so a per-second 429 waits and repeats that one call instead of ending
 * the job. Without it a step that makes several calls restarts from its first call after each 429, and when
 * Bling allows fewer calls than our share (another app spends the same account's 3 req/s) the step's second
 * call is refused every time: the page never completes (seen in the 429-storm fault test). Bling does not
 * process a 429'd request, so repeating it cannot create anything twice; every repeat still goes through
 * the budget hook. Daily 429s and every other error pass straight through.
 */
export function retryRateLimited<T extends object>(port: T, opts: RateLimitRetryOptions = {}): T {
  const retries = opts.retries ?? 4;
  const maxWaitMs = opts.maxWaitMs ?? 5_000;
  const sleep = opts.sleep ?? defaultSleep;
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await value.apply(target, args);
          } catch (err) {
            const wait = err instanceof BlingRateLimitedError ? (err.retryAfterMs ?? 1_000) : Infinity;
            if (
              !(err instanceof BlingRateLimitedError) ||
              err.period !== "second" ||
              attempt >= retries ||
              wait > maxWaitMs
            )
              throw err;
            // Spread the repeats so concurrent calls of one account do not collide again.
            await sleep(wait + Math.floor(Math.random() * 250 * (attempt + 1)));
          }
        }
      };
    },
  });
}
