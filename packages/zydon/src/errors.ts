import { rateLimitBackoffMs } from "./adapter.js";

/** What the caller should do with a failure; the error's class decides, never its message. */
export type ZydonErrorAction = "retry" | "wait" | "reconnect" | "give_up";

/** Zydon's error envelope (zydon-api.md §4 "Errors"); every field optional because 5xx bodies vary. */
export interface ZydonErrorEnvelope {
  origin?: string;
  timestamp?: string;
  status?: number;
  statusMessage?: string;
  exception?: string;
  message?: string;
  trace_id?: string;
}

export interface ZydonErrorInit {
  status: number | null;
  method: string;
  path: string;
  envelope?: ZydonErrorEnvelope | null;
  traceId?: string | null;
  cause?: unknown;
}

export abstract class ZydonError extends Error {
  abstract readonly action: ZydonErrorAction;
  readonly status: number | null;
  readonly method: string;
  /** Path without query string: queries may hold documents or invoice keys, never needed for debugging. */
  readonly path: string;
  readonly exception: string | null;
  readonly zydonMessage: string | null;
  readonly origin: string | null;
  readonly traceId: string | null;

  constructor(init: ZydonErrorInit, detail?: string) {
    const env = init.envelope ?? null;
    const what = env?.message ?? detail ?? "";
    super(
      `Zydon ${init.method} ${init.path} → ${init.status ?? "no response"}${env?.exception ? ` ${env.exception}` : ""}${what ? `: ${what}` : ""}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = new.target.name;
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.exception = env?.exception ?? null;
    this.zydonMessage = env?.message ?? null;
    this.origin = env?.origin ?? null;
    this.traceId = init.traceId ?? env?.trace_id ?? null;
  }
}

export class ZydonRateLimitedError extends ZydonError {
  readonly action = "wait" as const;
  readonly retryAfterMs: number;
  constructor(init: ZydonErrorInit & { retryAfterMs: number }) {
    super(init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

export class ZydonNotFoundError extends ZydonError {
  /** True when the missing record was created moments ago: Zydon sometimes 404s a fresh id (zydon-api.md §4). */
  readonly retryableWindow: boolean;
  readonly action: "retry" | "give_up";
  constructor(init: ZydonErrorInit & { retryableWindow?: boolean }) {
    super(init);
    this.retryableWindow = init.retryableWindow ?? false;
    this.action = this.retryableWindow ? "retry" : "give_up";
  }
}

export class ZydonValidationError extends ZydonError {
  readonly action = "give_up" as const;
}

/** 401/403: the key was revoked (likely uninstalled) or belongs to another organization. */
export class ZydonAuthError extends ZydonError {
  readonly action = "reconnect" as const;
}

export class ZydonServerError extends ZydonError {
  readonly action = "retry" as const;
}

export class ZydonNetworkError extends ZydonError {
  readonly action = "retry" as const;
  readonly timedOut: boolean;
  constructor(init: ZydonErrorInit & { timedOut: boolean }) {
    super(init, init.timedOut ? "timed out" : "network error");
    this.timedOut = init.timedOut;
  }
}

/**
 * The cross-layer retry cap (retry.ts `CallAttemptCap`) refused to send one more request of a logical call:
 * it already failed `attempts` times across the retry layer and every run of its job, or its first failure is
 * older than the time bound. Never retried: the job gives up and the failure is recorded.
 */
export class ZydonRetryCapError extends ZydonError {
  readonly action = "give_up" as const;
  constructor(
    init: ZydonErrorInit,
    readonly attempts: number,
    readonly reason: "attempts" | "time",
  ) {
    super(init, `retry cap reached (${reason}) after ${attempts} failed requests`);
  }

  ptBrMessage(): string {
    return `o Zydon falhou ${this.attempts === 1 ? "1 vez" : `${this.attempts} vezes seguidas`} nesta chamada; o envio foi interrompido e será tentado de novo na próxima sincronização`;
  }
}

/** A 2xx whose body does not match what we expect: not retryable, needs a code or adapter change. */
export class ZydonUnexpectedResponseError extends ZydonError {
  readonly action = "give_up" as const;
}

/** A response body over the client's cap (ZYDON_MAX_RESPONSE_BYTES): read no further, never repeated. */
export class ZydonResponseTooLargeError extends ZydonError {
  readonly action = "give_up" as const;
}

/**
 * Whether a 404 on a record referenced at `referencedAt` (created, linked or last written) still falls in the
 * contract window `notFoundRetryWindowMs` (zydon-api.md §2.4: possibly transient, retry briefly). The window is
 * the caller's configured one (`ZydonContract.notFoundRetryWindowMs`), never a constant. A reference "in the
 * future" (clocks apart) counts as just now.
 */
export function isWithinNotFoundRetryWindow(
  referencedAt: Date | number,
  windowMs: number,
  now: Date | number = Date.now(),
): boolean {
  const at = typeof referencedAt === "number" ? referencedAt : referencedAt.getTime();
  const t = typeof now === "number" ? now : now.getTime();
  return t - at <= windowMs;
}

/** Retry-After is seconds or an HTTP date; absent → the integrators' backoff ladder for this attempt. */
export function parseRetryAfterMs(header: string | null, attempt: number, now: Date = new Date()): number {
  if (header) {
    const secs = Number(header);
    if (Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, date - now.getTime());
  }
  return rateLimitBackoffMs(attempt);
}

export function parseErrorEnvelope(text: string): ZydonErrorEnvelope | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== "object") return null;
    const r = v as Record<string, unknown>;
    const s = (k: string) => (typeof r[k] === "string" ? (r[k] as string) : undefined);
    const env: ZydonErrorEnvelope = {};
    const origin = s("origin");
    if (origin !== undefined) env.origin = origin;
    const timestamp = s("timestamp");
    if (timestamp !== undefined) env.timestamp = timestamp;
    if (typeof r.status === "number") env.status = r.status;
    const statusMessage = s("statusMessage");
    if (statusMessage !== undefined) env.statusMessage = statusMessage;
    const exception = s("exception");
    if (exception !== undefined) env.exception = exception;
    const message = s("message");
    if (message !== undefined) env.message = message.slice(0, 500);
    const traceId = s("trace_id") ?? s("traceId");
    if (traceId !== undefined) env.trace_id = traceId;
    return env;
  } catch {
    return null;
  }
}

/** Maps an HTTP failure to its error class. `attempt` feeds the 429 backoff when Retry-After is absent. */
export function zydonErrorFromResponse(input: {
  status: number;
  method: string;
  path: string;
  bodyText: string;
  headers: Headers;
  attempt?: number;
  recentlyCreated?: boolean;
  now?: Date;
}): ZydonError {
  const envelope = parseErrorEnvelope(input.bodyText);
  const traceId = input.headers.get("x-trace-id") ?? input.headers.get("trace-id") ?? null;
  const init: ZydonErrorInit = {
    status: input.status,
    method: input.method,
    path: input.path,
    envelope,
    traceId,
  };
  const s = input.status;
  if (s === 429) {
    return new ZydonRateLimitedError({
      ...init,
      retryAfterMs: parseRetryAfterMs(input.headers.get("retry-after"), input.attempt ?? 0, input.now),
    });
  }
  if (s === 404) return new ZydonNotFoundError({ ...init, retryableWindow: input.recentlyCreated ?? false });
  if (s === 401 || s === 403) return new ZydonAuthError(init);
  if (s >= 500) return new ZydonServerError(init);
  if (s === 400 || s === 409 || s === 422 || (s >= 400 && s < 500)) return new ZydonValidationError(init);
  return new ZydonUnexpectedResponseError(init, `unexpected status ${s}`);
}
