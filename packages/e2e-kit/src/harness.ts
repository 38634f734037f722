import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { type StartedBlingSimulator, startBlingSimulator } from "@zb/bling-simulator";
import { createLogger, type Env, type Logger, loadConfig, workerEnvKeys } from "@zb/config";
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

/** The worker's configuration, as `@zb/worker`'s composer takes it (the same keys its main.ts loads). */
export type WorkerEnv = Pick<Env, (typeof workerEnvKeys)[number]>;

/**
 * What the harness needs of a composed worker: to close it, and its producer to queue jobs. The caller's
 * worker type (e.g. `ComposedWorker` of `@zb/worker`) flows through `E2E<W>` unchanged.
 */
export interface E2EWorker {
  deps: { producer: { enqueue(name: "initial-sync-start", data: { tenantId: string }): Promise<unknown> } };
  close(): Promise<void>;
}

/**
 * The worker's in-process composer, passed by the caller (the kit imports no app): `composeWorker` of
 * `@zb/worker` fits. `{ queues: [] }` asks for a producer-only worker.
 */
export type WorkerComposer<W extends E2EWorker, O> = (
  env: WorkerEnv,
  logger: Logger,
  opts: O | { queues?: string[] },
) => Promise<W>;

export interface StartE2EOptions<W extends E2EWorker, O> {
  composeWorker: WorkerComposer<W, O>;
  worker?: O | false;
  env?: Record<string, string>;
  webhooks?: boolean;
  /** Bling simulator limits (compressed-time runs raise `perSecond` with the worker's `rateShare`). */
  blingLimits?: { perSecond?: number; perDay?: number };
  /**
   * A Redis of the test's own (`startPrivateRedis`) instead of the shared one: the world's keys still get a
   * per-file prefix, and the caller stops the server.
   */
  redisUrl?: string;
}

export const CLIENT_ID = "e2e-bling-app";
export const CLIENT_SECRET = "e2e-bling-client-secret-0123456789";
export const PLUGIN_ID = "00000000-0000-4000-8000-0000000000e2";
export const PLUGIN_KEY = "e2e-zydon-plugin-access-key";

/**
 * Everything a sync test needs, real: a migrated Postgres database, a Redis prefix, both simulators over
 * HTTP and the worker as the caller's composer builds it (the worker's main.ts composition). One tenant per `addTenant` (a Zydon organization with our
 * plugin installed, a Bling account connected through the simulator's OAuth).
 */
export interface E2E<W extends E2EWorker = E2EWorker, O = unknown> {
  bling: StartedBlingSimulator;
  zydon: StartedZydonSimulator;
  env: WorkerEnv;
  /** The same environment as strings, for child processes (worker or API). */
  rawEnv: Record<string, string | undefined>;
  db: DbHandle;
  redis: Redis;
  worker: W;
  startWorker(opts?: O): Promise<W>;
  addTenant(name: string): Promise<{ tenantId: string; orgId: string; accountId: string; companyId: string }>;
  queueCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startE2E<W extends E2EWorker, O>(opts: StartE2EOptions<W, O>): Promise<E2E<W, O>> {
  const tdb: TestDatabase = await createTestDatabase({ migrate: runMigrations });
  const shared = createTestRedis();
  const redisT = opts.redisUrl ? { ...shared, url: opts.redisUrl, cleanup: async () => undefined } : shared;
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
  // A test that restarts its private Redis sees connection errors here: the client reconnects by itself.
  redis.on("error", () => undefined);
  const logger = createLogger({ level: env.LOG_LEVEL, name: "e2e-worker" });
  const workers: W[] = [];
  const startWorker = async (o: O | { queues?: string[] } = opts.worker || {}) => {
    const w = await opts.composeWorker(env, logger, o);
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

/**
 * Run one of our entry points as a real process. `entry` is the caller's absolute path of the module
 * (e.g. `entryPath("@zb/api/server", import.meta.url)` for the API server, a test's own worker entry).
 */
export function spawnService(entry: string, env: Record<string, string | undefined>): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", entry], {
    env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>,
    stdio: ["ignore", "pipe", "pipe"],
  });
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
 * The absolute file path of an exported entry module (`"@zb/api/server"`, `"@zb/worker/main"`), resolved from
 * the caller's module (`import.meta.url`) so the caller's own dependencies decide what is found.
 */
export function entryPath(specifier: string, fromUrl: string): string {
  return createRequire(fromUrl).resolve(specifier);
}

/**
 * Our API as a real process beside an E2E world: listening on a free port, ready (`/readyz` 200), and the
 * Bling simulator's webhooks pointed at it. Its output is attached to a readiness timeout. `entry` is the
 * absolute path of the API's server module (see `entryPath`).
 */
export async function startApiProcess(
  e: Pick<E2E, "rawEnv" | "bling">,
  opts: { entry: string; readyTimeoutMs?: number },
): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnService(opts.entry, {
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
