/**
 * `pnpm probe [--live] [--write] [--only zydon|bling] [--out FILE] [--order-id ID] [--price-table-id ID]`
 *
 * Default: against both simulators (a tenant each, started here). `--live`: against the deployment's Zydon and
 * Bling (ZYDON_API_BASE_URL, ZYDON_PLUGIN_ID, ZYDON_ACCESS_KEY, the contract overrides, BLING_API_BASE_URL) with
 * one real tenant's credentials (PROBE_ZYDON_KEY_CODE / PROBE_ZYDON_KEY_TOKEN, PROBE_BLING_ACCESS_TOKEN).
 * Prints the table and writes the JSON report (default probe-results.json). Exit 1 when a row is contradicted
 * or unreachable.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BlingClient } from "@zb/bling";
import { loadConfigOrExit, zydonContractOverrides, zydonWebhookSecrets } from "@zb/config";
import { ZydonApp } from "@zb/zydon";
import type { BlingProbeTarget } from "./bling-checks.js";
import { runProbe } from "./probe.js";
import { renderTable } from "./report.js";
import { startSimulatorTargets } from "./simulators.js";
import type { ZydonProbeTarget } from "./zydon-checks.js";

const { values } = parseArgs({
  options: {
    live: { type: "boolean", default: false },
    write: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string", default: "probe-results.json" },
    "order-id": { type: "string" },
    "price-table-id": { type: "string" },
  },
});
const want = (s: "zydon" | "bling") => !values.only || values.only === s;

async function liveTargets(): Promise<{ zydon?: ZydonProbeTarget; bling?: BlingProbeTarget }> {
  const cfg = loadConfigOrExit([
    "ZYDON_PLUGIN_ID",
    "ZYDON_ACCESS_KEY",
    "ZYDON_API_BASE_URL",
    "ZYDON_ADMIN_URL",
    "ZYDON_CONTRACT_FILE",
    "ZYDON_TOKEN_EXCHANGE_PATH",
    "ZYDON_WEBHOOK_AUTH",
    "ZYDON_WEBHOOK_SECRET",
    "ZYDON_WEBHOOK_PREVIOUS_SECRET",
    "BLING_API_BASE_URL",
    "PROBE_ZYDON_KEY_CODE",
    "PROBE_ZYDON_KEY_TOKEN",
    "PROBE_BLING_ACCESS_TOKEN",
  ]);
  const out: { zydon?: ZydonProbeTarget; bling?: BlingProbeTarget } = {};
  if (want("zydon")) {
    if (!cfg.PROBE_ZYDON_KEY_CODE || !cfg.PROBE_ZYDON_KEY_TOKEN) {
      console.error("--live needs PROBE_ZYDON_KEY_CODE and PROBE_ZYDON_KEY_TOKEN (one tenant's access key).");
      process.exit(1);
    }
    out.zydon = {
      app: new ZydonApp({
        pluginId: cfg.ZYDON_PLUGIN_ID,
        accessKey: cfg.ZYDON_ACCESS_KEY,
        apiBaseUrl: cfg.ZYDON_API_BASE_URL,
        adminUrl: cfg.ZYDON_ADMIN_URL,
        contract: zydonContractOverrides(cfg),
        webhookSecrets: zydonWebhookSecrets(cfg),
      }),
      apiBaseUrl: cfg.ZYDON_API_BASE_URL,
      pluginId: cfg.ZYDON_PLUGIN_ID,
      accessKey: cfg.ZYDON_ACCESS_KEY,
      tenantKey: { code: cfg.PROBE_ZYDON_KEY_CODE, token: cfg.PROBE_ZYDON_KEY_TOKEN },
      orderId: values["order-id"],
      priceTableId: values["price-table-id"],
    };
  }
  if (want("bling")) {
    const token = cfg.PROBE_BLING_ACCESS_TOKEN;
    if (!token) {
      console.error("--live needs PROBE_BLING_ACCESS_TOKEN (one tenant's Bling access token).");
      process.exit(1);
    }
    out.bling = {
      client: new BlingClient({
        baseUrl: cfg.BLING_API_BASE_URL,
        getAccessToken: async () => token,
        timeoutMs: 30_000,
      }),
      apiBaseUrl: cfg.BLING_API_BASE_URL,
    };
  }
  return out;
}

async function main(): Promise<void> {
  const sims = values.live ? null : await startSimulatorTargets();
  try {
    const targets = sims ?? (await liveTargets());
    const report = await runProbe({
      ...(want("zydon") ? { zydon: targets.zydon } : {}),
      ...(want("bling") ? { bling: targets.bling } : {}),
      write: values.write,
    });
    console.log(renderTable(report));
    writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nJSON report: ${values.out}`);
    process.exitCode = report.counts.contradicted + report.counts.unreachable > 0 ? 1 : 0;
  } finally {
    await sims?.close();
  }
}

await main();
