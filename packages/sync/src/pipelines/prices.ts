import { LedgerRepository, LinksRepository, linkData } from "@zb/db";
import type { EntityPipeline } from "../engine/initial-sync.js";
import { blingIdPattern, zydonOwns } from "../settings/tenant-settings.js";
import { clearConfigError, recordConfigError, type SettingKey } from "./config-errors.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";
import {
  isKnownPrice,
  type JudgedPrice,
  judgePrice,
  priceJumpLimit,
  priceTableTarget,
  recordPriceVerdicts,
} from "./price-hold.js";
import {
  allowMassChange,
  DEFAULT_PRICE_GUARD_CHANGE,
  isMassChangeOverridden,
  isPriceJump,
  massChangeShare,
} from "./stock-guard.js";
import { checkZydonNotFound, type ReferencedRecord } from "./zydon-not-found.js";

/** Why the store price settings cannot be applied (checked before any request), or null. */
function storeConfigProblem(
  blingStoreId: string | undefined,
  zydonPriceTableId: string | undefined,
): { key: SettingKey; reason: string } | null {
  if (!blingStoreId || !blingIdPattern.test(blingStoreId))
    return {
      key: "price.blingStoreId",
      reason: blingStoreId
        ? `Preços não atualizados: "${blingStoreId.slice(0, 30)}" não é o número de uma loja do Bling. Nada foi enviado ao Zydon; escolha a loja de novo em Configurações.`
        : "Preços não atualizados: falta escolher a loja do Bling de onde vem o preço. Nada foi enviado ao Zydon.",
    };
  if (!zydonPriceTableId)
    return {
      key: "price.zydonPriceTableId",
      reason:
        "Preços não atualizados: falta escolher a tabela de preço da Zydon que recebe os preços da loja. Nada foi enviado ao Zydon.",
    };
  return null;
}

/**
 * Base prices travel with the product (and its variations) in the products step. With a store as the price
 * source, this step copies that Bling store's prices (multiloja, `/produtos/lojas`) into the one Zydon price
 * table the app owns — never into a table the merchant created by hand.
 */
export const pricesPipeline: EntityPipeline<SyncContext> = {
  entity: "prices",
  async runPage(ctx, page) {
    const { source, blingStoreId, zydonPriceTableId } = ctx.settings.price;
    // The merchant keeps prices in Zydon (field ownership): the store's prices are not copied either.
    if (source !== "store" || zydonOwns(ctx.settings, "price"))
      return { hasMore: false, synced: 0, skipped: 0, failed: 0, total: 0 };
    // A store or price table that does not resolve is a configuration error (config-errors.ts): recorded
    // once, nothing written, never a "Concluído · 0 de 0".
    const problem = storeConfigProblem(blingStoreId, zydonPriceTableId);
    if (problem) {
      await recordConfigError(ctx, problem.key, problem.reason, { blingStoreId, zydonPriceTableId });
      return { hasMore: false, synced: 0, skipped: 0, failed: 0, total: 0 };
    }
    const storeId = blingStoreId as string;
    const tableId = zydonPriceTableId as string;
    const rows = await ctx.bling.listStorePrices({ page, idLoja: storeId });
    if (page === 1 && rows.length === 0) {
      await recordConfigError(
        ctx,
        "price.blingStoreId",
        `Preços não atualizados: a loja ${storeId} escolhida em Configurações não existe no Bling ou não tem nenhum produto vinculado. Nada foi enviado ao Zydon; escolha a loja de novo em Configurações.`,
        { blingStoreId: storeId },
      );
      return { hasMore: false, synced: 0, skipped: 0, failed: 0, total: 0 };
    }
    if (page === 1) {
      await clearConfigError(ctx, "price.blingStoreId", `Loja ${storeId} confirmada no Bling.`);
      await clearConfigError(ctx, "price.zydonPriceTableId", `Tabela de preço ${tableId} escolhida.`);
    }
    const links = new LinksRepository(ctx.db);
    const ledger = new LedgerRepository(ctx.db);
    const prices: Array<{
      productId: string;
      variationId: string | null;
      price: number;
      sku: string;
      linkId: number;
    }> = [];
    const jumpLimit = ctx.guards?.priceChange ?? DEFAULT_PRICE_GUARD_CHANGE;
    // Each price is judged on its own (price-hold.ts) once the catalog breaker below lets the page through:
    // a wrong loja moving every price is one hold with "Aplicar mesmo assim", not a row per product. While
    // the merchant's "Aplicar mesmo assim" lasts, the per-product guard steps aside too.
    const holdLimit = (await isMassChangeOverridden(ctx, "price")) ? null : priceJumpLimit(ctx);
    const judged: JudgedPrice[] = [];
    let jumps = 0;
    const linked: ReferencedRecord[] = [];
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
      const incoming = r.precoPromocional && r.precoPromocional > 0 ? r.precoPromocional : r.preco;
      const state = d.priceHold?.store;
      const verdict = judgePrice(holdLimit, d.storePrice, incoming, state);
      const sku = link.naturalKey ?? r.productId;
      judged.push({
        linkId: link.id,
        linkEntity: link.entity === "variation" ? "variation" : "product",
        sku,
        name: null,
        blingId: (link.entity === "variation" ? d.parentBlingId : undefined) ?? link.blingId ?? r.productId,
        source: "store",
        from: d.storePrice ?? incoming,
        to: incoming,
        verdict,
      });
      const price = verdict.write;
      // A price already held, applied or discarded was counted when it first came.
      if (!isKnownPrice(state, incoming) && isPriceJump(d.storePrice, incoming, jumpLimit)) jumps++;
      prices.push({
        ...priceTableTarget(link),
        price,
        sku,
        linkId: link.id,
      });
      linked.push(link);
    }
    // The mass-change breaker (stock-guard.ts): a page moving many prices by more than the guard is held,
    // nothing of it written, until the merchant applies it anyway.
    if (prices.length > 0 && !(await allowMassChange(ctx, "price", jumps, massChangeShare(ctx)))) {
      return { hasMore: rows.length === 100, synced: 0, skipped, failed: prices.length };
    }
    let failed = 0;
    if (prices.length > 0) {
      try {
        await ctx.zydon.setPriceTablePrices(
          tableId,
          prices.map(({ sku: _sku, linkId: _linkId, ...p }) => p),
        );
        await ctx.db.transaction(async (tx) => {
          const l = new LinksRepository(tx);
          for (const p of prices) await l.mergeData(p.linkId, { storePrice: p.price });
          await recordPriceVerdicts(tx, ctx, judged);
        });
      } catch (err) {
        // A 404 while one of these products was linked moments ago: transient (throws), else its own reason.
        const notFound = checkZydonNotFound(ctx, err, linked, {
          label: `${prices.length === 1 ? "o produto enviado" : `os ${prices.length} produtos enviados`} à tabela de preços ${zydonPriceTableId}`,
          created: prices.length === 1 ? "criado" : "o mais recente criado",
        });
        if (isTransient(err)) throw err;
        failed = prices.length;
        await ledger.record({
          tenantId: ctx.tenantId,
          entity: "price",
          entityKey: `tabela:${zydonPriceTableId}`,
          action: "update",
          outcome: "failed",
          reason:
            notFound ??
            `A tabela de preços ${zydonPriceTableId} do Zydon recusou os preços da loja ${blingStoreId}: ${errorMessage(err)}`,
          retryable: true,
        });
      }
    }
    return { hasMore: rows.length === 100, synced: prices.length - failed, skipped, failed };
  },
};
