import { createServer } from "node:net";
import { createLogger } from "@zb/config";
import { createDb, type DbHandle, runMigrations, SecretBox, TenantsRepository } from "@zb/db";
import {
  type BlingBudget,
  ensureTenantSchedulers,
  type JobName,
  JobProducer,
  QUEUES,
  removeTenantSchedulers,
  wireBudget,
  wireTokenManager,
  wireZydonApp,
} from "@zb/sync";
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, testEnv } from "@zb/testing";
import type { WebhookAuthMode } from "@zb/zydon";
import { type StartedZydonSimulator, startZydonSimulator } from "@zb/zydon-simulator";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type LightMyRequestResponse,
  type RouteOptions,
} from "fastify";
import type { Redis } from "ioredis";
import { createBlingGateway } from "../adapters/bling-gateway.js";
import { createChoices } from "../adapters/choices.js";
import { apiServerOptions, app } from "../app.js";
import { type AppDeps, type ConnectLimits, createRedisProducer, type RateLimits } from "../deps.js";
import { manifestFilesFor } from "../zydon-manifest.js";
import { type BlingDouble, startBlingDouble } from "./bling-double.js";

const env = testEnv();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Harness {
  api: FastifyInstance;
  apiUrl: string;
  deps: AppDeps;
  db: DbHandle;
  redis: Redis;
  zydon: StartedZydonSimulator;
  bling: BlingDouble;
  pluginId: string;
  /** Every registered route (captured with onRoute), for table-driven tests. */
  routes: RouteOptions[];
  hookCalls: Array<{ hook: "paused" | "resumed"; tenantId: string }>;
  /** Everything the API logged, one JSON line per entry. */
  logs: string[];
  /** Secret values seen during the test (tokens, keys, sessions) — the log scan looks for them. */
  knownSecrets(): string[];
  /** Jobs currently in any state, optionally for one tenant and name. */
  jobs(filter?: {
    name?: JobName;
    tenantId?: string;
  }): Promise<Array<{ name: string; data: Record<string, unknown> }>>;
  /** Full App Center install through OAuth; returns the organization and tenant ids. */
  install(
    org?: string | { orgId: string },
  ): Promise<{ orgId: string; tenantId: string; launchLocation: string }>;
  session(orgId: string): Promise<string>;
  /**
   * "Conectar ao Bling" end to end as the page does it (same-origin POST → nonce URL → Bling → callback →
   * "Confirmar"); returns the last response (the confirmation's, or the callback's when it did not ask).
   */
  connectBling(
    sessionToken: string,
    accountId: string,
  ): Promise<{ status: number; location: string | undefined; body: string }>;
  /** The page's start (same-origin POST, then the nonce URL): Bling's authorize URL, its state and cookie. */
  startBling(sessionToken: string): Promise<{ location: URL; state: string; cookie: string }>;
  /** The confirmation page's answer (the form POST with the state and the browser's state cookie). */
  answerBling(
    state: string,
    cookie: string | undefined,
    decision?: "confirm" | "cancel",
  ): Promise<LightMyRequestResponse>;
  /** The deployment-wide token-call budget the API's code exchanges spend (only with `tokenBudget: true`). */
  tokenBudget: BlingBudget | undefined;
  close(): Promise<void>;
}

/** The webhook secret the test plugin's webhooks.yml declares (zydon-api.md §2.4). */
export const TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789abcdef";

export async function createHarness(
  opts: {
    rateLimits?: Partial<RateLimits>;
    /** Per-tenant connect attempts (default: the product's 3 per 10 minutes). */
    connectLimits?: Partial<ConnectLimits>;
    /** Code exchanges go through the production token-call budget (Redis, this file's prefix). */
    tokenBudget?: boolean;
    /** How the API authenticates Zydon webhooks, and the secret the manifest declares (default: the first). */
    zydonWebhook?: { mode?: WebhookAuthMode; secrets?: string[]; declared?: string };
    /**
     * `API_TRUST_PROXY` of this API (default 127.0.0.1: `inject` plays the load balancer, so a test's
     * X-Forwarded-For stands for the address that balancer saw).
     */
    trustProxy?: false | string[];
  } = {},
): Promise<Harness> {
  const tdb: TestDatabase = await createTestDatabase({ migrate: runMigrations });
  const tredis: TestRedis = createTestRedis();
  const db = createDb({ url: tdb.url, max: 4 });
  const redis = createRedisProducer(tredis.url);
  redis.on("error", () => {});
  const logs: string[] = [];
  const logger = createLogger({
    level: "trace",
    name: "api-test",
    destination: { write: (s) => logs.push(s) },
  });

  const clientId = env.BLING_CLIENT_ID as string;
  const clientSecret = env.BLING_CLIENT_SECRET as string;
  const pluginId = env.ZYDON_PLUGIN_ID as string;
  const pluginKey = env.ZYDON_ACCESS_KEY as string;
  const sessionSecret = env.SESSION_SECRET as string;

  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const bling = await startBlingDouble({ clientId, clientSecret, apiUrl });
  const zydon = await startZydonSimulator();
  // Registered the way App Studio does: from the plugin package `pnpm zydon:manifest` writes for this API.
  const webhookSecrets = opts.zydonWebhook?.secrets ?? [TEST_WEBHOOK_SECRET];
  zydon.sim.registerPluginFromManifest(
    manifestFilesFor({
      publicBaseUrl: apiUrl,
      pluginId,
      webhookSecret: opts.zydonWebhook?.declared ?? webhookSecrets[0],
    }),
    { accessKey: pluginKey, name: "Bling", launchUrl: `${apiUrl}/zydon/install` },
  );

  const secretBox = new SecretBox({ id: "k1", keyBase64: env.SECRETS_KEY as string });
  const producer = new JobProducer(redis, tredis.prefix);
  // The production wiring, pointed at the doubles (default timeouts; no budget unless asked: the doubles
  // do not limit).
  const wired = opts.tokenBudget
    ? wireBudget({ REDIS_PREFIX: tredis.prefix, BLING_RATE_SHARE: 2, BLING_DAILY_LIMIT: 120_000 }, redis)
    : undefined;
  const gateway = bling.recording(
    createBlingGateway(
      {
        BLING_CLIENT_ID: clientId,
        BLING_CLIENT_SECRET: clientSecret,
        BLING_API_BASE_URL: bling.apiBaseUrl,
        BLING_AUTHORIZE_URL: bling.authorizeUrl,
        BLING_ENABLE_JWT: false,
        BLING_REQUEST_TIMEOUT_MS: 30_000,
      },
      wired ? { exchangeGate: wired.exchangeGate } : {},
    ),
  );
  const hookCalls: Harness["hookCalls"] = [];
  const { tokens } = wireTokenManager(
    { db: db.db, redis, secretBox, logger },
    { REDIS_PREFIX: tredis.prefix },
    {
      oauth: gateway,
    },
  );
  const zydonApp = wireZydonApp(
    {
      ZYDON_PLUGIN_ID: pluginId,
      ZYDON_ACCESS_KEY: pluginKey,
      ZYDON_API_BASE_URL: zydon.url,
      ZYDON_ADMIN_URL: zydon.url,
      ZYDON_REQUEST_TIMEOUT_MS: 30_000,
    },
    {
      logger,
      webhookSecrets,
      ...(opts.zydonWebhook?.mode ? { contract: { webhookAuth: opts.zydonWebhook.mode } } : {}),
    },
  );
  const deps: AppDeps = {
    config: {
      NODE_ENV: "test",
      PUBLIC_BASE_URL: apiUrl,
      SESSION_SECRET: sessionSecret,
      SECRET_RETENTION_DAYS: 30,
      REDIS_PREFIX: tredis.prefix,
      BLING_RATE_SHARE: 2,
      ZYDON_ADMIN_URL: zydon.url,
    },
    db,
    redis,
    logger,
    secretBox,
    producer,
    bling: gateway,
    zydon: zydonApp,
    tokens,
    choices: createChoices({
      config: {
        BLING_API_BASE_URL: bling.apiBaseUrl,
        BLING_ENABLE_JWT: false,
        BLING_REQUEST_TIMEOUT_MS: 5_000,
      },
      tokens,
      zydon: zydonApp,
    }),
    hooks: {
      onTenantPaused: async (tenantId) => {
        hookCalls.push({ hook: "paused", tenantId });
        await removeTenantSchedulers(producer, tenantId);
      },
      onTenantResumed: async (tenantId) => {
        hookCalls.push({ hook: "resumed", tenantId });
        await ensureTenantSchedulers(producer, tenantId);
      },
    },
    rateLimits: opts.rateLimits,
    connectLimits: opts.connectLimits,
  };

  const routes: RouteOptions[] = [];
  const api = Fastify(
    apiServerOptions(logger as FastifyBaseLogger, { trustProxy: opts.trustProxy ?? ["127.0.0.1"] }),
  );
  api.addHook("onRoute", (r) => {
    routes.push(r);
  });
  await api.register(app, deps);
  await api.listen({ port, host: "127.0.0.1" });

  const sessions: string[] = [];

  const h: Harness = {
    api,
    apiUrl,
    deps,
    db,
    redis,
    zydon,
    bling,
    pluginId,
    tokenBudget: wired?.budget,
    routes,
    hookCalls,
    logs,
    knownSecrets() {
      const out = [
        ...webhookSecrets,
        clientSecret,
        pluginKey,
        sessionSecret,
        env.SECRETS_KEY as string,
        ...bling.issued(),
        ...sessions,
      ];
      for (const org of zydon.sim.orgs.values()) {
        for (const inst of org.installations.values()) out.push(inst.accessKeyCode, inst.accessKeyToken);
      }
      for (const token of zydon.sim.adminSessions.keys()) out.push(token);
      return out.filter((s) => s.length >= 8);
    },
    async jobs(filter = {}) {
      const out: Array<{ name: string; data: Record<string, unknown> }> = [];
      for (const qn of Object.values(QUEUES)) {
        const jobs = await producer
          .queue(qn)
          .getJobs([
            "waiting",
            "delayed",
            "active",
            "completed",
            "failed",
            "prioritized",
            "waiting-children",
          ]);
        for (const j of jobs) {
          if (!j) continue;
          if (filter.name && j.name !== filter.name) continue;
          if (filter.tenantId && (j.data as { tenantId?: string }).tenantId !== filter.tenantId) continue;
          out.push({ name: j.name, data: j.data as Record<string, unknown> });
        }
      }
      return out;
    },
    async install(orgOrName = "Distribuidora") {
      const org =
        typeof orgOrName === "string"
          ? zydon.sim.createOrganization({ name: orgOrName })
          : { id: orgOrName.orgId };
      const start = await api.inject({ method: "GET", url: "/zydon/install" });
      if (start.statusCode !== 302) throw new Error(`install start: ${start.statusCode}`);
      const authorize = new URL(start.headers.location as string);
      const state = authorize.searchParams.get("state") as string;
      const redirectUri = authorize.searchParams.get("redirect_uri") as string;
      // The browser's install cookie (the state is tied to the browser that started the install).
      const cookie = start.cookies.find((c) => c.name === "zb_zydon_state")?.value;
      const code = await zydon.sim.authorize(org.id, pluginId, redirectUri, state);
      const cb = await api.inject({
        method: "GET",
        url: `/zydon/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`,
        cookies: cookie ? { zb_zydon_state: cookie } : {},
      });
      if (cb.statusCode !== 302) throw new Error(`install callback: ${cb.statusCode} ${cb.body}`);
      const tenant = await new TenantsRepository(db.db).findByOrganization(org.id);
      if (!tenant) throw new Error("no tenant after install");
      const launchLocation = cb.headers.location as string;
      sessions.push(decodeURIComponent(launchLocation.split("#launch=")[1] ?? ""));
      return { orgId: org.id, tenantId: tenant.id, launchLocation };
    },
    async session(orgId) {
      const admin = zydon.sim.issueAdminSession(orgId);
      const res = await api.inject({ method: "POST", url: "/api/session", payload: admin });
      if (res.statusCode !== 200) throw new Error(`session: ${res.statusCode} ${res.body}`);
      const token = res.json().token as string;
      sessions.push(token);
      return token;
    },
    async startBling(sessionToken) {
      const begin = await api.inject({
        method: "POST",
        url: "/bling/connect",
        headers: { authorization: `Bearer ${sessionToken}`, origin: apiUrl },
      });
      if (begin.statusCode !== 200) throw new Error(`bling connect: ${begin.statusCode} ${begin.body}`);
      const nonceUrl = new URL(begin.json().url as string);
      const start = await api.inject({ method: "GET", url: `${nonceUrl.pathname}${nonceUrl.search}` });
      if (start.statusCode !== 302) throw new Error(`bling connect start: ${start.statusCode} ${start.body}`);
      const location = new URL(start.headers.location as string);
      const cookie = start.cookies.find((c) => c.name === "zb_bling_state")?.value as string;
      return { location, state: location.searchParams.get("state") as string, cookie };
    },
    answerBling(state, cookie, decision = "confirm") {
      return api.inject({
        method: "POST",
        url: "/bling/confirm",
        payload: new URLSearchParams({ state, decision }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
        cookies: cookie ? { zb_bling_state: cookie } : {},
      });
    },
    async connectBling(sessionToken, accountId) {
      const { state, cookie } = await h.startBling(sessionToken);
      const code = bling.authorize(accountId);
      const cb = await api.inject({
        method: "GET",
        url: `/bling/callback?code=${code}&state=${encodeURIComponent(state)}`,
        cookies: { zb_bling_state: cookie },
      });
      const done = isBlingConfirmation(cb) ? await h.answerBling(state, cookie) : cb;
      return {
        status: done.statusCode,
        location: done.headers.location as string | undefined,
        body: done.body,
      };
    },
    async close() {
      await api.close();
      await producer.close();
      redis.disconnect();
      await zydon.close();
      await bling.close();
      await db.close();
      await tdb.drop();
      await tredis.cleanup();
    },
  };
  return h;
}

/** Bling's callback asked "Conectar a empresa X do Bling à organização Y da Zydon?" (nothing bound yet). */
export function isBlingConfirmation(res: LightMyRequestResponse): boolean {
  return res.statusCode === 200 && res.body.includes('action="/bling/confirm"');
}

/** Fails when any known secret value appears in the captured log lines. */
export function leakedSecrets(h: Pick<Harness, "logs" | "knownSecrets">): string[] {
  const text = h.logs.join("\n");
  return h
    .knownSecrets()
    .filter((s) => text.includes(s))
    .map((s) => `${s.slice(0, 4)}… (${s.length} chars)`);
}
