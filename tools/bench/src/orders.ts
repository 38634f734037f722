import { generateDemoAccount } from "@zb/bling-simulator";
import { generateCnpj, generateCpf, seededRandom } from "@zb/testing";
import { drained } from "./initial-sync.js";
import { type Distribution, distribution, sleep } from "./stats.js";
import { type E2E, startWorld } from "./world.js";

export interface Tenant {
  tenantId: string;
  orgId: string;
  accountId: string;
}

export interface PlacedOrder {
  tenant: Tenant;
  orderId: string;
  at: number;
}

/** What a buyer can order in a tenant's Zydon after its initial sync. */
export function catalogOf(e: E2E, t: Tenant) {
  const snap = e.zydon.sim.snapshot(t.orgId);
  return {
    skus: snap.products.filter((p) => p.variations.length === 0 && p.active).map((p) => p.sku),
    partners: snap.partners.map((p) => p.id as string),
    methods: snap.paymentMethods.map((m) => m.id as string),
  };
}

/**
 * Place one order as a portal buyer (the Zydon simulator fires its webhook to the API): 7 of 10 by a known
 * partner, the rest by a new buyer (a Bling contact to create).
 */
export async function placeOrder(
  e: E2E,
  t: Tenant,
  cat: ReturnType<typeof catalogOf>,
  i: number,
  rnd: () => number,
): Promise<PlacedOrder> {
  const known = i % 10 < 7 && cat.partners.length > 0;
  const partner = known
    ? { id: cat.partners[i % cat.partners.length] as string }
    : i % 2 === 0
      ? { name: `Comprador ${i}`, type: "PF", fiscal_registration_number: generateCpf(rnd) }
      : { name: `Empresa ${i}`, type: "PJ", fiscal_registration_number: generateCnpj(rnd) };
  const at = Date.now();
  const { orderId } = await e.zydon.sim.placeOrder(t.orgId, {
    partner,
    items: [
      { sku: cat.skus[i % cat.skus.length] as string, quantity: 1 + (i % 3) },
      { sku: cat.skus[(i + 1) % cat.skus.length] as string, quantity: 2 },
    ],
    paymentMethodId: cat.methods[i % cat.methods.length] as string,
    installments: 1 + (i % 3),
    freightValue: i % 2 === 0 ? 12.5 : 0,
  });
  return { tenant: t, orderId, at };
}

/** Watches Bling (by numeroLoja) for orders as they are placed; each order's delay from its placement. */
export class OrderWatcher {
  private readonly orders: PlacedOrder[] = [];
  private readonly delays = new Map<string, number>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly e: E2E) {
    this.loop = this.run();
  }

  add(o: PlacedOrder): void {
    this.orders.push(o);
  }

  placed(): PlacedOrder[] {
    return [...this.orders];
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = Date.now();
      const byAccount = new Map<string, Set<string>>();
      for (const o of this.orders) {
        if (this.delays.has(o.orderId)) continue;
        let got = byAccount.get(o.tenant.accountId);
        if (!got) {
          got = new Set(
            this.e.bling.sim.control.listOrders(o.tenant.accountId).map((x) => String(x.numeroLoja)),
          );
          byAccount.set(o.tenant.accountId, got);
        }
        if (got.has(o.orderId)) this.delays.set(o.orderId, now - o.at);
      }
      await sleep(50);
    }
  }

  /** Wait for every order added so far (up to `timeoutMs`); ms per order, NaN when it never arrived. */
  async finish(timeoutMs: number): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.delays.size < this.orders.length && Date.now() < deadline) await sleep(100);
    this.running = false;
    await this.loop;
    return this.orders.map((o) => this.delays.get(o.orderId) ?? Number.NaN);
  }
}

/** Bling orders per numeroLoja above one, over these orders. */
export function duplicates(e: E2E, orders: PlacedOrder[]): number {
  const ids = new Set(orders.map((o) => o.orderId));
  let dup = 0;
  for (const accountId of new Set(orders.map((o) => o.tenant.accountId))) {
    const count = new Map<string, number>();
    for (const o of e.bling.sim.control.listOrders(accountId)) {
      const n = String(o.numeroLoja);
      if (ids.has(n)) count.set(n, (count.get(n) ?? 0) + 1);
    }
    for (const c of count.values()) dup += c - 1;
  }
  return dup;
}

export interface OrdersResult {
  k: number;
  orders: number;
  dist: Distribution;
  delaysMs: number[];
  missing: number;
  duplicates: number;
  tooManyRequests: number;
  maxPerSecond: number;
  share: number;
  requestsPerOrder: number;
}

/** Zydon orders placed at a steady pace (one per 6/share s), timed until each exists in Bling. */
export async function runOrders(count: number, k: number): Promise<OrdersResult> {
  const w = await startWorld({ k, api: true });
  try {
    const { e } = w;
    const t = await e.addTenant("Loja Pedidos");
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: 30,
      variationShare: 0,
      contacts: 20,
      paymentMethods: 6,
      seed: 44,
    });
    w.prepareCatalog(t.accountId);
    await w.initialSync(t.tenantId);
    await sleep(1_000);
    const cat = catalogOf(e, t);
    const rnd = seededRandom(77);
    e.bling.sim.control.resetLog();
    const placed: PlacedOrder[] = [];
    // About a third of the share: the budget is free, as the target assumes (~4 Bling requests per order).
    const paceMs = 6000 / w.share;
    const watcher = new OrderWatcher(e);
    for (let i = 0; i < count; i++) {
      const o = await placeOrder(e, t, cat, i, rnd);
      placed.push(o);
      watcher.add(o);
      await sleep(paceMs);
    }
    const delays = await watcher.finish(600_000);
    await drained(e, 120_000).catch(() => undefined);
    await sleep(2_000);
    const ok = delays.filter((d) => Number.isFinite(d));
    const stats = e.bling.sim.control.stats(t.accountId);
    return {
      k,
      orders: count,
      dist: distribution(ok),
      delaysMs: ok,
      missing: delays.length - ok.length,
      duplicates: duplicates(e, placed),
      tooManyRequests: stats.tooManyRequests,
      maxPerSecond: stats.maxPerSecond,
      share: w.share,
      requestsPerOrder: stats.total / count,
    };
  } finally {
    await w.close();
  }
}
