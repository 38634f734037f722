import { z } from "zod";

const base64Key = z
  .string()
  .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, "base64").length === 32, {
    message: "must be 32 bytes encoded as base64 (generate: openssl rand -base64 32)",
  });

const keyId = z.string().regex(/^[a-z0-9-]{1,32}$/, "must be 1-32 chars of a-z, 0-9 or -");

const url = z.url({ protocol: /^https?$/ });

const boolFromString = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

/**
 * Every environment variable the product reads, in one place. Apps pick the subset they need with
 * `loadConfig(pick)`; the rest stays optional so a worker does not need the web's settings.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default("zb"),
  /**
   * API and worker refuse to start against a Redis whose `maxmemory-policy` is not `noeviction` (an evicting
   * Redis silently drops queued jobs, locks and budget state). "true" starts anyway with a warning: for tests
   * of the guard and throwaway setups only.
   */
  REDIS_ALLOW_EVICTION: boolFromString.default(false),

  API_HOST: z.string().default("0.0.0.0"),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /**
   * Which proxies' X-Forwarded-For the API believes (the client IP feeds every per-IP rate limit): unset or
   * "false" = none (the socket's address); else the load balancers' addresses/CIDRs, comma-separated
   * ("10.0.0.0/8,192.168.1.5"; also proxy-addr's "loopback", "linklocal", "uniquelocal"). Never "true"
   * (any client could then pick its own IP), and no hop count (Fastify 5 ignores one: it cannot tell the
   * immediate peer is a proxy).
   */
  API_TRUST_PROXY: z
    .string()
    .optional()
    .transform((v, ctx): false | string[] => {
      const raw = (v ?? "").trim();
      if (raw === "" || raw === "false") return false;
      const list = raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const cidr = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)(\/\d{1,3})?$/;
      const names = new Set(["loopback", "linklocal", "uniquelocal"]);
      const bad = list.filter((s) => !cidr.test(s) && !names.has(s));
      if (bad.length || list.length === 0) {
        ctx.addIssue({
          code: "custom",
          message: `must be "false" or comma-separated proxy IPs/CIDRs (bad: ${bad.join(", ") || raw})`,
        });
        return z.NEVER;
      }
      return list;
    }),
  PUBLIC_BASE_URL: url,

  SECRETS_KEY: base64Key,
  SECRETS_KEY_ID: keyId.default("k1"),
  SECRETS_PREVIOUS_KEY: base64Key.optional(),
  SECRETS_PREVIOUS_KEY_ID: keyId.optional(),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters"),
  SECRET_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Processed webhook inbox rows are deleted after this many days (daily `prune-retention`). */
  RETENTION_INBOX_DAYS: z.coerce.number().int().min(1).max(365).default(14),
  /** History rows (except open failures and skips) and finished sync runs are deleted after this many days. */
  RETENTION_LEDGER_DAYS: z.coerce.number().int().min(7).max(3650).default(90),

  /**
   * Mass-change breaker (packages/sync stock-guard.ts): one hour of passes may zero stock, or move prices by
   * more than SYNC_PRICE_GUARD_CHANGE, for at most this share of the sellable catalog before it is held.
   */
  SYNC_MASS_CHANGE_SHARE: z.coerce.number().min(0.01).max(1).default(0.2),
  /** A price move counts for the breaker above this relative change (0.5 = up or down by more than 50%). */
  SYNC_PRICE_GUARD_CHANGE: z.coerce.number().min(0.05).max(10).default(0.5),

  BLING_CLIENT_ID: z.string().min(1),
  BLING_CLIENT_SECRET: z.string().min(1),
  BLING_API_BASE_URL: url.default("https://api.bling.com.br/Api/v3"),
  BLING_AUTHORIZE_URL: url.default("https://www.bling.com.br/Api/v3/oauth/authorize"),
  BLING_ENABLE_JWT: boolFromString.default(false),
  BLING_RATE_SHARE: z.coerce.number().min(0.1).max(3).default(2),
  BLING_DAILY_LIMIT: z.coerce.number().int().min(1).default(120_000),
  /**
   * Fraction of BLING_DAILY_LIMIT at which catalog, customers and stock/price reconciliation stop for the day;
   * orders and order statuses may spend the rest, up to the whole limit (issue 16 #4).
   */
  BLING_DAILY_BULK_FRACTION: z.coerce.number().gt(0).max(1).default(0.8),
  BLING_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),

  ZYDON_PLUGIN_ID: z.string().min(1),
  ZYDON_ACCESS_KEY: z.string().min(1),
  ZYDON_API_BASE_URL: url.default("https://api.zydon.com.br"),
  ZYDON_ADMIN_URL: url.default("https://admin.zydon.com.br"),
  ZYDON_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  ZYDON_UPLOAD_TIMEOUT_MS: z.coerce.number().int().min(1000).default(180_000),
  /**
   * Zydon requests per second per tenant, shared by every worker process (Redis). Zydon's own limits are
   * UNKNOWN (../shared/reference/zydon-api.md §4 "Rate limit"); this keeps one tenant from flooding it.
   */
  ZYDON_RATE_PER_TENANT: z.coerce.number().min(0.1).max(1000).default(20),
  /**
   * Corrections of unconfirmed Zydon paths/bodies (../shared/reference/zydon-api.md §2.4), without a code
   * change: a JSON file of contract entries (see zydon-contract.ts), and the two most likely to change as
   * their own variables (they win over the file).
   */
  ZYDON_CONTRACT_FILE: z.string().min(1).optional(),
  ZYDON_TOKEN_EXCHANGE_PATH: z
    .string()
    .regex(/^\/[^\s?#]*$/, "must be a path starting with /")
    .optional(),
  ZYDON_WEBHOOK_AUTH: z.enum(["header", "hmac", "header_or_hmac"]).optional(),
  /** The secret our webhooks.yml declares in its header; the previous one stays valid during a rotation. */
  ZYDON_WEBHOOK_SECRET: z.string().min(24, "must be at least 24 characters").optional(),
  ZYDON_WEBHOOK_PREVIOUS_SECRET: z.string().min(24, "must be at least 24 characters").optional(),

  /** `pnpm probe --live`: one real tenant's credentials (never stored; read-only unless --write). */
  PROBE_ZYDON_KEY_CODE: z.string().min(1).optional(),
  PROBE_ZYDON_KEY_TOKEN: z.string().min(1).optional(),
  PROBE_BLING_ACCESS_TOKEN: z.string().min(1).optional(),

  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(20),
  /**
   * Running jobs of one tenant per queue, across every worker process (issue 21 #4): one tenant's flood of
   * jobs waits delayed instead of taking every slot.
   */
  WORKER_TENANT_SLOTS: z.coerce.number().int().min(1).max(500).default(4),
  /** Longest download of one tenant-supplied file (image or NF-e link) before that link is given up. */
  WORKER_DOWNLOAD_TIMEOUT_MS: z.coerce.number().int().min(1000).default(20_000),

  /**
   * Operator access to the API's ops routes (`/ops/queues` Bull Board, `/ops/tenants`) and `/metrics`:
   * `Authorization: Bearer <token>` or basic auth with the token as password. Unset = those routes are off (404).
   */
  OPS_TOKEN: z.string().min(24, "must be at least 24 characters").optional(),
  /** The worker's Prometheus listener (`/metrics`); unset = no listener (0: any free port, tests). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  WORKER_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /** Bling accounts named in the daily-usage gauge (the busiest N; all of them are in the aggregate). */
  METRICS_TOP_ACCOUNTS: z.coerce.number().int().min(0).max(100).default(10),

  /**
   * Where the worker sends merchant alert e-mails (issue 18 #1): `smtp://user:pass@host:587` or
   * `smtps://…:465`. Unset = e-mail alerts are recorded as not deliverable ("envio de e-mail não configurado");
   * webhook alerts still go out. `pnpm dev` points it at the sandbox's mail catcher.
   */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, "must be an smtp:// or smtps:// URL")
    .optional(),
  /** The From of alert e-mails. */
  ALERT_FROM: z.string().min(3).default("Zydon ↔ Bling <alertas@localhost>"),
  /** Longest wait for one alert delivery (SMTP or webhook) before it counts as failed and is retried. */
  ALERT_TIMEOUT_MS: z.coerce.number().int().min(1000).default(15_000),

  /**
   * Host names or IP literals that URLs from tenant data (image and NF-e links) may reach although they
   * resolve to a loopback/private address: the simulators and the demo image server in development and
   * tests (`127.0.0.1,localhost`). Comma-separated. Leave unset in production: only public addresses pass.
   */
  OUTBOUND_ALLOW_HOSTS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[a-z0-9.:[\]-]+$/, "must be host names or IP addresses"))),
});

export type Env = z.infer<typeof envSchema>;
export type EnvKey = keyof Env;
