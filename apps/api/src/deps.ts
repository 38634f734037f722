import type { Env, Logger } from "@zb/config";
import { createDb, type DbHandle, type SecretBox } from "@zb/db";
import type { JobProducer } from "@zb/sync";
import { Redis } from "ioredis";
import type { StaticWebOptions } from "./http/static-web.js";
import type { OpsDeps } from "./ops/ops-routes.js";
import type {
  BlingGateway,
  BudgetUsagePort,
  ChoicesPort,
  TenantHooks,
  TokenPort,
  ZydonGateway,
} from "./ports.js";

export type ApiConfig = Pick<
  Env,
  | "NODE_ENV"
  | "PUBLIC_BASE_URL"
  | "SESSION_SECRET"
  | "SECRET_RETENTION_DAYS"
  | "REDIS_PREFIX"
  | "BLING_RATE_SHARE"
> &
  /** Where an expired launch link sends the merchant back to (the Zydon admin). */
  Partial<Pick<Env, "ZYDON_ADMIN_URL">>;

/** Everything the HTTP app needs from the outside world; tests build their own. */
export interface AppDeps {
  config: ApiConfig;
  db: DbHandle;
  /** Producer-side connection: fails fast when Redis is down instead of queueing commands forever. */
  redis: Redis;
  logger: Logger;
  secretBox: SecretBox;
  producer: JobProducer;
  bling: BlingGateway;
  zydon: ZydonGateway;
  tokens: TokenPort;
  /** Live pick lists for the settings form (deposits, statuses, price tables, warehouses). */
  choices: ChoicesPort;
  hooks: TenantHooks;
  /** Absent until the sync engine's budget is wired: health then shows no request count. */
  budget?: BudgetUsagePort | undefined;
  /** The settings page build served at /app and the federation base; absent → no page (tests). */
  web?: StaticWebOptions | undefined;
  /** Rate limits per minute for public routes; tests lower them. */
  rateLimits?: Partial<RateLimits> | undefined;
  /** Bling code exchanges per tenant; tests lower or raise them. */
  connectLimits?: Partial<ConnectLimits> | undefined;
  /** Operator routes (`/metrics`, `/ops/queues`, `/ops/tenants`); absent when OPS_TOKEN is unset. */
  ops?: OpsDeps | undefined;
  now?: () => Date;
}

export interface RateLimits {
  /** Install, OAuth starts and callbacks, session exchange (per IP per minute). */
  public: number;
  /** Webhooks and App Center notifications: generous, Bling bursts after an outage. */
  webhooks: number;
  /** `POST /api/session` per organization per minute, whatever the client address (issue 21 #5). */
  sessionPerOrganization: number;
}

/**
 * "Conectar ao Bling" attempts (code exchanges) per tenant: each one spends a call of the deployment-wide
 * `/oauth/token` cap, so one organization gets a handful per window, not the whole cap.
 */
export interface ConnectLimits {
  perTenant: number;
  windowMs: number;
}

export const defaultConnectLimits: ConnectLimits = { perTenant: 3, windowMs: 10 * 60_000 };

export const defaultRateLimits: RateLimits = { public: 60, webhooks: 3_000, sessionPerOrganization: 30 };

export function createRedisProducer(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
}

export function createDbHandle(cfg: Pick<Env, "DATABASE_URL" | "DATABASE_POOL_MAX">): DbHandle {
  return createDb({ url: cfg.DATABASE_URL, max: cfg.DATABASE_POOL_MAX, appName: "zydon-bling-api" });
}
