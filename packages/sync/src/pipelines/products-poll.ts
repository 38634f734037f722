import { CursorsRepository } from "@zb/db";
import { z } from "zod";
import type { SyncContext } from "./context.js";
import { syncProduct } from "./products.js";

/** Overlap between consecutive `dataAlteracao` windows, so an edit saved at a window's edge is not missed. */
export const POLL_OVERLAP_MS = 2 * 60_000;
/** Bling refuses date windows over one year. */
export const MAX_POLL_WINDOW_MS = 364 * 86_400_000;

/** A poll's first window, when it has no cursor yet: the last 10 minutes. */
const FIRST_WINDOW_MS = 10 * 60_000;

/**
 * Where a `dataAlteracao` poll's window starts: the last window's end (`lastEnd`, ISO) minus the overlap, or
 * the last 10 minutes for a first poll, never more than Bling's one-year limit back.
 */
export function pollWindowStart(lastEnd: string | undefined, now: Date): Date {
  const since = lastEnd ? new Date(lastEnd).getTime() - POLL_OVERLAP_MS : now.getTime() - FIRST_WINDOW_MS;
  return new Date(Math.max(since, now.getTime() - MAX_POLL_WINDOW_MS));
}

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
  const since = pollWindowStart(cursor?.productsSince, now);
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
