import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema/index.js";

export type Database = PostgresJsDatabase<typeof schema>;
/** A transaction handle: repositories accept either, so one use case can write several tables atomically. */
export type DbTransaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type DbOrTx = Database | DbTransaction;
export type Sql = postgres.Sql;

export interface DbHandle {
  db: Database;
  sql: Sql;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  url: string;
  max?: number;
  /** Application name shown in pg_stat_activity. */
  appName?: string;
}

export function createDb({ url, max = 10, appName = "zydon-bling" }: CreateDbOptions): DbHandle {
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    connection: { application_name: appName },
    // Keep timestamps as Date objects and bigints as numbers where they fit.
    types: { bigint: postgres.BigInt },
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}
