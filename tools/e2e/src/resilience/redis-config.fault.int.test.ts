import { runMigrations } from "@zb/db";
import {
  type Child,
  entryPath,
  FaultTally,
  type PrivateRedis,
  spawnService,
  startPrivateRedis,
  waitFor,
} from "@zb/e2e-kit";
import { createTestDatabase, type TestDatabase, testEnv } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Issue 17 #6, a misconfigured Redis: the real API and worker entry points (`@zb/api/server`,
 * `@zb/worker/main`) started against a private redis-server whose `maxmemory-policy` is `allkeys-lru` must
 * refuse to start (exit 1, a message naming the policy and the fix) before serving anything; with CONFIG
 * disabled they still read the policy (INFO memory); REDIS_ALLOW_EVICTION=true starts them with a warning.
 */
const apiEntry = entryPath("@zb/api/server", import.meta.url);
const workerEntry = entryPath("@zb/worker/main", import.meta.url);

let lru: PrivateRedis;
let noConfig: PrivateRedis;
let tdb: TestDatabase;
const tally = new FaultTally("Redis maxmemory-policy guard");
const children: Child[] = [];

beforeAll(async () => {
  [lru, noConfig, tdb] = await Promise.all([
    startPrivateRedis({ maxmemoryPolicy: "allkeys-lru" }),
    startPrivateRedis({ maxmemoryPolicy: "volatile-lru", args: ["--rename-command", "CONFIG", ""] }),
    createTestDatabase({ migrate: runMigrations }),
  ]);
}, 60_000);
afterAll(async () => {
  for (const c of children) await c.kill("SIGKILL");
  tally.flush();
  await Promise.all([lru?.stop(), noConfig?.stop()]);
  await tdb?.drop();
});

function start(entry: string, redisUrl: string, env: Record<string, string> = {}): Child {
  const c = spawnService(entry, {
    ...testEnv({ DATABASE_URL: tdb.url, REDIS_URL: redisUrl, LOG_LEVEL: "info", API_PORT: "0", ...env }),
  });
  children.push(c);
  return c;
}

async function exitCode(c: Child, timeoutMs = 30_000): Promise<number | null> {
  if (c.proc.exitCode !== null) return c.proc.exitCode;
  return await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    c.proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("API and worker refuse an evicting Redis", () => {
  for (const [name, entry] of [
    ["API", apiEntry],
    ["worker", workerEntry],
  ] as const) {
    it(`${name} against allkeys-lru: exits 1 naming the policy and the fix`, async () => {
      const c = start(entry, lru.url);
      const code = await exitCode(c);
      const out = c.output();
      const ok =
        code === 1 && out.includes('maxmemory-policy is "allkeys-lru"') && out.includes("noeviction");
      tally.record(`${name} started on allkeys-lru`, { survived: ok, detail: `exit ${code}` });
      expect(code, out.slice(-1500)).toBe(1);
      expect(out).toContain('Redis maxmemory-policy is "allkeys-lru", but this app needs "noeviction"');
      expect(out).toContain("maxmemory-policy noeviction");
      // Refused before serving: the worker never reached its "worker started" line.
      expect(out).not.toContain("worker started");
    });

    it(`${name} with CONFIG disabled: reads INFO memory and still refuses volatile-lru`, async () => {
      const c = start(entry, noConfig.url);
      const code = await exitCode(c);
      const out = c.output();
      const ok = code === 1 && out.includes('maxmemory-policy is "volatile-lru"');
      tally.record(`${name} started on volatile-lru with CONFIG renamed away`, {
        survived: ok,
        detail: `exit ${code}`,
      });
      expect(code, out.slice(-1500)).toBe(1);
      expect(out).toContain('maxmemory-policy is "volatile-lru"');
    });
  }

  it("REDIS_ALLOW_EVICTION=true: the worker starts anyway and says why", async () => {
    const c = start(workerEntry, lru.url, { REDIS_ALLOW_EVICTION: "true", REDIS_PREFIX: "zbguard" });
    await waitFor(
      "worker started",
      async () => c.output().includes("worker started") || c.proc.exitCode !== null,
      30_000,
    );
    const out = c.output();
    tally.record("override on allkeys-lru", { survived: out.includes("worker started") });
    expect(out, out.slice(-1500)).toContain("worker started");
    expect(out).toContain("starting anyway because REDIS_ALLOW_EVICTION=true");
    await c.kill("SIGTERM");
  });
});
