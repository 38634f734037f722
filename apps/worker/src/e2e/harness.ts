import { type ChildProcess, spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { type StartedBlingSimulator, startBlingSimulator } from "@zb/bling-simulator";
import { createLogger, loadConfig, workerEnvKeys } from "@zb/config";
import {
  CredentialsRepository,
  createDb,
  type DbHandle,
  runMigrations,
  secretBoxFromConfig,
  TenantsRepository,
} from "@zb/db";
import { QUEUES } from "@zb/sync";
import { createTestDatabase, createTestRedis, type TestDatabase, testEnv } from "@zb/testing";
import { type StartedZydonSimulator, startZydonSimulator } from "@zb/zydon-simulator";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { type ComposedWorker, type ComposeWorkerOptions, composeWorker, type WorkerEnv } from "../compose.js";

export const CLIENT_ID = "e2e-bling-app";
export const CLIENT_SECRET = "e2e-bling-client-secret-0123456789";
export const PLUGIN_ID = "00000000-0000-4000-8000-0000000000e2";
export const PLUGIN_KEY = "e2e-zydon-plugin-access-key";

/**
 * Everything a sync test needs, real: a migrated Postgres database, a Redis prefix, both simulators over
 * HTTP and the worker as main.ts composes it. One tenant per `addTenant` (a Zydon organization with our
 * plugin installed, a Bling account connected through the simulator's OAuth).
 */
export interface E2E {
  bling: StartedBlingSimulator;
  zydon: StartedZydonSimulator;
  env: WorkerEnv;
  /** The same environment as strings, for child processes (worker or API). */
  rawEnv: Record<string, string | undefined>;
  db: DbHandle;
  redis: Redis;
  worker: ComposedWorker;
  startWorker(opts?: ComposeWorkerOptions): Promise<ComposedWorker>;
  addTenant(name: string): Promise<{ tenantId: string; orgId: string; accountId: string; companyId: string }>;
  queueCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startE2E(
  opts: {
    worker?: ComposeWorkerOptions | false;
    env?: Record<string, string>;
    webhooks?: boolean;
    /** Bling simulator limits (compressed-time runs raise `perSecond` with the worker's `rateShare`). */
    blingLimits?: { perSecond?: number; perDay?: number };
  } = {},
): Promise<E2E> {
  const tdb: TestDatabase = await createTestDatabase({ migrate: runMigrations });
  const redisT = createTestRedis();
  const bling = await startBlingSimulator({
    apps: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
    autoApprove: true,
    seed: 7,
    webhook: { autoDeliver: opts.webhooks ?? false },
    ...(opts.blingLimits ? { limits: opts.blingLimits } : {}),
  });
  const zydon = await startZydonSimulator({ seed: 7 });
  zydon.sim.registerPlugin({
    pluginId: PLUGIN_ID,
    accessKey: PLUGIN_KEY,
    name: "Bling",
    callbackUrls: ["http://127.0.0.1:1/zydon/callback"],
    installationUrl: "http://127.0.0.1:1/zydon/install",
  });
  const rawEnv = testEnv({
    DATABASE_URL: tdb.url,
    REDIS_URL: redisT.url,
    REDIS_PREFIX: redisT.prefix,
    BLING_CLIENT_ID: CLIENT_ID,
    BLING_CLIENT_SECRET: CLIENT_SECRET,
    BLING_API_BASE_URL: bling.apiBaseUrl,
    ZYDON_PLUGIN_ID: PLUGIN_ID,
    ZYDON_ACCESS_KEY: PLUGIN_KEY,
    ZYDON_API_BASE_URL: zydon.url,
    ZYDON_ADMIN_URL: zydon.url,
    WORKER_CONCURRENCY: "4",
    ...opts.env,
  });
  const env = loadConfig(workerEnvKeys, rawEnv);
  const db = createDb({ url: tdb.url, max: 4 });
  const redis = new Redis(redisT.url, { maxRetriesPerRequest: null });
  const logger = createLogger({ level: env.LOG_LEVEL, name: "e2e-worker" });
  const workers: ComposedWorker[] = [];
  const startWorker = async (o: ComposeWorkerOptions = opts.worker || {}) => {
    const w = await composeWorker(env, logger, o);
    workers.push(w);
    return w;
  };
  // `worker: false`: the test runs workers as child processes (SIGKILL tests) and only uses the producer.
  const worker = await startWorker(opts.worker === false ? { queues: [] } : (opts.worker ?? {}));
  const credentials = new CredentialsRepository(db.db, secretBoxFromConfig(env));
  const tenants = new TenantsRepository(db.db);

  return {
    bling,
    zydon,
    env,
    rawEnv,
    db,
    redis,
    worker,
    startWorker,
    async addTenant(name) {
      const org = zydon.sim.createOrganization({ name: `${name} Ltda` });
      await zydon.sim.install(org.id, PLUGIN_ID);
      const key = zydon.sim.accessKeyFor(org.id, PLUGIN_ID);
      const { accountId, companyId } = bling.sim.control.createAccount({ companyName: `${name} ERP` });
      const t = bling.sim.control.issueTokens(accountId, CLIENT_ID, {});
      const { tenant } = await tenants.install(org.id);
      await credentials.saveZydonAccessKey(tenant.id, { accessKeyCode: key.code, accessKeyToken: key.token });
      const now = Date.now();
      await credentials.connectBling(tenant.id, {
        blingCompanyId: companyId,
        companyName: `${name} ERP`,
        tokens: {
          accessToken: t.access_token,
          refreshToken: t.refresh_token,
          accessExpiresAt: new Date(now + t.expires_in * 1000),
          refreshExpiresAt: new Date(now + 30 * 86_400_000),
          scope: t.scope,
        },
      });
      await tenants.setState(tenant.id, "active");
      return { tenantId: tenant.id, orgId: org.id, accountId, companyId };
    },
    async queueCounts() {
      const out: Record<string, number> = {};
      for (const name of Object.values(QUEUES)) {
        const q = new Queue(name, { connection: redis, prefix: env.REDIS_PREFIX });
        const c = await q.getJobCounts("waiting", "active", "delayed", "prioritized", "failed");
        for (const [k, v] of Object.entries(c)) out[`${name}.${k}`] = v;
        await q.close();
      }
      return out;
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      redis.disconnect();
      await db.close();
      bling.sim.dispose();
      zydon.sim.dispose();
      await bling.close();
      await zydon.close();
      await tdb.drop();
      await redisT.cleanup();
    },
  };
}

/** A free TCP port on 127.0.0.1 (for child processes that need a fixed one). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface Child {
  proc: ChildProcess;
  /** Everything the process printed (for assertions and failure messages). */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Run one of our entry points (`apps/api/src/server.ts`, `apps/worker/src/main.ts`) as a real process. */
export function spawnService(entry: string, env: Record<string, string | undefined>): Child {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL(`../../../../${entry}`, import.meta.url))],
    {
      env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  proc.stdout?.on("data", (d) => {
    out += String(d);
  });
  proc.stderr?.on("data", (d) => {
    out += String(d);
  });
  return {
    proc,
    output: () => out,
    kill(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
      return new Promise((r) => {
        proc.once("exit", () => r());
        proc.kill(signal);
      });
    },
  };
}

/**
 * Our API as a real process beside an E2E world: listening on a free port, ready (`/readyz` 200), and the
 * Bling simulator's webhooks pointed at it. Its output is attached to a readiness timeout.
 */
export async function startApiProcess(
  e: Pick<E2E, "rawEnv" | "bling">,
  opts: { readyTimeoutMs?: number } = {},
): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnService("apps/api/src/server.ts", {
    ...e.rawEnv,
    API_HOST: "127.0.0.1",
    API_PORT: String(port),
    PUBLIC_BASE_URL: url,
    BLING_AUTHORIZE_URL: `${e.bling.apiBaseUrl}/oauth/authorize`,
  });
  await waitFor(
    "API to be ready",
    async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok,
    opts.readyTimeoutMs ?? 30_000,
  ).catch(async (err) => {
    await child.kill("SIGKILL");
    throw new Error(`${(err as Error).message}\n${child.output()}`);
  });
  e.bling.sim.control.setAppWebhookUrl(CLIENT_ID, `${url}/webhooks/bling`);
  return { child, url };
}

/** Poll until `fn` returns a truthy value or the deadline passes (then throw with `what`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
