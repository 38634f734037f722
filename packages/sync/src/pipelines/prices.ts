import { LedgerRepository, LinksRepository, linkData } from "@zb/db";
import type { EntityPipeline } from "../engine/initial-sync.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";

/**
 * Base prices travel with the product (and its variations) in the products step. With a store as the price
 * source, this step copies that Bling store's prices (multiloja, `/produtos/lojas`) into the one Zydon price
 * table the app owns — never into a table the merchant created by hand.
 */
export const pricesPipeline: EntityPipeline<SyncContext> = {
  entity: "prices",
  async runPage(ctx, page) {
    const { source, blingStoreId, zydonPriceTableId } = ctx.settings.price;
    if (source !== "store" || !blingStoreId || !zydonPriceTableId)
      return { hasMore: false, synced: 0, skipped: 0, failed: 0, total: 0 };
    const rows = await ctx.bling.listStorePrices({ page, idLoja: blingStoreId });
    const links = new LinksRepository(ctx.db);
    const ledger = new LedgerRepository(ctx.db);
    const prices: Array<{ productId: string; variationId: string | null; price: number; sku: string }> = [];
    let skipped = 0;
    for (const r of rows) {
      const link =
        (await links.byBlingId(ctx.tenantId, "product", r.productId)) ??
        (await links.byBlingId(ctx.tenantId, "variation", r.productId));
      if (!link?.zydonId) {
        skipped++;
        continue;
      }
      const d = linkData(link);
      const price = r.precoPromocional && r.precoPromocional > 0 ? r.precoPromocional : r.preco;
      prices.push({
        productId: d.productZydonId ?? String(link.zydonId),
        variationId: link.entity === "variation" ? (d.variationZydonId ?? String(link.zydonId)) : null,
        price,
        sku: link.naturalKey ?? r.productId,
      });
    }
    let failed = 0;
    if (prices.length > 0) {
      try {
        await ctx.zydon.setPriceTablePrices(
          zydonPriceTableId,
          prices.map(({ sku: _sku, ...p }) => p),
        );
      } catch (err) {
        if (isTransient(err)) throw err;
        failed = prices.length;
        await ledger.record({
          tenantId: ctx.tenantId,
          entity: "price",
          entityKey: `tabela:${zydonPriceTableId}`,
          action: "update",
          outcome: "failed",
          reason: `A tabela de preços ${zydonPriceTableId} do Zydon recusou os preços da loja ${blingStoreId}: ${errorMessage(err)}`,
          retryable: true,
        });
      }
    }
    return { hasMore: rows.length === 100, synced: prices.length - failed, skipped, failed };
  },
};
