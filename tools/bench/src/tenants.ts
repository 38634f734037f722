import { generateDemoAccount } from "@zb/bling-simulator";
import { TenantsRepository } from "@zb/db";
import { waitFor } from "@zb/e2e-kit";
import { seededRandom } from "@zb/testing";
import { catalogOf, duplicates, OrderWatcher, type PlacedOrder, placeOrder, type Tenant } from "./orders.js";
import { type Distribution, distribution, sleep } from "./stats.js";
import { startWorld, type World } from "./world.js";

export interface TenantsPhase {
  label: string;
  workers: number;
  dist: Distribution;
  delaysMs: number[];
  missing: number;
  /** Placement → our export job's first touch of the order (webhook intake + queue wait). */
  toJob: Distribution;
  /** That first touch → the Bling order recorded (Bling requests under the account's budget). */
  inJob: Distribution;
}

export interface TenantsResult {
  k: number;
  small: number;
  bigProducts: number;
  phases: TenantsPhase[];
  fairness: number;
  duplicates: number;
  tooManyRequests: number;
  /** Highest requests in any 1 s window over every account (two processes included), and the share. */
  maxPerSecondAnyAccount: number;
  share: number;
  rotated: number;
  tokenCalls: number;
  /** Accounts that saw more requests than the share in some 1 s window: what was in that window. */
  overShare: string[];
  smallSyncMs: number;
  bigProgress: string;
}

/**
 * Many tenants on one worker, in real time (K = 1: Bling's own 3 req/s per account, our 2): every small
 * tenant exports an order while alone, then while one big tenant runs its initial sync, then again with
 * two worker processes — where some tenants' access tokens expire first, so the refresh must happen once
 * per rotation across processes, and no account may see a second above the share.
 */
export async function runTenants(small: number, bigProducts: number): Promise<TenantsResult> {
  const w = await startWorld({ k: 1, api: true });
  try {
    const { e } = w;
    const smalls: Tenant[] = [];
    for (let i = 0; i < small; i++) {
      const t = await e.addTenant(`Loja Pequena ${i + 1}`);
      generateDemoAccount(e.bling.sim, t.accountId, {
        products: 5,
        variationShare: 0,
        contacts: 3,
        paymentMethods: 2,
        seed: 100 + i,
      });
      w.prepareCatalog(t.accountId);
      smalls.push(t);
    }
    const big = await e.addTenant("Loja Grande");
    generateDemoAccount(e.bling.sim, big.accountId, {
      products: bigProducts,
      variationShare: 0.3,
      contacts: Math.round(bigProducts / 2),
      paymentMethods: 11,
      seed: 9,
    });
    w.prepareCatalog(big.accountId);

    // Every small tenant's initial sync, all at once.
    const tenants = new TenantsRepository(e.db.db);
    const syncStart = Date.now();
    for (const t of smalls)
      await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    await waitFor(
      "small tenants' initial syncs",
      async () => {
        for (const t of smalls) if (!(await tenants.findById(t.tenantId))?.initialSyncDoneAt) return false;
        return true;
      },
      3_600_000,
    );
    const smallSyncMs = Date.now() - syncStart;
    await sleep(2_000);
    const cats = new Map(smalls.map((t) => [t.tenantId, catalogOf(e, t)]));
    const rnd = seededRandom(5);
    const placedAll: PlacedOrder[] = [];
    let seq = 0;

    /** One order per small tenant (two, at once, for the `twice` ones), spread over `spreadMs`. */
    const phase = async (
      label: string,
      twice: Set<string> = new Set(),
      timeoutMs = 600_000,
    ): Promise<TenantsPhase> => {
      const watcher = new OrderWatcher(e);
      const spreadMs = 5_000;
      for (const t of smalls) {
        const cat = cats.get(t.tenantId) as ReturnType<typeof catalogOf>;
        const n = twice.has(t.tenantId) ? 2 : 1;
        const batch = await Promise.all(Array.from({ length: n }, () => placeOrder(e, t, cat, seq++, rnd)));
        for (const o of batch) {
          watcher.add(o);
          placedAll.push(o);
        }
        await sleep(spreadMs / smalls.length);
      }
      const delays = await watcher.finish(timeoutMs);
      const ok = delays.filter((d) => Number.isFinite(d));
      const placedAt = new Map(watcher.placed().map((o) => [o.orderId, o.at]));
      const rows = (await e.db.sql`
        select zydon_order_id, created_at, updated_at from order_exports
        where zydon_order_id in ${e.db.sql([...placedAt.keys()])} and state = 'created'`) as unknown as Array<{
        zydon_order_id: string;
        created_at: Date | string;
        updated_at: Date | string;
      }>;
      const toJob = rows.map((r) => new Date(r.created_at).getTime() - (placedAt.get(r.zydon_order_id) ?? 0));
      const inJob = rows.map((r) => new Date(r.updated_at).getTime() - new Date(r.created_at).getTime());
      return {
        label,
        workers: w.workers.length,
        dist: distribution(ok),
        delaysMs: ok,
        missing: delays.length - ok.length,
        toJob: distribution(toJob),
        inJob: distribution(inJob),
      };
    };

    const phases: TenantsPhase[] = [];
    phases.push(await phase("small tenants alone, 1 worker"));
    await w.e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: big.tenantId });
    // Let the big sync get going (its product pages are on the same queues).
    await sleep(10_000);
    phases.push(await phase("with the big initial sync, 1 worker"));
    // Real Zydon takes ~26 s per image upload (zydon-api.md); the simulator answers at once unless told.
    // Image jobs share the events queue with order webhooks: how long do orders wait behind them?
    e.zydon.sim.setFaults({ uploadLatencyMs: 26_000 });
    await sleep(5_000);
    phases.push(
      await phase(
        "with the big initial sync, Zydon uploads 26 s each, 1 worker (cut at 180 s)",
        new Set(),
        180_000,
      ),
    );
    e.zydon.sim.setFaults({});

    // Two worker processes; a third of the small tenants' access tokens expire (a rotation each).
    await startSecond(w);
    // At most 8 at once: the deployment-wide token-call cap is 10 per 60 s (Bling blocks the IP at 20).
    const rotatedTenants = smalls.filter((_, i) => i % 3 === 0).slice(0, 8);
    for (const t of rotatedTenants) e.bling.sim.control.expireAccessTokens(t.accountId);
    const tokenLogBefore = tokenCalls(w);
    phases.push(
      await phase(
        "with the big initial sync, 2 workers, tokens expired",
        new Set(rotatedTenants.map((t) => t.tenantId)),
      ),
    );
    const calls = tokenCalls(w) - tokenLogBefore;

    const stats = e.bling.sim.control.stats();
    let maxPerSecond = 0;
    const overShare: string[] = [];
    for (const t of [...smalls, big]) {
      const m = e.bling.sim.control.stats(t.accountId).maxPerSecond;
      maxPerSecond = Math.max(maxPerSecond, m);
      if (m > w.share)
        overShare.push(describeWindow(e.bling.sim.control.requestLog(t.accountId), w.share, t === big));
    }
    const bigLinks = await e.db
      .sql`select count(*)::int as n from entity_links where tenant_id = ${big.tenantId}`;
    const a = phases[0]?.dist.p95 ?? Number.NaN;
    const b = phases[1]?.dist.p95 ?? Number.NaN;
    return {
      k: 1,
      small,
      bigProducts,
      phases,
      fairness: b / a,
      duplicates: duplicates(e, placedAll),
      tooManyRequests: stats.tooManyRequests,
      maxPerSecondAnyAccount: maxPerSecond,
      share: w.share,
      rotated: rotatedTenants.length,
      tokenCalls: calls,
      overShare,
      smallSyncMs,
      bigProgress: `${(bigLinks[0] as { n: number }).n} records linked when measured`,
    };
  } finally {
    await w.close();
  }
}

/** The first 1 s window with more than `share` requests: when, which endpoints and statuses, gaps. */
function describeWindow(
  log: Array<{ at: number; endpoint: string; status: number }>,
  share: number,
  big: boolean,
): string {
  for (let i = 0; i + share < log.length; i++) {
    const first = log[i] as { at: number };
    const last = log[i + share] as { at: number };
    if (last.at - first.at < 1000) {
      const w = log.slice(i, i + share + 1);
      return `${big ? "big tenant" : "small tenant"}: ${w.map((r) => `${r.endpoint} ${r.status} @+${r.at - first.at} ms`).join(", ")}`;
    }
  }
  return `${big ? "big tenant" : "small tenant"}: window not found in the log`;
}

async function startSecond(w: World): Promise<void> {
  await w.startWorker();
}

function tokenCalls(w: World): number {
  return w.e.bling.sim.control.requestLog().filter((r) => /\/oauth\/token/.test(r.path)).length;
}
