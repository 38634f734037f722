import { randomBytes } from "node:crypto";
import { and, eq, gt, inArray, isNull, lt } from "drizzle-orm";
import type { Database } from "../client.js";
import { type OAuthProvider, oauthStates } from "../schema/index.js";

export interface ConsumedState {
  state: string;
  provider: OAuthProvider;
  tenantId: string | null;
  returnTo: string | null;
}

/** Single-use, short-lived OAuth `state`: created before the redirect, consumed atomically on callback. */
export class OAuthStatesRepository {
  constructor(private readonly db: Database) {}

  async create(input: {
    provider: OAuthProvider;
    tenantId?: string | null;
    returnTo?: string | null;
    ttlMs?: number;
  }): Promise<string> {
    const state = randomBytes(24).toString("base64url");
    await this.db.insert(oauthStates).values({
      state,
      provider: input.provider,
      tenantId: input.tenantId ?? null,
      returnTo: input.returnTo ?? null,
      expiresAt: new Date(Date.now() + (input.ttlMs ?? 10 * 60_000)),
    });
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
