import type { BlingConnection, BlingTokens, CredentialsRepository, TenantsRepository } from "@zb/db";
import type { Redis } from "ioredis";
import { actionOf } from "../engine/errors.js";
import { acquireLock } from "./redis-lock.js";

/** What the token manager needs from Bling's OAuth endpoint (BlingOAuth satisfies it). */
export interface BlingRefreshPort {
  refresh(refreshToken: string): Promise<BlingTokens>;
}

/** Paces `/oauth/token` calls for the whole deployment (Bling blocks an IP for 60 min at 20 calls/min). */
export interface TokenCallGate {
  acquire(): Promise<void>;
}

export class BlingNotConnectedError extends Error {
  readonly action = "reconnect" as const;
  constructor(readonly tenantId: string) {
    super("Bling is not connected for this tenant");
    this.name = "BlingNotConnectedError";
  }
}

/** Bling refused the refresh token: the merchant must reconnect ("Reconectar"). */
export class BlingReauthRequiredError extends Error {
  readonly action = "reconnect" as const;
  constructor(readonly tenantId: string) {
    super("Bling refused the refresh token; the merchant must reconnect");
    this.name = "BlingReauthRequiredError";
  }
}

export interface TokenManagerOptions {
  credentials: CredentialsRepository;
  tenants: TenantsRepository;
  redis: Redis;
  oauth: BlingRefreshPort;
  tokenGate?: TokenCallGate;
  keyPrefix: string;
  /** Refresh this long before the access token expires (default 15 min; Bling's tokens live 6 h). */
  refreshMarginMs?: number;
  /** Lock lease; a refresh must finish inside it (default 15 s). */
  lockTtlMs?: number;
  /** Decides "Bling refused this refresh token" from the error's type (never its message). */
  isInvalidGrant?: (err: unknown) => boolean;
  now?: () => number;
  onNeedsReauth?: (tenantId: string) => Promise<void> | void;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

const defaultIsInvalidGrant = (err: unknown): boolean => actionOf(err) === "reconnect";

/**
 * Access tokens for every Bling call, in any process. Refresh is single-flight per Bling connection:
 * in-process dedupe → Redis lease → re-read the row (someone may have refreshed while we waited) → refresh →
 * commit the rotated refresh token with compare-and-set BEFORE the new access token is handed out.
 */
export class BlingTokenManager {
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly margin: number;
  private readonly lockTtl: number;
  private readonly now: () => number;
  private readonly isInvalidGrant: (err: unknown) => boolean;

  constructor(private readonly o: TokenManagerOptions) {
    this.margin = o.refreshMarginMs ?? 15 * 60_000;
    this.lockTtl = o.lockTtlMs ?? 15_000;
    this.now = o.now ?? Date.now;
    this.isInvalidGrant = o.isInvalidGrant ?? defaultIsInvalidGrant;
  }

  /** A valid access token, refreshing first when it is close to expiry. */
  async getAccessToken(tenantId: string): Promise<string> {
    const conn = await this.connected(tenantId);
    const tokens = conn.tokens as BlingTokens;
    if (tokens.accessExpiresAt.getTime() - this.now() > this.margin) return tokens.accessToken;
    return this.refreshOnce(tenantId, conn.tokenVersion);
  }

  /**
   * Bling answered 401 with the token we had: refresh unless someone already did since `usedToken` was read.
   * Returns the token to retry with.
   */
  async forceRefresh(tenantId: string, usedToken?: string): Promise<string> {
    const conn = await this.connected(tenantId);
    if (usedToken && conn.tokens && conn.tokens.accessToken !== usedToken) return conn.tokens.accessToken;
    return this.refreshOnce(tenantId, conn.tokenVersion);
  }

  /** Keep-alive for idle tenants: refresh if the last refresh is older than `olderThanMs` (default 24 h). */
  async keepAlive(
    tenantId: string,
    olderThanMs = 24 * 3_600_000,
  ): Promise<"refreshed" | "fresh" | "not_connected"> {
    const conn = await this.o.credentials.getBlingConnection(tenantId);
    if (!conn?.tokens || conn.status !== "connected") return "not_connected";
    const last = conn.lastRefreshAt?.getTime() ?? 0;
    if (this.now() - last < olderThanMs) return "fresh";
    await this.refreshOnce(tenantId, conn.tokenVersion);
    return "refreshed";
  }

  private async connected(tenantId: string): Promise<BlingConnection> {
    const conn = await this.o.credentials.getBlingConnection(tenantId);
    if (!conn?.tokens) throw new BlingNotConnectedError(tenantId);
    if (conn.status === "needs_reauth") throw new BlingReauthRequiredError(tenantId);
    if (conn.status !== "connected") throw new BlingNotConnectedError(tenantId);
    return conn;
  }

  private refreshOnce(tenantId: string, staleVersion: number): Promise<string> {
    const existing = this.inFlight.get(tenantId);
    if (existing) return existing;
    const p = this.refreshLocked(tenantId, staleVersion).finally(() => this.inFlight.delete(tenantId));
    this.inFlight.set(tenantId, p);
    return p;
  }

  private async refreshLocked(tenantId: string, staleVersion: number): Promise<string> {
    const lock = await acquireLock(this.o.redis, `${this.o.keyPrefix}:lock:bling-refresh:${tenantId}`, {
      ttlMs: this.lockTtl,
      waitMs: Math.round(this.lockTtl * 1.2),
    });
    try {
      // Whoever held the lock may have rotated already: use their token instead of refreshing again.
      const current = await this.connected(tenantId);
      const tokens = current.tokens as BlingTokens;
      if (current.tokenVersion !== staleVersion && tokens.accessExpiresAt.getTime() - this.now() > 60_000) {
        return tokens.accessToken;
      }
      if (!lock) throw new Error("could not acquire the Bling refresh lock in time");
      await this.o.tokenGate?.acquire();
      let fresh: BlingTokens;
      try {
        fresh = await this.o.oauth.refresh(tokens.refreshToken);
      } catch (err) {
        if (this.isInvalidGrant(err)) {
          const after = await this.o.credentials.getBlingConnection(tenantId);
          if (after?.tokens && after.tokenVersion !== current.tokenVersion) return after.tokens.accessToken;
          await this.o.credentials.recordRefreshFailure(tenantId, "invalid_grant", { needsReauth: true });
          await this.o.tenants.transition(tenantId, "active", "needs_reauth");
          this.o.log?.warn({ tenantId }, "Bling refused the refresh token: tenant needs to reconnect");
          await this.o.onNeedsReauth?.(tenantId);
          throw new BlingReauthRequiredError(tenantId);
        }
        await this.o.credentials.recordRefreshFailure(tenantId, (err as Error).name || "refresh_failed", {
          needsReauth: false,
        });
        throw err;
      }
      const saved = await this.o.credentials.saveRefreshedTokens(tenantId, current.tokenVersion, fresh);
      if (!saved) {
        // Lost a race despite the lease (it expired mid-refresh): the stored token is the newest.
        const after = await this.connected(tenantId);
        return (after.tokens as BlingTokens).accessToken;
      }
      this.o.log?.info({ tenantId }, "Bling token refreshed");
      return fresh.accessToken;
    } finally {
      await lock?.release();
    }
  }
}
