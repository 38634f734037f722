import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import type { DbOrTx } from "../client.js";
import { syncCursors } from "../schema/index.js";

/** Checkpoints and incremental cursors. Read through a zod schema so a corrupt cursor is an error, not a guess. */
export class CursorsRepository {
  constructor(private readonly db: DbOrTx) {}

  async get<T>(tenantId: string, stream: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const [row] = await this.db
      .select()
      .from(syncCursors)
      .where(and(eq(syncCursors.tenantId, tenantId), eq(syncCursors.stream, stream)));
    return row ? schema.parse(row.cursor) : undefined;
  }

  async set(tenantId: string, stream: string, cursor: Record<string, unknown>): Promise<void> {
    await this.db
      .insert(syncCursors)
      .values({ tenantId, stream, cursor })
      .onConflictDoUpdate({
        target: [syncCursors.tenantId, syncCursors.stream],
        set: { cursor, updatedAt: new Date() },
      });
  }

  async delete(tenantId: string, stream: string): Promise<void> {
    await this.db
      .delete(syncCursors)
      .where(and(eq(syncCursors.tenantId, tenantId), eq(syncCursors.stream, stream)));
  }

  async list(
    tenantId: string,
  ): Promise<Array<{ stream: string; cursor: Record<string, unknown>; updatedAt: Date }>> {
    return this.db
      .select({ stream: syncCursors.stream, cursor: syncCursors.cursor, updatedAt: syncCursors.updatedAt })
      .from(syncCursors)
      .where(eq(syncCursors.tenantId, tenantId));
  }
}
