import { generateDemoAccount } from "@zb/bling-simulator";
import { FaultTally, reportRecovery, waitFor, waitForInitialSync } from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * Issue 17 #4: products deleted for good in Bling (404 on their detail, gone from every list) while its
 * webhooks are lost must stop being sold in Zydon within the poll window, not at the nightly audit. The
 * schedulers run every POLL_MS here (60 s in production); the bound checked is a multiple of the interval.
 * Nothing else may change: the other products stay active, nothing is created twice.
 */
const POLL_MS = 4_000;
let e: E2E;
const tally = new FaultTally("hard-deleted Bling products");

beforeAll(async () => {
  e = await startE2E({
    worker: { schedulerIntervals: { pollChangesMs: POLL_MS, reconcileStockMs: POLL_MS } },
  });
}, 60_000);
afterAll(async () => {
  tally.flush();
  await e?.close();
});

type Row = { id: number; codigo: string; formato: string; situacao: string; idProdutoPai?: number | null };

describe("products hard-deleted in Bling with their webhooks lost", () => {
  it("are switched off in Zydon within the poll window; every other product is left as it was", async () => {
    const t = await e.addTenant("Loja Exclusão Definitiva");
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: 10,
      variationShare: 0.3,
      contacts: 1,
      paymentMethods: 1,
      seed: 57,
    });
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    await waitForInitialSync(e, t.tenantId, 120_000);

    const zydon = () => e.zydon.sim.snapshot(t.orgId).products;
    const rows = e.bling.sim.control.getAccount(t.accountId).products as unknown as Row[];
    const activeInZydon = new Set(
      zydon()
        .filter((p) => p.active)
        .map((p) => p.sku),
    );
    const candidates = rows.filter(
      (p, _, all) =>
        !p.idProdutoPai &&
        p.situacao === "A" &&
        activeInZydon.has(p.codigo) &&
        all.filter((o) => o.codigo === p.codigo).length === 1,
    );
    // One simple product and one with variations when the demo has both.
    const victims = [
      candidates.find((p) => p.formato === "S"),
      candidates.find((p) => p.formato === "V"),
    ].filter((p): p is Row => p !== undefined);
    expect(victims.length).toBeGreaterThanOrEqual(1);
    const before = new Map(zydon().map((p) => [p.sku, p.active]));

    e.bling.sim.control.setFaults({ dropWebhooks: true });
    const started = Date.now();
    for (const v of victims) e.bling.sim.control.deleteProduct(t.accountId, v.id, { hard: true });
    for (const v of victims) {
      await waitFor(
        `${v.codigo} switched off in Zydon`,
        async () => zydon().find((p) => p.sku === v.codigo)?.active === false,
        POLL_MS * 6,
      );
      const ms = Date.now() - started;
      reportRecovery(`${v.formato === "V" ? "product with variations" : "simple product"} hard-deleted`, ms);
      tally.record(`hard-deleted ${v.formato === "V" ? "product with variations" : "simple product"}`, {
        survived: ms < POLL_MS * 3,
        lost: 0,
        duplicated: 0,
      });
      expect(ms, `${v.codigo}: ${ms} ms for an interval of ${POLL_MS} ms`).toBeLessThan(POLL_MS * 3);
    }
    e.bling.sim.control.setFaults({});

    // A few more runs: nothing else switched off, nothing created, the deleted ones not written again.
    await new Promise((r) => setTimeout(r, POLL_MS * 2));
    const after = zydon();
    const victimSkus = new Set(victims.map((v) => v.codigo));
    expect(after.length, "no product created in Zydon").toBe(before.size);
    for (const p of after) {
      if (victimSkus.has(p.sku)) expect(p.active, p.sku).toBe(false);
      else expect(p.active, p.sku).toBe(before.get(p.sku));
    }
    const stats = e.bling.sim.control.stats(t.accountId);
    expect(stats.tooManyRequests).toBe(0);
  }, 240_000);
});
