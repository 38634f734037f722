import { and, eq, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { blingConnections, tenants, zydonCredentials } from "../schema/index.js";
import type { SecretBox, SecretContext } from "../secrets/secret-box.js";

/**
 * Every sealed column, by its SQL table and column name: the place each value is bound to (with the row's
 * tenant id) in the secret box's associated data. Rotation walks this list too.
 */
export const SEALED_COLUMNS = {
  zydonAccessKeyCode: { table: "zydon_credentials", column: "access_key_code_enc" },
  zydonAccessKeyToken: { table: "zydon_credentials", column: "access_key_token_enc" },
  blingAccessToken: { table: "bling_connections", column: "access_token_enc" },
  blingRefreshToken: { table: "bling_connections", column: "refresh_token_enc" },
} as const;

export function sealedAt(column: keyof typeof SEALED_COLUMNS, tenantId: string): SecretContext {
  return { ...SEALED_COLUMNS[column], rowId: tenantId };
}

export interface ZydonAccessKey {
  accessKeyCode: string;
  accessKeyToken: string;
}

export interface BlingTokens {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
  refreshExpiresAt: Date;
  scope?: string | undefined;
}

export type BlingConnectionRow = typeof blingConnections.$inferSelect;

export interface BlingConnection {
  tenantId: string;
  blingCompanyId: string | null;
  companyName: string | null;
  status: BlingConnectionRow["status"];
  tokens: BlingTokens | null;
  tokenVersion: number;
  refreshFailures: number;
  lastRefreshAt: Date | null;
  lastRefreshError: string | null;
}

export class CompanyAlreadyBoundError extends Error {
  constructor(readonly blingCompanyId: string) {
    super(`Bling company ${blingCompanyId} is already bound to another tenant`);
    this.name = "CompanyAlreadyBoundError";
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint_name?: string; cause?: unknown };
  if (e?.code === "23505" && (e.constraint_name === constraint || !e.constraint_name)) return true;
  return e?.cause !== undefined && isUniqueViolation(e.cause, constraint);
}

/** Encrypts on the way in, decrypts on the way out: plaintext secrets never touch the database. */
export class CredentialsRepository {
  constructor(
    private readonly db: DbOrTx,
    private readonly box: SecretBox,
  ) {}

  async saveZydonAccessKey(tenantId: string, key: ZydonAccessKey): Promise<void> {
    const values = {
      accessKeyCodeEnc: this.box.encrypt(key.accessKeyCode, sealedAt("zydonAccessKeyCode", tenantId)),
      accessKeyTokenEnc: this.box.encrypt(key.accessKeyToken, sealedAt("zydonAccessKeyToken", tenantId)),
      purgeAfter: null,
      updatedAt: new Date(),
    };
    await this.db
      .insert(zydonCredentials)
      .values({ tenantId, ...values })
      .onConflictDoUpdate({ target: zydonCredentials.tenantId, set: values });
  }

  async getZydonAccessKey(tenantId: string): Promise<ZydonAccessKey | undefined> {
    const [row] = await this.db
      .select()
      .from(zydonCredentials)
      .where(eq(zydonCredentials.tenantId, tenantId));
    if (!row?.accessKeyCodeEnc || !row.accessKeyTokenEnc) return undefined;
    return {
      accessKeyCode: this.box.decrypt(row.accessKeyCodeEnc, sealedAt("zydonAccessKeyCode", tenantId)),
      accessKeyToken: this.box.decrypt(row.accessKeyTokenEnc, sealedAt("zydonAccessKeyToken", tenantId)),
    };
  }

  /**
   * Store the tokens of a fresh Bling authorization and bind the company. A company bound to another
   * tenant is refused (unique index), so one Bling account can never feed two Zydon organizations.
   */
  async connectBling(
    tenantId: string,
    input: { blingCompanyId: string; companyName: string | null; tokens: BlingTokens },
  ): Promise<void> {
    const values = {
      blingCompanyId: input.blingCompanyId,
      companyName: input.companyName,
      status: "connected" as const,
      ...this.sealTokens(tenantId, input.tokens),
      refreshFailures: 0,
      // Tokens were just issued: counts as a refresh for the keep-alive schedule.
      lastRefreshAt: new Date(),
      lastRefreshError: null,
      purgeAfter: null,
      updatedAt: new Date(),
    };
    try {
      await this.db
        .insert(blingConnections)
        .values({ tenantId, ...values, tokenVersion: 1 })
        .onConflictDoUpdate({
          target: blingConnections.tenantId,
          set: { ...values, tokenVersion: 1 },
        });
    } catch (err) {
      if (isUniqueViolation(err, "bling_connections_company_uq"))
        throw new CompanyAlreadyBoundError(input.blingCompanyId);
      throw err;
    }
  }

  async getBlingConnection(tenantId: string): Promise<BlingConnection | undefined> {
    const [row] = await this.db
      .select()
      .from(blingConnections)
      .where(eq(blingConnections.tenantId, tenantId));
    return row ? this.open(row) : undefined;
  }

  async findTenantIdByBlingCompany(blingCompanyId: string): Promise<string | undefined> {
    const [row] = await this.db
      .select({ tenantId: blingConnections.tenantId })
      .from(blingConnections)
      .where(eq(blingConnections.blingCompanyId, blingCompanyId));
    return row?.tenantId;
  }

  /**
   * Commit rotated tokens only if the row is still at `expectedVersion` (compare-and-set): a refresh that
   * lost a race never overwrites the winner's refresh token. Returns whether the write happened.
   */
  async saveRefreshedTokens(
    tenantId: string,
    expectedVersion: number,
    tokens: BlingTokens,
  ): Promise<boolean> {
    const rows = await this.db
      .update(blingConnections)
      .set({
        ...this.sealTokens(tenantId, tokens),
        status: "connected",
        tokenVersion: expectedVersion + 1,
        refreshFailures: 0,
        lastRefreshAt: new Date(),
        lastRefreshError: null,
        updatedAt: new Date(),
      })
      .where(and(eq(blingConnections.tenantId, tenantId), eq(blingConnections.tokenVersion, expectedVersion)))
      .returning({ tenantId: blingConnections.tenantId });
    return rows.length === 1;
  }

  async recordRefreshFailure(tenantId: string, error: string, opts: { needsReauth: boolean }): Promise<void> {
    const [row] = await this.db
      .select()
      .from(blingConnections)
      .where(eq(blingConnections.tenantId, tenantId));
    if (!row) return;
    await this.db
      .update(blingConnections)
      .set({
        refreshFailures: row.refreshFailures + 1,
        lastRefreshError: error.slice(0, 500),
        ...(opts.needsReauth ? { status: "needs_reauth" as const } : {}),
        updatedAt: new Date(),
      })
      .where(eq(blingConnections.tenantId, tenantId));
  }

  /** Forget the Bling tokens (Desconectar). The company binding is released too. */
  async disconnectBling(tenantId: string): Promise<void> {
    await this.db
      .update(blingConnections)
      .set({
        status: "disconnected",
        accessTokenEnc: null,
        refreshTokenEnc: null,
        accessExpiresAt: null,
        refreshExpiresAt: null,
        blingCompanyId: null,
        tokenVersion: 0,
        updatedAt: new Date(),
      })
      .where(eq(blingConnections.tenantId, tenantId));
  }

  /** Uninstall: keep secrets sealed until `purgeAfter`, then the purge job erases them. */
  async schedulePurge(tenantId: string, purgeAfter: Date): Promise<void> {
    await this.db
      .update(zydonCredentials)
      .set({ purgeAfter, updatedAt: new Date() })
      .where(eq(zydonCredentials.tenantId, tenantId));
    await this.db
      .update(blingConnections)
      .set({ purgeAfter, updatedAt: new Date() })
      .where(eq(blingConnections.tenantId, tenantId));
  }

  async cancelPurge(tenantId: string): Promise<void> {
    await this.db
      .update(zydonCredentials)
      .set({ purgeAfter: null })
      .where(eq(zydonCredentials.tenantId, tenantId));
    await this.db
      .update(blingConnections)
      .set({ purgeAfter: null })
      .where(eq(blingConnections.tenantId, tenantId));
  }

  /**
   * Erase secrets whose retention window has passed. Returns the tenants purged.
   *
   * `revokeAtBling` (issue 21 #6) is called first with each due tenant's Bling tokens, so they stop working
   * at Bling too instead of merely being forgotten here; a failed revoke is the caller's to log and does
   * not keep the secrets (they are erased either way). The purged tenants' settings sessions are revoked.
   */
  async purgeExpired(
    now: Date = new Date(),
    opts: { revokeAtBling?: (tenantId: string, tokens: BlingTokens) => Promise<void> } = {},
  ): Promise<string[]> {
    if (opts.revokeAtBling) {
      const due = await this.db
        .select()
        .from(blingConnections)
        .where(
          and(
            isNotNull(blingConnections.purgeAfter),
            lt(blingConnections.purgeAfter, now),
            isNotNull(blingConnections.refreshTokenEnc),
          ),
        );
      for (const row of due) {
        let tokens: BlingTokens | null;
        try {
          tokens = this.open(row).tokens;
        } catch {
          // Unreadable where stored (tampered or an unconfigured key): nothing to send, erase it anyway.
          tokens = null;
        }
        if (!tokens) continue;
        try {
          await opts.revokeAtBling(row.tenantId, tokens);
        } catch {
          // The caller logs; the purge goes on (a token Bling no longer knows is the goal anyway).
        }
      }
    }
    const z = await this.db
      .update(zydonCredentials)
      .set({ accessKeyCodeEnc: null, accessKeyTokenEnc: null, purgeAfter: null, updatedAt: now })
      .where(and(isNotNull(zydonCredentials.purgeAfter), lt(zydonCredentials.purgeAfter, now)))
      .returning({ tenantId: zydonCredentials.tenantId });
    const b = await this.db
      .update(blingConnections)
      .set({
        accessTokenEnc: null,
        refreshTokenEnc: null,
        status: "disconnected",
        // The uninstalled tenant lets go of its Bling company: the company's own merchant (or anyone the
        // account belongs to) can connect it to their organization without a "company taken" refusal.
        blingCompanyId: null,
        purgeAfter: null,
        updatedAt: now,
      })
      .where(and(isNotNull(blingConnections.purgeAfter), lt(blingConnections.purgeAfter, now)))
      .returning({ tenantId: blingConnections.tenantId });
    const purged = [...new Set([...z, ...b].map((r) => r.tenantId))];
    if (purged.length > 0) {
      await this.db
        .update(tenants)
        .set({ sessionGeneration: sql`${tenants.sessionGeneration} + 1`, updatedAt: now })
        .where(inArray(tenants.id, purged));
    }
    return purged;
  }

  private sealTokens(tenantId: string, t: BlingTokens) {
    return {
      accessTokenEnc: this.box.encrypt(t.accessToken, sealedAt("blingAccessToken", tenantId)),
      refreshTokenEnc: this.box.encrypt(t.refreshToken, sealedAt("blingRefreshToken", tenantId)),
      accessExpiresAt: t.accessExpiresAt,
      refreshExpiresAt: t.refreshExpiresAt,
      scope: t.scope ?? null,
    };
  }

  private open(row: BlingConnectionRow): BlingConnection {
    const tokens =
      row.accessTokenEnc && row.refreshTokenEnc && row.accessExpiresAt && row.refreshExpiresAt
        ? {
            accessToken: this.box.decrypt(row.accessTokenEnc, sealedAt("blingAccessToken", row.tenantId)),
            refreshToken: this.box.decrypt(row.refreshTokenEnc, sealedAt("blingRefreshToken", row.tenantId)),
            accessExpiresAt: row.accessExpiresAt,
            refreshExpiresAt: row.refreshExpiresAt,
            scope: row.scope ?? undefined,
          }
        : null;
    return {
      tenantId: row.tenantId,
      blingCompanyId: row.blingCompanyId,
      companyName: row.companyName,
      status: row.status,
      tokens,
      tokenVersion: row.tokenVersion,
      refreshFailures: row.refreshFailures,
      lastRefreshAt: row.lastRefreshAt,
      lastRefreshError: row.lastRefreshError,
    };
  }
}
