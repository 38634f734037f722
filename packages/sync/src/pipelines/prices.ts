import { CursorsRepository, LedgerRepository, LinksRepository, linkData } from "@zb/db";
import { z } from "zod";
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
import { pollWindowStart } from "./products-poll.js";
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
    const outcome = await applyStorePrices(ctx, rows, storeId, tableId);
    return { hasMore: rows.length === 100, ...outcome };
  },
};

type StorePriceRow = Awaited<ReturnType<SyncContext["bling"]["listStorePrices"]>>[number];

/**
 * The price a buyer pays in the store: the promotional price while Bling has one (`precoPromocional` > 0),
 * else the store price. Bling's `/produtos/lojas` carries no validity dates and no quantity tiers
 * (`ProdutosLojasDadosBaseDTO`): a promotion ends when the merchant clears it, and the poll sees that edit.
 */
export function storeIncomingPrice(r: Pick<StorePriceRow, "preco" | "precoPromocional">): number {
  return r.precoPromocional && r.precoPromocional > 0 ? r.precoPromocional : r.preco;
}

/** Where the store-prices poll resumes (`since`, ISO); the initial sync sets it when it starts. */
export const pollStorePricesCursor = z.object({ since: z.string() });
export const STORE_PRICES_CURSOR = "poll:store-prices";

/**
 * Store prices changed in Bling since the last poll (with overlap) into the app's Zydon price table. Bling sends
 * no webhook for product-store links (bling-api-v3.md §7), so without this a promotion started or ended in
 * Bling after the first sync would never reach Zydon. One `/produtos/lojas` request per 100 changed links;
 * nothing when the price source is not a store, when Zydon owns price, or while the settings do not resolve
 * (the first sync records that configuration error; the poll does not repeat it every few minutes).
 */
export async function pollStorePrices(
  ctx: SyncContext,
): Promise<{ checked: number; synced: number; failed: number }> {
  const none = { checked: 0, synced: 0, failed: 0 };
  const { source, blingStoreId, zydonPriceTableId } = ctx.settings.price;
  if (source !== "store" || zydonOwns(ctx.settings, "price")) return none;
  if (storeConfigProblem(blingStoreId, zydonPriceTableId)) return none;
  const cursors = new CursorsRepository(ctx.db);
  const now = ctx.now();
  const cursor = await cursors
    .get(ctx.tenantId, STORE_PRICES_CURSOR, pollStorePricesCursor)
    .catch(() => undefined);
  const since = pollWindowStart(cursor?.since, now);
  const total = { ...none };
  for (let page = 1; ; page++) {
    const rows = await ctx.bling.listStorePrices({
      page,
      idLoja: blingStoreId as string,
      dataAlteracaoInicial: since,
      dataAlteracaoFinal: now,
    });
    total.checked += rows.length;
    const r = await applyStorePrices(ctx, rows, blingStoreId as string, zydonPriceTableId as string, {
      onlyChanged: true,
    });
    total.synced += r.synced;
    total.failed += r.failed;
    if (rows.length < 100) break;
  }
  await cursors.set(ctx.tenantId, STORE_PRICES_CURSOR, { since: now.toISOString() });
  return total;
}

/**
 * One page of a store's prices into the app's Zydon price table: each price judged by the hold (a jump waits
 * for the merchant), the page by the mass-change breaker, then one table write.
 */
async function applyStorePrices(
  ctx: SyncContext,
  rows: StorePriceRow[],
  storeId: string,
  tableId: string,
  opts: { onlyChanged?: boolean } = {},
): Promise<{ synced: number; skipped: number; failed: number }> {
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
    const incoming = storeIncomingPrice(r);
    const state = d.priceHold?.store;
    // The poll re-reads links Bling saved for any reason (a codigo edit, the other price): one whose price is
    // the one Zydon already has, with nothing held, needs no write.
    if (opts.onlyChanged && d.storePrice === incoming && !state) continue;
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
    return { synced: 0, skipped, failed: prices.length };
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
        label: `${prices.length === 1 ? "o produto enviado" : `os ${prices.length} produtos enviados`} à tabela de preços ${tableId}`,
        created: prices.length === 1 ? "criado" : "o mais recente criado",
      });
      if (isTransient(err)) throw err;
      failed = prices.length;
      await ledger.record({
        tenantId: ctx.tenantId,
        entity: "price",
        entityKey: `tabela:${tableId}`,
        action: "update",
        outcome: "failed",
        reason:
          notFound ??
          `A tabela de preços ${tableId} do Zydon recusou os preços da loja ${storeId}: ${errorMessage(err)}`,
        retryable: true,
      });
    }
  }
  return { synced: prices.length - failed, skipped, failed };
}
