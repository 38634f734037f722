import { apiEnvKeys, createLogger, loadConfig } from "@zb/config";
import { CredentialsRepository, runMigrations, TenantsRepository } from "@zb/db";
import { BlingBudget } from "@zb/sync";
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, testEnv } from "@zb/testing";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiServerOptions, app } from "./app.js";
import { composeAppDeps } from "./compose.js";
import { signSession } from "./session/session-token.js";

let tdb: TestDatabase;
let tredis: TestRedis;

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  tredis = createTestRedis();
});
afterAll(async () => {
  await tdb?.drop();
  await tredis?.cleanup();
});

describe("production wiring", () => {
  it("composes every port from the environment; health shows the Bling account's requests today", async () => {
    const config = loadConfig(
      apiEnvKeys,
      testEnv({
        DATABASE_URL: tdb.url,
        REDIS_URL: tredis.url,
        REDIS_PREFIX: tredis.prefix,
        BLING_DAILY_LIMIT: "5000",
      }),
    );
    const logger = createLogger({ level: "silent" });
    const deps = composeAppDeps(config, logger);
    const server = Fastify(apiServerOptions(logger as FastifyBaseLogger));
    try {
      await server.register(app, deps);
      expect((await server.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);

      const { tenant } = await new TenantsRepository(deps.db.db).install("org-compose");
      await new CredentialsRepository(deps.db.db, deps.secretBox).connectBling(tenant.id, {
        blingCompanyId: "c0ffee00c0ffee00c0ffee00c0ffee00",
        companyName: "Compose Ltda",
        tokens: {
          accessToken: "a".repeat(20),
          refreshToken: "r".repeat(20),
          accessExpiresAt: new Date(Date.now() + 3_600_000),
          refreshExpiresAt: new Date(Date.now() + 86_400_000),
        },
      });
      // What a worker spends for this Bling account, through its own BlingBudget instance.
      const workerBudget = new BlingBudget({ redis: deps.redis, keyPrefix: tredis.prefix, dailyLimit: 5000 });
      // Spaced grants (and the hold of a fresh budget state): wait for each instead of taking twice at once.
      for (let i = 0; i < 2; i++) {
        await workerBudget.waitFor({ accountId: "c0ffee00c0ffee00c0ffee00c0ffee00", lane: "catalog" });
      }
      const { token } = signSession(config.SESSION_SECRET, {
        tenantId: tenant.id,
        organizationId: "org-compose",
      });
      const res = await server.inject({
        method: "GET",
        url: "/api/settings/health",
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().requests).toMatchObject({ today: 2, dailyLimit: 5000 });
    } finally {
      await server.close();
      await deps.close();
    }
  });
});
