import { generateDemoAccount } from "@zb/bling-simulator";
import { nudgedPrice } from "@zb/e2e-kit";
import { type Distribution, distribution, sleep } from "./stats.js";
import { startWorld, type World } from "./world.js";

export interface ChangesRun {
  label: string;
  delaysMs: number[];
  dist: Distribution;
  missing: number;
  /** The same, stock and price apart (they travel different paths). */
  byKind: Record<"stock" | "price", { dist: Distribution; missing: number }>;
}

export interface ChangesResult {
  k: number;
  changes: number;
  /** Products on the account (parents and simple ones; variations come on top). */
  catalog?: number;
  pollMs: number;
  runs: ChangesRun[];
  tooManyRequests: number;
  maxPerSecond: number;
  share: number;
}

interface Target {
  sku: string;
  blingId: number;
}

/**
 * Stock and price changes made in Bling (half stock, half price, each on a different product, at a steady
 * pace of one change per request of our share ÷ 2), timed until the Zydon simulator shows them; once with
 * webhooks delivered to the API process, once with every webhook dropped (the polling fallback alone).
 * One world, one initial sync (at 10,000 products it is most of the scenario's time): the first phase's
 * worker polls once an hour, so only webhooks carry the changes; for the second it is replaced by a worker
 * polling and reconciling every 60 s ÷ K, as in production, and the simulator drops every webhook.
 */
export async function runChanges(
  changes: number,
  k: number,
  catalog = Math.ceil(changes * 1.9),
): Promise<ChangesResult> {
  const pollMs = Math.round(60_000 / k);
  const w = await startWorld({ k, webhooks: true, api: true, pollMs: 3_600_000 });
  try {
    const { e } = w;
    const t = await e.addTenant("Loja Mudanças");
    // Enough simple products for every change of one phase to touch a different one.
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: catalog,
      variationShare: 0.1,
      contacts: 2,
      paymentMethods: 2,
      seed: 33,
    });
    w.prepareCatalog(t.accountId);
    await w.initialSync(t.tenantId);
    await sleep(2_000);
    const targets = targetsOf(w, t, changes);
    e.bling.sim.control.resetLog();
    const runs: ChangesRun[] = [];
    runs.push(await phase(w, t, targets, changes, 0, "webhooks on (polling off)", pollMs));
    // The fallback alone: a worker polling every 60 s ÷ K instead of the hourly one, no webhook delivered.
    const [first] = w.workers;
    await first?.kill();
    await w.startWorker({ pollMs });
    e.bling.sim.control.setFaults({ dropWebhooks: true });
    runs.push(await phase(w, t, targets, changes, 1, "webhooks dropped", pollMs));
    e.bling.sim.control.setFaults({});
    const stats = e.bling.sim.control.stats(t.accountId);
    return {
      k,
      changes,
      catalog,
      pollMs,
      runs,
      tooManyRequests: stats.tooManyRequests,
      maxPerSecond: stats.maxPerSecond,
      share: w.share,
    };
  } finally {
    await w.close();
  }
}

/** Simple active products Zydon has, one per SKU (a SKU two Bling products share is synced from one only). */
function targetsOf(w: World, t: { accountId: string; orgId: string }, changes: number): Target[] {
  const { e } = w;
  const acc = e.bling.sim.control.getAccount(t.accountId);
  const inZydon = new Set(e.zydon.sim.snapshot(t.orgId).products.map((p) => p.sku));
  const skuCount = new Map<string, number>();
  for (const raw of acc.products) {
    const code = String((raw as unknown as { codigo?: string }).codigo ?? "").trim();
    skuCount.set(code, (skuCount.get(code) ?? 0) + 1);
  }
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const raw of acc.products) {
    const p = raw as unknown as {
      id: number;
      codigo: string;
      formato: string;
      situacao: string;
      idProdutoPai?: number | null;
    };
    if (
      p.formato !== "S" ||
      p.situacao !== "A" ||
      p.idProdutoPai ||
      !inZydon.has(p.codigo) ||
      seen.has(p.codigo) ||
      skuCount.get(p.codigo) !== 1
    )
      continue;
    seen.add(p.codigo);
    targets.push({ sku: p.codigo, blingId: p.id });
  }
  if (targets.length < changes)
    throw new Error(`only ${targets.length} simple products for ${changes} changes`);
  return targets;
}

async function phase(
  w: World,
  t: { accountId: string; orgId: string },
  targets: Target[],
  changes: number,
  i: number,
  label: string,
  pollMs: number,
): Promise<ChangesRun> {
  const { e } = w;
  const acc = e.bling.sim.control.getAccount(t.accountId);
  const deposit = (acc.deposits.find((d) => d.padrao) ?? acc.deposits[0]) as { id: number };
  const paceMs = 1000 / (w.share / 2);
  const pending = new Map<
    string,
    { at: number; kind: "stock" | "price"; check: (p: { stock: number; price: number }) => boolean }
  >();
  const delays: number[] = [];
  const kindDelays = { stock: [] as number[], price: [] as number[] };
  let poller = true;
  const watch = (async () => {
    while (poller || pending.size > 0) {
      const now = Date.now();
      const bySku = new Map(e.zydon.sim.snapshot(t.orgId).products.map((p) => [p.sku, p]));
      for (const [sku, want] of pending) {
        const z = bySku.get(sku);
        if (z && want.check({ stock: Number(z.stock), price: Number(z.price) })) {
          delays.push(now - want.at);
          kindDelays[want.kind].push(now - want.at);
          pending.delete(sku);
        }
      }
      await sleep(50);
    }
  })();
  for (let n = 0; n < changes; n++) {
    const target = targets[n] as Target;
    const at = Date.now();
    if (n % 2 === 0) {
      const qty = 1_000 + i * 1_000 + n;
      e.bling.sim.control.setStock(t.accountId, target.blingId, deposit.id, {
        fisico: qty,
        virtual: qty,
      });
      pending.set(target.sku, { at, kind: "stock", check: (z) => z.stock === qty });
    } else {
      // +10% on the current price: within the price-jump guard's default 50%, so it is written, not held.
      const price = nudgedPrice(e.bling.sim, t.accountId, target.blingId, 10);
      e.bling.sim.control.setPrice(t.accountId, target.blingId, price);
      pending.set(target.sku, { at, kind: "price", check: (z) => Math.abs(z.price - price) < 0.001 });
    }
    await sleep(paceMs);
  }
  // Give up on a change after 10 fallback intervals (it is then reported as missing).
  const deadline = Date.now() + pollMs * 10;
  while (pending.size > 0 && Date.now() < deadline) await sleep(200);
  const missing = pending.size;
  const missingOf = (kind: string) => [...pending.values()].filter((p) => p.kind === kind).length;
  const byKind = {
    stock: { dist: distribution(kindDelays.stock), missing: missingOf("stock") },
    price: { dist: distribution(kindDelays.price), missing: missingOf("price") },
  };
  pending.clear();
  poller = false;
  await watch;
  return { label, delaysMs: delays, dist: distribution(delays), missing, byKind };
}
