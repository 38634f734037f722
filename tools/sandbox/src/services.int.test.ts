import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { freePort } from "@zb/e2e-kit";
import { afterAll, describe, expect, it } from "vitest";
import {
  detectTools,
  ensureServices,
  installMessage,
  planService,
  ServicesUnavailableError,
} from "./services.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const devEntry = fileURLToPath(new URL("./dev.ts", import.meta.url));

/** True when something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

const tools = detectTools(process.env);
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe("service plans", () => {
  it("prefers Docker, then local binaries, else asks to install", () => {
    const none = { docker: false, pgBinDir: undefined, redisServer: undefined };
    expect(planService("postgres", { ...none, docker: true, pgBinDir: "/pg" })).toEqual({
      service: "postgres",
      how: "docker",
    });
    expect(planService("postgres", { ...none, pgBinDir: "/pg/bin" })).toEqual({
      service: "postgres",
      how: "private",
      bin: "/pg/bin",
    });
    expect(planService("redis", { ...none, redisServer: "/usr/bin/redis-server" })).toMatchObject({
      how: "private",
    });
    expect(planService("redis", none)).toEqual({ service: "redis", how: "install" });
  });

  it("with nothing to start from, fails with one message naming what to install", async () => {
    const pg = await freePort();
    const redis = await freePort();
    const run = ensureServices({
      adminUrl: `postgres://postgres@127.0.0.1:${pg}/postgres`,
      redisUrl: `redis://127.0.0.1:${redis}`,
      root: `${repoRoot}.sandbox/services-test`,
      composeDir: repoRoot,
      env: {},
      tools: { docker: false, pgBinDir: undefined, redisServer: undefined },
    });
    await expect(run).rejects.toBeInstanceOf(ServicesUnavailableError);
    await expect(run).rejects.toThrow(installMessage(["postgres", "redis"]));
    expect(installMessage(["redis"])).toMatch(/apt-get install redis-server/);
    expect(installMessage(["redis"])).not.toMatch(/postgresql/);
  });

  it("finds Debian's versioned Postgres binaries off the PATH", () => {
    const found = detectTools({ PATH: "/nonexistent" });
    if (existsSync("/usr/lib/postgresql"))
      expect(found.pgBinDir).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin$/);
    expect(found.docker).toBe(false);
  });
});

describe.skipIf(!tools.pgBinDir || !tools.redisServer)("pnpm dev with Postgres and Redis not running", () => {
  it("starts private instances on the configured free ports, the product comes up, and they are gone on exit", async () => {
    const [pgPort, redisPort, apiPort, blingPort, zydonPort, consolePort, metricsPort] = await Promise.all(
      Array.from({ length: 7 }, () => freePort()),
    );
    const ports = [pgPort, redisPort, apiPort, blingPort, zydonPort, consolePort, metricsPort] as number[];
    expect(await listening(pgPort as number)).toBe(false);
    expect(await listening(redisPort as number)).toBe(false);
    const child = spawn(process.execPath, ["--import", "tsx", devEntry], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DEV_DATABASE_ADMIN_URL: `postgres://postgres@127.0.0.1:${pgPort}/postgres`,
        DEV_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        DEV_API_PORT: String(apiPort),
        DEV_BLING_SIM_PORT: String(blingPort),
        DEV_ZYDON_SIM_PORT: String(zydonPort),
        DEV_CONSOLE_PORT: String(consolePort),
        DEV_WORKER_METRICS_PORT: String(metricsPort),
        DEV_DEMO_PRODUCTS: "5",
        DEV_DEMO_CONTACTS: "3",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    const deadline = Date.now() + 80_000;
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${apiPort}/readyz`).catch(() => undefined);
      if (res?.status === 200 && output.includes("demo is running")) break;
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`pnpm dev did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(output).toContain(`postgres: private throwaway instance on 127.0.0.1:${pgPort}`);
    expect(output).toContain(`redis: private throwaway instance on 127.0.0.1:${redisPort}`);
    // The operator side is on in the demo: the worker's listener and the API's token-guarded metrics.
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
    const token = /password (\S+)\);/.exec(output)?.[1];
    const metrics = await fetch(`http://127.0.0.1:${apiPort}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("zb_queue_jobs");
    const pgDir = `${repoRoot}.sandbox/services/postgres-${pgPort}`;
    expect(existsSync(pgDir)).toBe(true);

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    for (const port of ports) expect(await listening(port), `port ${port}`).toBe(false);
    expect(existsSync(pgDir)).toBe(false);
    expect(existsSync(`${repoRoot}.sandbox/services/redis-${redisPort}`)).toBe(false);
  }, 90_000);
});
