import { CursorsRepository, LinksRepository, OrderExportsRepository } from "@zb/db";
import { z } from "zod";
import type { SyncContext } from "./context.js";
import { syncProduct } from "./products.js";
import { syncStockFor } from "./stock.js";

/** Overlap between consecutive `dataAlteracao` windows, so an edit saved at a window's edge is not missed. */
export const POLL_OVERLAP_MS = 2 * 60_000;
/** Bling refuses date windows over one year. */
const MAX_WINDOW_MS = 364 * 86_400_000;

/** Where the products poll resumes (`productsSince`, ISO); the initial sync sets it when it starts. */
export const pollProductsCursor = z.object({ productsSince: z.string() });

/**
 * Polling fallback for products and prices: everything Bling says changed since the last window (with
 * overlap) is re-read and written only if its content hash changed. Bounds the delay when webhooks are lost.
 */
export async function pollProductChanges(ctx: SyncContext): Promise<{ checked: number; changed: number }> {
  const cursors = new CursorsRepository(ctx.db);
  const now = ctx.now();
  const cursor = await cursors.get(ctx.tenantId, "poll:products", pollProductsCursor).catch(() => undefined);
  let since = cursor
    ? new Date(new Date(cursor.productsSince).getTime() - POLL_OVERLAP_MS)
    : new Date(now.getTime() - 10 * 60_000);
  if (now.getTime() - since.getTime() > MAX_WINDOW_MS) since = new Date(now.getTime() - MAX_WINDOW_MS);
  let checked = 0;
  let changed = 0;
  const seen = new Set<string>();
  // criterio 5 (all) so a product switched to inactive is noticed too; three stock passes, see products.ts.
  for (const filtro of [1, 0, 2] as const) {
    for (let page = 1; ; page++) {
      const rows = await ctx.bling.listProducts({
        page,
        criterio: 5,
        filtroSaldoEstoque: filtro,
        dataAlteracaoInicial: since,
        dataAlteracaoFinal: now,
      });
      for (const r of rows) {
        const id = r.idProdutoPai ?? r.id;
        if (seen.has(id)) continue;
        seen.add(id);
        checked++;
        const o = await syncProduct(ctx, id);
        if (o === "created" || o === "updated") changed++;
      }
      if (rows.length < 100) break;
    }
  }
  await cursors.set(ctx.tenantId, "poll:products", { productsSince: now.toISOString() });
  return { checked, changed };
}

const reconcileCursor = z.object({ page: z.number().int().min(1), rotationStartedAt: z.string() });

/**
 * Rolling stock reconciliation: Bling's stock has no "changed since" filter, so balances are re-read in
 * batches, sized so the whole catalog is covered every `rotationMs` (default 5 min) — but never more than
 * `maxRequestsPerRun` balance requests per run, so a huge catalog cannot burn the daily budget.
 */
export async function reconcileStock(
  ctx: SyncContext,
  opts: { intervalMs: number; rotationMs?: number; maxRequestsPerRun?: number },
): Promise<{ checked: number; written: number; requests: number }> {
  const links = new LinksRepository(ctx.db);
  const cursors = new CursorsRepository(ctx.db);
  const total = await links.countSellable(ctx.tenantId);
  if (total === 0) return { checked: 0, written: 0, requests: 0 };
  const batch = ctx.bling.maxBalanceBatch;
  const runsPerRotation = Math.max(1, Math.floor((opts.rotationMs ?? 5 * 60_000) / opts.intervalMs));
  const requests = Math.min(
    opts.maxRequestsPerRun ?? 20,
    Math.max(1, Math.ceil(total / batch / runsPerRotation)),
  );
  const state = (await cursors
    .get(ctx.tenantId, "reconcile:stock", reconcileCursor)
    .catch(() => undefined)) ?? {
    page: 1,
    rotationStartedAt: ctx.now().toISOString(),
  };
  let page = state.page;
  let rotationStartedAt = state.rotationStartedAt;
  let checked = 0;
  let written = 0;
  let done = 0;
  let wraps = 0;
  while (done < requests) {
    const rows = await links.pageSellable(ctx.tenantId, page, batch);
    if (rows.length === 0) {
      // Past the end (the catalog shrank): start the next rotation, at most once per run.
      page = 1;
      rotationStartedAt = ctx.now().toISOString();
      if (++wraps > 1 || checked > 0) break;
      continue;
    }
    const r = await syncStockFor(ctx, rows);
    checked += rows.length;
    written += r.written;
    done++;
    page = rows.length < batch ? 1 : page + 1;
    if (page === 1) rotationStartedAt = ctx.now().toISOString();
  }
  await cursors.set(ctx.tenantId, "reconcile:stock", { page, rotationStartedAt });
  return { checked, written, requests: done };
}

/** Stock for specific Bling products (webhook path): one balance request per batch of dirty products. */
export async function refreshStock(ctx: SyncContext, blingProductIds: string[]): Promise<number> {
  const links = new LinksRepository(ctx.db);
  const ids = [...new Set(blingProductIds)];
  const found = [
    ...(await links.byBlingIds(ctx.tenantId, "product", ids)),
    ...(await links.byBlingIds(ctx.tenantId, "variation", ids)),
  ];
  const sellable = found.filter((l) => {
    const kind = (l.data as Record<string, unknown> | null)?.kind;
    return kind === "simple" || kind === "variation";
  });
  const r = await syncStockFor(ctx, sellable);
  return r.written;
}

const ordersCursor = z.object({ since: z.string() });

/**
 * Fallback for a lost Zydon order webhook: orders created since the last poll (with overlap) that have no
 * export row yet. Returns their ids; the caller enqueues `export-order` (idempotent per order).
 */
export async function pollNewZydonOrders(ctx: SyncContext): Promise<string[]> {
  const cursors = new CursorsRepository(ctx.db);
  const now = ctx.now();
  const cursor = await cursors.get(ctx.tenantId, "poll:zydon-orders", ordersCursor).catch(() => undefined);
  const since = cursor
    ? new Date(new Date(cursor.since).getTime() - POLL_OVERLAP_MS)
    : new Date(now.getTime() - 60 * 60_000);
  const orders = await ctx.zydon.listOrdersSince(since);
  const exportsRepo = new OrderExportsRepository(ctx.db);
  const missing: string[] = [];
  for (const o of orders) {
    const row = await exportsRepo.get(ctx.tenantId, o.id);
    if (!row || (row.state !== "created" && row.state !== "failed")) missing.push(o.id);
  }
  await cursors.set(ctx.tenantId, "poll:zydon-orders", { since: now.toISOString() });
  return missing;
}
