import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "worker",
    include: ["src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Sums the fault suite's tallies (src/resilience) into one summary line after the run.
    globalSetup: ["src/resilience/summary.global.ts"],
  },
});
