import { randomBytes } from "node:crypto";
import { readProcessEnv } from "@zb/config";
import postgres from "postgres";

/** Where tests may create databases. Override with TEST_DATABASE_ADMIN_URL. */
export function adminDatabaseUrl(): string {
  return readProcessEnv().TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test file, optionally migrated. Names are random so files run in
 * parallel; `drop()` terminates leftover connections first so it never hangs on a leaked pool.
 */
export async function createTestDatabase(
  opts: { migrate?: (url: string) => Promise<void> } = {},
): Promise<TestDatabase> {
  const admin = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
  const name = `zb_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  if (opts.migrate) await opts.migrate(dbUrl);
  return {
    url: dbUrl,
    name,
    async drop() {
      const a = postgres(adminDatabaseUrl(), { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(
          `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`,
        );
        await a.unsafe(`drop database if exists "${name}"`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}
