import { sql } from "drizzle-orm";
import type { Database, DbTransaction } from "./client.js";

/**
 * Runs `fn` holding a transaction-scoped Postgres advisory lock on `key`: one holder per key across every
 * process that shares the database (two workers creating the same Bling contact for two orders of one new
 * buyer). `fn` must use the given transaction for its database work — it holds the lock's connection, and
 * asking the pool for another while waiters hold theirs could starve it.
 */
export async function withAdvisoryLock<T>(
  db: Database,
  key: string,
  fn: (tx: DbTransaction) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
    return fn(tx);
  });
}
