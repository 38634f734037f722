import { defineProject } from "vitest/config";

// The benchmark is never part of `pnpm test`: its files are *.bench.ts / plain modules, none match.
export default defineProject({
  test: { name: "bench", include: ["src/**/*.test.ts"], passWithNoTests: true },
});
