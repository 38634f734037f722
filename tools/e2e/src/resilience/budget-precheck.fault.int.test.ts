import { generateDemoAccount } from "@zb/bling-simulator";
import { FaultTally, reportRecovery, waitFor } from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * Issue 21 #4, "jobs wait for their account's budget inside their slot (up to 20 s)": the budget is checked
 * before a job runs. Here the deployment's egress guard (500 Bling requests per 10 s for the one IP) is spent
 * at once by other accounts, so the next grant is ~10 s away, beyond the worker's 2 s threshold: a product
 * refresh must not sleep in its worker slot until then — it is delayed before it sends anything, its slot
 * free for other work, and runs once the budget has room (no attempt spent).
 */
/** The worker's default threshold: a longer wait delays the job. */
const PRECHECK_MS = 2_000;
let e: E2E;
let t: Awaited<ReturnType<E2E["addTenant"]>>;
const tally = new FaultTally("budget checked before a job");

beforeAll(async () => {
  e = await startE2E();
  t = await e.addTenant("Loja Orçamento");
  generateDemoAccount(e.bling.sim, t.accountId, {
    products: 2,
    variationShare: 0,
    contacts: 1,
    paymentMethods: 1,
    seed: 41,
  });
  // No initial sync: no scheduler of this tenant sends anything meanwhile, and the egress window is empty.
}, 90_000);
afterAll(async () => {
  tally.flush();
  await e?.close();
});

describe("an account whose next Bling grant is seconds away", () => {
  it("the job is delayed before it runs instead of waiting in its slot, then completes", async () => {
    // A budget whose Redis state is new holds every account for a moment (grants made before it cannot be
    // seen): let that pass first.
    await waitFor(
      "the budget's restart hold over",
      async () => (await e.worker.budget.take({ accountId: "other-warmup", lane: "catalog" })).ok,
      10_000,
    );
    // Spend the whole egress window (500 per 10 s) from other accounts, one grant each (grants of one account
    // are spaced 1/share s apart, so a second one at once is refused for the account's own spacing).
    let egressFull = false;
    const refusals: string[] = [];
    for (let i = 0; !egressFull && i < 1_000; i++) {
      const r = await e.worker.budget.take({ accountId: `other-${i}`, lane: "catalog" });
      if (!r.ok) refusals.push(`${r.reason}:${r.waitMs}`);
      egressFull = !r.ok && r.reason === "egress" && r.waitMs > PRECHECK_MS;
    }
    expect(egressFull, refusals.slice(-5).join(", ")).toBe(true);
    const product = e.bling.sim.control.getAccount(t.accountId).products.find((p) => !p.idProdutoPai);
    const reads = () => e.bling.sim.control.requestLog(t.accountId).length;
    const before = reads();
    const started = Date.now();
    const jobId = await e.worker.deps.producer.enqueue(
      "refresh-product",
      { tenantId: t.tenantId, blingProductId: String(product?.id) },
      { jobId: "precheck-refresh" },
    );
    const q = e.worker.deps.producer.queue("events");
    // It is picked up and moved to delayed at once: no request sent, no attempt spent, the slot given back.
    await waitFor(
      "the job delayed",
      async () => (await (await q.getJob(String(jobId)))?.getState()) === "delayed",
      5_000,
    );
    const delayedAfter = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1_000));
    const sentWhileDelayed = reads() - before;
    expect(await q.getActiveCount()).toBe(0);
    await waitFor(
      "the job completed",
      async () => (await (await q.getJob(String(jobId)))?.getState()) === "completed",
      20_000,
    );
    const job = await q.getJob(String(jobId));
    reportRecovery(`refresh delayed ${delayedAfter} ms after enqueue, completed`, Date.now() - started);
    tally.record("egress budget spent: job delayed before running, then completed", {
      survived: delayedAfter < PRECHECK_MS && sentWhileDelayed === 0 && job?.attemptsMade === 1,
      lost: 0,
      duplicated: 0,
    });
    expect(delayedAfter).toBeLessThan(PRECHECK_MS);
    // It ran once the egress window had room, and made it to Zydon.
    expect(reads() - before).toBeGreaterThan(0);
    expect(sentWhileDelayed).toBe(0);
    // Completed on its first attempt: the delay spent none.
    expect(job?.attemptsMade).toBe(1);
  }, 60_000);
});
