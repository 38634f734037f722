import { and, eq } from "drizzle-orm";
import type { Database } from "../client.js";
import { type SEALED_COLUMNS, sealedAt } from "../repositories/credentials-repository.js";
import { blingConnections, zydonCredentials } from "../schema/index.js";
import { type SecretBox, SecretDecryptionError } from "./secret-box.js";

export interface RotationReport {
  scanned: number;
  rotated: number;
  alreadyCurrent: number;
  /** Rows changed by someone else between read and write: left for the next run. */
  skippedConcurrent: number;
  /**
   * Values that do not open where they are stored (tampered, copied from another row or column, or sealed
   * with a key no longer configured): left as they are and counted, the rest of the run goes on.
   */
  unreadable: number;
  dryRun: boolean;
}

type Column = "accessKeyCodeEnc" | "accessKeyTokenEnc" | "accessTokenEnc" | "refreshTokenEnc";

/**
 * Re-encrypt every stored secret with the current key and in the current format (`gcm2`, bound to its
 * table, column and tenant): values of an older key or of the legacy `gcm1` format are re-sealed. Each
 * update is conditional on the old cipher text, so a token refreshed concurrently is never overwritten with
 * a stale value.
 */
export async function rotateSecrets(
  db: Database,
  box: SecretBox,
  { dryRun }: { dryRun: boolean },
): Promise<RotationReport> {
  const report: RotationReport = {
    scanned: 0,
    rotated: 0,
    alreadyCurrent: 0,
    skippedConcurrent: 0,
    unreadable: 0,
    dryRun,
  };
  const targets = [
    {
      table: zydonCredentials,
      columns: [
        ["accessKeyCodeEnc", "zydonAccessKeyCode"],
        ["accessKeyTokenEnc", "zydonAccessKeyToken"],
      ] as Array<[Column, keyof typeof SEALED_COLUMNS]>,
    },
    {
      table: blingConnections,
      columns: [
        ["accessTokenEnc", "blingAccessToken"],
        ["refreshTokenEnc", "blingRefreshToken"],
      ] as Array<[Column, keyof typeof SEALED_COLUMNS]>,
    },
  ];
  for (const { table, columns } of targets) {
    const rows = (await db.select().from(table)) as Array<Record<string, unknown> & { tenantId: string }>;
    for (const row of rows) {
      for (const [column, place] of columns) {
        const value = row[column];
        if (typeof value !== "string") continue;
        report.scanned++;
        if (!box.needsRotation(value)) {
          report.alreadyCurrent++;
          continue;
        }
        const at = sealedAt(place, row.tenantId);
        let plaintext: string;
        try {
          plaintext = box.decrypt(value, at);
        } catch (err) {
          if (!(err instanceof SecretDecryptionError)) throw err;
          report.unreadable++;
          continue;
        }
        const resealed = box.encrypt(plaintext, at);
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
