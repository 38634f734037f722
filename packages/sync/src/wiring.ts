import {
  type BlingBudgetHook,
  type BlingCallAttemptCap,
  BlingClient,
  type BlingLogger,
  BlingOAuth,
} from "@zb/bling";
import type { Env, Logger } from "@zb/config";
import { CredentialsRepository, type Database, type SecretBox, TenantsRepository } from "@zb/db";
import { type FetchLike, ZydonApp, type ZydonContractOverrides, type ZydonLogger } from "@zb/zydon";
import type { Redis } from "ioredis";
import { BlingBudget } from "./budget/bling-budget.js";
import { tokenCallGate } from "./budget/budget-hook.js";
import { ZydonBudget } from "./budget/zydon-budget.js";
import { type BlingRefreshPort, BlingTokenManager, type TokenCallGate } from "./tokens/token-manager.js";

/**
 * The one place that builds the vendor objects from config: the per-Bling-account budget and the token-call
 * gate, Bling OAuth and clients, the token manager and the Zydon app. The API, the worker and the API's test
 * harness call these and keep only what is theirs (gateway/choices/producer, per-tenant contexts, doubles).
 */

export type BudgetWiringConfig = Pick<Env, "REDIS_PREFIX" | "BLING_RATE_SHARE" | "BLING_DAILY_LIMIT"> &
  Partial<Pick<Env, "BLING_DAILY_BULK_FRACTION">>;
export type BlingWiringConfig = Pick<
  Env,
  | "BLING_CLIENT_ID"
  | "BLING_CLIENT_SECRET"
  | "BLING_API_BASE_URL"
  | "BLING_ENABLE_JWT"
  | "BLING_REQUEST_TIMEOUT_MS"
>;
export type ZydonWiringConfig = Pick<
  Env,
  | "ZYDON_PLUGIN_ID"
  | "ZYDON_ACCESS_KEY"
  | "ZYDON_API_BASE_URL"
  | "ZYDON_ADMIN_URL"
  | "ZYDON_REQUEST_TIMEOUT_MS"
> &
  Partial<Pick<Env, "ZYDON_UPLOAD_TIMEOUT_MS" | "OUTBOUND_ALLOW_HOSTS">>;

/** The shared process handles the wiring needs. */
export interface WiringHandles {
  db: Database;
  redis: Redis;
  secretBox: SecretBox;
  logger: Logger;
}

/** One budget per Bling account (Redis), and the deployment-wide `/oauth/token` gate spending from it. */
export function wireBudget(
  config: BudgetWiringConfig,
  redis: Redis,
  opts: {
    /** Overrides BLING_RATE_SHARE (compressed-time tests and benchmarks). */
    rateShare?: number;
  } = {},
): { budget: BlingBudget; tokenGate: TokenCallGate; exchangeGate: TokenCallGate } {
  const budget = new BlingBudget({
    redis,
    keyPrefix: config.REDIS_PREFIX,
    share: opts.rateShare ?? config.BLING_RATE_SHARE,
    dailyLimit: config.BLING_DAILY_LIMIT,
    ...(config.BLING_DAILY_BULK_FRACTION !== undefined
      ? { bulkDailyFraction: config.BLING_DAILY_BULK_FRACTION }
      : {}),
  });
  return {
    budget,
    // Refreshes (token manager) and code exchanges (the API's "Conectar ao Bling") spend separate lanes of
    // the deployment-wide cap; a merchant waiting on the callback gives up after a few seconds, not 60.
    tokenGate: tokenCallGate(budget, { lane: "refresh" }),
    exchangeGate: tokenCallGate(budget, { lane: "exchange", maxWaitMs: 5_000 }),
  };
}

/**
 * The per-tenant budget of Zydon calls (ZYDON_RATE_PER_TENANT, Redis), honoring the tenant pause flags the
 * Bling budget under the same prefix sets. Give each tenant's Zydon client `zydonBudgetHook(budget, tenantId)`.
 */
export function wireZydonBudget(
  config: Pick<Env, "REDIS_PREFIX" | "ZYDON_RATE_PER_TENANT">,
  redis: Redis,
  opts: { restartHoldMs?: number } = {},
): ZydonBudget {
  return new ZydonBudget({
    redis,
    keyPrefix: config.REDIS_PREFIX,
    ratePerSecond: config.ZYDON_RATE_PER_TENANT,
    ...(opts.restartHoldMs !== undefined ? { restartHoldMs: opts.restartHoldMs } : {}),
  });
}

/** BLING_API_BASE_URL without trailing slashes: token, revoke and REST paths live under it. */
export function blingApiBase(config: Pick<Env, "BLING_API_BASE_URL">): string {
  return config.BLING_API_BASE_URL.replace(/\/+$/, "");
}

export function wireBlingOAuth(
  config: BlingWiringConfig,
  opts: {
    /** The API's BLING_AUTHORIZE_URL; workers only refresh, so theirs defaults to `<base>/oauth/authorize`. */
    authorizeUrl?: string;
    /** Called before each token/revoke call (the API paces code exchanges with the token gate). */
    budget?: BlingBudgetHook;
    now?: () => Date;
  } = {},
): BlingOAuth {
  const base = blingApiBase(config);
  return new BlingOAuth({
    clientId: config.BLING_CLIENT_ID,
    clientSecret: config.BLING_CLIENT_SECRET,
    tokenUrl: `${base}/oauth/token`,
    revokeUrl: `${base}/oauth/revoke`,
    authorizeUrl: opts.authorizeUrl ?? `${base}/oauth/authorize`,
    timeoutMs: config.BLING_REQUEST_TIMEOUT_MS,
    enableJwt: config.BLING_ENABLE_JWT,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.budget ? { budget: opts.budget } : {}),
  });
}

/**
 * A Bling REST client for one access-token source. `retry: true` turns on the client's retry layer
 * (packages/bling/src/retry.ts: at most 6 HTTP requests per call); off, each request is sent once.
 */
export function wireBlingClient(
  config: Pick<Env, "BLING_API_BASE_URL" | "BLING_ENABLE_JWT" | "BLING_REQUEST_TIMEOUT_MS">,
  opts: {
    getAccessToken: () => Promise<string>;
    onUnauthorized?: () => Promise<string>;
    budget?: BlingBudgetHook;
    retry?: boolean;
    /** The worker's cross-layer cap of one logical call's failed requests (per job). */
    attemptCap?: BlingCallAttemptCap;
    /** Sees method, path template, status and duration of every request (the worker counts them). */
    logger?: BlingLogger;
  },
): BlingClient {
  return new BlingClient({
    baseUrl: blingApiBase(config),
    timeoutMs: config.BLING_REQUEST_TIMEOUT_MS,
    enableJwt: config.BLING_ENABLE_JWT,
    getAccessToken: opts.getAccessToken,
    ...(opts.onUnauthorized ? { onUnauthorized: opts.onUnauthorized } : {}),
    ...(opts.budget ? { budget: opts.budget } : {}),
    ...(opts.retry ? { retry: true } : {}),
    ...(opts.attemptCap ? { attemptCap: opts.attemptCap } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
}

/** Token manager over the shared pool and Redis; returns the repositories it uses for the caller's reuse. */
export function wireTokenManager(
  handles: WiringHandles,
  config: Pick<Env, "REDIS_PREFIX">,
  opts: { oauth: BlingRefreshPort; tokenGate?: TokenCallGate },
): { tokens: BlingTokenManager; credentials: CredentialsRepository; tenants: TenantsRepository } {
  const credentials = new CredentialsRepository(handles.db, handles.secretBox);
  const tenants = new TenantsRepository(handles.db);
  const tokens = new BlingTokenManager({
    credentials,
    tenants,
    redis: handles.redis,
    oauth: opts.oauth,
    ...(opts.tokenGate ? { tokenGate: opts.tokenGate } : {}),
    keyPrefix: config.REDIS_PREFIX,
    log: handles.logger,
  });
  return { tokens, credentials, tenants };
}

/**
 * The deployment's Zydon app (OAuth, verification, per-organization clients). `retry: true` turns on the
 * client's retry layer (packages/zydon/src/retry.ts: at most 5 HTTP requests per call).
 */
export function wireZydonApp(
  config: ZydonWiringConfig,
  opts: {
    retry?: boolean;
    logger?: ZydonLogger;
    fetch?: FetchLike;
    /** The deployment's corrections of Zydon guesses (`zydonContractOverrides(config)` of @zb/config). */
    contract?: ZydonContractOverrides;
    /** Current and previous secret of the webhook header Zydon sends (API only). */
    webhookSecrets?: readonly string[];
  } = {},
): ZydonApp {
  return new ZydonApp({
    pluginId: config.ZYDON_PLUGIN_ID,
    accessKey: config.ZYDON_ACCESS_KEY,
    apiBaseUrl: config.ZYDON_API_BASE_URL,
    adminUrl: config.ZYDON_ADMIN_URL,
    timeoutMs: config.ZYDON_REQUEST_TIMEOUT_MS,
    ...(config.ZYDON_UPLOAD_TIMEOUT_MS !== undefined
      ? { uploadTimeoutMs: config.ZYDON_UPLOAD_TIMEOUT_MS }
      : {}),
    ...(opts.retry ? { retry: true } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.contract ? { contract: opts.contract } : {}),
    ...(opts.webhookSecrets ? { webhookSecrets: opts.webhookSecrets } : {}),
    // Tenant-supplied URLs (images, NF-e files) reach only public addresses, but for these hosts.
    outbound: { allowHosts: config.OUTBOUND_ALLOW_HOSTS ?? [] },
  });
}
