import { z } from "zod";
import { BLING_MAX_RESPONSE_BYTES, readBlingText } from "./body-cap.js";
import {
  BlingError,
  BlingNetworkError,
  BlingRequestError,
  BlingUnexpectedResponseError,
  mapBlingOAuthError,
} from "./errors.js";
import type { BlingBudgetHook, BlingLogger, FetchLike } from "./http.js";

/** Bling documents refresh tokens as valid for 30 days; its token response does not say so. */
export const DEFAULT_REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** `expires_in` in Bling's documented example (6 h), used only if a response omits it. */
export const DEFAULT_ACCESS_TOKEN_TTL_SEC = 21_600;

export interface BlingOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** `https://api.bling.com.br/Api/v3/oauth/token` (keep the `/Api/v3` prefix). */
  tokenUrl: string;
  /** `https://www.bling.com.br/Api/v3/oauth/authorize`. */
  authorizeUrl: string;
  /** `https://api.bling.com.br/Api/v3/oauth/revoke`. */
  revokeUrl: string;
  /** Sends `enable-jwt: 1` on code exchange and refresh to receive JWT access tokens. */
  enableJwt?: boolean;
  now?: () => Date;
  fetch?: FetchLike;
  timeoutMs?: number;
  /** Called before each token/revoke call (path is the URL's pathname, e.g. `/Api/v3/oauth/token`). */
  budget?: BlingBudgetHook;
  logger?: BlingLogger;
  /** Cap on a response body (default BLING_MAX_RESPONSE_BYTES, 16 MiB). */
  maxResponseBytes?: number;
}

export interface BlingTokenSet {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
  refreshExpiresAt: Date;
  /** Space-separated numeric scope ids. */
  scope: string;
}

const ttlSeconds = z
  .union([z.number(), z.string().trim().regex(/^\d+$/)])
  .transform(Number)
  .pipe(z.number().int().positive());

/** Bling's token response (both grants): `{access_token, expires_in, token_type, scope, refresh_token}`. */
export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: ttlSeconds.optional(),
  token_type: z.string().optional(),
  scope: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (Array.isArray(v) ? v.join(" ") : (v ?? ""))),
  /** Not sent by Bling today; honoured if it ever is. */
  refresh_token_expires_in: ttlSeconds.optional(),
});
export type BlingTokenResponse = z.output<typeof tokenResponseSchema>;

/** Converts a token response into absolute expiry dates. */
export function toTokenSet(res: BlingTokenResponse, now: Date): BlingTokenSet {
  const t = now.getTime();
  return {
    accessToken: res.access_token,
    refreshToken: res.refresh_token,
    accessExpiresAt: new Date(t + (res.expires_in ?? DEFAULT_ACCESS_TOKEN_TTL_SEC) * 1000),
    refreshExpiresAt: new Date(
      t +
        (res.refresh_token_expires_in !== undefined
          ? res.refresh_token_expires_in * 1000
          : DEFAULT_REFRESH_TOKEN_TTL_MS),
    ),
    scope: res.scope,
  };
}

/**
 * Bling OAuth 2.0 (authorization_code + rotating refresh_token). Client credentials go only in the
 * `Authorization: Basic` header — Bling rejects them in the body. Callers must persist the rotated refresh
 * token before using the new access token (the old one is dead once used).
 */
export class BlingOAuth {
  private readonly now: () => Date;
  private readonly fetchImpl: FetchLike;

  constructor(private readonly opts: BlingOAuthOptions) {
    this.now = opts.now ?? (() => new Date());
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Consent URL: `response_type=code&client_id&state` (Bling ignores redirect_uri/scope and uses the app's). */
  authorizeUrl(state: string): string {
    if (!state) throw new BlingRequestError("OAuth state must not be empty");
    const url = new URL(this.opts.authorizeUrl);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", this.opts.clientId);
    url.searchParams.set("state", state);
    return url.toString();
  }

  /** Codes live 1 minute and are single-use (a reused code revokes the user's access). */
  async exchangeCode(code: string): Promise<BlingTokenSet> {
    if (!code) throw new BlingRequestError("Authorization code must not be empty");
    return this.tokenCall({ grant_type: "authorization_code", code });
  }

  /** Refresh rotates: the returned `refreshToken` replaces the old one, which Bling invalidates. */
  async refresh(refreshToken: string): Promise<BlingTokenSet> {
    if (!refreshToken) throw new BlingRequestError("Refresh token must not be empty");
    return this.tokenCall({ grant_type: "refresh_token", refresh_token: refreshToken });
  }

  /** Revokes an access or refresh token (optionally a wider logout/uninstall for the user or company). */
  async revoke(
    token: string,
    hint: "access_token" | "refresh_token",
    extra: { revokeAction?: "logout" | "uninstall"; revokeTarget?: "user" | "company" } = {},
  ): Promise<void> {
    const form: Record<string, string> = { token, token_type_hint: hint };
    if (extra.revokeAction) form.revoke_action = extra.revokeAction;
    if (extra.revokeTarget) form.revoke_target = extra.revokeTarget;
    await this.post(this.opts.revokeUrl, form, false);
  }

  private async tokenCall(form: Record<string, string>): Promise<BlingTokenSet> {
    const json = await this.post(this.opts.tokenUrl, form, true);
    const parsed = tokenResponseSchema.safeParse(json);
    if (!parsed.success) {
      // Issue paths only: the body holds tokens and must never reach a message or log.
      throw new BlingUnexpectedResponseError(
        parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.code}`),
        { method: "POST", path: new URL(this.opts.tokenUrl).pathname },
      );
    }
    return toTokenSet(parsed.data, this.now());
  }

  private async post(urlString: string, form: Record<string, string>, jwt: boolean): Promise<unknown> {
    const path = new URL(urlString).pathname;
    await this.opts.budget?.({ method: "POST", path });
    const basic = Buffer.from(`${this.opts.clientId}:${this.opts.clientSecret}`, "utf8").toString("base64");
    const headers: Record<string, string> = {
      Authorization: `Basic ${basic}`,
      "Content-Type": "application/x-www-form-urlencoded",
      Accept: "application/json",
    };
    if (jwt && this.opts.enableJwt) headers["enable-jwt"] = "1";
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.opts.timeoutMs ?? 15_000);
    const started = performance.now();
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await this.fetchImpl(urlString, {
        method: "POST",
        headers,
        body: new URLSearchParams(form).toString(),
        signal: controller.signal,
      });
      status = res.status;
      retryAfter = res.headers.get("retry-after");
      text = await readBlingText(res, this.opts.maxResponseBytes ?? BLING_MAX_RESPONSE_BYTES, {
        method: "POST",
        path,
      });
    } catch (err) {
      if (err instanceof BlingError) throw err;
      this.opts.logger?.warn(
        { method: "POST", path, status: null, timedOut },
        "bling oauth call failed (network)",
      );
      throw new BlingNetworkError(timedOut, true, { method: "POST", path }, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    const durationMs = Math.round(performance.now() - started);
    const log = { method: "POST", path, status, durationMs };
    let json: unknown;
    try {
      json = text.trim() ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (status < 200 || status >= 300) {
      this.opts.logger?.warn(log, "bling oauth call failed");
      throw mapBlingOAuthError({ status, body: json, method: "POST", path, retryAfterHeader: retryAfter });
    }
    this.opts.logger?.info(log, "bling oauth call");
    return json;
  }
}

/**
 * Revoke both tokens of one grant at Bling (`POST /oauth/revoke`, reference §2.4), each with its
 * `token_type_hint`; both are attempted even when one fails. Returns the errors (empty: both revoked).
 * Used by "Desconectar Bling", a cancelled or refused connect, and the purge of an uninstalled tenant.
 */
export async function revokeTokenPair(
  revoker: { revoke(token: string, hint: "access_token" | "refresh_token"): Promise<void> },
  tokens: { accessToken: string; refreshToken: string },
): Promise<unknown[]> {
  const results = await Promise.allSettled([
    revoker.revoke(tokens.refreshToken, "refresh_token"),
    revoker.revoke(tokens.accessToken, "access_token"),
  ]);
  return results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
}
