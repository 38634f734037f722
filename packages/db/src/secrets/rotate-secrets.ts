import { and, eq } from "drizzle-orm";
import type { Database } from "../client.js";
import { blingConnections, zydonCredentials } from "../schema/index.js";
import type { SecretBox } from "./secret-box.js";

export interface RotationReport {
  scanned: number;
  rotated: number;
  alreadyCurrent: number;
  /** Rows changed by someone else between read and write: left for the next run. */
  skippedConcurrent: number;
  dryRun: boolean;
}

type Column = "accessKeyCodeEnc" | "accessKeyTokenEnc" | "accessTokenEnc" | "refreshTokenEnc";

/**
 * Re-encrypt every stored secret with the current key. Each update is conditional on the old cipher text,
 * so a token refreshed concurrently is never overwritten with a stale value.
 */
export async function rotateSecrets(
  db: Database,
  box: SecretBox,
  { dryRun }: { dryRun: boolean },
): Promise<RotationReport> {
  const report: RotationReport = { scanned: 0, rotated: 0, alreadyCurrent: 0, skippedConcurrent: 0, dryRun };
  const targets = [
    { table: zydonCredentials, columns: ["accessKeyCodeEnc", "accessKeyTokenEnc"] as Column[] },
    { table: blingConnections, columns: ["accessTokenEnc", "refreshTokenEnc"] as Column[] },
  ];
  for (const { table, columns } of targets) {
    const rows = (await db.select().from(table)) as Array<Record<string, unknown> & { tenantId: string }>;
    for (const row of rows) {
      for (const column of columns) {
        const value = row[column];
        if (typeof value !== "string") continue;
        report.scanned++;
        if (!box.needsRotation(value)) {
          report.alreadyCurrent++;
          continue;
        }
        const resealed = box.encrypt(box.decrypt(value));
        if (dryRun) {
          report.rotated++;
          continue;
        }
        // biome-ignore lint/suspicious/noExplicitAny: column is one of a closed set on the table being updated
        const col = (table as any)[column];
        const updated = await db
          .update(table)
          .set({ [column]: resealed, updatedAt: new Date() })
          .where(and(eq(table.tenantId, row.tenantId), eq(col, value)))
          .returning({ tenantId: table.tenantId });
        if (updated.length === 1) report.rotated++;
        else report.skippedConcurrent++;
      }
    }
  }
  return report;
}
