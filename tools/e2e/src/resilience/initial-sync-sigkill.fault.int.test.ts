import { generateDemoAccount } from "@zb/bling-simulator";
import {
  type Child,
  checkInvariants,
  FaultTally,
  failedJobs,
  held,
  initialSyncDone,
  pendingJobs,
  reportRecovery,
  seeded,
  type Tenant,
  waitForInitialSync,
} from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, spawnWorker, startE2E } from "../world.js";

/**
 * Issue 9, "worker SIGKILL at random points of an initial sync": one small account per seed, all synced at
 * once by one real worker process (each Bling account has its own budget, so they run side by side). The
 * process is killed with SIGKILL after a seeded random number of Bling requests, restarted, killed again…
 * KILLS times; every kill interrupts every unfinished sync at a different point. Raise KILLS (and SEEDS)
 * for the release run — the issue asks for ≥ 20.
 */
const SEEDS = [101, 202, 303, 404, 505];
const KILLS = 5;
const KILL_SEED = 9;

let e: E2E;
const tally = new FaultTally("initial-sync SIGKILL");
const children: Child[] = [];

beforeAll(async () => {
  e = await startE2E({ worker: false });
}, 60_000);
afterAll(async () => {
  for (const c of children) await c.kill("SIGKILL");
  tally.flush();
  await e?.close();
});

describe("worker SIGKILL at random points of an initial sync", () => {
  it(`${SEEDS.length} accounts, ${KILLS} kills: every sync finishes, nothing lost or duplicated on either side`, async () => {
    const tenants: Tenant[] = [];
    for (const seed of SEEDS) {
      const t = await e.addTenant(`Loja Kill ${seed}`);
      generateDemoAccount(e.bling.sim, t.accountId, {
        products: 4,
        variationShare: 0.3,
        contacts: 2,
        paymentMethods: 2,
        seed,
      });
      tenants.push(t);
    }
    const mine = new Set(tenants.map((t) => t.accountId));
    const requests = () => e.bling.sim.requestLog.filter((r) => r.accountId && mine.has(r.accountId)).length;
    const allDone = async () =>
      (await Promise.all(tenants.map((t) => initialSyncDone(e, t.tenantId)))).every(Boolean);
    for (const t of tenants)
      await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });

    const rnd = seeded(KILL_SEED);
    const t0 = Date.now();
    let worker = spawnWorker(e);
    children.push(worker);
    let restartedAt = Date.now();
    const kills: Array<{ at: number; unfinished: number }> = [];
    for (let k = 0; k < KILLS; k++) {
      // 1–12 more requests: with 5 accounts at 2 req/s each, a kill lands every second or two of work.
      const at = requests() + 1 + Math.floor(rnd() * 12);
      let done = false;
      for (let i = 1; requests() < at && !done; i++) {
        await new Promise((r) => setTimeout(r, 10));
        if (i % 20 === 0) done = await allDone();
      }
      if (done) break;
      const unfinished = (await Promise.all(tenants.map((t) => initialSyncDone(e, t.tenantId)))).filter(
        (d) => !d,
      ).length;
      await worker.kill("SIGKILL");
      kills.push({ at, unfinished });
      console.log(
        `[resilience] SIGKILL ${k + 1} after ${at} Bling requests (${Date.now() - t0} ms), ${unfinished} syncs unfinished`,
      );
      worker = spawnWorker(e);
      children.push(worker);
      restartedAt = Date.now();
    }
    for (const t of tenants)
      await waitForInitialSync(e, t.tenantId, 45_000).catch(async (err) => {
        throw new Error(
          `${(err as Error).message}\nfailed: ${(await failedJobs(e, t.tenantId)).join("\n")}\npending: ${(await pendingJobs(e, t.tenantId)).join("\n")}\n${worker.output().slice(-3000)}`,
        );
      });
    reportRecovery(`all syncs finished after the last of ${kills.length} SIGKILLs`, Date.now() - restartedAt);
    await worker.kill("SIGTERM");

    expect(kills.length, "kills landed before the syncs finished").toBe(KILLS);
    const problems: string[] = [];
    for (const [i, t] of tenants.entries()) {
      const inv = await checkInvariants(e, t);
      problems.push(...inv.diffs, ...inv.unexplained.map((u) => `unexplained: ${u}`), ...inv.failed);
      for (const kill of kills)
        if (kill.unfinished > 0)
          // One fault per sync a kill interrupted: each is cut at a different point of its own account.
          tally.record(`seed ${SEEDS[i]} kill after request ${kill.at}`, {
            survived: held(inv),
            lost: inv.lost,
            duplicated: inv.duplicated,
          });
    }
    expect(problems).toEqual([]);
  }, 90_000);
});
