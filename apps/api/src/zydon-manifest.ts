/**
 * `pnpm zydon:manifest [--out DIR] [--example]`: writes the App Studio plugin package (configuration.yml and
 * native-resources/webhooks.yml) for this deployment's PUBLIC_BASE_URL, ZYDON_PLUGIN_ID and
 * ZYDON_WEBHOOK_SECRET into `zydon-plugin.local/` (git-ignored: it holds the secret). `--example` rewrites the
 * committed example in `zydon-plugin/` (placeholder URL, id and secret).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadConfigOrExit, zydonContractOverrides } from "@zb/config";
import { buildPluginManifest, renderPluginManifest, resolveZydonContract } from "@zb/zydon";

/** The committed example's inputs (zydon-plugin/ at the repository root). */
export const EXAMPLE_MANIFEST_INPUT = {
  publicBaseUrl: "https://bling-app.example.com",
  pluginId: "00000000-0000-4000-8000-000000000000",
} as const;

export function manifestFilesFor(input: {
  publicBaseUrl: string;
  pluginId: string;
  webhookSecret?: string | undefined;
  webhookSecretHeader?: string;
}): Record<string, string> {
  return renderPluginManifest(buildPluginManifest(input));
}

function main(): void {
  const { values } = parseArgs({
    options: { out: { type: "string" }, example: { type: "boolean", default: false } },
  });
  const outDir = values.out ?? (values.example ? "zydon-plugin" : "zydon-plugin.local");
  let files: Record<string, string>;
  if (values.example) {
    files = manifestFilesFor(EXAMPLE_MANIFEST_INPUT);
  } else {
    const cfg = loadConfigOrExit([
      "PUBLIC_BASE_URL",
      "ZYDON_PLUGIN_ID",
      "ZYDON_WEBHOOK_SECRET",
      "ZYDON_CONTRACT_FILE",
      "ZYDON_TOKEN_EXCHANGE_PATH",
      "ZYDON_WEBHOOK_AUTH",
    ]);
    if (!cfg.ZYDON_WEBHOOK_SECRET) {
      console.error("ZYDON_WEBHOOK_SECRET is required: the webhook header of webhooks.yml carries it.");
      process.exit(1);
    }
    files = manifestFilesFor({
      publicBaseUrl: cfg.PUBLIC_BASE_URL,
      pluginId: cfg.ZYDON_PLUGIN_ID,
      webhookSecret: cfg.ZYDON_WEBHOOK_SECRET,
      webhookSecretHeader: resolveZydonContract(zydonContractOverrides(cfg)).webhookSecretHeader,
    });
  }
  const out = resolve(outDir);
  for (const [name, text] of Object.entries(files)) {
    const path = join(out, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${join(outDir, name)}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) main();
