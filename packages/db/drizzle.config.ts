import { defineConfig } from "drizzle-kit";

// Generation only diffs the TypeScript schema against the committed snapshots: no database needed.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema/index.ts",
  out: "./drizzle",
});
