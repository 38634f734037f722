import type { SyncEntity } from "@zb/sync";

/**
 * The Sincronização tab's progress, from what is left to read and the account's request share.
 *
 * Remaining work per step is counted in Bling requests at the API's minimum (list pages hold 100 rows, a
 * product or contact detail is one request each, one balance request covers 100 products), and the time is
 * those requests over the per-second share the budget grants this account. A step whose total is not known
 * yet (queued behind another) takes its total from the readiness report that ran just before the sync.
 */

export const LIST_PAGE_SIZE = 100;
export const BALANCE_BATCH = 100;

export interface RunRow {
  entity: SyncEntity;
  status: string;
  done: number;
  failed: number;
  skipped: number;
  total: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** Record counts the readiness report saw (the same names it stores). */
export interface ReadinessCounts {
  products?: number | undefined;
  topLevelProducts?: number | undefined;
  contactsListed?: number | undefined;
  paymentMethods?: number | undefined;
}

const pages = (n: number) => Math.ceil(n / LIST_PAGE_SIZE);

/** Bling requests still needed to handle `remaining` records of one step, at the API's minimum. */
export function requestsFor(entity: SyncEntity, remaining: number): number {
  if (remaining <= 0) return 0;
  switch (entity) {
    case "payment_methods":
      return pages(remaining);
    case "products":
      // A list page per 100 products, then each product's detail (variations come inside it).
      return pages(remaining) + remaining;
    case "stock":
      return Math.ceil(remaining / BALANCE_BATCH);
    case "prices":
      return pages(remaining);
    case "customers":
      // A list page per 100 contacts, then a detail per contact the partner is created from.
      return pages(remaining) + remaining;
    case "categories":
      // A list page per 100 categories (a category the list lacks is read alone, rarely).
      return pages(remaining);
  }
}

function estimatedTotal(entity: SyncEntity, c: ReadinessCounts | undefined): number | null {
  if (!c) return null;
  switch (entity) {
    case "payment_methods":
      return c.paymentMethods ?? null;
    case "products":
      return c.topLevelProducts ?? null;
    case "stock":
      // Stock is read for every sellable record: products and variations.
      return c.products ?? null;
    case "prices":
      return c.products ?? null;
    case "customers":
      return c.contactsListed ?? null;
    case "categories":
      // Not counted by the readiness report: the step's own total comes with its one page.
      return null;
  }
}

export interface StepProgress {
  entity: SyncEntity;
  status: string;
  done: number;
  failed: number;
  skipped: number;
  total: number | null;
  /** The total comes from the readiness report, not from the step itself (it has not started). */
  totalEstimated: boolean;
  /** Prices that come with the products (no store price list): shown as part of Produtos. */
  withProducts: boolean;
  remainingRequests: number | null;
  etaSeconds: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ProgressEstimate {
  steps: StepProgress[];
  running: boolean;
  /** Whole sync: records handled so far over every step's (known or estimated) total. */
  overall: { processed: number; total: number } | null;
  remainingRequests: number | null;
  etaSeconds: number | null;
}

export function estimateProgress(input: {
  runs: RunRow[];
  order: readonly SyncEntity[];
  /** Requests per second this account may use (the budget's share). */
  share: number;
  counts?: ReadinessCounts | undefined;
  /** Price source "base": prices are written with each product, the prices step has nothing of its own. */
  pricesWithProducts: boolean;
}): ProgressEstimate {
  const rate = Math.max(0.1, input.share);
  const byEntity = new Map(input.runs.map((r) => [r.entity, r]));
  let etaKnown = true;
  let remainingRequests = 0;
  let overallProcessed = 0;
  let overallTotal = 0;
  let overallKnown = true;
  const steps: StepProgress[] = [];
  for (const entity of input.order) {
    const r = byEntity.get(entity);
    if (!r) continue;
    const active = r.status === "queued" || r.status === "running";
    const processed = r.done + r.failed + r.skipped;
    const withProducts = entity === "prices" && input.pricesWithProducts;
    let total = r.total;
    let totalEstimated = false;
    if (total === null && active && !withProducts) {
      const est = estimatedTotal(entity, input.counts);
      if (est !== null) {
        total = Math.max(est, processed);
        totalEstimated = true;
      }
    }
    let reqs: number | null = null;
    if (withProducts) reqs = 0;
    else if (active && total !== null) reqs = requestsFor(entity, Math.max(0, total - processed));
    // The category tree: about one list page, its size known only once it ran (a handful of seconds).
    else if (active && entity === "categories") reqs = 1;
    else if (!active) reqs = 0;
    if (reqs === null) etaKnown = false;
    else remainingRequests += reqs;
    // Categories are not records of the catalog bar: the bar counts products, stock, prices and customers.
    if (!withProducts && entity !== "categories") {
      if (total === null) overallKnown = active ? false : overallKnown;
      overallTotal += total ?? processed;
      overallProcessed += total === null ? processed : Math.min(processed, total);
    }
    steps.push({
      entity,
      status: r.status,
      done: r.done,
      failed: r.failed,
      skipped: r.skipped,
      total: withProducts ? null : total,
      totalEstimated,
      withProducts,
      remainingRequests: active ? reqs : null,
      etaSeconds: active && reqs !== null ? Math.ceil(reqs / rate) : null,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
    });
  }
  const running = steps.some((s) => s.status === "queued" || s.status === "running");
  return {
    steps,
    running,
    overall: overallKnown && overallTotal > 0 ? { processed: overallProcessed, total: overallTotal } : null,
    remainingRequests: running && etaKnown ? remainingRequests : null,
    etaSeconds: running && etaKnown ? Math.ceil(remainingRequests / rate) : null,
  };
}
