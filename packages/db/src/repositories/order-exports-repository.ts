import { and, asc, eq, gt, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import type { DbOrTx } from "../client.js";
import { type NfeState, type OrderExportState, orderExports } from "../schema/index.js";

export type OrderExport = typeof orderExports.$inferSelect;

/** The exactly-once state machine for Zydon → Bling orders. */
export class OrderExportsRepository {
  constructor(private readonly db: DbOrTx) {}

  /** Create the export row if it does not exist yet; returns the row either way. */
  async ensure(tenantId: string, zydonOrderId: string): Promise<{ row: OrderExport; created: boolean }> {
    const [inserted] = await this.db
      .insert(orderExports)
      .values({ tenantId, zydonOrderId, state: "pending" })
      .onConflictDoNothing({ target: [orderExports.tenantId, orderExports.zydonOrderId] })
      .returning();
    if (inserted) return { row: inserted, created: true };
    return { row: (await this.get(tenantId, zydonOrderId)) as OrderExport, created: false };
  }

  async get(tenantId: string, zydonOrderId: string): Promise<OrderExport | undefined> {
    const [row] = await this.db
      .select()
      .from(orderExports)
      .where(and(eq(orderExports.tenantId, tenantId), eq(orderExports.zydonOrderId, zydonOrderId)));
    return row;
  }

  async byBlingOrderId(tenantId: string, blingOrderId: string): Promise<OrderExport | undefined> {
    const [row] = await this.db
      .select()
      .from(orderExports)
      .where(and(eq(orderExports.tenantId, tenantId), eq(orderExports.blingOrderId, blingOrderId)));
    return row;
  }

  /**
   * Compare-and-set transition: only moves when the row is in one of `from`. Returns the updated row, or
   * undefined when someone else moved it first (the caller re-reads and decides).
   */
  async transition(
    id: number,
    from: OrderExportState[],
    to: OrderExportState,
    patch: Partial<
      Pick<OrderExport, "blingOrderId" | "blingOrderNumber" | "lastError" | "blingSituacaoId">
    > & {
      incrementAttempts?: boolean;
    } = {},
  ): Promise<OrderExport | undefined> {
    const { incrementAttempts, ...rest } = patch;
    const set: Record<string, unknown> = { ...rest, state: to, updatedAt: new Date() };
    if (incrementAttempts) set.attempts = sql`${orderExports.attempts} + 1`;
    const [row] = await this.db
      .update(orderExports)
      .set(set)
      .where(and(eq(orderExports.id, id), inArray(orderExports.state, from)))
      .returning();
    return row;
  }

  /**
   * Take over an export stuck in `creating` (its worker died mid-export) once it has not moved for
   * `olderThanMs`; a live export keeps its claim.
   */
  async takeOverStale(id: number, olderThanMs: number): Promise<OrderExport | undefined> {
    const [row] = await this.db
      .update(orderExports)
      .set({ updatedAt: new Date(), attempts: sql`${orderExports.attempts} + 1` })
      .where(
        and(
          eq(orderExports.id, id),
          eq(orderExports.state, "creating"),
          sql`${orderExports.updatedAt} < now() - make_interval(secs => ${olderThanMs / 1000})`,
        ),
      )
      .returning();
    return row;
  }

  async update(
    id: number,
    patch: Partial<
      Pick<OrderExport, "blingSituacaoId" | "nfeState" | "blingInvoiceId" | "nfeDetails" | "lastError">
    >,
    where?: SQL,
  ): Promise<OrderExport | undefined> {
    const [row] = await this.db
      .update(orderExports)
      .set({ ...patch, updatedAt: new Date() })
      .where(where ? and(eq(orderExports.id, id), where) : eq(orderExports.id, id))
      .returning();
    return row;
  }

  async byBlingInvoiceId(tenantId: string, blingInvoiceId: string): Promise<OrderExport | undefined> {
    const [row] = await this.db
      .select()
      .from(orderExports)
      .where(and(eq(orderExports.tenantId, tenantId), eq(orderExports.blingInvoiceId, blingInvoiceId)));
    return row;
  }

  /**
   * Compare-and-set on the NF-e sub-state (`null` = not started; `to: null` releases a claim). Returns the updated row, or
   * undefined when the row was not in one of `from` (someone else moved it first).
   */
  async nfeTransition(
    id: number,
    from: Array<NfeState | null>,
    to: NfeState | null,
    patch: Partial<Pick<OrderExport, "blingInvoiceId" | "nfeDetails">> = {},
  ): Promise<OrderExport | undefined> {
    const states = from.filter((s): s is NfeState => s !== null);
    const conds: SQL[] = [];
    if (states.length > 0) conds.push(inArray(orderExports.nfeState, states));
    if (from.includes(null)) conds.push(isNull(orderExports.nfeState));
    if (conds.length === 0) return undefined;
    const [row] = await this.db
      .update(orderExports)
      .set({ ...patch, nfeState: to, updatedAt: new Date() })
      .where(and(eq(orderExports.id, id), or(...conds)))
      .returning();
    return row;
  }

  /**
   * Take over an NF-e claim (`generating`/`sending`) whose worker died: only once it has not moved for
   * `olderThanMs`, so a live claim is kept.
   */
  async takeOverStaleNfe(id: number, state: NfeState, olderThanMs: number): Promise<OrderExport | undefined> {
    const [row] = await this.db
      .update(orderExports)
      .set({ updatedAt: new Date() })
      .where(
        and(
          eq(orderExports.id, id),
          eq(orderExports.nfeState, state),
          sql`${orderExports.updatedAt} < now() - make_interval(secs => ${olderThanMs / 1000})`,
        ),
      )
      .returning();
    return row;
  }

  async listByState(tenantId: string, states: OrderExportState[], limit = 100): Promise<OrderExport[]> {
    return this.db
      .select()
      .from(orderExports)
      .where(and(eq(orderExports.tenantId, tenantId), inArray(orderExports.state, states)))
      .limit(limit);
  }

  /**
   * Orders that still wait for a Zydon-side status (the Zydon status watch's polling fallback): not exported yet
   * (`pending`) and/or exported without an NF-e started, recorded since `since`, in id order after `afterId`
   * (the caller walks them round-robin, so every waiting order is re-read in turn).
   */
  async listWaitingForZydonStatus(
    tenantId: string,
    opts: { exports: boolean; nfe: boolean; since: Date; afterId: number; limit: number },
  ): Promise<OrderExport[]> {
    const kinds: SQL[] = [];
    if (opts.exports) kinds.push(eq(orderExports.state, "pending"));
    if (opts.nfe) kinds.push(and(eq(orderExports.state, "created"), isNull(orderExports.nfeState)) as SQL);
    if (kinds.length === 0) return [];
    return this.db
      .select()
      .from(orderExports)
      .where(
        and(
          eq(orderExports.tenantId, tenantId),
          gt(orderExports.id, opts.afterId),
          sql`${orderExports.createdAt} >= ${opts.since.toISOString()}::timestamptz`,
          or(...kinds),
        ),
      )
      .orderBy(asc(orderExports.id))
      .limit(opts.limit);
  }
}
