import { generateDemoAccount } from "@zb/bling-simulator";
import {
  checkInvariants,
  FaultTally,
  failedJobs,
  held,
  reportRecovery,
  waitForInitialSync,
} from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * Issue 9, Bling 5xx bursts and timeouts mid-sync: 30 % of Bling's answers are 500 and 5 % hang past our
 * (shortened) request timeout, for the whole initial sync. It must finish with nothing lost or duplicated.
 */
const CLIENT_TIMEOUT_MS = 1_500;

let e: E2E;
const tally = new FaultTally("Bling 5xx and timeouts");

beforeAll(async () => {
  e = await startE2E({ env: { BLING_REQUEST_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS) } });
}, 60_000);
afterAll(async () => {
  e?.bling.sim.control.setFaults({});
  tally.flush();
  await e?.close();
});

describe("Bling 5xx bursts and timeouts during an initial sync", () => {
  it("errorRate5xx 0.3 + timeoutRate 0.05: the sync finishes, nothing lost or duplicated", async () => {
    const t = await e.addTenant("Loja Instável");
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: 6,
      variationShare: 0.3,
      contacts: 4,
      paymentMethods: 3,
      seed: 23,
    });
    e.bling.sim.control.setFaults({
      errorRate5xx: 0.3,
      timeoutRate: 0.05,
      timeoutHangMs: 4 * CLIENT_TIMEOUT_MS,
    });
    const started = Date.now();
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    await waitForInitialSync(e, t.tenantId, 50_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}\nfailed: ${(await failedJobs(e, t.tenantId)).join("\n")}`);
    });
    e.bling.sim.control.setFaults({});
    const stats = e.bling.sim.control.stats(t.accountId);
    const errors = e.bling.sim.requestLog.filter(
      (r) => r.accountId === t.accountId && r.status >= 500,
    ).length;
    reportRecovery(
      `initial sync through ${errors} Bling 5xx/504 of ${stats.total} calls`,
      Date.now() - started,
    );

    const inv = await checkInvariants(e, t);
    tally.record("5xx 30% + timeouts 5% during initial sync", {
      survived: held(inv),
      lost: inv.lost,
      duplicated: inv.duplicated,
    });
    expect(errors).toBeGreaterThan(0);
    expect(inv.diffs).toEqual([]);
    expect(inv.unexplained).toEqual([]);
    expect(inv.failed).toEqual([]);
  }, 60_000);
});
