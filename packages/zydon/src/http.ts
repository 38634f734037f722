import type { z } from "zod";
import { NOT_FOUND_RETRY_WINDOW_MS } from "./adapter.js";
import { readZydonText, ZYDON_MAX_RESPONSE_BYTES } from "./body-cap.js";
import {
  isWithinNotFoundRetryWindow,
  ZydonError,
  ZydonNetworkError,
  ZydonUnexpectedResponseError,
  zydonErrorFromResponse,
} from "./errors.js";
import { ZydonBudgetStop } from "./retry.js";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The subset of pino we use; any pino logger fits. Only method, path, status and timing are logged. */
export interface ZydonLogger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, QueryValue> | undefined;
  json?: unknown;
  form?: string;
  multipart?: FormData;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** 429 backoff step when Zydon sends no Retry-After (the caller's attempt counter). */
  attempt?: number;
}

export interface HttpCoreOptions {
  baseUrl: string;
  timeoutMs: number;
  authHeaders?: () => Record<string, string>;
  fetch?: FetchLike;
  logger?: ZydonLogger;
  now?: () => Date;
  /** Contract `notFoundRetryWindowMs` (zydon-api.md §2.4): how long a used id's 404 counts as transient. */
  notFoundRetryWindowMs?: number;
  /** Cap on a response body (default ZYDON_MAX_RESPONSE_BYTES, 16 MiB): past it, ZydonResponseTooLargeError. */
  maxResponseBytes?: number;
}

/**
 * One request path for every call: headers, timeout, error mapping, response validation. Short-lived
 * failures are repeated below it by the client's retry layer (retry.ts, at most `ZYDON_MAX_ATTEMPTS`
 * requests per call) when the client enables it; what remains goes to the caller (a job) through the
 * error's `action`.
 */
export class HttpCore {
  private readonly fetchImpl: FetchLike;
  private readonly now: () => Date;
  /**
   * Ids this client created recently, for the "404 on a fresh record" quirk (zydon-api.md §2.4: the one 404 on
   * record came minutes after use, so the window is minutes and configurable, not a fixed 60 s).
   */
  private readonly recentlyCreated = new Map<string, number>();
  /** The configured contract window (`ZydonContract.notFoundRetryWindowMs`), for callers that keep their own memory. */
  readonly notFoundRetryWindowMs: number;

  constructor(private readonly opts: HttpCoreOptions) {
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
    this.now = opts.now ?? (() => new Date());
    this.notFoundRetryWindowMs = opts.notFoundRetryWindowMs ?? NOT_FOUND_RETRY_WINDOW_MS;
  }

  rememberCreated(id: string): void {
    const t = this.now().getTime();
    this.recentlyCreated.set(id, t);
    // Bounded: drop entries past the window, and the oldest when large.
    if (this.recentlyCreated.size > 1000) {
      for (const [k, v] of this.recentlyCreated) {
        if (
          !isWithinNotFoundRetryWindow(v, this.notFoundRetryWindowMs, t) ||
          this.recentlyCreated.size > 1000
        )
          this.recentlyCreated.delete(k);
        else break;
      }
    }
  }

  private wasRecentlyCreated(path: string): boolean {
    const t = this.now().getTime();
    return path
      .split("/")
      .map((s) => decodeURIComponent(s))
      .some((seg) => {
        const at = this.recentlyCreated.get(seg);
        return at !== undefined && isWithinNotFoundRetryWindow(at, this.notFoundRetryWindowMs, t);
      });
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const u = new URL(`${this.opts.baseUrl.replace(/\/$/, "")}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  /** Sends the request; returns the raw text of a 2xx body (maybe empty). Throws a ZydonError otherwise. */
  async send(spec: RequestSpec): Promise<{ status: number; text: string; headers: Headers }> {
    const headers: Record<string, string> = {
      accept: "application/json",
      ...(this.opts.authHeaders?.() ?? {}),
      ...(spec.headers ?? {}),
    };
    let body: RequestInit["body"] | undefined;
    if (spec.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(spec.json);
    } else if (spec.form !== undefined) {
      headers["content-type"] ??= "application/x-www-form-urlencoded";
      body = spec.form;
    } else if (spec.multipart) {
      // zydon-api.md §3: drop Content-Type on uploads so fetch writes the multipart boundary.
      delete headers["content-type"];
      body = spec.multipart;
    }
    const timeoutMs = spec.timeoutMs ?? this.opts.timeoutMs;
    const started = Date.now();
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(spec.path, spec.query), {
        method: spec.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      // The budget said no (a paused tenant, no slot in time): its own error, nothing was sent.
      if (err instanceof ZydonBudgetStop) throw err.reason;
      // The cross-layer retry cap (retry.ts) refuses to send: its error goes up as it is.
      if (err instanceof ZydonError) throw err;
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      this.opts.logger?.warn({ method: spec.method, path: spec.path, timedOut }, "zydon request failed");
      throw new ZydonNetworkError({
        status: null,
        method: spec.method,
        path: spec.path,
        timedOut,
        cause: err,
      });
    }
    let text: string;
    try {
      text = await readZydonText(res, this.opts.maxResponseBytes ?? ZYDON_MAX_RESPONSE_BYTES, {
        method: spec.method,
        path: spec.path,
      });
    } catch (err) {
      if (err instanceof ZydonError) throw err;
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      throw new ZydonNetworkError({
        status: res.status,
        method: spec.method,
        path: spec.path,
        timedOut,
        cause: err,
      });
    }
    this.opts.logger?.debug(
      { method: spec.method, path: spec.path, status: res.status, ms: Date.now() - started },
      "zydon request",
    );
    if (!res.ok) {
      throw zydonErrorFromResponse({
        status: res.status,
        method: spec.method,
        path: spec.path,
        bodyText: text,
        headers: res.headers,
        attempt: spec.attempt ?? 0,
        recentlyCreated: res.status === 404 && this.wasRecentlyCreated(spec.path),
        now: this.now(),
      });
    }
    return { status: res.status, text, headers: res.headers };
  }

  async json<S extends z.ZodType>(schema: S, spec: RequestSpec): Promise<z.output<S>> {
    const { status, text } = await this.send(spec);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch (err) {
      throw new ZydonUnexpectedResponseError(
        { status, method: spec.method, path: spec.path, cause: err },
        "response is not JSON",
      );
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      throw new ZydonUnexpectedResponseError(
        { status, method: spec.method, path: spec.path, cause: result.error },
        `response does not match schema: ${result.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join(".")} ${i.message}`)
          .join("; ")}`,
      );
    }
    return result.data;
  }

  /** For writes whose answer we do not need (200 with a message, 202, 204). */
  async void(spec: RequestSpec): Promise<void> {
    await this.send(spec);
  }
}
