import { z } from "zod";
import {
  AUTHORIZE_PATH,
  adminSessionRequestHeaders,
  DELIVERY_HEADER,
  EVENT_HEADER,
  type HeaderBag,
  headerValue,
  isAdminSessionProfile,
  type NotificationEvent,
  normalizeAdminSessionResponse,
  normalizeTokenExchangeResponse,
  ORDER_UPDATE_WEBHOOK_EVENT,
  ORDER_WEBHOOK_EVENT,
  parseNotificationBody,
  parseOrderUpdateWebhookBody,
  parseOrderWebhookBody,
  tokenExchangeRequest,
  verifyWebhookAuth,
} from "./adapter.js";
import { type ZydonAccessKey, ZydonClient } from "./client.js";
import { resolveZydonContract, type ZydonContract, type ZydonContractOverrides } from "./contract.js";
import { ZydonAuthError, ZydonError, ZydonUnexpectedResponseError } from "./errors.js";
import { type FetchLike, HttpCore, type ZydonLogger } from "./http.js";
import { OutboundFetcher, type OutboundOptions } from "./outbound.js";
import { type CallAttemptCap, clientFetch, type ZydonBudgetHook, type ZydonRetryOptions } from "./retry.js";

export interface ZydonAppOptions {
  /** App Studio `client_id` (zydon-api.md §2.1). */
  pluginId: string;
  /** App Studio `access_key`: the plugin secret. Never logged. */
  accessKey: string;
  apiBaseUrl: string;
  adminUrl: string;
  timeoutMs?: number;
  uploadTimeoutMs?: number;
  fetch?: FetchLike;
  /** The retry layer of every request this app and its clients send (see ZydonClientOptions.retry). */
  retry?: ZydonRetryOptions | boolean;
  logger?: ZydonLogger;
  now?: () => Date;
  /** The deployment's corrections of unconfirmed Zydon paths/bodies (`@zb/config` validates them). */
  contract?: ZydonContractOverrides;
  /**
   * The webhook secret our `webhooks.yml` declares (current first, then the previous one during a rotation).
   * Empty: only the HMAC guess can authenticate a webhook.
   */
  webhookSecrets?: readonly string[];
  /** The guarded fetcher of tenant-supplied URLs every client of this app uses (outbound.ts). */
  outbound?: OutboundOptions;
}

export type CallbackResult =
  | { ok: true; code: string; state: string | null }
  | { ok: false; error: "invalid_client" | "server_error" | (string & {}); state: string | null };

export interface ExchangedCredentials {
  accessKeyCode: string;
  accessKeyToken: string;
  organizationId: string;
  /** Where the organization id came from: the exchange body or the access-key login JWT (fallback). */
  organizationIdSource: "exchange" | "access_key_login";
}

export type AdminSessionResult =
  | { ok: true; organizationId: string; organizationName: string | null; userId: string | null }
  | { ok: false; reason: "invalid_token" | "organization_mismatch" | "not_admin" | "unavailable" };

export type NotificationResult =
  | { ok: true; event: NotificationEvent; organizationId: string; deliveryId: string | null }
  | { ok: false; reason: string };

export type OrderWebhookResult =
  | {
      ok: true;
      orderId: string;
      organizationId: string;
      amountValue: number | null;
      deliveryId: string | null;
    }
  | { ok: false; reason: string };

export type OrderUpdateWebhookResult =
  | {
      ok: true;
      orderId: string;
      organizationId: string;
      statusId: string | null;
      event: string | null;
      updatedAt: string | null;
      deliveryId: string | null;
    }
  | { ok: false; reason: string };

function first(v: unknown): string | null {
  if (Array.isArray(v)) return first(v[0]);
  return typeof v === "string" ? v : null;
}

/** Deployment-level Zydon: App Studio OAuth, verification of what Zydon sends us, per-org clients. */
export class ZydonApp {
  private readonly now: () => Date;
  private readonly http: HttpCore;
  readonly contract: ZydonContract;
  private readonly outbound: OutboundFetcher;

  constructor(private readonly opts: ZydonAppOptions) {
    this.now = opts.now ?? (() => new Date());
    this.outbound = new OutboundFetcher(opts.outbound);
    this.contract = resolveZydonContract(opts.contract);
    this.http = new HttpCore({
      baseUrl: opts.apiBaseUrl,
      timeoutMs: opts.timeoutMs ?? 30_000,
      fetch: clientFetch(opts.fetch, opts.retry),
      ...(opts.logger ? { logger: opts.logger } : {}),
      now: this.now,
    });
  }

  /** zydon-api.md §2.2 step 1 (documented). */
  authorizeUrl(input: { redirectUri: string; state: string }): string {
    const u = new URL(`${this.opts.adminUrl.replace(/\/$/, "")}${AUTHORIZE_PATH}`);
    u.searchParams.set("client_id", this.opts.pluginId);
    u.searchParams.set("redirect_uri", input.redirectUri);
    u.searchParams.set("state", input.state);
    return u.toString();
  }

  /** zydon-api.md §2.2 step 4: `?code=&state=` or `?error=&state=` (documented). */
  parseCallback(query: Record<string, unknown> | URLSearchParams): CallbackResult {
    const get = (k: string) => (query instanceof URLSearchParams ? query.get(k) : first(query[k]));
    const state = get("state");
    const error = get("error");
    if (error) return { ok: false, error, state };
    const code = get("code");
    if (!code) return { ok: false, error: "missing_code", state };
    return { ok: true, code, state };
  }

  /**
   * zydon-api.md §2.2 step 5. The organization id comes from the exchange body when Zydon names it (guess),
   * else from the JWT of `access-key/login` with the new pair (§2.2 "Organization id", [M-cred]).
   */
  async exchangeCode(code: string, redirectUri: string): Promise<ExchangedCredentials> {
    const req = tokenExchangeRequest({
      pluginId: this.opts.pluginId,
      accessKey: this.opts.accessKey,
      code,
      redirectUri,
      grantType: this.contract.tokenExchangeGrantType,
    });
    const body = await this.http.json(z.unknown(), {
      method: "POST",
      path: this.contract.tokenExchangePath,
      headers: req.headers,
      form: req.body,
    });
    const creds = normalizeTokenExchangeResponse(body);
    if (!creds) {
      throw new ZydonUnexpectedResponseError(
        { status: 200, method: "POST", path: this.contract.tokenExchangePath },
        "token exchange answer has no access_key_code/access_key_token",
      );
    }
    if (creds.organizationId) {
      return { ...creds, organizationId: creds.organizationId, organizationIdSource: "exchange" };
    }
    const login = await this.client({ code: creds.accessKeyCode, token: creds.accessKeyToken }).portalLogin();
    if (!login.organizationId) {
      throw new ZydonUnexpectedResponseError(
        { status: 200, method: "POST", path: "/api/account/access-key/login" },
        "access-key login JWT carries no organization claim",
      );
    }
    return { ...creds, organizationId: login.organizationId, organizationIdSource: "access_key_login" };
  }

  /**
   * Checks the session the App Center hands the settings page: Zydon must recognise the user's token, it must
   * belong to the claimed organization and carry an admin profile (endpoint, shape and claim are adapter guesses).
   */
  async verifyAdminSession(input: {
    organizationId: string;
    accessToken: string;
  }): Promise<AdminSessionResult> {
    if (!input.accessToken || !input.organizationId) return { ok: false, reason: "invalid_token" };
    let body: unknown;
    try {
      body = await this.http.json(z.unknown(), {
        method: "GET",
        path: this.contract.adminSessionVerifyPath,
        headers: adminSessionRequestHeaders(input.accessToken),
      });
    } catch (err) {
      if (err instanceof ZydonAuthError) return { ok: false, reason: "invalid_token" };
      if (err instanceof ZydonError) return { ok: false, reason: "unavailable" };
      throw err;
    }
    const who = normalizeAdminSessionResponse(body);
    if (!who) return { ok: false, reason: "invalid_token" };
    if (who.organizationId !== input.organizationId) return { ok: false, reason: "organization_mismatch" };
    // A portal buyer (PARTNER) of the same organization must not administer the app (issue 21 #7).
    if (!isAdminSessionProfile(who.profile)) return { ok: false, reason: "not_admin" };
    return {
      ok: true,
      organizationId: who.organizationId,
      organizationName: who.organizationName,
      userId: who.userId,
    };
  }

  /** Which check a request from Zydon must pass (contract `webhookAuth`; zydon-api.md §2.4). */
  private authenticate(
    input: { rawBody: string; headers: HeaderBag; now?: Date | undefined },
    mode: ZydonContract["webhookAuth"] = this.contract.webhookAuth,
  ) {
    return verifyWebhookAuth({
      mode,
      header: this.contract.webhookSecretHeader,
      secrets: this.opts.webhookSecrets ?? [],
      accessKey: this.opts.accessKey,
      rawBody: input.rawBody,
      headers: input.headers,
      now: input.now ?? this.now(),
    });
  }

  /** Install/uninstall POST from the App Center (zydon-api.md §2.3; its authentication is a guess). */
  verifyNotification(input: { rawBody: string; headers: HeaderBag; now?: Date }): NotificationResult {
    // configuration.yml declares no headers for installation/uninstallation_endpoint (zydon-api.md §2.4), so
    // header mode cannot apply to them: they pass by the HMAC guess, or by our header if Zydon sends it there.
    const sig = this.authenticate(input, this.contract.webhookAuth === "hmac" ? "hmac" : "header_or_hmac");
    if (!sig.ok) return sig;
    const event = headerValue(input.headers, EVENT_HEADER);
    if (event !== "install" && event !== "uninstall") return { ok: false, reason: "unknown event" };
    const body = parseNotificationBody(input.rawBody);
    if (!body) return { ok: false, reason: "body has no organization_id" };
    return {
      ok: true,
      event,
      organizationId: body.organizationId,
      deliveryId: headerValue(input.headers, DELIVERY_HEADER) ?? null,
    };
  }

  /** "Envio de Pedido" (zydon-api.md §9; body beyond amount_value and signing are adapter guesses). */
  verifyOrderWebhook(input: { rawBody: string; headers: HeaderBag; now?: Date }): OrderWebhookResult {
    const sig = this.authenticate(input);
    if (!sig.ok) return sig;
    const event = headerValue(input.headers, EVENT_HEADER);
    if (event !== undefined && event !== ORDER_WEBHOOK_EVENT) return { ok: false, reason: "unknown event" };
    const body = parseOrderWebhookBody(input.rawBody);
    if (!body) return { ok: false, reason: "body has no order_id/organization_id" };
    return { ok: true, ...body, deliveryId: headerValue(input.headers, DELIVERY_HEADER) ?? null };
  }

  /**
   * The order-update webhook (zydon-api.md §9 [ZS-233]; event, body and signing are adapter guesses): the same
   * authentication as the order webhook, the order and organization ids required.
   */
  verifyOrderUpdateWebhook(input: {
    rawBody: string;
    headers: HeaderBag;
    now?: Date;
  }): OrderUpdateWebhookResult {
    const sig = this.authenticate(input);
    if (!sig.ok) return sig;
    const event = headerValue(input.headers, EVENT_HEADER);
    if (event !== undefined && event !== ORDER_UPDATE_WEBHOOK_EVENT)
      return { ok: false, reason: "unknown event" };
    const body = parseOrderUpdateWebhookBody(input.rawBody);
    if (!body) return { ok: false, reason: "body has no order_id/organization_id" };
    return { ok: true, ...body, deliveryId: headerValue(input.headers, DELIVERY_HEADER) ?? null };
  }

  /**
   * A client for one organization; `extra` carries the caller's per-job settings: the tenant's Zydon budget
   * (awaited before each HTTP request), the worker's cross-layer retry cap, the download timeout of
   * tenant-supplied files.
   */
  client(
    accessKey: ZydonAccessKey,
    extra: { budget?: ZydonBudgetHook; attemptCap?: CallAttemptCap; downloadTimeoutMs?: number } = {},
  ): ZydonClient {
    return new ZydonClient({
      ...extra,
      baseUrl: this.opts.apiBaseUrl,
      accessKey,
      contract: this.contract,
      ...(this.opts.timeoutMs !== undefined ? { timeoutMs: this.opts.timeoutMs } : {}),
      ...(this.opts.uploadTimeoutMs !== undefined ? { uploadTimeoutMs: this.opts.uploadTimeoutMs } : {}),
      ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}),
      ...(this.opts.retry !== undefined ? { retry: this.opts.retry } : {}),
      ...(this.opts.logger ? { logger: this.opts.logger } : {}),
      now: this.now,
      outbound: this.outbound,
    });
  }
}
