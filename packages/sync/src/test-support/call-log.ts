import { BlingNetworkError, BlingServerError, BlingValidationError } from "@zb/bling";
import { ZydonNetworkError, ZydonServerError, ZydonValidationError } from "@zb/zydon";

/**
 * When a planned failure fires: `before` the fake touches its state (the request never landed) or `after`
 * (the write landed, then the answer was lost — a timeout the caller cannot tell from a failed write).
 */
export type FailureTiming = "before" | "after";

interface PlannedFailure {
  error: () => Error;
  timing: FailureTiming;
  remaining: number;
}

export interface RecordedCall<M extends string> {
  method: M;
  args: unknown[];
}

/** Every call a fake port received, in order, plus failures planned per method. */
export class CallLog<M extends string> {
  readonly calls: Array<RecordedCall<M>> = [];
  private readonly planned = new Map<M, PlannedFailure[]>();

  /** Calls of one method (all calls without an argument). */
  count(method?: M): number {
    return method === undefined ? this.calls.length : this.calls.filter((c) => c.method === method).length;
  }

  argsOf(method: M): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** The next `times` (default 1) calls of `method` fail with `error`, before or after the state changes. */
  fail(method: M, error: Error | (() => Error), opts: { timing?: FailureTiming; times?: number } = {}): void {
    const list = this.planned.get(method) ?? [];
    list.push({
      error: typeof error === "function" ? error : () => error,
      timing: opts.timing ?? "before",
      remaining: opts.times ?? 1,
    });
    this.planned.set(method, list);
  }

  private readonly latencies = new Map<M, number>();

  /** Calls of `method` take `ms` before touching the state (so calls in flight together can interleave). */
  slow(method: M, ms: number): void {
    this.latencies.set(method, ms);
  }

  /** Record the call and run `fn` against the fake's state, firing a planned failure if one is due. */
  async run<T>(method: M, args: unknown[], fn: () => T | Promise<T>): Promise<T> {
    this.calls.push({ method, args });
    const failure = this.take(method);
    if (failure?.timing === "before") throw failure.error();
    const ms = this.latencies.get(method);
    if (ms) await new Promise((r) => setTimeout(r, ms));
    const result = await fn();
    if (failure?.timing === "after") throw failure.error();
    return result;
  }

  private take(method: M): PlannedFailure | undefined {
    const list = this.planned.get(method);
    const next = list?.[0];
    if (!list || !next) return undefined;
    next.remaining--;
    if (next.remaining <= 0) list.shift();
    return next;
  }
}

/** The vendor packages' own error classes, so the pipelines classify them exactly as in production. */
export const blingErrors = {
  /** 503: transient, retry the step. */
  server: (path = "/test") => new BlingServerError({ status: 503, method: "POST", path }),
  /** Our timeout on a write that may have reached Bling. */
  timeout: (path = "/test") => new BlingNetworkError(true, true, { method: "POST", path }),
  /** 400: Bling refused the request; retrying will not help. */
  validation: (description = "Campo inválido.", path = "/test") =>
    new BlingValidationError([{ msg: description }], { status: 400, method: "POST", path, description }),
};

export const zydonErrors = {
  server: (path = "/test") => new ZydonServerError({ status: 503, method: "PUT", path }),
  timeout: (path = "/test") => new ZydonNetworkError({ status: null, method: "PUT", path, timedOut: true }),
  validation: (message = "Campo inválido.", path = "/test") =>
    new ZydonValidationError({
      status: 422,
      method: "PUT",
      path,
      envelope: { message, exception: "ValidationException" },
    }),
};
