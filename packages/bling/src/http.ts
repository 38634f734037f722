import { createHash } from "node:crypto";
import type { z } from "zod";
import { BLING_MAX_RESPONSE_BYTES, readBlingText } from "./body-cap.js";
import {
  BlingError,
  BlingNetworkError,
  BlingRequestError,
  BlingRetryCapError,
  BlingUnexpectedResponseError,
  mapBlingApiError,
} from "./errors.js";
import {
  type BlingRetryOptions,
  type CallAttemptCap,
  type RetryPolicy,
  retryPolicy,
  retryWaitMs,
} from "./retry.js";

export interface BlingBudgetRequest {
  method: string;
  /** Path template (`/produtos/{idProduto}`), so limiters and logs never see ids or query values. */
  path: string;
  priority?: string;
}

/** Called before EVERY request (retries included): the sync engine plugs its per-account limiter here. */
export type BlingBudgetHook = (req: BlingBudgetRequest) => Promise<void>;

/** Pino-compatible subset. The client logs method, path template, status and duration only. */
export interface BlingLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface BlingClientOptions {
  /** e.g. `https://api.bling.com.br/Api/v3` (no trailing slash needed). */
  baseUrl: string;
  getAccessToken: () => Promise<string>;
  /** Force-refresh the token; the client calls it once on a 401 and retries the request once. */
  onUnauthorized?: () => Promise<string>;
  budget?: BlingBudgetHook;
  timeoutMs: number;
  /** Sends `enable-jwt: 1` (Bling's JWT migration asks for it on every call). */
  enableJwt?: boolean;
  logger?: BlingLogger;
  /** Defaults to the global fetch (so msw can intercept). */
  fetch?: FetchLike;
  /** Clock for date-window checks and "day" rate-limit waits. */
  now?: () => Date;
  /**
   * Repeat one request after a short-lived failure (retry.ts; `true` = the default policy, at most
   * `BLING_MAX_REQUESTS_PER_CALL` requests per call). Off by default: each request is sent once (plus the
   * re-send after a 401's forced refresh).
   */
  retry?: BlingRetryOptions | boolean;
  /** Cross-layer cap of one logical call's failed requests (retry.ts; the worker's, per job). */
  attemptCap?: CallAttemptCap;
  /** Cap on a response body (default BLING_MAX_RESPONSE_BYTES, 16 MiB): past it, BlingResponseTooLargeError. */
  maxResponseBytes?: number;
}

/** Any URL longer than this is refused before sending (a conservative proxy/server limit). */
export const MAX_URL_LENGTH = 4_096;

export type QueryValue = string | number | boolean | readonly (string | number)[] | null | undefined;

export interface RequestOptions {
  /** Passed to the budget hook (e.g. a lane name). */
  priority?: string;
}

export interface BlingRequest<T> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Template with `{name}` placeholders, filled from `params`. */
  path: string;
  params?: Record<string, string | number>;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Response schema; omit for endpoints that answer 204 / whose body we ignore. */
  schema?: z.ZodType<T>;
  priority?: string | undefined;
}

export class BlingHttp {
  private readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;
  private readonly retry: RetryPolicy;
  readonly now: () => Date;

  constructor(private readonly opts: BlingClientOptions) {
    this.retry = retryPolicy(opts.retry);
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
    this.now = opts.now ?? (() => new Date());
  }

  /** The URL a request would use (exposed for URL-length checks and tests). */
  buildUrl(
    path: string,
    params?: Record<string, string | number>,
    query?: Record<string, QueryValue>,
  ): string {
    const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const v = params?.[name];
      if (v === undefined || v === "")
        throw new BlingRequestError(`Missing path parameter ${name} for ${path}`);
      return encodeURIComponent(String(v));
    });
    const qs = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) {
        for (const item of value) qs.append(key, String(item));
      } else {
        qs.append(key, String(value));
      }
    }
    const q = qs.toString();
    const url = `${this.baseUrl}${filled}${q ? `?${q}` : ""}`;
    if (url.length > MAX_URL_LENGTH) {
      throw new BlingRequestError(
        `Bling URL for ${path} would be ${url.length} characters (max ${MAX_URL_LENGTH})`,
      );
    }
    return url;
  }

  /** One logical request: sent, and repeated by the retry layer (retry.ts) after a short-lived failure. */
  async request<T>(req: BlingRequest<T>): Promise<T> {
    const url = this.buildUrl(req.path, req.params, req.query);
    const refresh = { allowed: true };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(req, url, refresh);
      } catch (err) {
        const wait = retryWaitMs(err, req.method, attempt, this.retry);
        if (wait === undefined) throw err;
        await this.retry.sleep(wait);
      }
    }
  }

  private async attempt<T>(req: BlingRequest<T>, url: string, refresh: { allowed: boolean }): Promise<T> {
    let token = await this.opts.getAccessToken();
    let res = await this.send(req, url, token);
    if (res.status === 401 && this.opts.onUnauthorized && refresh.allowed) {
      // At most once per logical request, whatever the retry layer repeats.
      refresh.allowed = false;
      // One forced refresh, then one retry: a second 401 means the token really is unusable.
      token = await this.opts.onUnauthorized();
      res = await this.send(req, url, token);
    }
    if (res.status < 200 || res.status >= 300) {
      throw mapBlingApiError({
        status: res.status,
        body: res.json ?? res.text,
        method: req.method,
        path: req.path,
        retryAfterHeader: res.retryAfter,
        now: this.now().getTime(),
      });
    }
    if (!req.schema) return undefined as T;
    if (res.json === undefined && res.text.trim() !== "") {
      throw new BlingUnexpectedResponseError(["body is not JSON"], {
        status: res.status,
        method: req.method,
        path: req.path,
      });
    }
    const parsed = req.schema.safeParse(res.json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
      throw new BlingUnexpectedResponseError(issues, {
        status: res.status,
        method: req.method,
        path: req.path,
      });
    }
    return parsed.data;
  }

  private async send(
    req: BlingRequest<unknown>,
    url: string,
    token: string,
  ): Promise<{ status: number; json: unknown; text: string; retryAfter: string | null }> {
    const cap = this.opts.attemptCap;
    if (!cap) return this.sendOnce(req, url, token);
    const key = callKeyOf(req.method, url, req.body);
    const verdict = await cap.allow(key);
    if (!verdict.ok)
      throw new BlingRetryCapError(verdict.failures, verdict.reason, { method: req.method, path: req.path });
    const res = await this.sendOnce(req, url, token).catch(async (err: unknown) => {
      // A response too large or a refused URL was answered; only a request without an answer is a failure.
      if (err instanceof BlingNetworkError) await cap.failed(key, null);
      throw err;
    });
    if (res.status >= 400) await cap.failed(key, res.status);
    else if (verdict.failures > 0) await cap.succeeded(key);
    return res;
  }

  private async sendOnce(
    req: BlingRequest<unknown>,
    url: string,
    token: string,
  ): Promise<{ status: number; json: unknown; text: string; retryAfter: string | null }> {
    await this.opts.budget?.({
      method: req.method,
      path: req.path,
      ...(req.priority !== undefined ? { priority: req.priority } : {}),
    });
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      Accept: "application/json",
    };
    if (req.body !== undefined) headers["Content-Type"] = "application/json";
    if (this.opts.enableJwt) headers["enable-jwt"] = "1";

    const started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.opts.timeoutMs);
    try {
      const response = await this.fetchImpl(url, {
        method: req.method,
        headers,
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        signal: controller.signal,
      });
      const text = await readBlingText(response, this.opts.maxResponseBytes ?? BLING_MAX_RESPONSE_BYTES, {
        method: req.method,
        path: req.path,
      });
      const durationMs = Math.round(performance.now() - started);
      const log = { method: req.method, path: req.path, status: response.status, durationMs };
      if (response.ok) this.opts.logger?.info(log, "bling request");
      else this.opts.logger?.warn(log, "bling request failed");
      return {
        status: response.status,
        json: tryJson(text),
        text,
        retryAfter: response.headers.get("retry-after"),
      };
    } catch (err) {
      if (err instanceof BlingError) throw err;
      const durationMs = Math.round(performance.now() - started);
      this.opts.logger?.warn(
        { method: req.method, path: req.path, status: null, durationMs, timedOut },
        "bling request failed (network)",
      );
      throw new BlingNetworkError(
        timedOut,
        req.method !== "GET" && !isConnectionRefused(err),
        { method: req.method, path: req.path },
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The logical call of a request for the retry cap: method, path + query (no origin), a digest of the body. */
function callKeyOf(method: string, url: string, body: unknown): string {
  let where = url;
  try {
    const u = new URL(url);
    where = `${u.pathname}${u.search}`;
  } catch {
    // keep the URL as it is
  }
  const digest =
    body === undefined ? "" : createHash("sha1").update(JSON.stringify(body)).digest("hex").slice(0, 16);
  return `${method} ${where}${digest ? ` #${digest}` : ""}`;
}

function tryJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isConnectionRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } } | null)?.cause;
  return cause?.code === "ECONNREFUSED" || cause?.code === "ENOTFOUND";
}
