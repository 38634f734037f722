import {
  and,
  desc,
  eq,
  gte,
  ilike,
  inArray,
  isNotNull,
  isNull,
  lt,
  ne,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { type LedgerOutcome, syncLedger } from "../schema/index.js";

export type LedgerRow = typeof syncLedger.$inferSelect;

export interface LedgerEntry {
  tenantId: string;
  entity: string;
  /** What the merchant searches by: SKU, order number, document, payment method name. */
  entityKey: string;
  action: string;
  outcome: LedgerOutcome;
  /** pt-BR, plain language, says what to do when something is wrong. */
  reason?: string | null;
  details?: Record<string, unknown> | null;
  retryable?: boolean;
}

export interface LedgerQuery {
  tenantId: string;
  entity?: string | undefined;
  outcome?: LedgerOutcome | undefined;
  /** Free text over key and reason; bound as a parameter, wildcards escaped. */
  search?: string | undefined;
  onlyOpen?: boolean | undefined;
  /** Only failures and skips a later success closed. */
  resolved?: boolean | undefined;
  /** Only rows recorded (or recorded again) at or after this instant: one sync run's records. */
  since?: Date | undefined;
  page?: number | undefined;
  pageSize?: number | undefined;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The merchant-facing history. A repeated failure or skip of the same key and action updates the open row
 * (attempts + 1) instead of piling up copies; a success closes open failures for that key.
 */
export class LedgerRepository {
  constructor(private readonly db: DbOrTx) {}

  async record(e: LedgerEntry): Promise<number> {
    const now = new Date();
    const sameKey = and(
      eq(syncLedger.tenantId, e.tenantId),
      eq(syncLedger.entity, e.entity),
      eq(syncLedger.entityKey, e.entityKey),
      eq(syncLedger.action, e.action),
      isNull(syncLedger.resolvedAt),
    );
    if (e.outcome === "synced") {
      await this.db
        .update(syncLedger)
        .set({ resolvedAt: now, updatedAt: now })
        .where(and(sameKey, or(eq(syncLedger.outcome, "failed"), eq(syncLedger.outcome, "skipped"))));
    } else {
      // One row per key, action and outcome: a repeat (open, or after a success closed it) counts on that
      // row and reopens it, instead of a new row per retry or per pass.
      const [existing] = await this.db
        .update(syncLedger)
        .set({
          attempts: sql`${syncLedger.attempts} + 1`,
          reason: e.reason ?? null,
          details: e.details ?? null,
          retryable: e.retryable ? 1 : 0,
          resolvedAt: null,
          updatedAt: now,
        })
        .where(
          and(
            eq(syncLedger.tenantId, e.tenantId),
            eq(syncLedger.entity, e.entity),
            eq(syncLedger.entityKey, e.entityKey),
            eq(syncLedger.action, e.action),
            eq(syncLedger.outcome, e.outcome),
          ),
        )
        .returning({ id: syncLedger.id });
      if (existing) return existing.id;
    }
    if (e.outcome === "synced") {
      // One row per key and action for its latest success (partial unique index `sync_ledger_synced_key_uq`).
      const [row] = await this.db
        .insert(syncLedger)
        .values({
          tenantId: e.tenantId,
          entity: e.entity,
          entityKey: e.entityKey,
          action: e.action,
          outcome: "synced",
          reason: e.reason ?? null,
          details: e.details ?? null,
          retryable: e.retryable ? 1 : 0,
          resolvedAt: now,
        })
        .onConflictDoUpdate({
          target: [syncLedger.tenantId, syncLedger.entity, syncLedger.entityKey, syncLedger.action],
          targetWhere: sql`outcome = 'synced'`,
          set: {
            reason: e.reason ?? null,
            details: e.details ?? null,
            retryable: e.retryable ? 1 : 0,
            resolvedAt: now,
            updatedAt: now,
          },
        })
        .returning({ id: syncLedger.id });
      return (row as { id: number }).id;
    }
    const [row] = await this.db
      .insert(syncLedger)
      .values({
        tenantId: e.tenantId,
        entity: e.entity,
        entityKey: e.entityKey,
        action: e.action,
        outcome: e.outcome,
        reason: e.reason ?? null,
        details: e.details ?? null,
        retryable: e.retryable ? 1 : 0,
        resolvedAt: null,
      })
      .returning({ id: syncLedger.id });
    return (row as { id: number }).id;
  }

  /**
   * Retention: deletes up to `limit` rows last touched before `olderThan`, never an open one (an unresolved
   * failure or skip the merchant still has to act on). Returns how many were deleted; call again until 0.
   */
  async pruneOlderThan(olderThan: Date, limit = 1000): Promise<number> {
    const batch = this.db
      .select({ id: syncLedger.id })
      .from(syncLedger)
      .where(and(lt(syncLedger.updatedAt, olderThan), isNotNull(syncLedger.resolvedAt)))
      .limit(limit);
    const rows = await this.db
      .delete(syncLedger)
      .where(inArray(syncLedger.id, batch))
      .returning({ id: syncLedger.id });
    return rows.length;
  }

  async list(q: LedgerQuery): Promise<{ items: LedgerRow[]; total: number; page: number; pageSize: number }> {
    const page = Math.max(0, q.page ?? 0);
    const pageSize = Math.min(200, Math.max(1, q.pageSize ?? 50));
    const conds: SQL[] = [eq(syncLedger.tenantId, q.tenantId)];
    if (q.entity) conds.push(eq(syncLedger.entity, q.entity));
    if (q.outcome) conds.push(eq(syncLedger.outcome, q.outcome));
    if (q.onlyOpen) conds.push(isNull(syncLedger.resolvedAt));
    if (q.resolved) conds.push(isNotNull(syncLedger.resolvedAt), ne(syncLedger.outcome, "synced"));
    if (q.since) conds.push(gte(syncLedger.updatedAt, q.since));
    if (q.search?.trim()) {
      const text = q.search.trim();
      const pattern = `%${escapeLike(text)}%`;
      const byText = [
        ilike(syncLedger.entityKey, pattern),
        ilike(syncLedger.reason, pattern),
        // The name shown beside the item (details.name).
        sql`${syncLedger.details}->>'name' ilike ${pattern}`,
      ];
      // A CPF/CNPJ typed with punctuation ("123.456.789-09") finds the digits the key holds.
      const digits = /^[\d.\-/\s]+$/.test(text) && /[.\-/]/.test(text) ? text.replace(/\D/g, "") : "";
      if (digits.length >= 3) byText.push(ilike(syncLedger.entityKey, `%${digits}%`));
      conds.push(or(...byText) as SQL);
    }
    const where = and(...conds);
    const [items, countRows] = await Promise.all([
      this.db
        .select()
        .from(syncLedger)
        .where(where)
        .orderBy(desc(syncLedger.updatedAt), desc(syncLedger.id))
        .limit(pageSize)
        .offset(page * pageSize),
      this.db.select({ n: sql<number>`count(*)::int` }).from(syncLedger).where(where),
    ]);
    return { items, total: countRows[0]?.n ?? 0, page, pageSize };
  }

  /**
   * A Bling product was written to Zydon: close what was open about that product under keys other than its
   * SKU — skipped for a blank code (`bling:<id>`) or for a repeated SKU (action `duplicate`, keyed by the SKU it
   * shares with the product that kept it). The winner's own success never closes the loser's warning.
   */
  async resolveForBlingProduct(tenantId: string, blingId: string): Promise<number> {
    const now = new Date();
    const rows = await this.db
      .update(syncLedger)
      .set({ resolvedAt: now, updatedAt: now })
      .where(
        and(
          eq(syncLedger.tenantId, tenantId),
          eq(syncLedger.entity, "product"),
          isNull(syncLedger.resolvedAt),
          or(eq(syncLedger.outcome, "failed"), eq(syncLedger.outcome, "skipped")),
          or(
            eq(syncLedger.entityKey, `bling:${blingId}`),
            and(eq(syncLedger.action, "duplicate"), sql`${syncLedger.details}->>'blingId' = ${blingId}`),
          ),
        ),
      )
      .returning({ id: syncLedger.id });
    return rows.length;
  }

  /** Whether this key and action has an open (unresolved) failure or skip: one indexed lookup. */
  async hasOpen(tenantId: string, entity: string, entityKey: string, action: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: syncLedger.id })
      .from(syncLedger)
      .where(
        and(
          eq(syncLedger.tenantId, tenantId),
          eq(syncLedger.entity, entity),
          eq(syncLedger.entityKey, entityKey),
          eq(syncLedger.action, action),
          isNull(syncLedger.resolvedAt),
        ),
      )
      .limit(1);
    return rows.length > 0;
  }

  async get(tenantId: string, id: number): Promise<LedgerRow | undefined> {
    const [row] = await this.db
      .select()
      .from(syncLedger)
      .where(and(eq(syncLedger.tenantId, tenantId), eq(syncLedger.id, id)));
    return row;
  }

  async listOpenFailures(tenantId: string, limit = 500): Promise<LedgerRow[]> {
    return this.db
      .select()
      .from(syncLedger)
      .where(
        and(
          eq(syncLedger.tenantId, tenantId),
          eq(syncLedger.outcome, "failed"),
          isNull(syncLedger.resolvedAt),
        ),
      )
      .limit(limit);
  }

  /**
   * The Sincronização chart: per hour since `since`, how many records had their latest attempt synced,
   * skipped or failed (a row is one record and kind, so a record counts once, in the hour it was last
   * touched). One range scan on `sync_ledger_tenant_updated_idx`.
   */
  async hourly(
    tenantId: string,
    since: Date,
  ): Promise<Array<{ hour: Date; synced: number; skipped: number; failed: number }>> {
    const hour =
      sql<number>`(extract(epoch from date_trunc('hour', ${syncLedger.updatedAt})))::bigint`.mapWith(Number);
    const rows = await this.db
      .select({
        hour,
        synced: sql<number>`count(*) filter (where ${syncLedger.outcome} = 'synced')::int`,
        skipped: sql<number>`count(*) filter (where ${syncLedger.outcome} = 'skipped')::int`,
        failed: sql<number>`count(*) filter (where ${syncLedger.outcome} = 'failed')::int`,
      })
      .from(syncLedger)
      .where(
        and(
          eq(syncLedger.tenantId, tenantId),
          sql`${syncLedger.updatedAt} >= ${since.toISOString()}::timestamptz`,
        ),
      )
      .groupBy(hour)
      .orderBy(hour);
    return rows.map((r) => ({ ...r, hour: new Date(r.hour * 1000) }));
  }

  async countsByOutcome(tenantId: string): Promise<Record<string, Record<LedgerOutcome, number>>> {
    const rows = await this.db
      .select({ entity: syncLedger.entity, outcome: syncLedger.outcome, n: sql<number>`count(*)::int` })
      .from(syncLedger)
      .where(eq(syncLedger.tenantId, tenantId))
      .groupBy(syncLedger.entity, syncLedger.outcome);
    const out: Record<string, Record<LedgerOutcome, number>> = {};
    for (const r of rows) {
      out[r.entity] ??= { synced: 0, skipped: 0, failed: 0 };
      (out[r.entity] as Record<LedgerOutcome, number>)[r.outcome] = r.n;
    }
    return out;
  }
}
