import { generateDemoAccount } from "@zb/bling-simulator";
import { FaultTally, pendingJobs, reportRecovery, waitFor, waitForInitialSync } from "@zb/e2e-kit";
import { CALL_WINDOW_MS, MAX_FAILURES_PER_CALL, removeTenantSchedulers } from "@zb/sync";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * Issue 17 #5, retry caps across layers: a Zydon (then a Bling) that answers 500 to everything. Before, one
 * logical read was repeated by the client (5 requests for Zydon, 6 for Bling) on each of the job's 8 BullMQ
 * attempts: 40 and 48 HTTP calls over ~8.5 minutes of backoff. Now the worker counts a call's failed requests
 * in Redis for the job's whole life (`RedisCallAttempts`, packages/sync/src/jobs/call-attempts.ts): at most
 * `MAX_FAILURES_PER_CALL` (10) requests of one logical call in all, then the job gives up. The test counts the
 * HTTP calls the simulators received for each logical call, across every attempt of the job. The tenant's
 * recurring jobs are removed first: a poll or a reconciliation reading the same record while the faults are on
 * is another job with its own logical call (its requests would be counted as the job's own: CI once saw 12).
 */
let e: E2E;
let t: Awaited<ReturnType<E2E["addTenant"]>>;
const tally = new FaultTally("retry caps across layers");

beforeAll(async () => {
  e = await startE2E();
  t = await e.addTenant("Loja Sempre Falha");
  generateDemoAccount(e.bling.sim, t.accountId, {
    products: 3,
    variationShare: 0,
    contacts: 1,
    paymentMethods: 1,
    seed: 71,
  });
  await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
  await waitForInitialSync(e, t.tenantId, 60_000);
  // The last step job sets up the schedulers after it marks the sync done: wait for it, then remove them.
  const idle = (recurring: boolean) => async () =>
    (await pendingJobs(e, t.tenantId, { recurring })).length === 0;
  await waitFor("the initial sync's jobs to finish", idle(false), 60_000);
  await removeTenantSchedulers(e.worker.deps.producer, t.tenantId);
  await waitFor("the tenant's recurring jobs to finish", idle(true), 60_000);
}, 150_000);
afterAll(async () => {
  e?.zydon.sim.setFaults({ serverErrorRate: 0 });
  e?.bling.sim.control.setFaults({});
  tally.flush();
  await e?.close();
});

/** The refresh job's final state, once it is no longer waiting, active or delayed. */
async function settled(jobId: string): Promise<{ state: string; attemptsMade: number; reason: string }> {
  const q = new Queue("events", { connection: e.redis, prefix: e.env.REDIS_PREFIX });
  try {
    return await waitFor(
      `job ${jobId} to settle`,
      async () => {
        const job = await q.getJob(jobId);
        const state = job ? await job.getState() : "missing";
        if (!job || !["completed", "failed"].includes(state)) return undefined;
        return { state, attemptsMade: job.attemptsMade, reason: job.failedReason ?? "" };
      },
      60_000,
    ).catch(async (err) => {
      throw new Error(`${(err as Error).message}; pending: ${(await pendingJobs(e, t.tenantId)).join(", ")}`);
    });
  } finally {
    await q.close();
  }
}

function productIds(): string[] {
  return e.bling.sim.control
    .getAccount(t.accountId)
    .products.filter((p) => !p.idProdutoPai)
    .map((p) => String(p.id));
}

/** Requests per logical call (method + path + status class), and the time from first to last. */
function perCall(entries: Array<{ key: string; at: number }>) {
  const calls = new Map<string, number[]>();
  for (const r of entries) calls.set(r.key, [...(calls.get(r.key) ?? []), r.at]);
  return [...calls].map(([key, at]) => ({
    key,
    count: at.length,
    spanMs: Math.max(...at) - Math.min(...at),
  }));
}

describe("a vendor that always fails", () => {
  it("Zydon answering 500 to everything: one logical call gets at most 10 HTTP requests across all job attempts", async () => {
    const [id] = productIds();
    if (!id) throw new Error("no product");
    // A changed name: the refresh has to write the product to Zydon (it reads the record first).
    e.bling.sim.control.upsertProduct(t.accountId, { id: Number(id), nome: "Produto renomeado" });
    const since = Date.now();
    e.zydon.sim.setFaults({ serverErrorRate: 1 });
    const jobId = await e.worker.deps.producer.enqueue(
      "refresh-product",
      { tenantId: t.tenantId, blingProductId: id },
      { jobId: `retry-cap-zydon-${id}` },
    );
    const end = await settled(String(jobId));
    const elapsed = Date.now() - since;
    e.zydon.sim.setFaults({ serverErrorRate: 0 });
    const calls = perCall(
      e.zydon.sim.requestLog
        .filter((r) => r.orgId === t.orgId && Date.parse(r.at) >= since && r.status >= 500)
        .map((r) => ({ key: `${r.method} ${r.path}`, at: Date.parse(r.at) })),
    );
    const worst = Math.max(...calls.map((c) => c.count));
    reportRecovery(
      `Zydon always 500: job ${end.state} after ${end.attemptsMade} attempts, ${worst} requests for its worst call`,
      elapsed,
    );
    tally.record("Zydon always 500: ≤ 10 requests per logical call across job attempts", {
      survived: worst <= MAX_FAILURES_PER_CALL && end.attemptsMade >= 2,
      lost: 0,
      duplicated: 0,
    });
    // More than one job attempt ran (the client's 5 alone would pass), and the cap held across them.
    expect(end.attemptsMade).toBeGreaterThanOrEqual(2);
    expect(worst).toBe(MAX_FAILURES_PER_CALL);
    expect(calls.every((c) => c.spanMs <= CALL_WINDOW_MS)).toBe(true);
    // Time bound: given up in seconds (two attempts of the client's backoff), not the old ~8.5 minutes.
    expect(elapsed).toBeLessThan(60_000);
  }, 90_000);

  it("Bling answering 500 to everything: one logical call gets at most 10 HTTP requests across all job attempts", async () => {
    const [, id] = productIds();
    if (!id) throw new Error("no product");
    const since = Date.now();
    e.bling.sim.control.setFaults({ errorRate5xx: 1 });
    const jobId = await e.worker.deps.producer.enqueue(
      "refresh-product",
      { tenantId: t.tenantId, blingProductId: id },
      { jobId: `retry-cap-bling-${id}` },
    );
    const end = await settled(String(jobId));
    const elapsed = Date.now() - since;
    e.bling.sim.control.setFaults({});
    const calls = perCall(
      e.bling.sim.control
        .requestLog(t.accountId)
        .filter((r) => r.at >= since && r.status >= 500)
        .map((r) => ({ key: `${r.method} ${r.path}`, at: r.at })),
    );
    const worst = Math.max(...calls.map((c) => c.count));
    reportRecovery(
      `Bling always 500: job ${end.state} after ${end.attemptsMade} attempts, ${worst} requests for its worst call`,
      elapsed,
    );
    tally.record("Bling always 500: ≤ 10 requests per logical call across job attempts", {
      survived: worst <= MAX_FAILURES_PER_CALL && end.attemptsMade >= 2,
      lost: 0,
      duplicated: 0,
    });
    expect(end.attemptsMade).toBeGreaterThanOrEqual(2);
    expect(worst).toBe(MAX_FAILURES_PER_CALL);
    expect(elapsed).toBeLessThan(60_000);
  }, 90_000);
});
