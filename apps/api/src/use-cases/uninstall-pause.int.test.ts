import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { apiEnvKeys, createLogger, loadConfig } from "@zb/config";
import { runMigrations, TenantsRepository } from "@zb/db";
import { BudgetWaitError, budgetHook, wireBudget, wireZydonBudget, zydonBudgetHook } from "@zb/sync";
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, testEnv } from "@zb/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeAppDeps } from "../compose.js";
import { setMerchantPause } from "./settings-actions.js";
import { queueCatchUp, uninstallTenant } from "./tenant-lifecycle.js";

/**
 * Issue 17 #3: an uninstall stops the tenant at the request budget, not only at the next job start. The API
 * is the production composition (its hooks set the pause flag); the "worker" is four concurrent jobs of the
 * tenant spending the production Bling and Zydon budget hooks before each request to a counting server.
 */

let tdb: TestDatabase;
let tredis: TestRedis;
let server: Server;
let base = "";
const hits: { at: number; vendor: "bling" | "zydon"; url: string }[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  tredis = createTestRedis();
  server = createServer((req, res) => {
    const url = req.url ?? "";
    hits.push({ at: Date.now(), vendor: url.startsWith("/bling") ? "bling" : "zydon", url });
    res.writeHead(200, { "content-type": "application/json" }).end('{"data":[]}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await tdb?.drop();
  await tredis?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("pause within one request (issue 17 #3)", () => {
  it("after uninstall returns: at most one Bling and one Zydon request of the tenant; resume lets them through", async () => {
    const config = loadConfig(
      apiEnvKeys,
      testEnv({
        DATABASE_URL: tdb.url,
        REDIS_URL: tredis.url,
        REDIS_PREFIX: tredis.prefix,
        BLING_RATE_SHARE: "3",
        ZYDON_RATE_PER_TENANT: "20",
      }),
    );
    const deps = composeAppDeps(config, createLogger({ level: "silent" }));
    const workerRedis = new Redis(tredis.url, { maxRetriesPerRequest: 1 });
    try {
      const { tenant } = await new TenantsRepository(deps.db.db).install("org-pause");
      const other = (await new TenantsRepository(deps.db.db).install("org-other")).tenant;
      // The worker's side, as apps/worker/src/compose.ts wires it (another Redis connection, another process).
      const { budget } = wireBudget(config, workerRedis);
      const zydonBudget = wireZydonBudget(config, workerRedis);
      const stopped: string[] = [];
      const job = async (tenantId: string, account: string, lane: "catalog" | "orders") => {
        const bling = budgetHook(budget, account, lane, { tenantId, maxWaitMs: 5_000 });
        const zydon = zydonBudgetHook(zydonBudget, tenantId, { maxWaitMs: 5_000 });
        try {
          for (;;) {
            await bling({ method: "GET", path: "/produtos" });
            await fetch(`${base}/bling/${tenantId}`);
            await zydon({ method: "PUT", url: `${base}/zydon/${tenantId}` });
            await fetch(`${base}/zydon/${tenantId}`);
          }
        } catch (err) {
          if (!(err instanceof BudgetWaitError)) throw err;
          stopped.push(`${tenantId}:${err.reason}`);
        }
      };
      const jobs = [
        job(tenant.id, "acct-pause", "catalog"),
        job(tenant.id, "acct-pause", "orders"),
        job(tenant.id, "acct-pause", "catalog"),
        job(tenant.id, "acct-pause", "orders"),
      ];
      const otherJob = job(other.id, "acct-other", "catalog");
      // A fresh budget state holds its first ~1.7 s (the restart hold), then 3 Bling requests/s flow.
      await sleep(3_500);
      /** Requests that reached the server at or after `from`, per vendor, of one tenant (its id is in the path). */
      const count = (tenantId: string, from: number) => {
        const out = { bling: 0, zydon: 0 };
        for (const h of hits) if (h.at >= from && h.url.endsWith(`/${tenantId}`)) out[h.vendor] += 1;
        return out;
      };
      const before = count(tenant.id, 0);
      expect(before.bling).toBeGreaterThanOrEqual(4);
      expect(before.zydon).toBeGreaterThanOrEqual(4);

      const r = await uninstallTenant(deps, "org-pause");
      expect(r.status).toBe("paused");
      const returned = Date.now();
      await Promise.all(jobs);
      await sleep(1_500);
      expect(stopped).toEqual(Array(4).fill(`${tenant.id}:paused`));
      const after = count(tenant.id, returned);
      expect(after.bling).toBeLessThanOrEqual(1);
      expect(after.zydon).toBeLessThanOrEqual(1);
      // The other tenant (another account) kept going.
      expect(count(other.id, returned).bling).toBeGreaterThanOrEqual(2);

      // Back to active (reinstall + Bling connected): the flag is cleared and requests go again.
      await new TenantsRepository(deps.db.db).setState(tenant.id, "active");
      const active = await new TenantsRepository(deps.db.db).findById(tenant.id);
      if (!active) throw new Error("tenant vanished");
      await queueCatchUp(deps, active);
      await expect(
        budgetHook(budget, "acct-pause", "orders", { tenantId: tenant.id })({ method: "GET", path: "/x" }),
      ).resolves.toBeUndefined();
      await expect(zydonBudget.waitFor(tenant.id)).resolves.toMatchObject({ waitedMs: expect.any(Number) });

      // The merchant's pause from the page stops it the same way.
      await setMerchantPause(deps, active, true);
      const err = await budget.take({ accountId: "acct-pause", lane: "orders", tenantId: tenant.id });
      expect(err).toMatchObject({ ok: false, reason: "paused" });
      expect(await zydonBudget.take(tenant.id)).toMatchObject({ ok: false, reason: "paused" });
      await budget.pauseTenant(other.id);
      await otherJob;
    } finally {
      workerRedis.disconnect();
      await deps.close();
    }
  }, 30_000);
});
