import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { readProcessEnv } from "@zb/config";
import { runMigrations } from "@zb/db";
import { installFromAppCenter } from "./app-center.js";
import { createChildSupervisor } from "./children.js";
import { startSimulatorConsole } from "./console.js";
import { loadOrCreateDemoSecrets } from "./demo-secrets.js";
import { type DemoWorld, startDemoWorld } from "./demo-world.js";
import { clearRedisPrefix, PreflightError, recreateDatabase } from "./preflight.js";
import { type EnsuredServices, ensureServices, ServicesUnavailableError } from "./services.js";
import { ensureWebBuild } from "./web-build.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const env = readProcessEnv();
const adminUrl = env.DEV_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const redisUrl = env.DEV_REDIS_URL ?? "redis://127.0.0.1:6379";
const apiPort = Number(env.DEV_API_PORT ?? 3000);
const blingPort = Number(env.DEV_BLING_SIM_PORT ?? 4010);
const zydonPort = Number(env.DEV_ZYDON_SIM_PORT ?? 4020);
const consolePort = Number(env.DEV_CONSOLE_PORT ?? 4000);
const smtpPort = Number(env.DEV_SMTP_PORT ?? 4025);
const workerMetricsPort = Number(env.DEV_WORKER_METRICS_PORT ?? 9464);
const demoProducts = Number(env.DEV_DEMO_PRODUCTS ?? 120);
const demoContacts = Number(env.DEV_DEMO_CONTACTS ?? 80);
const redisPrefix = "zbdev";

const say = (line: string) => console.log(`[demo] ${line}`);

// Postgres and Redis: used when they answer; otherwise started (Docker, or private instances from local
// binaries under .sandbox/services, stopped on exit), or one message says what to install.
let services: EnsuredServices;
try {
  services = await ensureServices({
    adminUrl,
    redisUrl,
    root: `${repoRoot}.sandbox/services`,
    composeDir: repoRoot,
    env,
  });
} catch (err) {
  if (err instanceof ServicesUnavailableError || err instanceof PreflightError) {
    console.error(`\n${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
for (const line of services.report) say(line);

// The simulators live in this process's memory, so every run starts from a clean database and Redis prefix.
const databaseUrl = await recreateDatabase(adminUrl, "zydon_bling_dev");
await runMigrations(databaseUrl);
await clearRedisPrefix(redisUrl, redisPrefix);
say("database zydon_bling_dev recreated and migrated; Redis keys zbdev:* cleared");
try {
  ensureWebBuild(`${repoRoot}apps/web`, say);
} catch (err) {
  console.error(`\n${(err as Error).message}\n`);
  await services.stop();
  process.exit(1);
}

const secrets = loadOrCreateDemoSecrets(`${repoRoot}.sandbox/demo-secrets.json`);
const publicUrl = `http://localhost:${apiPort}`;
// The demo's operator token (ops pages, /metrics), stable across runs like the other demo secrets.
const opsToken = createHash("sha256").update(`ops:${secrets.sessionSecret}`).digest("base64url");

let world: DemoWorld;
try {
  world = await startDemoWorld({
    apiUrl: publicUrl,
    blingPort,
    zydonPort,
    mailPort: smtpPort,
    blingClientId: "demo-bling-app",
    blingClientSecret: secrets.blingClientSecret,
    zydonPluginId: "00000000-0000-4000-8000-00000000b11e",
    zydonAccessKey: secrets.zydonAccessKey,
    account: { products: demoProducts, contacts: demoContacts, paymentMethods: 6 },
  });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "EADDRINUSE") {
    console.error(
      `\nA simulator port is taken (${e.message}). Stop the other \`pnpm dev\`, or set DEV_BLING_SIM_PORT / DEV_ZYDON_SIM_PORT / DEV_SMTP_PORT.\n`,
    );
    await services.stop();
    process.exit(1);
  }
  throw err;
}
say(
  `Bling simulator on ${world.bling.url} (company ${world.blingAccountId}: ${demoProducts} products, ${demoContacts} contacts); Zydon simulator on ${world.zydon.url}; mail catcher on ${world.mail.url}`,
);

// Alert e-mails go to the demo's mail catcher, unless the user points SMTP_URL at a server of their own.
const ownSmtp = env.SMTP_URL !== undefined && env.SMTP_URL !== "";
// The name is quoted: bare, "(demo)" would be an address comment and dropped from the sender's name.
const mailEnv: Record<string, string> = ownSmtp
  ? {}
  : { SMTP_URL: world.mail.url, ALERT_FROM: env.ALERT_FROM ?? '"Zydon ↔ Bling (demo)" <alertas@demo.local>' };

const childEnv: Record<string, string> = {
  ...(env as Record<string, string>),
  NODE_ENV: "development",
  LOG_LEVEL: env.LOG_LEVEL ?? "warn",
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  REDIS_PREFIX: redisPrefix,
  API_PORT: String(apiPort),
  PUBLIC_BASE_URL: publicUrl,
  SECRETS_KEY: secrets.secretsKey,
  SECRETS_KEY_ID: "demo1",
  SESSION_SECRET: secrets.sessionSecret,
  // The demo image server, the simulators and the console's webhook catcher are on loopback; production
  // leaves this unset.
  OUTBOUND_ALLOW_HOSTS: "127.0.0.1,localhost",
  OPS_TOKEN: opsToken,
  WORKER_METRICS_PORT: String(workerMetricsPort),
  ...world.productEnv(),
  ...mailEnv,
};

const children = createChildSupervisor({
  env: childEnv,
  onUnexpectedExit(name, how) {
    console.error(`${name} exited (${how}); stopping the demo`);
    shutdown(1);
  },
});
const start = (name: string, entry: string) => children.start(name, entry);

let shuttingDown = false;
let stopConsole: (() => Promise<void>) | undefined;
/** Ctrl+C (or SIGTERM): each child gets one SIGTERM (children.ts), then the simulators stop. */
function shutdown(code: number): void {
  if (shuttingDown) return;
  shuttingDown = true;
  setTimeout(() => process.exit(code), 5_000).unref();
  children
    .stopAll("SIGTERM")
    .then(async () => {
      await stopConsole?.();
      await world.close();
    })
    .finally(() => services.stop())
    .finally(() => process.exit(code));
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

// The apps' declared entry modules (package exports), resolved from this package's dependencies.
const resolveEntry = createRequire(import.meta.url).resolve;
start("api", resolveEntry("@zb/api/server"));
start("worker", resolveEntry("@zb/worker/main"));

async function waitForApi(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${publicUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the API did not become ready on ${publicUrl}/readyz within ${timeoutMs / 1000} s`);
}

try {
  await waitForApi(60_000);
  const consoleServer = await startSimulatorConsole({ world, apiUrl: publicUrl, port: consolePort });
  stopConsole = consoleServer.close;
  const { settingsUrl } = await installFromAppCenter({
    zydonUrl: world.zydon.url,
    organizationId: world.organizationId,
    pluginId: world.credentials.zydonPluginId,
    apiUrl: publicUrl,
  });
  const appCenter = `${world.zydon.url}/app-center?org=${world.organizationId}`;
  console.log(`
Zydon ↔ Bling demo is running (Ctrl+C stops everything).

  Installed from the Zydon App Center for "${world.organizationName}". Open the settings page
  and click "Conectar ao Bling" (then "Autorizar" on the Bling simulator) to start the initial sync:

    ${settingsUrl}
      (this link's session lasts 5 minutes; for a fresh one: ${consoleServer.url}/abrir-configuracoes)

  Act as the merchant in Bling (stock, price, order situação) and as a buyer in Zydon (place an order):
    simulator console   ${consoleServer.url}

  Alerts to the merchant, caught on this machine:
    e-mails             ${ownSmtp ? `sent through your SMTP_URL (${consoleServer.url}/mail stays empty)` : `${consoleServer.url}/mail  (SMTP catcher ${world.mail.url})`}
    webhooks            ${consoleServer.url}/hooks  (paste ${consoleServer.hookUrl} as "Webhook (opcional)" in Configurações → Alertas)

  Bling simulator      ${world.bling.url}  (API ${world.bling.apiBaseUrl}, control ${world.bling.url}/__control/<method>)
  Zydon simulator      ${world.zydon.url}  (App Center ${appCenter})
  API                  ${publicUrl}  (health ${publicUrl}/readyz)
  Operators            ${publicUrl}/ops/tenants, ${publicUrl}/ops/queues, ${publicUrl}/metrics
                       (basic auth: any user, password ${opsToken}); worker metrics http://127.0.0.1:${workerMetricsPort}/metrics
`);
} catch (err) {
  console.error(`\nThe demo could not start: ${(err as Error).message}\n`);
  shutdown(1);
}
