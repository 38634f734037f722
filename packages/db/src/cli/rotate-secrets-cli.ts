import { loadConfigOrExit } from "@zb/config";
import { createDb } from "../client.js";
import { rotateSecrets } from "../secrets/rotate-secrets.js";
import { secretBoxFromConfig } from "../secrets/secret-box.js";

const dryRun = process.argv.includes("--dry-run");
const cfg = loadConfigOrExit([
  "DATABASE_URL",
  "SECRETS_KEY",
  "SECRETS_KEY_ID",
  "SECRETS_PREVIOUS_KEY",
  "SECRETS_PREVIOUS_KEY_ID",
] as const);
const handle = createDb({ url: cfg.DATABASE_URL, max: 2, appName: "zydon-bling-rotate" });
try {
  const report = await rotateSecrets(handle.db, secretBoxFromConfig(cfg), { dryRun });
  console.log(
    `${dryRun ? "[dry run] would rotate" : "rotated"} ${report.rotated} of ${report.scanned} secrets ` +
      `(${report.alreadyCurrent} already on key ${cfg.SECRETS_KEY_ID}, ${report.skippedConcurrent} changed concurrently, ${report.unreadable} unreadable where stored)`,
  );
} finally {
  await handle.close();
}
