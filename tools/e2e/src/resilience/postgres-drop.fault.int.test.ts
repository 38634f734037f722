import { generateDemoAccount } from "@zb/bling-simulator";
import {
  blingRequests,
  checkInvariants,
  FaultTally,
  failedJobs,
  held,
  initialSyncDone,
  reportRecovery,
  seeded,
  waitForInitialSync,
} from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * Issue 9, "Postgres connections dropped": while an initial sync runs, every connection the worker holds to
 * its database is terminated by the server (pg_terminate_backend, as a failover or a proxy restart does),
 * DROPS times at seeded random moments. Queries in flight fail, transactions roll back, the pool reconnects;
 * the sync must still finish with nothing lost or duplicated.
 */
const DROPS = 4;

let e: E2E;
const tally = new FaultTally("Postgres connections dropped");

beforeAll(async () => {
  e = await startE2E();
}, 60_000);
afterAll(async () => {
  tally.flush();
  await e?.close();
});

describe("Postgres connections dropped during an initial sync", () => {
  it(`${DROPS} times every worker connection terminated: the sync finishes, nothing lost or duplicated`, async () => {
    const t = await e.addTenant("Loja Banco Instável");
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: 5,
      variationShare: 0.3,
      contacts: 3,
      paymentMethods: 2,
      seed: 71,
    });
    const rnd = seeded(71);
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    let terminated = 0;
    let lastDrop = Date.now();
    for (let d = 0; d < DROPS; d++) {
      const at = blingRequests(e, t.accountId) + 2 + Math.floor(rnd() * 6);
      while (blingRequests(e, t.accountId) < at && !(await initialSyncDone(e, t.tenantId)))
        await new Promise((r) => setTimeout(r, 20));
      if (await initialSyncDone(e, t.tenantId)) break;
      const rows = await e.db.sql`
        select pg_terminate_backend(pid) as ok from pg_stat_activity
        where datname = current_database() and application_name = 'zb-worker' and pid <> pg_backend_pid()`;
      terminated += rows.length;
      lastDrop = Date.now();
    }
    await waitForInitialSync(e, t.tenantId, 45_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}\nfailed: ${(await failedJobs(e, t.tenantId)).join("\n")}`);
    });
    reportRecovery(`initial sync after ${terminated} terminated connections`, Date.now() - lastDrop);
    const inv = await checkInvariants(e, t);
    tally.record(`${DROPS} rounds of terminated connections`, {
      survived: held(inv),
      lost: inv.lost,
      duplicated: inv.duplicated,
    });
    expect(terminated).toBeGreaterThanOrEqual(DROPS);
    expect(inv.diffs).toEqual([]);
    expect(inv.unexplained).toEqual([]);
    expect(inv.failed).toEqual([]);
  }, 60_000);
});
