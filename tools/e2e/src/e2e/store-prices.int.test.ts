import { generateDemoAccount } from "@zb/bling-simulator";
import { LinksRepository, TenantsRepository } from "@zb/db";
import { waitFor } from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * Store prices (multiloja, `/produtos/lojas`) into the app's Zydon price table through the composed worker and
 * both simulators: the first sync copies every linked product's store price (promotional while set); a
 * promotion started and ended in Bling afterwards arrives by the store-prices poll (Bling sends no webhook for
 * these links), leaving the table's other rows as they were. Poll interval shortened to 3 s. (Pages that erased
 * each other: `zydon-port-adapter.int.test.ts`.)
 */
const POLL_MS = 3_000;
let e: E2E;
let t: { tenantId: string; orgId: string; accountId: string };
let storeId: number;
let tableId: string;

beforeAll(async () => {
  e = await startE2E({
    worker: { schedulerIntervals: { pollChangesMs: POLL_MS, reconcileStockMs: 60_000 } },
  });
  t = await e.addTenant("Loja Promoções");
  generateDemoAccount(e.bling.sim, t.accountId, {
    products: 36,
    variationShare: 0.1,
    contacts: 1,
    paymentMethods: 1,
    seed: 33,
  });
  const acc = e.bling.sim.control.getAccount(t.accountId);
  storeId = (acc.stores.find((s) => s.descricao === "Portal B2B") as { id: number }).id;
  const ids = e.zydon.sim.seed(t.orgId, { priceTables: [{ name: "Bling · Portal B2B" }] });
  tableId = ids.priceTables?.["Bling · Portal B2B"] as string;
  await new TenantsRepository(e.db.db).updateSettings(t.tenantId, {
    price: { source: "store", blingStoreId: String(storeId), zydonPriceTableId: tableId },
  });
  await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
  const tenants = new TenantsRepository(e.db.db);
  await waitFor("initial sync", async () => (await tenants.findById(t.tenantId))?.initialSyncDoneAt, 240_000);
}, 300_000);

afterAll(async () => {
  await e?.close();
}, 120_000);

/** Zydon's table: price by (product id, variation id). */
function table(): Map<string, number> {
  const rows = e.zydon.sim.snapshot(t.orgId).priceTables.find((x) => x.id === tableId)?.products ?? [];
  return new Map(rows.map((r) => [`${r.product_id}:${r.product_variation_id ?? ""}`, r.price as number]));
}

/** Where each Bling product of the store landed in Zydon, from the app's links. */
async function zydonTargetOf(blingProductId: number): Promise<string | null> {
  const links = new LinksRepository(e.db.db);
  const link =
    (await links.byBlingId(t.tenantId, "product", String(blingProductId))) ??
    (await links.byBlingId(t.tenantId, "variation", String(blingProductId)));
  if (!link?.zydonId) return null;
  const d = link.data as { productZydonId?: string; variationZydonId?: string };
  return link.entity === "variation"
    ? `${d.productZydonId}:${d.variationZydonId}`
    : `${d.productZydonId ?? link.zydonId}:`;
}

function storeLinks() {
  return e.bling.sim.control.getAccount(t.accountId).storeLinks.filter((l) => l.loja.id === storeId);
}

describe("store prices into the app's price table (both simulators, composed worker)", () => {
  it("the first sync copies every linked product's store price (promotional while set)", async () => {
    const expected = new Map<string, number>();
    for (const l of storeLinks()) {
      const target = await zydonTargetOf(l.produto.id);
      if (target) expected.set(target, l.precoPromocional > 0 ? l.precoPromocional : l.preco);
    }
    expect(expected.size).toBeGreaterThan(5);
    expect(Object.fromEntries(table())).toEqual(Object.fromEntries(expected));
  });

  it("a promotion started and then ended in Bling reaches the table by the poll, the other rows untouched", async () => {
    const before = table();
    let probe: { id: number; preco: number; target: string } | undefined;
    for (const l of storeLinks()) {
      const target = await zydonTargetOf(l.produto.id);
      if (target && l.preco > 1) {
        probe = { id: l.produto.id, preco: l.preco, target };
        break;
      }
    }
    if (!probe) throw new Error("no linked store product to probe");
    const promo = Math.round(probe.preco * 90) / 100;
    e.bling.sim.control.setStoreProductPrice(t.accountId, storeId, probe.id, {
      preco: probe.preco,
      precoPromocional: promo,
    });
    const started = Date.now();
    await waitFor("promotion in Zydon", async () => table().get(probe.target) === promo, 8 * POLL_MS);
    // Within a few poll intervals (the poll's run time and the scheduler's phase included).
    expect(Date.now() - started).toBeLessThan(8 * POLL_MS);
    const after = table();
    expect(after.size).toBe(before.size);
    for (const [k, v] of before) if (k !== probe.target) expect(after.get(k)).toBe(v);

    e.bling.sim.control.setStoreProductPrice(t.accountId, storeId, probe.id, { preco: probe.preco });
    await waitFor(
      "promotion ended in Zydon",
      async () => table().get(probe.target) === probe.preco,
      8 * POLL_MS,
    );
  });
});
