import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { readProcessEnv } from "@zb/config";
import { runMigrations } from "@zb/db";
import { loadOrCreateDemoSecrets } from "./demo-secrets.js";
import { checkPostgres, checkRedis, ensureDatabase, PreflightError } from "./preflight.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const env = readProcessEnv();
const adminUrl = env.DEV_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const redisUrl = env.DEV_REDIS_URL ?? "redis://127.0.0.1:6379";
const apiPort = Number(env.DEV_API_PORT ?? 3000);

try {
  await checkPostgres(adminUrl);
  await checkRedis(redisUrl);
} catch (err) {
  if (err instanceof PreflightError) {
    console.error(`\n${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

const databaseUrl = await ensureDatabase(adminUrl, "zydon_bling_dev");
await runMigrations(databaseUrl);
const secrets = loadOrCreateDemoSecrets(`${repoRoot}.sandbox/demo-secrets.json`);
const publicUrl = `http://localhost:${apiPort}`;

const childEnv: Record<string, string> = {
  ...(env as Record<string, string>),
  NODE_ENV: "development",
  LOG_LEVEL: env.LOG_LEVEL ?? "info",
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  REDIS_PREFIX: "zbdev",
  API_PORT: String(apiPort),
  PUBLIC_BASE_URL: publicUrl,
  SECRETS_KEY: secrets.secretsKey,
  SECRETS_KEY_ID: "demo1",
  SESSION_SECRET: secrets.sessionSecret,
  BLING_CLIENT_ID: "demo-bling-app",
  BLING_CLIENT_SECRET: secrets.blingClientSecret,
  ZYDON_PLUGIN_ID: "00000000-0000-4000-8000-00000000b11e",
  ZYDON_ACCESS_KEY: secrets.zydonAccessKey,
};

const children: ChildProcess[] = [];
function start(name: string, entry: string): void {
  const child = spawn(process.execPath, ["--import", "tsx", `${repoRoot}${entry}`], {
    env: childEnv,
    stdio: "inherit",
  });
  child.on("exit", (code, signal) => {
    if (!shuttingDown) {
      console.error(`${name} exited (${signal ?? code}); stopping the demo`);
      shutdown(1);
    }
  });
  children.push(child);
}

let shuttingDown = false;
function shutdown(code: number): void {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const c of children) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), 5_000).unref();
  Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on("exit", r)))),
  ).then(() => process.exit(code));
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

start("api", "apps/api/src/server.ts");
start("worker", "apps/worker/src/main.ts");
console.log(
  `\nZydon ↔ Bling demo: API on ${publicUrl} (health: ${publicUrl}/readyz). Ctrl+C stops everything.\n`,
);
