import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "bling", include: ["src/**/*.test.ts"], testTimeout: 20_000, hookTimeout: 20_000 },
});
