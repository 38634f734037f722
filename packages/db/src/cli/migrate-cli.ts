import { loadConfigOrExit, migrateEnvKeys } from "@zb/config";
import { runMigrations } from "../migrate.js";

const cfg = loadConfigOrExit(migrateEnvKeys);
await runMigrations(cfg.DATABASE_URL);
console.log("migrations applied");
