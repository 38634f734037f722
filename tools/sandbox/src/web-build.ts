import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry === "dist") continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Why apps/web/dist must be (re)built, or null when it is up to date with its sources. */
export function webBuildReason(webDir: string): string | null {
  const index = join(webDir, "dist", "index.html");
  if (!existsSync(index)) return "not built yet";
  const built = statSync(index).mtimeMs;
  const sources = ["src", "index.html", "vite.config.ts", "package.json"].map((p) =>
    newestMtime(join(webDir, p)),
  );
  return Math.max(...sources) > built ? "sources changed since the last build" : null;
}

/**
 * Builds the settings page when its dist is missing or older than its sources (`vite build`, the same as
 * `pnpm --filter @zb/web build`). The build output is shown only when it fails.
 */
export function ensureWebBuild(webDir: string, log: (line: string) => void): void {
  const reason = webBuildReason(webDir);
  if (!reason) return;
  log(`Building the settings page (${reason}): pnpm --filter @zb/web build`);
  buildWeb(webDir);
}

/** `vite build` of apps/web into its dist, or into `outDir` (tests build their own copy). */
export function buildWeb(webDir: string, outDir?: string): void {
  const vite = join(webDir, "node_modules", "vite", "bin", "vite.js");
  const args = [vite, "build", ...(outDir ? ["--outDir", outDir, "--emptyOutDir"] : [])];
  const res = spawnSync(process.execPath, args, { cwd: webDir, encoding: "utf8" });
  if (res.status !== 0) {
    throw new Error(
      `The settings page build failed (pnpm --filter @zb/web build):\n${res.stdout ?? ""}${res.stderr ?? ""}`,
    );
  }
}
