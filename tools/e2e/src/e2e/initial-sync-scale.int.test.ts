import { generateDemoAccount } from "@zb/bling-simulator";
import { LedgerRepository, TenantsRepository } from "@zb/db";
import { compareStates, waitFor } from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * The account size (1,000 products with variations/kits/inactive ones, 300 contacts, 10 payment
 * methods) in compressed time: Bling's per-second limit and our share are both multiplied by K, which keeps
 * every ratio (share/limit, requests per entity) while a 10-minute sync takes well under a minute.
 */
const K = 20;
let e: E2E;
beforeAll(async () => {
  e = await startE2E({
    blingLimits: { perSecond: 3 * K },
    worker: { rateShare: 2 * K },
    env: { WORKER_CONCURRENCY: "8" },
  });
}, 60_000);
afterAll(async () => {
  await e?.close();
});

describe("initial sync at the issue's scale (compressed time)", () => {
  it("1,000 products and 300 contacts arrive with no difference and no 429", async () => {
    const t = await e.addTenant("Loja Grande");
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: 1_000,
      variationShare: 0.2,
      contacts: 300,
      paymentMethods: 10,
      seed: 1_000,
    });
    const started = Date.now();
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    const tenants = new TenantsRepository(e.db.db);
    await waitFor(
      "initial sync to finish",
      async () => (await tenants.findById(t.tenantId))?.initialSyncDoneAt,
      240_000,
    );
    const stats = e.bling.sim.control.stats(t.accountId);
    console.log(
      `1,000 products: ${stats.total} Bling requests in ${Date.now() - started} ms at ${2 * K} req/s ` +
        `(≈ ${Math.round(stats.total / 1.82 / 60)} min at the real share); max/s ${stats.maxPerSecond}`,
    );
    console.log(JSON.stringify(stats.byEndpoint));
    expect(compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId)).toEqual([]);
    const acc = e.bling.sim.control.getAccount(t.accountId);
    const skipped = await new LedgerRepository(e.db.db).list({
      tenantId: t.tenantId,
      entity: "customer",
      outcome: "skipped",
      pageSize: 200,
    });
    const ineligible = acc.contacts.filter(
      (c) => c.situacao !== "A" || (!c.numeroDocumento && !c.ie && !c.rg),
    );
    expect(skipped.total).toBe(ineligible.length);
    expect(stats.tooManyRequests).toBe(0);
    expect(stats.maxPerSecond).toBeLessThanOrEqual(2 * K);
  }, 300_000);
});
