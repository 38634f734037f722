import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@zb/config";
import { createDb, type DbHandle } from "@zb/db";
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from "@zb/testing";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiServerOptions, app } from "../app.js";
import { createRedisProducer } from "../deps.js";
import { stubDeps } from "../test-support/stub-deps.js";
import { defaultWebDistDir, type StaticWebOptions, WEB_BASE_PATH } from "./static-web.js";

const INDEX = `<!doctype html><html lang="pt-BR"><head><script type="module" src="${WEB_BASE_PATH}assets/index-Ab12_-xY.js"></script></head><body><div id="root"></div></body></html>`;

let tdb: TestDatabase;
let tredis: TestRedis;
let db: DbHandle;
let redis: Redis;
let dist: string;
const apps: FastifyInstance[] = [];

async function build(web: StaticWebOptions | undefined): Promise<FastifyInstance> {
  const instance = Fastify(apiServerOptions(createLogger({ level: "silent" }) as FastifyBaseLogger));
  await instance.register(app, { ...stubDeps({ db, redis, prefix: tredis.prefix }), web });
  apps.push(instance);
  return instance;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  tredis = createTestRedis();
  db = createDb({ url: tdb.url, max: 1 });
  redis = createRedisProducer(tredis.url);
  redis.on("error", () => {});
  dist = mkdtempSync(join(tmpdir(), "zb-web-dist-"));
  mkdirSync(join(dist, "assets"));
  writeFileSync(join(dist, "index.html"), INDEX);
  writeFileSync(join(dist, "assets", "remoteEntry.js"), "export const get = () => {};\n");
  writeFileSync(join(dist, "assets", "index-Ab12_-xY.js"), "console.log('page');\n");
  writeFileSync(join(dist, "assets", "configs-C919QjN5.css"), ".zb-app{color:#111}\n");
});

afterAll(async () => {
  for (const a of apps) await a.close();
  redis?.disconnect();
  await db?.close();
  await tdb?.drop();
  await tredis?.cleanup();
  if (dist) rmSync(dist, { recursive: true, force: true });
});

describe("the API serves the settings page", () => {
  it("serves the standalone entry at /app with an SPA fallback, never cached, framable by Zydon's admin", async () => {
    const api = await build({ distDir: dist, frameAncestors: ["https://admin.zydon.test"] });
    for (const url of ["/app", "/app/", "/app/historico?x=1"]) {
      const res = await api.inject({ method: "GET", url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.body).toBe(INDEX);
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.headers["content-security-policy"]).toContain(
        "frame-ancestors 'self' https://admin.zydon.test",
      );
      expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
      expect(res.headers["x-frame-options"]).toBeUndefined();
    }
  });

  it("serves the federation remote under the App Center base with content types and cache rules", async () => {
    const api = await build({ distDir: dist });
    const entry = await api.inject({ method: "GET", url: `${WEB_BASE_PATH}assets/remoteEntry.js` });
    expect(entry.statusCode).toBe(200);
    expect(entry.headers["content-type"]).toMatch(/^(application|text)\/javascript/);
    expect(entry.headers["cache-control"]).toBe("no-cache");
    expect(entry.headers["access-control-allow-origin"]).toBe("*");
    expect(entry.headers["cross-origin-resource-policy"]).toBe("cross-origin");
    expect(entry.body).toContain("export const get");

    const hashedJs = await api.inject({ method: "GET", url: `${WEB_BASE_PATH}assets/index-Ab12_-xY.js` });
    expect(hashedJs.statusCode).toBe(200);
    expect(hashedJs.headers["content-type"]).toMatch(/javascript/);
    expect(hashedJs.headers["cache-control"]).toBe("public, max-age=31536000, immutable");

    const css = await api.inject({ method: "GET", url: `${WEB_BASE_PATH}assets/configs-C919QjN5.css` });
    expect(css.headers["content-type"]).toMatch(/^text\/css/);
    expect(css.headers["cache-control"]).toBe("public, max-age=31536000, immutable");

    const base = await api.inject({ method: "GET", url: WEB_BASE_PATH });
    expect(base.statusCode).toBe(200);
    expect(base.headers["content-type"]).toMatch(/^text\/html/);
    expect(base.headers["cache-control"]).toBe("no-cache");

    const missing = await api.inject({ method: "GET", url: `${WEB_BASE_PATH}assets/nope-12345678.js` });
    expect(missing.statusCode).toBe(404);
    const traversal = await api.inject({ method: "GET", url: `${WEB_BASE_PATH}..%2f..%2fetc%2fpasswd` });
    expect(traversal.statusCode).toBeGreaterThanOrEqual(400);
    expect(traversal.body).not.toContain("root:");
  });

  it("answers a pt-BR page naming the build command when the page is not built", async () => {
    const api = await build({ distDir: join(dist, "not-built") });
    const res = await api.inject({ method: "GET", url: "/app" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.body).toContain("ainda não construída");
    expect(res.body).toContain("pnpm --filter @zb/web build");
    expect(res.body).not.toMatch(/at .*\.ts:\d+|Error:/);
  });

  it("serves no page when the app is composed without one (tests, API-only deploys)", async () => {
    const api = await build(undefined);
    expect((await api.inject({ method: "GET", url: "/app" })).statusCode).toBe(404);
    expect(
      (await api.inject({ method: "GET", url: `${WEB_BASE_PATH}assets/remoteEntry.js` })).statusCode,
    ).toBe(404);
  });

  it("finds apps/web/dist beside the API by default", () => {
    expect(defaultWebDistDir().replaceAll("\\", "/")).toMatch(/apps\/web\/dist$/);
  });
});
