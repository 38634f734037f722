import { CursorsRepository, type EntityLink, LedgerRepository, LinksRepository } from "@zb/db";
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
  const d = (link.data ?? {}) as Record<string, unknown>;
  return {
    productId: String(d.productZydonId ?? link.zydonId),
    variationId: link.entity === "variation" ? String(d.variationZydonId ?? link.zydonId) : null,
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
      const data = (link.data ?? {}) as Record<string, unknown>;
      if (data.stockQty === qty) {
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
