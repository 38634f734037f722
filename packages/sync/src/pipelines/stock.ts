import { CursorsRepository, type EntityLink, LedgerRepository, LinksRepository, linkData } from "@zb/db";
import { z } from "zod";
import { stockQuantity } from "../domain/stock.js";
import type { EntityPipeline } from "../engine/initial-sync.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";

const DEPOSIT_TTL_MS = 60 * 60_000;
const depositCache = z.object({ at: z.string(), id: z.string().nullable() });

/**
 * Bling's default deposit, only when the merchant chose none: one request per hour per tenant (cached like
 * the situações), not one per stock batch.
 */
async function defaultDepositId(ctx: SyncContext): Promise<string | null> {
  if (ctx.settings.stock.depositIds.length > 0) return null;
  const cursors = new CursorsRepository(ctx.db);
  const cached = await cursors
    .get(ctx.tenantId, "cache:default-deposit", depositCache)
    .catch(() => undefined);
  if (cached && ctx.now().getTime() - new Date(cached.at).getTime() < DEPOSIT_TTL_MS) return cached.id;
  const deposits = await ctx.bling.listDeposits();
  const id = deposits.find((d) => d.padrao)?.id ?? deposits[0]?.id ?? null;
  await cursors.set(ctx.tenantId, "cache:default-deposit", { at: ctx.now().toISOString(), id });
  return id;
}

function target(link: EntityLink) {
  const d = linkData(link);
  return {
    productId: d.productZydonId ?? String(link.zydonId),
    variationId: link.entity === "variation" ? (d.variationZydonId ?? String(link.zydonId)) : null,
  };
}

/**
 * Write Bling balances for these linked records to Zydon, only where the quantity changed.
 * One Bling request per batch (`maxBalanceBatch` ids). Returns counts.
 */
export async function syncStockFor(
  ctx: SyncContext,
  links: EntityLink[],
  opts: { depositId?: string | null } = {},
) {
  const ledger = new LedgerRepository(ctx.db);
  const result = { synced: 0, skipped: 0, failed: 0, written: 0 };
  if (links.length === 0) return result;
  const depositId = opts.depositId !== undefined ? opts.depositId : await defaultDepositId(ctx);
  for (let i = 0; i < links.length; i += ctx.bling.maxBalanceBatch) {
    const batch = links.slice(i, i + ctx.bling.maxBalanceBatch).filter((l) => l.blingId && l.zydonId);
    const balances = await ctx.bling.getBalances(batch.map((l) => l.blingId as string));
    const byId = new Map(balances.map((b) => [b.productId, b]));
    for (const link of batch) {
      const b = byId.get(link.blingId as string);
      // Bling omits products without a balance row: that is zero stock, not "unknown".
      const qty = stockQuantity(b?.depositos ?? [], {
        depositIds: ctx.settings.stock.depositIds,
        defaultDepositId: depositId,
        balance: ctx.settings.stock.balance,
      });
      if (linkData(link).stockQty === qty) {
        result.synced++;
        continue;
      }
      try {
        await ctx.zydon.setStock(target(link), qty);
      } catch (err) {
        if (isTransient(err)) throw err;
        result.failed++;
        await ledger.record({
          tenantId: ctx.tenantId,
          entity: "stock",
          entityKey: link.naturalKey ?? String(link.blingId),
          action: "update",
          outcome: "failed",
          reason: `Estoque do SKU ${link.naturalKey} não foi atualizado no Zydon: ${errorMessage(err)}`,
          retryable: true,
          details: { blingId: link.blingId, quantity: qty },
        });
        continue;
      }
      await ctx.db.transaction(async (tx) => {
        await new LinksRepository(tx).mergeData(link.id, { stockQty: qty, stockAt: ctx.now().toISOString() });
        await new LedgerRepository(tx).record({
          tenantId: ctx.tenantId,
          entity: "stock",
          entityKey: link.naturalKey ?? String(link.blingId),
          action: "update",
          outcome: "synced",
          reason: `Estoque atualizado para ${qty}.`,
        });
      });
      result.synced++;
      result.written++;
    }
  }
  return result;
}

/** Initial stock: every linked sellable record, in batches of the balance endpoint's size. */
export const stockPipeline: EntityPipeline<SyncContext> = {
  entity: "stock",
  async runPage(ctx, page) {
    const links = new LinksRepository(ctx.db);
    const size = ctx.bling.maxBalanceBatch;
    const batch = await links.pageSellable(ctx.tenantId, page, size);
    const total = page === 1 ? await links.countSellable(ctx.tenantId) : undefined;
    const r = await syncStockFor(ctx, batch);
    return { hasMore: batch.length === size, synced: r.synced, skipped: r.skipped, failed: r.failed, total };
  },
};

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
    const kind = linkData(l).kind;
    return kind === "simple" || kind === "variation";
  });
  const r = await syncStockFor(ctx, sellable);
  return r.written;
}
