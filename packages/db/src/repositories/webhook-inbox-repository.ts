import { and, desc, eq, gte, inArray, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "../client.js";
import { type OAuthProvider, webhookInbox } from "../schema/index.js";

export type InboxRow = typeof webhookInbox.$inferSelect;

export class WebhookInboxRepository {
  constructor(private readonly db: Database) {}

  /**
   * Insert unless the provider already sent this event id for this tenant. Returns the new row id, or
   * undefined for a duplicate.
   */
  async insertOnce(input: {
    provider: OAuthProvider;
    eventId: string;
    tenantId: string;
    eventType: string;
    payload: Record<string, unknown>;
    occurredAt?: Date | null;
  }): Promise<number | undefined> {
    const [row] = await this.db
      .insert(webhookInbox)
      .values({ ...input, occurredAt: input.occurredAt ?? null })
      .onConflictDoNothing({ target: [webhookInbox.provider, webhookInbox.tenantId, webhookInbox.eventId] })
      .returning({ id: webhookInbox.id });
    return row?.id;
  }

  /** One tenant's row of a provider event (id and whether it was processed), e.g. to re-enqueue a redelivery. */
  async findByEvent(
    provider: OAuthProvider,
    tenantId: string,
    eventId: string,
  ): Promise<{ id: number; processedAt: Date | null } | undefined> {
    const [row] = await this.db
      .select({ id: webhookInbox.id, processedAt: webhookInbox.processedAt })
      .from(webhookInbox)
      .where(
        and(
          eq(webhookInbox.provider, provider),
          eq(webhookInbox.tenantId, tenantId),
          eq(webhookInbox.eventId, eventId),
        ),
      );
    return row;
  }

  /** How many events of one provider a tenant received in [since, until) (the page's "N alterações aguardando"). */
  async countReceived(tenantId: string, provider: OAuthProvider, since: Date, until?: Date): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(webhookInbox)
      .where(
        and(
          eq(webhookInbox.tenantId, tenantId),
          eq(webhookInbox.provider, provider),
          gte(webhookInbox.receivedAt, since),
          until ? lt(webhookInbox.receivedAt, until) : undefined,
        ),
      );
    return row?.n ?? 0;
  }

  async get(id: number): Promise<InboxRow | undefined> {
    const [row] = await this.db.select().from(webhookInbox).where(eq(webhookInbox.id, id));
    return row;
  }

  async markProcessed(id: number, error: string | null = null): Promise<void> {
    await this.db.update(webhookInbox).set({ processedAt: new Date(), error }).where(eq(webhookInbox.id, id));
  }

  /** Retention: deletes up to `limit` rows processed before `olderThan` (never an unprocessed one). */
  async pruneProcessed(olderThan: Date, limit = 1000): Promise<number> {
    const batch = this.db
      .select({ id: webhookInbox.id })
      .from(webhookInbox)
      .where(lt(webhookInbox.processedAt, olderThan))
      .limit(limit);
    const rows = await this.db
      .delete(webhookInbox)
      .where(inArray(webhookInbox.id, batch))
      .returning({ id: webhookInbox.id });
    return rows.length;
  }

  async listUnprocessed(limit = 100): Promise<InboxRow[]> {
    return this.db.select().from(webhookInbox).where(isNull(webhookInbox.processedAt)).limit(limit);
  }

  async latestForTenant(tenantId: string, provider: OAuthProvider): Promise<InboxRow | undefined> {
    const [row] = await this.db
      .select()
      .from(webhookInbox)
      .where(and(eq(webhookInbox.tenantId, tenantId), eq(webhookInbox.provider, provider)))
      .orderBy(desc(webhookInbox.receivedAt))
      .limit(1);
    return row;
  }
}
