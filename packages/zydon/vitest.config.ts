import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "zydon", include: ["src/**/*.test.ts"] },
});
