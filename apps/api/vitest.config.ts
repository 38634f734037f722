import { createRequire } from "node:module";
import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "api",
    include: ["src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Collects the resilience suite's tallies and prints its summary line after the run.
    globalSetup: [createRequire(import.meta.url).resolve("@zb/e2e-kit/summary.global")],
  },
});
