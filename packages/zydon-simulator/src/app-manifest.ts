import { buildPluginManifest, renderPluginManifest } from "@zb/zydon";

/**
 * The plugin package our app generates (`pnpm zydon:manifest`) for an API at `publicBaseUrl`, as path → YAML
 * text: what `ZydonSimulator.registerPluginFromManifest` reads, for the sandbox and tests that start our API.
 */
export function appManifestFiles(input: {
  publicBaseUrl: string;
  pluginId: string;
  webhookSecret?: string;
}): Record<string, string> {
  return renderPluginManifest(buildPluginManifest(input));
}
