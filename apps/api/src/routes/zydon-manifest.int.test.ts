import { readFileSync } from "node:fs";
import { createLogger } from "@zb/config";
import { createDb, type DbHandle } from "@zb/db";
import { createTestDatabase, type TestDatabase, testRedisUrl } from "@zb/testing";
import { buildPluginManifest, manifestUrls, parsePluginManifest } from "@zb/zydon";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type HTTPMethods } from "fastify";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiServerOptions, app } from "../app.js";
import { createRedisProducer } from "../deps.js";
import { stubDeps } from "../test-support/stub-deps.js";
import { EXAMPLE_MANIFEST_INPUT, manifestFilesFor } from "../zydon-manifest.js";

let tdb: TestDatabase;
let db: DbHandle;
const redises: Redis[] = [];
const apps: FastifyInstance[] = [];

async function build(redisUrl: string): Promise<FastifyInstance> {
  const redis = createRedisProducer(redisUrl);
  redis.on("error", () => {});
  redises.push(redis);
  const instance = Fastify(apiServerOptions(createLogger({ level: "silent" }) as FastifyBaseLogger));
  await instance.register(app, stubDeps({ db, redis }));
  await instance.ready();
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

const repoFile = (p: string) => readFileSync(new URL(`../../../../${p}`, import.meta.url), "utf8");

describe("the plugin manifest and the routes the API serves", () => {
  it("every URL of the generated manifest is a route the API serves, with the declared method", async () => {
    const instance = await build(testRedisUrl());
    const urls = manifestUrls(buildPluginManifest({ publicBaseUrl: "https://app.test", pluginId: "p" }));
    expect(urls).toHaveLength(6);
    for (const u of urls) {
      const served = instance.hasRoute({ method: u.method as HTTPMethods, url: new URL(u.url).pathname });
      expect({ key: u.key, method: u.method, served }).toEqual({
        key: u.key,
        method: u.method,
        served: true,
      });
    }
    // The check has teeth: a path or method the API does not serve is reported.
    expect(instance.hasRoute({ method: "GET", url: "/zydon/notifications/install" })).toBe(false);
  });

  it("the committed example is what the generator writes (regenerate: pnpm zydon:manifest --example)", () => {
    const files = manifestFilesFor(EXAMPLE_MANIFEST_INPUT);
    for (const [name, text] of Object.entries(files)) expect(repoFile(`zydon-plugin/${name}`)).toBe(text);
    const parsed = parsePluginManifest(files);
    expect(parsed.webhooks.map((w) => w.id)).toEqual(["zb-order-created", "zb-order-updated"]);
  });

  it("is_alive answers fast with the version and dependency states, and no secrets", async () => {
    const instance = await build(testRedisUrl());
    const started = Date.now();
    const res = await instance.inject({ method: "GET", url: "/zydon/is-alive" });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "alive", version: expect.any(String), database: "ok", redis: "ok" });
    expect(res.body).not.toMatch(/postgres:|redis:\/\/|password|secret/i);
  });

  it("is_alive is 503 naming Redis when Redis is unreachable, within its bound", async () => {
    const instance = await build("redis://127.0.0.1:1");
    const started = Date.now();
    const res = await instance.inject({ method: "GET", url: "/zydon/is-alive" });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: "degraded", database: "ok", redis: "unreachable" });
  });
});
