import { generateDemoAccount } from "@zb/bling-simulator";
import { type Child, FaultTally, failedJobs, reportRecovery, waitFor } from "@zb/e2e-kit";
import { QUEUES } from "@zb/sync";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, spawnWorker, startE2E } from "../world.js";

/**
 * Issue 9, refresh-token rotation raced by two worker processes: Bling expires the access token while two
 * real worker processes are both calling Bling for the same tenant. Both get 401 at about the same time;
 * the refresh must happen once (Bling rotates the refresh token: a second refresh with the old one would
 * fail and disconnect the merchant), and both processes must carry on with the new token.
 */
const JOBS = 8;

let e: E2E;
const tally = new FaultTally("token refresh race");
const children: Child[] = [];

beforeAll(async () => {
  e = await startE2E({ worker: false });
}, 60_000);
afterAll(async () => {
  for (const c of children) await c.kill("SIGKILL");
  tally.flush();
  await e?.close();
});

describe("refresh-token rotation raced by two worker processes", () => {
  it("access token expired under two busy workers: exactly one /oauth/token call, both continue", async () => {
    const t = await e.addTenant("Loja Dois Workers");
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: JOBS,
      variationShare: 0,
      contacts: 0,
      paymentMethods: 1,
      seed: 61,
    });
    const events = new Queue(QUEUES.events, { connection: e.redis, prefix: e.env.REDIS_PREFIX });
    try {
      const a = spawnWorker(e);
      const b = spawnWorker(e);
      children.push(a, b);
      await waitFor("both workers on the queue", async () => (await events.getWorkers()).length >= 2, 30_000);

      e.bling.sim.control.expireAccessTokens(t.accountId);
      const from = e.bling.sim.requestLog.length;
      const started = Date.now();
      const ids = e.bling.sim.control
        .getAccount(t.accountId)
        .products.filter((p) => !p.idProdutoPai)
        .map((p) => String(p.id));
      for (const id of ids)
        await e.worker.deps.producer.enqueue("refresh-product", { tenantId: t.tenantId, blingProductId: id });
      const done = await waitFor(
        `${ids.length} product refreshes`,
        async () => {
          const jobs = (await events.getCompleted(0, 100)).filter((j) => j.data.tenantId === t.tenantId);
          return jobs.length >= ids.length && jobs;
        },
        45_000,
      ).catch(async (err) => {
        throw new Error(
          `${(err as Error).message}\nfailed: ${(await failedJobs(e, t.tenantId)).join("\n")}\n${a.output().slice(-1500)}\n${b.output().slice(-1500)}`,
        );
      });
      reportRecovery("both workers past the expired token", Date.now() - started);

      const log = e.bling.sim.requestLog.slice(from);
      const tokenCalls = log.filter((r) => r.endpoint === "POST /oauth/token");
      const unauthorized = log.filter((r) => r.status === 401).length;
      const processedBy = new Set(done.map((j) => j.processedBy));
      const failed = await failedJobs(e, t.tenantId);
      // Two workers on one queue: every refreshed product is in Zydon exactly once.
      const zSkus = e.zydon.sim.snapshot(t.orgId).products.map((p) => p.sku);
      const wanted = e.bling.sim.control
        .getAccount(t.accountId)
        .products.filter((p) => !p.idProdutoPai && p.situacao === "A" && String(p.codigo ?? "").trim() !== "")
        .map((p) => String(p.codigo).trim());
      const missing = [...new Set(wanted)].filter((sku) => !zSkus.includes(sku));
      const twice = zSkus.filter((sku, i) => zSkus.indexOf(sku) !== i);
      const ok =
        tokenCalls.length === 1 &&
        processedBy.size === 2 &&
        failed.length === 0 &&
        missing.length === 0 &&
        twice.length === 0;
      tally.record("access token expired under two workers", {
        survived: ok,
        lost: missing.length,
        duplicated: twice.length,
      });
      expect(unauthorized, "both processes met the expired token").toBeGreaterThanOrEqual(2);
      expect(tokenCalls.map((r) => r.status)).toEqual([200]);
      expect(processedBy.size, "jobs ran in both processes").toBe(2);
      expect(failed).toEqual([]);
      expect(missing).toEqual([]);
      expect(twice).toEqual([]);
      expect(log.filter((r) => r.status === 400 || r.status === 403)).toEqual([]);
    } finally {
      await events.close();
    }
  }, 60_000);
});
