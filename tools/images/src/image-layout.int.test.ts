import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@zb/e2e-kit";
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, testEnv } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * What can be checked of the images without a Docker engine: the tree each Dockerfile copies to /srv, built
 * with the same script (deploy/build-layout.sh), moved to a clean directory as COPY --from=build does, and
 * started with the image's CMD from its WORKDIR — as an unprivileged user when the test runs as root.
 */
const root = fileURLToPath(new URL("../../../", import.meta.url));
let work: string;
let tdb: TestDatabase;
let tredis: TestRedis;
const children: ChildProcess[] = [];

/** `nobody` when running as root (the images run as `node`): the tree must work read-only, unprivileged. */
function unprivileged(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("nobody:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : {};
}

function buildLayout(app: "api" | "worker", out: string): void {
  const res = spawnSync("sh", ["deploy/build-layout.sh", app, out], { cwd: root, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`build-layout ${app} failed:\n${res.stdout}${res.stderr}`);
}

/** The image's filesystem: only /srv from the build stage (plus Node itself), at another path. */
function imageFrom(build: string, name: string): string {
  // Moved, not copied (same effect on paths, seconds faster): nothing may point back into the build tree.
  const srv = join(work, name, "srv");
  mkdirSync(join(work, name), { recursive: true });
  renameSync(build, srv);
  return srv;
}

function productEnv(extra: Record<string, string>): Record<string, string> {
  const env = testEnv({
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    DATABASE_URL: tdb.url,
    REDIS_URL: tredis.url,
    REDIS_PREFIX: tredis.prefix,
    OUTBOUND_ALLOW_HOSTS: undefined,
    ...extra,
  });
  // Nothing of this machine's environment leaks in but PATH (the image's own ENV sets the rest).
  return {
    PATH: process.env.PATH ?? "",
    ...(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>),
  };
}

function start(
  cwd: string,
  entry: string,
  env: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    ...unprivileged(),
  });
  children.push(child);
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  return { child, output: () => out };
}

async function untilOk(
  url: string,
  child: ChildProcess,
  output: () => string,
  init?: RequestInit,
): Promise<Response> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(url, init).catch(() => undefined);
    if (res?.ok) return res;
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`${url} never answered 200:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function packagesIn(srv: string, app: string): string[] {
  return readdirSync(join(srv, "apps", app, "node_modules", ".pnpm"));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "zb-image-"));
  chmodSync(work, 0o755);
  tdb = await createTestDatabase();
  tredis = createTestRedis();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
  await tredis.cleanup();
  await tdb.drop();
});

describe("container image layouts (no Docker engine needed)", () => {
  it("worker image: production dependencies only; migrations run and the worker starts from /srv/apps/worker", async () => {
    buildLayout("worker", join(work, "build-worker"));
    const srv = imageFrom(join(work, "build-worker"), "worker");
    const pkgs = packagesIn(srv, "worker");
    for (const dev of [
      "vitest",
      "@zb+testing",
      "@zb+bling-simulator",
      "@zb+zydon-simulator",
      "@biomejs",
      "typescript@",
    ]) {
      expect(
        pkgs.some((p) => p.startsWith(dev)),
        dev,
      ).toBe(false);
    }
    expect(pkgs.some((p) => p.startsWith("tsx@"))).toBe(true);
    const cwd = join(srv, "apps", "worker");
    const migrate = start(cwd, "node_modules/@zb/db/src/cli/migrate-cli.ts", productEnv({}));
    const code = await new Promise<number | null>((resolve) => migrate.child.on("exit", resolve));
    expect(code, migrate.output()).toBe(0);
    expect(migrate.output()).toContain("migrations applied");

    const port = await freePort();
    const w = start(
      cwd,
      "src/main.ts",
      productEnv({ WORKER_METRICS_HOST: "127.0.0.1", WORKER_METRICS_PORT: String(port) }),
    );
    const res = await untilOk(`http://127.0.0.1:${port}/metrics`, w.child, w.output);
    expect(await res.text()).toContain("zb_queue_jobs");
    w.child.kill("SIGTERM");
    expect(await new Promise((resolve) => w.child.on("exit", resolve))).toBe(0);
  }, 90_000);

  it("API image: the built page included; /healthz, /readyz and /app answer from /srv/apps/api", async () => {
    buildLayout("api", join(work, "build-api"));
    const srv = imageFrom(join(work, "build-api"), "api");
    expect(existsSync(join(srv, "apps", "web", "dist", "index.html"))).toBe(true);
    expect(packagesIn(srv, "api").some((p) => p.startsWith("vitest"))).toBe(false);
    expect(existsSync(join(srv, "apps", "api", "src", "ops", "ops-routes.int.test.ts"))).toBe(false);
    const port = await freePort();
    const api = start(
      join(srv, "apps", "api"),
      "src/server.ts",
      productEnv({
        API_HOST: "127.0.0.1",
        API_PORT: String(port),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      }),
    );
    await untilOk(`http://127.0.0.1:${port}/healthz`, api.child, api.output);
    await untilOk(`http://127.0.0.1:${port}/readyz`, api.child, api.output);
    const page = await untilOk(`http://127.0.0.1:${port}/app`, api.child, api.output);
    expect(await page.text()).toContain('<div id="root">');
    api.child.kill("SIGTERM");
    expect(await new Promise((resolve) => api.child.on("exit", resolve))).toBe(0);
  }, 90_000);
});
