// @vitest-environment node
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const outDir = mkdtempSync(join(tmpdir(), "zb-web-build-"));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** The production build is what the App Center loads: it has to build and expose `configs/./Configs`. */
describe("vite build", () => {
  it("emits the standalone page and the federation remote under /store/apps/<app>", async () => {
    await build({ root, logLevel: "silent", build: { outDir, emptyOutDir: true } });
    const html = readFileSync(join(outDir, "index.html"), "utf8");
    expect(html).toMatch(/src="\/store\/apps\/zydon-bling\/assets\/index-[\w-]+\.js"/);
    const remoteEntry = join(outDir, "assets", "remoteEntry.js");
    expect(existsSync(remoteEntry)).toBe(true);
    const entry = readFileSync(remoteEntry, "utf8");
    expect(entry).toContain('"./Configs"');
    expect(entry).toMatch(/\/store\/apps\/zydon-bling\/assets\/__federation_expose_Configs-[\w-]+\.js/);
    // The exposed module takes react from the host's share scope (importShared), not from a bundled copy.
    const expose = readdirSync(join(outDir, "assets")).find((f) =>
      f.startsWith("__federation_expose_Configs"),
    );
    const exposeCode = readFileSync(join(outDir, "assets", expose ?? "missing"), "utf8");
    const chunk = /from"\.\/([\w-]+\.js)"/.exec(exposeCode)?.[1];
    const configsCode = readFileSync(join(outDir, "assets", chunk ?? "missing"), "utf8");
    const alias = /import\{importShared as ([\w$]+)\}/.exec(configsCode)?.[1] ?? "importShared";
    expect(configsCode).toContain(`await ${alias}("react")`);
    // Its stylesheet is injected by the remote entry (the host page has no <link> for it).
    expect(entry).toMatch(/dynamicLoadingCss|\.css/);
  }, 120_000);
});
