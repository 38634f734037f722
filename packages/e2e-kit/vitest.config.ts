import { defineProject } from "vitest/config";

// Test kits only: the suites that use them live in tools/e2e, tools/bench, tools/sandbox and apps/api.
export default defineProject({
  test: { name: "e2e-kit", include: ["src/**/*.test.ts"], passWithNoTests: true },
});
