import { createLogger } from "@zb/config";
import { createDb, type DbHandle } from "@zb/db";
import { createTestDatabase, type TestDatabase, testRedisUrl } from "@zb/testing";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiServerOptions, app } from "../app.js";
import { createRedisProducer } from "../deps.js";
import { stubDeps } from "../test-support/stub-deps.js";

let tdb: TestDatabase;
let db: DbHandle;
const redises: Redis[] = [];
const apps: FastifyInstance[] = [];

async function build(redisUrl: string): Promise<FastifyInstance> {
  const redis = createRedisProducer(redisUrl);
  redis.on("error", () => {});
  redises.push(redis);
  const logger = createLogger({ level: "silent" });
  const instance = Fastify(apiServerOptions(logger as FastifyBaseLogger));
  await instance.register(app, stubDeps({ db, redis }));
  apps.push(instance);
  return instance;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = createDb({ url: tdb.url, max: 2 });
});
afterAll(async () => {
  for (const a of apps) await a.close();
  for (const r of redises) r.disconnect();
  await db?.close();
  await tdb?.drop();
});

describe("health", () => {
  it("/healthz answers while dependencies are down", async () => {
    const instance = await build("redis://127.0.0.1:1");
    const res = await instance.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
  });

  it("/readyz is 200 when Postgres and Redis are up", async () => {
    const instance = await build(testRedisUrl());
    const res = await instance.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ready" });
  });

  it("/readyz is 503 naming Redis when Redis is unreachable", async () => {
    const instance = await build("redis://127.0.0.1:1");
    const res = await instance.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: "unavailable", failing: ["redis"] });
  });

  it("/readyz is 503 naming Postgres when the database is unreachable", async () => {
    const badDb = createDb({ url: "postgres://postgres@127.0.0.1:1/nope", max: 1 });
    const redis = createRedisProducer(testRedisUrl());
    redises.push(redis);
    const logger = createLogger({ level: "silent" });
    const instance = Fastify(apiServerOptions(logger as FastifyBaseLogger));
    await instance.register(app, stubDeps({ db: badDb, redis }));
    apps.push(instance);
    const res = await instance.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json().failing).toEqual(["postgres"]);
    await badDb.close();
  });
});

describe("errors", () => {
  it("a 5xx answers a generic pt-BR body without internals", async () => {
    // This database has no tables: the session lookup fails inside Postgres.
    const instance = await build(testRedisUrl());
    const res = await instance.inject({
      method: "POST",
      url: "/api/session",
      payload: { organizationId: "org-1", accessToken: "t" },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: "internal_error",
      message: "Erro interno. Tente novamente em instantes.",
    });
    expect(res.body).not.toMatch(/relation|tenants|postgres|stack/i);
  });

  it("unknown routes get a pt-BR 404", async () => {
    const instance = await build(testRedisUrl());
    const res = await instance.inject({ method: "GET", url: "/nada" });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toBe("Rota não encontrada.");
  });
});
