import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { type TenantState, tenants } from "../schema/index.js";

export type Tenant = typeof tenants.$inferSelect;

export class TenantsRepository {
  constructor(private readonly db: DbOrTx) {}

  async findById(id: string): Promise<Tenant | undefined> {
    const [row] = await this.db.select().from(tenants).where(eq(tenants.id, id));
    return row;
  }

  async findByOrganization(zydonOrganizationId: string): Promise<Tenant | undefined> {
    const [row] = await this.db
      .select()
      .from(tenants)
      .where(eq(tenants.zydonOrganizationId, zydonOrganizationId));
    return row;
  }

  /**
   * Install: create the tenant, or re-activate a paused one. Idempotent and race-safe (one row per
   * organization, enforced by the unique index; concurrent installs converge on the same row).
   * A re-activated tenant goes back to `active` if it had finished connecting Bling, else `awaiting_bling`.
   */
  async install(
    zydonOrganizationId: string,
    opts: { blingConnected: boolean } = { blingConnected: false },
  ): Promise<{ tenant: Tenant; created: boolean; reactivated: boolean }> {
    const inserted = await this.db
      .insert(tenants)
      .values({ zydonOrganizationId, state: "awaiting_bling" })
      .onConflictDoNothing({ target: tenants.zydonOrganizationId })
      .returning();
    if (inserted[0]) return { tenant: inserted[0], created: true, reactivated: false };
    const existing = await this.findByOrganization(zydonOrganizationId);
    if (!existing) throw new Error("tenant vanished during install");
    if (existing.state !== "paused") return { tenant: existing, created: false, reactivated: false };
    const nextState: TenantState = opts.blingConnected ? "active" : "awaiting_bling";
    const [updated] = await this.db
      .update(tenants)
      .set({ state: nextState, uninstalledAt: null, installedAt: new Date(), updatedAt: new Date() })
      .where(and(eq(tenants.id, existing.id), eq(tenants.state, "paused")))
      .returning();
    return {
      tenant: updated ?? ((await this.findById(existing.id)) as Tenant),
      created: false,
      reactivated: Boolean(updated),
    };
  }

  async setState(id: string, state: TenantState): Promise<void> {
    await this.db
      .update(tenants)
      .set({
        state,
        updatedAt: new Date(),
        ...(state === "paused" ? { uninstalledAt: sql`coalesce(${tenants.uninstalledAt}, now())` } : {}),
      })
      .where(eq(tenants.id, id));
  }

  /** Move from one state to another only if the tenant is still in `from`: returns whether it moved. */
  async transition(id: string, from: TenantState, to: TenantState): Promise<boolean> {
    const rows = await this.db
      .update(tenants)
      .set({ state: to, updatedAt: new Date() })
      .where(and(eq(tenants.id, id), eq(tenants.state, from)))
      .returning({ id: tenants.id });
    return rows.length === 1;
  }

  async updateSettings(id: string, settings: Record<string, unknown>): Promise<void> {
    await this.db.update(tenants).set({ settings, updatedAt: new Date() }).where(eq(tenants.id, id));
  }

  async setBlingPausedUntil(id: string, until: Date | null): Promise<void> {
    await this.db
      .update(tenants)
      .set({ blingPausedUntil: until, updatedAt: new Date() })
      .where(eq(tenants.id, id));
  }

  /** The FIRST sync's finish time: a later resync (same orchestrator) never overwrites it. */
  async markInitialSyncDone(id: string, at: Date = new Date()): Promise<void> {
    await this.db
      .update(tenants)
      .set({
        initialSyncDoneAt: sql`coalesce(${tenants.initialSyncDoneAt}, ${at.toISOString()}::timestamptz)`,
        updatedAt: new Date(),
      })
      .where(eq(tenants.id, id));
  }

  /** The organization's display name as Zydon last gave it (only written when it changed). */
  async setOrganizationName(id: string, name: string): Promise<void> {
    await this.db
      .update(tenants)
      .set({ zydonOrganizationName: name, updatedAt: new Date() })
      .where(and(eq(tenants.id, id), sql`${tenants.zydonOrganizationName} is distinct from ${name}`));
  }

  /**
   * Revoke every settings-page session and launch code of the tenant: each carries the generation it was
   * issued under and opens nothing once it moved on. Returns the new generation.
   */
  async revokeSessions(id: string): Promise<number> {
    const [row] = await this.db
      .update(tenants)
      .set({ sessionGeneration: sql`${tenants.sessionGeneration} + 1`, updatedAt: new Date() })
      .where(eq(tenants.id, id))
      .returning({ g: tenants.sessionGeneration });
    return row?.g ?? 0;
  }

  async listByState(state: TenantState): Promise<Tenant[]> {
    return this.db.select().from(tenants).where(eq(tenants.state, state));
  }
}
