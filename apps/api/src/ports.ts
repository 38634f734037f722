import type { BlingTokens } from "@zb/db";
import type { ZydonApp } from "@zb/zydon";

/**
 * What the API needs from Bling. Satisfied by `createBlingGateway` (src/adapters/bling-gateway.ts); tests
 * point it at a fake Bling over real HTTP. Nothing here ever returns or logs a secret by itself.
 */
export interface BlingGateway {
  /** Where the merchant logs in at Bling (authorization-code grant). */
  authorizeUrl(state: string): string;
  exchangeCode(code: string): Promise<BlingTokens>;
  /** Used by the token manager (single-flight refresh). */
  refresh(refreshToken: string): Promise<BlingTokens>;
  revoke(token: string, hint: "access_token" | "refresh_token"): Promise<void>;
  /** `GET /empresas/me/dados-basicos` with a fresh access token: the company that authorized us. */
  companyInfo(accessToken: string): Promise<{ id: string; name: string | null }>;
  /** `X-Bling-Signature-256` = sha256=<hex HMAC-SHA256(raw body, client secret)>, constant-time. */
  verifyWebhookSignature(rawBody: Buffer, header: string | undefined): boolean;
}

/** The part of `ZydonApp` (@zb/zydon) the API uses: OAuth, notifications, webhooks, admin sessions. */
export type ZydonGateway = Pick<
  ZydonApp,
  | "authorizeUrl"
  | "parseCallback"
  | "exchangeCode"
  | "verifyAdminSession"
  | "verifyNotification"
  | "verifyOrderWebhook"
  | "verifyOrderUpdateWebhook"
>;

/** Access tokens for Bling calls (BlingTokenManager from @zb/sync satisfies it). */
export interface TokenPort {
  getAccessToken(tenantId: string): Promise<string>;
  forceRefresh(tenantId: string, usedToken?: string): Promise<string>;
}

/** "Requests today vs budget" for the health view (the sync engine's BlingBudget plugs in here). */
export interface BudgetUsagePort {
  usage(account: { tenantId: string; blingCompanyId: string | null }): Promise<{
    today: number;
    dailyLimit: number;
    lastSecond?: number;
    /** Requests per second this account may use (the ETA on the page divides by it). */
    share?: number;
  }>;
}

/** Side effects owned by the sync engine (per-tenant job schedulers). */
export interface TenantHooks {
  /** Uninstall / pause: stop the tenant's recurring jobs. */
  onTenantPaused(tenantId: string): Promise<void>;
  /** Reinstall or reconnect after the initial sync finished: recurring jobs back on. */
  onTenantResumed(tenantId: string): Promise<void>;
  /**
   * The tenant's pause flag at the request budget, read at every Bling and Zydon grant in every worker
   * (issue 17 #3): set on uninstall and merchant pause, cleared when the tenant is active again.
   */
  setBudgetPause?(tenantId: string, paused: boolean): Promise<void>;
}

export interface Choice {
  id: string;
  name: string;
}

/** Choices for the settings form's selects, read live from the tenant's Bling and Zydon. */
export interface ChoicesPort {
  blingDeposits(account: {
    tenantId: string;
    blingCompanyId: string;
  }): Promise<Array<Choice & { isDefault: boolean; active: boolean }>>;
  /**
   * Whether a Bling store (multiloja) exists for this account. Bling v3 has no store list: a store with no
   * product linked to it (`/produtos/lojas?idLoja=`) is unknown or has no prices, unusable either way.
   */
  blingStoreExists(account: { tenantId: string; blingCompanyId: string; storeId: string }): Promise<boolean>;
  zydonChoices(accessKey: {
    code: string;
    token: string;
  }): Promise<{ statuses: Choice[]; priceTables: Choice[]; warehouses: Choice[] }>;
}
