import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { createDb } from "./client.js";

export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

/** Apply committed SQL migrations. Idempotent: already applied ones are skipped (drizzle's journal table). */
export async function runMigrations(url: string): Promise<void> {
  const handle = createDb({ url, max: 1, appName: "zydon-bling-migrate" });
  try {
    await migrate(handle.db, { migrationsFolder });
  } finally {
    await handle.close();
  }
}
