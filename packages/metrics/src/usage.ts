import { createGauge, type ZbMetrics } from "./registry.js";

export interface UsageSource {
  /** Every Bling account with a budget (the budget key: company id, or the tenant id before it is known). */
  accounts(): Promise<string[]>;
  /** Requests the account spent today (Bling's day), as `BlingBudget.usage` reports. */
  today(accountId: string): Promise<number>;
}

export interface UsageMetricsOptions {
  /** Accounts shown by name, the busiest first (METRICS_TOP_ACCOUNTS, default 10); the rest only in the aggregate. */
  topN: number;
  /** A scrape reuses the last reading for this long (default 15 s): thousands of accounts, one Redis call each. */
  cacheMs?: number;
  /** Concurrent Redis reads per refresh (default 20). */
  concurrency?: number;
  now?: () => number;
}

/** The label value of the all-accounts series. */
export const ALL_ACCOUNTS = "_all";

/**
 * Bling requests spent today: one series for the sum over every account (`account="_all"`) and one per
 * account for the `topN` busiest only, so the label's cardinality stays at most topN + 1 whatever the
 * number of tenants. Also the number of accounts counted.
 */
export function registerUsageMetrics(
  metrics: ZbMetrics,
  source: UsageSource,
  opts: UsageMetricsOptions,
): void {
  const now = opts.now ?? Date.now;
  const cacheMs = opts.cacheMs ?? 15_000;
  const concurrency = opts.concurrency ?? 20;
  let cached: { at: number; rows: Array<[string, number]> } | undefined;
  let inFlight: Promise<Array<[string, number]>> | undefined;

  async function read(): Promise<Array<[string, number]>> {
    const ids = [...new Set(await source.accounts())];
    const rows: Array<[string, number]> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, ids.length) }, async () => {
        while (next < ids.length) {
          const id = ids[next++] as string;
          rows.push([id, await source.today(id)]);
        }
      }),
    );
    return rows;
  }

  async function rows(): Promise<Array<[string, number]>> {
    if (cached && now() - cached.at < cacheMs) return cached.rows;
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    const r = await inFlight;
    cached = { at: now(), rows: r };
    return r;
  }

  createGauge(metrics, {
    name: "zb_bling_requests_today",
    help: `Bling requests spent today (São Paulo day): account="${ALL_ACCOUNTS}" sums every account, the others are the top-N busiest`,
    labelNames: ["account"],
    async collect(g) {
      const r = await rows();
      g.reset();
      g.set(
        { account: ALL_ACCOUNTS },
        r.reduce((s, [, n]) => s + n, 0),
      );
      const top = [...r].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, opts.topN);
      for (const [account, n] of top) if (n > 0) g.set({ account }, n);
    },
  });
  createGauge(metrics, {
    name: "zb_bling_accounts",
    help: "Bling accounts with a budget (connected tenants)",
    labelNames: [],
    async collect(g) {
      g.set((await rows()).length);
    },
  });
}
