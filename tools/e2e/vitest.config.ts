import { createRequire } from "node:module";
import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "e2e",
    include: ["src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Sums the fault suite's tallies (src/resilience) into one summary line after the run.
    globalSetup: [createRequire(import.meta.url).resolve("@zb/e2e-kit/summary.global")],
  },
});
