import { createLogger } from "@zb/config";
import {
  CredentialsRepository,
  createDb,
  type DbHandle,
  OpsRepository,
  runMigrations,
  SecretBox,
  syncLedger,
  syncRuns,
  TenantsRepository,
  webhookInbox,
} from "@zb/db";
import { BlingBudget, QUEUES } from "@zb/sync";
import {
  createTestDatabase,
  createTestRedis,
  generateCpf,
  type TestDatabase,
  type TestRedis,
  testEnv,
} from "@zb/testing";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiServerOptions, app } from "../app.js";
import { composeOps } from "../compose.js";
import { createRedisProducer } from "../deps.js";
import { stubDeps } from "../test-support/stub-deps.js";

const TOKEN = "ops-token-for-tests-0123456789abcdef";
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

let tdb: TestDatabase;
let tredis: TestRedis;
let db: DbHandle;
let redis: Redis;
let budget: BlingBudget;
const apps: FastifyInstance[] = [];
const secrets: string[] = [];
let tenantA: string;
let tenantB: string;
const cpf = generateCpf();

async function build(withOps: boolean): Promise<FastifyInstance> {
  const base = stubDeps({ db, redis, prefix: tredis.prefix });
  const ops = composeOps(
    { OPS_TOKEN: withOps ? TOKEN : undefined, METRICS_TOP_ACCOUNTS: 10 },
    {
      opsRepo: new OpsRepository(db.db),
      queues: Object.values(QUEUES).map((q) => base.producer.queue(q)),
      usageToday: async (a) => (await budget.usage(a)).today,
    },
  );
  const instance = Fastify(apiServerOptions(createLogger({ level: "silent" }) as FastifyBaseLogger));
  await instance.register(app, { ...base, ops });
  apps.push(instance);
  return instance;
}

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  tredis = createTestRedis();
  db = createDb({ url: tdb.url, max: 2 });
  redis = createRedisProducer(tredis.url);
  redis.on("error", () => {});
  budget = new BlingBudget({ redis, keyPrefix: tredis.prefix });
  const env = testEnv();
  const box = new SecretBox({ id: "k1", keyBase64: env.SECRETS_KEY as string });
  const tenants = new TenantsRepository(db.db);
  const credentials = new CredentialsRepository(db.db, box);
  // Two merchants with everything an operator must never see: tokens, access keys, names, a customer's CPF.
  for (const [i, org] of ["org-ops-a", "org-ops-b"].entries()) {
    const { tenant } = await tenants.install(org);
    const s = {
      code: `zydon-code-${i}-secretvalue`,
      key: `zydon-token-${i}-secretvalue`,
      access: `bling-access-${i}-secretvalue`,
      refresh: `bling-refresh-${i}-secretvalue`,
      company: `Empresa Confidencial ${i} Ltda`,
    };
    secrets.push(s.code, s.key, s.access, s.refresh, s.company, org);
    await credentials.saveZydonAccessKey(tenant.id, { accessKeyCode: s.code, accessKeyToken: s.key });
    await credentials.connectBling(tenant.id, {
      blingCompanyId: `company-${i}`,
      companyName: s.company,
      tokens: {
        accessToken: s.access,
        refreshToken: s.refresh,
        accessExpiresAt: new Date(Date.now() + 3_600_000),
        refreshExpiresAt: new Date(Date.now() + 30 * 86_400_000),
        scope: "all",
      },
    });
    await tenants.setState(tenant.id, "active");
    if (i === 0) tenantA = tenant.id;
    else tenantB = tenant.id;
  }
  secrets.push(cpf, "Maria Cliente da Silva");
  await db.db.insert(syncLedger).values([
    {
      tenantId: tenantA,
      entity: "customers",
      entityKey: "contact-1",
      action: "create",
      outcome: "failed",
      reason: `Cliente Maria Cliente da Silva (CPF ${cpf}) recusado`,
      details: { cpf, nome: "Maria Cliente da Silva" },
    },
    { tenantId: tenantA, entity: "products", entityKey: "p-1", action: "create", outcome: "synced" },
  ]);
  await db.db.insert(syncRuns).values({
    tenantId: tenantB,
    kind: "initial",
    entity: "stock",
    status: "done",
    finishedAt: new Date(Date.now() - 60_000),
  });
  await db.db.insert(webhookInbox).values({
    provider: "bling",
    eventId: "evt-1",
    tenantId: tenantA,
    eventType: "stock.updated",
    payload: { cpf, nome: "Maria Cliente da Silva" },
  });
  // Three real grants (the share is 2/s, so the third waits its window).
  for (let i = 0; i < 3; i++)
    await budget.waitFor({ accountId: "company-0", lane: "catalog", maxWaitMs: 5_000 });
});

afterAll(async () => {
  for (const a of apps) await a.close();
  redis.disconnect();
  await db.close();
  await tredis.cleanup();
  await tdb.drop();
});

const opsUrls = [
  "/metrics",
  "/ops/tenants",
  "/ops/tenants?format=json",
  "/ops/queues",
  "/ops/queues/api/queues",
];

describe("ops routes without OPS_TOKEN", () => {
  it("do not exist: 404 with or without credentials", async () => {
    const api = await build(false);
    for (const url of opsUrls) {
      expect((await api.inject({ url })).statusCode, url).toBe(404);
      const res = await api.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode, url).toBe(404);
    }
  });
});

describe("ops routes with OPS_TOKEN", () => {
  it("refuse unauthenticated and wrongly authenticated requests with 401 and a basic challenge", async () => {
    const api = await build(true);
    for (const url of opsUrls) {
      for (const authorization of [
        undefined,
        "Bearer wrong-token",
        `Bearer ${TOKEN}x`,
        basic("ops", "nope"),
        `Token ${TOKEN}`,
      ]) {
        const res = await api.inject({ url, headers: authorization ? { authorization } : {} });
        expect(res.statusCode, `${url} ${authorization}`).toBe(401);
        expect(res.headers["www-authenticate"]).toMatch(/^Basic realm=/);
        expect(res.body).not.toContain("zb_");
        expect(res.body).not.toContain(tenantA);
      }
    }
  });

  it("serve the tenants page (JSON and HTML) to a Bearer or basic-auth operator, without secrets or customer data", async () => {
    const api = await build(true);
    const json = await api.inject({
      url: "/ops/tenants?format=json",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(json.statusCode).toBe(200);
    expect(json.headers["cache-control"]).toBe("no-store");
    const body = json.json() as { tenants: Array<Record<string, unknown>> };
    const a = body.tenants.find((t) => t.tenantId === tenantA);
    const b = body.tenants.find((t) => t.tenantId === tenantB);
    expect(body.tenants).toHaveLength(2);
    expect(a).toMatchObject({
      state: "active",
      blingStatus: "connected",
      backlog: { webhooks: 1, orders: 0 },
      errors: { open: 1, today: 1 },
      requestsToday: 3,
    });
    expect(Object.keys((a as { lastSuccess: object }).lastSuccess)).toEqual(["products"]);
    expect(b).toMatchObject({
      backlog: { webhooks: 0, orders: 0 },
      errors: { open: 0, today: 0 },
      requestsToday: 0,
    });
    expect(Object.keys((b as { lastSuccess: object }).lastSuccess)).toEqual(["stock"]);

    const html = await api.inject({
      url: "/ops/tenants",
      headers: { authorization: basic("anyone", TOKEN) },
    });
    expect(html.statusCode).toBe(200);
    expect(html.headers["content-type"]).toContain("text/html");
    expect(html.body).toContain(tenantA);
    expect(html.body).toContain(tenantB);
    for (const res of [json, html]) {
      for (const s of secrets) expect(res.body, s).not.toContain(s);
      expect(res.body).not.toMatch(/gcm1:/);
    }
  });

  it("serve Prometheus metrics: queue depth and today's Bling usage per account and in total", async () => {
    const base = await build(true);
    await stubDeps({ db, redis, prefix: tredis.prefix }).producer.enqueue("refresh-product", {
      tenantId: tenantA,
      blingProductId: "1",
    });
    const res = await base.inject({ url: "/metrics", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/plain");
    expect(res.body).toMatch(/zb_queue_jobs\{[^}]*queue="events"[^}]*state="waiting"[^}]*\} 1\n/);
    expect(res.body).toMatch(/zb_bling_requests_today\{[^}]*account="_all"[^}]*\} 3\n/);
    expect(res.body).toMatch(/zb_bling_requests_today\{[^}]*account="company-0"[^}]*\} 3\n/);
    expect(res.body).toMatch(/zb_bling_accounts\{[^}]*\} 2\n/);
    for (const s of secrets) expect(res.body, s).not.toContain(s);
  });

  it("serve Bull Board under /ops/queues with every queue", async () => {
    const api = await build(true);
    const page = await api.inject({ url: "/ops/queues", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<base href="/ops/queues');
    const list = await api.inject({
      url: "/ops/queues/api/queues",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(list.statusCode).toBe(200);
    const names = (list.json() as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
    expect(names).toEqual(Object.values(QUEUES).sort());
  });
});
