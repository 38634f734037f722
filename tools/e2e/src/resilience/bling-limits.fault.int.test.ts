import { generateDemoAccount } from "@zb/bling-simulator";
import { CredentialsRepository, secretBoxFromConfig, TenantsRepository } from "@zb/db";
import {
  blingRequests,
  checkInvariants,
  FaultTally,
  failedJobs,
  held,
  pendingJobs,
  promoteDelayed,
  reconnectBling,
  reportRecovery,
  type Tenant,
  waitFor,
  waitForInitialSync,
} from "@zb/e2e-kit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * Issue 9, Bling's quotas and authorization failing mid-sync: a 429 storm (Bling allows 1 req/s while our
 * share is 2), the daily limit reached, and the access token revoked. Each on its own small account.
 */
let e: E2E;
const tally = new FaultTally("Bling 429, daily limit, revoked token");
const defaults = { perSecond: 0, perDay: 0 };

beforeAll(async () => {
  e = await startE2E();
  defaults.perSecond = e.bling.sim.limiter.settings.perSecond;
  defaults.perDay = e.bling.sim.limiter.settings.perDay;
}, 60_000);
afterEach(() => {
  e.bling.sim.limiter.settings.perSecond = defaults.perSecond;
  e.bling.sim.limiter.settings.perDay = defaults.perDay;
  e.bling.sim.control.setFaults({});
});
afterAll(async () => {
  tally.flush();
  await e?.close();
});

async function smallAccount(name: string, seed: number): Promise<Tenant> {
  const t = await e.addTenant(name);
  generateDemoAccount(e.bling.sim, t.accountId, {
    products: 4,
    variationShare: 0.25,
    contacts: 3,
    paymentMethods: 2,
    seed,
  });
  return t;
}

const tooMany = (t: Tenant) =>
  e.bling.sim.requestLog.filter((r) => r.accountId === t.accountId && r.status === 429).length;

describe("Bling quotas and authorization failing mid-sync", () => {
  it("429 storm (Bling at 1 req/s, our share 2): jobs wait, none fails, everything arrives", async () => {
    const t = await smallAccount("Loja 429", 31);
    e.bling.sim.limiter.settings.perSecond = 1;
    const started = Date.now();
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    await waitForInitialSync(e, t.tenantId, 50_000).catch(async (err) => {
      const log = e.bling.sim.requestLog
        .filter((r) => r.accountId === t.accountId)
        .map((r) => `${r.at - started} ${r.status} ${r.endpoint}`);
      throw new Error(
        `${(err as Error).message}\nfailed: ${(await failedJobs(e, t.tenantId)).join("\n")}\npending: ${(await pendingJobs(e, t.tenantId)).join(", ")}\n${log.join("\n")}`,
      );
    });
    reportRecovery(`initial sync through ${tooMany(t)} Bling 429s`, Date.now() - started);
    const inv = await checkInvariants(e, t);
    tally.record("429 storm", { survived: held(inv), lost: inv.lost, duplicated: inv.duplicated });
    expect(tooMany(t)).toBeGreaterThan(0);
    expect(inv.diffs).toEqual([]);
    expect(inv.unexplained).toEqual([]);
    expect(inv.failed).toEqual([]);
  }, 60_000);

  it("daily limit reached mid-sync: tenant paused until tomorrow, no failed job, then it finishes", async () => {
    const t = await smallAccount("Loja Limite Diário", 37);
    // Bling's day for this account ends after 12 more calls (well before the sync's end).
    e.bling.sim.limiter.settings.perDay = 12;
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    const tenants = new TenantsRepository(e.db.db);
    const paused = await waitFor(
      "tenant paused by the daily limit",
      async () => (await tenants.findById(t.tenantId))?.blingPausedUntil,
      30_000,
    );
    expect(paused.getTime()).toBeGreaterThan(Date.now() + 60_000);
    expect(paused.getTime()).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000);
    expect(await tenants.findById(t.tenantId).then((x) => x?.initialSyncDoneAt)).toBeNull();
    // While paused: no more calls (one 429 tells us; no storm), nothing failed, the work is kept (delayed).
    const before = blingRequests(e, t.accountId);
    await new Promise((r) => setTimeout(r, 3_000));
    const during = blingRequests(e, t.accountId) - before;
    expect(during).toBeLessThanOrEqual(2);
    expect(tooMany(t)).toBeLessThanOrEqual(4);
    expect(await failedJobs(e, t.tenantId)).toEqual([]);
    expect((await pendingJobs(e, t.tenantId)).length).toBeGreaterThan(0);

    // Tomorrow: Bling's counter resets; the pause ends; the delayed work runs.
    e.bling.sim.limiter.settings.perDay = defaults.perDay;
    e.bling.sim.account(t.accountId).dayCount = 0;
    await tenants.setBlingPausedUntil(t.tenantId, new Date(Date.now() - 1_000));
    const resumed = Date.now();
    expect(await promoteDelayed(e, t.tenantId)).toBeGreaterThan(0);
    await waitForInitialSync(e, t.tenantId, 45_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}\nfailed: ${(await failedJobs(e, t.tenantId)).join("\n")}`);
    });
    reportRecovery("daily limit: initial sync after the pause ended", Date.now() - resumed);
    const inv = await checkInvariants(e, t);
    tally.record("daily limit mid-sync", { survived: held(inv), lost: inv.lost, duplicated: inv.duplicated });
    expect(inv.diffs).toEqual([]);
    expect(inv.unexplained).toEqual([]);
    expect(inv.failed).toEqual([]);
  }, 60_000);

  it("access token revoked mid-sync: refresh fails, tenant needs reconnect, jobs stop quietly; reconnect finishes it", async () => {
    const t = await smallAccount("Loja Revogada", 41);
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    await waitFor("a few Bling calls", async () => blingRequests(e, t.accountId) >= 8, 20_000);
    // Token calls carry no account in the simulator's log; this tenant is the only one active by now.
    const mine = () =>
      e.bling.sim.requestLog.filter((r) => r.accountId === t.accountId || r.accountId === null);
    const revokedAt = mine().length;
    e.bling.sim.control.revokeTokens(t.accountId);

    const credentials = new CredentialsRepository(e.db.db, secretBoxFromConfig(e.env));
    const tenants = new TenantsRepository(e.db.db);
    await waitFor(
      "connection to need reauthorization",
      async () => (await credentials.getBlingConnection(t.tenantId))?.status === "needs_reauth",
      20_000,
    );
    expect((await tenants.findById(t.tenantId))?.state).toBe("needs_reauth");
    // Quiet: after a short settling time, not one more call to Bling, and only a couple of token attempts.
    await new Promise((r) => setTimeout(r, 1_500));
    const settled = mine().length;
    await new Promise((r) => setTimeout(r, 3_000));
    expect(
      mine()
        .slice(settled)
        .map((r) => `${r.status} ${r.endpoint}`),
    ).toEqual([]);
    const after = mine().slice(revokedAt);
    const tokenCalls = after.filter((r) => r.endpoint === "POST /oauth/token").length;
    expect(tokenCalls).toBeLessThanOrEqual(2);
    expect(after.filter((r) => r.status === 401).length).toBeLessThanOrEqual(2 * e.env.WORKER_CONCURRENCY);
    const failed = await failedJobs(e, t.tenantId);
    expect(failed.length).toBeLessThanOrEqual(1);
    for (const f of failed) expect(f).toMatch(/reconnect/);

    // The merchant reconnects: the sync runs again from its start and ends with nothing lost or twice.
    const reconnected = Date.now();
    await reconnectBling(e, t);
    await waitForInitialSync(e, t.tenantId, 40_000);
    reportRecovery("revoked token: initial sync after reconnect", Date.now() - reconnected);
    const inv = await checkInvariants(e, t);
    tally.record("token revoked mid-sync", {
      survived: inv.diffs.length === 0 && inv.unexplained.length === 0,
      lost: inv.lost,
      duplicated: inv.duplicated,
    });
    expect(inv.diffs).toEqual([]);
    expect(inv.unexplained).toEqual([]);
  }, 60_000);
});
