import { randomBytes } from "node:crypto";
import { and, desc, eq, gt, inArray, isNull, lt, ne } from "drizzle-orm";
import type { Database } from "../client.js";
import { type OAuthProvider, oauthStates } from "../schema/index.js";

export interface ConsumedState {
  state: string;
  provider: OAuthProvider;
  tenantId: string | null;
  returnTo: string | null;
}

/** Expired states deleted by each `create` (the daily prune job takes whatever a quiet day leaves). */
export const PRUNE_ON_CREATE = 200;

/** Single-use, short-lived OAuth `state`: created before the redirect, consumed atomically on callback. */
export class OAuthStatesRepository {
  constructor(private readonly db: Database) {}

  /**
   * A new state. Bounded growth (issue 21 #5): each call first deletes up to `PRUNE_ON_CREATE` expired
   * states, and with an `issuer` (who asked: a keyed client-address hash, a tenant) only that issuer's
   * `maxLivePerIssuer` newest live states survive — a flood of install requests from one client leaves a
   * handful of rows, not one per request, while that client's newest link still works.
   */
  async create(input: {
    provider: OAuthProvider;
    tenantId?: string | null;
    returnTo?: string | null;
    ttlMs?: number;
    issuer?: string;
    maxLivePerIssuer?: number;
  }): Promise<string> {
    const now = new Date();
    await this.deleteExpired(now, PRUNE_ON_CREATE);
    const state = randomBytes(24).toString("base64url");
    await this.db.insert(oauthStates).values({
      state,
      provider: input.provider,
      tenantId: input.tenantId ?? null,
      returnTo: input.returnTo ?? null,
      issuer: input.issuer ?? null,
      expiresAt: new Date(now.getTime() + (input.ttlMs ?? 10 * 60_000)),
    });
    if (input.issuer && input.maxLivePerIssuer) {
      const beyondCap = this.db
        .select({ s: oauthStates.state })
        .from(oauthStates)
        .where(
          and(
            eq(oauthStates.issuer, input.issuer),
            eq(oauthStates.provider, input.provider),
            isNull(oauthStates.usedAt),
          ),
        )
        .orderBy(desc(oauthStates.createdAt), desc(oauthStates.state))
        .offset(input.maxLivePerIssuer);
      // Never the one just made (a creation-time tie could sort it past the cap: then cap + 1 stay).
      await this.db
        .delete(oauthStates)
        .where(and(inArray(oauthStates.state, beyondCap), ne(oauthStates.state, state)));
    }
    return state;
  }

  /**
   * Mark the state used and return it, or undefined when it is unknown, expired, already used or for another
   * provider. One UPDATE … WHERE used_at IS NULL, so two concurrent callbacks cannot both consume it.
   */
  async consume(state: string, provider: OAuthProvider): Promise<ConsumedState | undefined> {
    const [row] = await this.db
      .update(oauthStates)
      .set({ usedAt: new Date() })
      .where(
        and(
          eq(oauthStates.state, state),
          eq(oauthStates.provider, provider),
          isNull(oauthStates.usedAt),
          gt(oauthStates.expiresAt, new Date()),
        ),
      )
      .returning();
    return row
      ? { state: row.state, provider: row.provider, tenantId: row.tenantId, returnTo: row.returnTo }
      : undefined;
  }

  /** Retention: deletes up to `limit` expired states (used or not). Call again until it returns 0. */
  async deleteExpired(now: Date = new Date(), limit = 1000): Promise<number> {
    const batch = this.db
      .select({ s: oauthStates.state })
      .from(oauthStates)
      .where(lt(oauthStates.expiresAt, now))
      .limit(limit);
    const rows = await this.db
      .delete(oauthStates)
      .where(inArray(oauthStates.state, batch))
      .returning({ s: oauthStates.state });
    return rows.length;
  }
}
