import { defineConfig } from "vitest/config";

// One run over every package: each project has its own vitest.config.ts.
// CI sets VITEST_JSON_REPORT to a path so `pnpm test` also writes machine-readable counts there
// (pnpm 12 parses `--reporter` itself, so the reporter cannot be passed on the command line).
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "tools/*"],
    ...(jsonReport ? { reporters: ["default", "json"], outputFile: { json: jsonReport } } : {}),
  },
});
