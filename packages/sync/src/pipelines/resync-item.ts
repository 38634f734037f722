import {
  type LedgerOutcome,
  LedgerRepository,
  LinksRepository,
  linkData,
  OrderExportsRepository,
} from "@zb/db";
import type { SyncContext } from "./context.js";
import { exportOrder } from "./orders.js";
import { followAttachedNfe } from "./post-sale.js";
import { type ProductOutcome, syncProduct } from "./products.js";
import { mirrorOrderStatus, type StatusResult } from "./statuses.js";
import { refreshStock } from "./stock.js";

/**
 * "Sincronizar um item" (issue 18 #4): the merchant names one SKU or one Zydon order on the page, and gets one
 * answer. Each run ends with one ledger row of action "resync" on that item (entity product or order), so the
 * page can show the result inline even when nothing changed (an unchanged product writes no row of its own);
 * the steps it ran record their own rows as always (a refusal keeps its reason and its retry).
 *
 * A SKU: its link says which Bling product it is (a variation's parent for a variation); a SKU the app never
 * linked is looked up in Bling by `codigos[]` (one request per `filtroSaldoEstoque` pass, at most three). The
 * product is read and written as any sync does (hash, price-jump guard, duplicate check), then its balances
 * are read again (one request). Store prices follow at the next prices pass.
 * An order: exported if it never was (exactly once, as always), else its situação is read again from Bling.
 */

export const RESYNC_ACTION = "resync";

export interface ResyncResult {
  outcome: LedgerOutcome;
  reason: string;
}

const productWords: Record<ProductOutcome, { outcome: LedgerOutcome; text: string }> = {
  created: { outcome: "synced", text: "produto criado no Zydon" },
  updated: { outcome: "synced", text: "produto atualizado no Zydon" },
  unchanged: { outcome: "synced", text: "o produto no Zydon já estava igual ao Bling" },
  skipped: { outcome: "skipped", text: "produto ignorado (veja o motivo na linha do produto)" },
  failed: { outcome: "failed", text: "o Zydon recusou o produto (veja o motivo na linha do produto)" },
};

/** Bling product ids (top level) carrying `sku`: the link's first, else Bling's own listing. */
async function blingProductsForSku(ctx: SyncContext, sku: string): Promise<string[]> {
  const links = new LinksRepository(ctx.db);
  const product = await links.byNaturalKey(ctx.tenantId, "product", sku);
  if (product?.blingId) return [product.blingId];
  const variation = await links.byNaturalKey(ctx.tenantId, "variation", sku);
  const parent = variation ? linkData(variation).parentBlingId : undefined;
  if (parent) return [parent];
  const ids = new Set<string>();
  for (const filtro of [1, 0, 2] as const) {
    const rows = await ctx.bling.listProducts({
      page: 1,
      criterio: 5,
      filtroSaldoEstoque: filtro,
      codigos: [sku],
    });
    for (const r of rows) if (r.codigo?.trim() === sku) ids.add(r.idProdutoPai ?? r.id);
    if (ids.size > 0) break;
  }
  return [...ids];
}

export async function resyncSku(ctx: SyncContext, sku: string): Promise<ResyncResult> {
  const ids = await blingProductsForSku(ctx, sku);
  let result: ResyncResult;
  if (ids.length === 0) {
    result = {
      outcome: "skipped",
      reason: `SKU ${sku} não existe no Bling (nem como variação): nada a sincronizar. Confira o código no Bling.`,
    };
  } else {
    // Two Bling products sharing the SKU: both are read, and the duplicate check reports the second.
    const outcomes: ProductOutcome[] = [];
    for (const id of ids.slice(0, 5)) outcomes.push(await syncProduct(ctx, id));
    const worst = (["failed", "skipped", "created", "updated", "unchanged"] as const).find((o) =>
      outcomes.includes(o),
    ) as ProductOutcome;
    const words = productWords[worst];
    let stock = "";
    if (words.outcome === "synced") {
      const links = new LinksRepository(ctx.db);
      const stockIds = [...ids];
      for (const id of ids)
        for (const v of await links.variationsOf(ctx.tenantId, id)) if (v.blingId) stockIds.push(v.blingId);
      const written = await refreshStock(ctx, stockIds);
      stock = written > 0 ? `; estoque atualizado (${written})` : "; estoque conferido, sem mudança";
    }
    result = { outcome: words.outcome, reason: `Sincronização pedida pelo lojista: ${words.text}${stock}.` };
  }
  await record(ctx, "product", sku, result);
  return result;
}

const statusWords: Record<StatusResult, { outcome: LedgerOutcome; text: string }> = {
  moved: { outcome: "synced", text: "o status do pedido no Zydon foi atualizado pelo do Bling" },
  unchanged: { outcome: "synced", text: "o status no Zydon já corresponde ao do Bling" },
  not_ours: { outcome: "skipped", text: "o pedido no Bling não foi enviado por esta integração" },
  missing: { outcome: "failed", text: "o pedido não foi encontrado no Bling (veja a linha do status)" },
  forbidden: {
    outcome: "skipped",
    text: "o Zydon não permite essa mudança de status (veja a linha do status)",
  },
  failed: { outcome: "failed", text: "o status não pôde ser atualizado (veja a linha do status)" },
};

export async function resyncOrder(ctx: SyncContext, zydonOrderId: string): Promise<ResyncResult> {
  const row = await new OrderExportsRepository(ctx.db).get(ctx.tenantId, zydonOrderId);
  let result: ResyncResult;
  if (row?.state === "created" && row.blingOrderId) {
    const words = statusWords[await mirrorOrderStatus(ctx, row.blingOrderId)];
    // Its attached NF-e too: a cancellation in Bling is marked on the order (post-sale.ts).
    if (row.nfeState === "attached") await followAttachedNfe(ctx, row);
    result = {
      outcome: words.outcome,
      reason: `Status relido do Bling (pedido ${row.blingOrderId}) a pedido do lojista: ${words.text}.`,
    };
  } else {
    const r = await exportOrder(ctx, zydonOrderId);
    result =
      r.kind === "created" || r.kind === "already"
        ? {
            outcome: "synced",
            reason: `Pedido ${r.kind === "created" ? "enviado ao" : "já estava no"} Bling (pedido ${r.blingOrderId}), a pedido do lojista.`,
          }
        : {
            outcome: r.kind === "failed" ? "failed" : "skipped",
            reason: `Pedido não enviado ao Bling: ${r.reason}`,
          };
  }
  await record(ctx, "order", zydonOrderId, result);
  return result;
}

async function record(ctx: SyncContext, entity: string, entityKey: string, r: ResyncResult): Promise<void> {
  await new LedgerRepository(ctx.db).record({
    tenantId: ctx.tenantId,
    entity,
    entityKey,
    action: RESYNC_ACTION,
    outcome: r.outcome,
    reason: r.reason,
  });
}
