import { CursorsRepository, LedgerRepository, type OrderExport, OrderExportsRepository } from "@zb/db";
import { z } from "zod";
import { decideStatusMove } from "../domain/status-matching.js";
import type { ErpOrderSummary, ErpSituacao } from "../ports/bling-port.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";
import { isNfeTrigger } from "./nfe.js";
import { syncPostSale } from "./post-sale.js";
import { checkZydonNotFound } from "./zydon-not-found.js";

const SITUACOES_TTL_MS = 60 * 60_000;
const cacheSchema = z.object({
  at: z.string(),
  items: z.array(z.object({ id: z.string(), nome: z.string() })),
});

/** Bling's sales situações, cached for an hour per tenant (they change rarely; saves a request per status event). */
export async function salesSituacoes(ctx: SyncContext): Promise<ErpSituacao[]> {
  const cursors = new CursorsRepository(ctx.db);
  const cached = await cursors.get(ctx.tenantId, "cache:situacoes", cacheSchema).catch(() => undefined);
  if (cached && ctx.now().getTime() - new Date(cached.at).getTime() < SITUACOES_TTL_MS) return cached.items;
  const items = await ctx.bling.listSalesSituacoes();
  await cursors.set(ctx.tenantId, "cache:situacoes", { at: ctx.now().toISOString(), items });
  return items;
}

export type StatusResult = "moved" | "unchanged" | "not_ours" | "missing" | "forbidden" | "failed";

/**
 * A Bling order's situação changed: move the Zydon order to the status with the identical name, only along
 * Zydon's allowed transitions and when `can_edit_by_api`; anything else becomes a ledger entry saying why.
 */
export async function mirrorOrderStatus(ctx: SyncContext, blingOrderId: string): Promise<StatusResult> {
  const exportsRepo = new OrderExportsRepository(ctx.db);
  const exp = await exportsRepo.byBlingOrderId(ctx.tenantId, blingOrderId);
  if (!exp) return "not_ours";
  const order = await ctx.bling.getOrder(blingOrderId);
  const result = await mirrorSituacao(ctx, exportsRepo, exp, blingOrderId, order);
  // Post-sale (tracking codes, delivered) from the same read: a tracking code arrives as an order update that
  // leaves the situação as it was.
  if (order)
    await syncPostSale(ctx, exp, order, async () =>
      order.situacaoId
        ? ((await salesSituacoes(ctx)).find((s) => s.id === order.situacaoId)?.nome ?? null)
        : null,
    );
  return result;
}

async function mirrorSituacao(
  ctx: SyncContext,
  exportsRepo: OrderExportsRepository,
  exp: OrderExport,
  blingOrderId: string,
  order: ErpOrderSummary | null,
): Promise<StatusResult> {
  if (!order?.situacaoId) return "unchanged";
  if (exp.blingSituacaoId === order.situacaoId) return "unchanged";
  const situacao = (await salesSituacoes(ctx)).find((s) => s.id === order.situacaoId);
  const ledger = new LedgerRepository(ctx.db);
  const key = exp.zydonOrderId;
  if (!situacao) {
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "order_status",
      entityKey: key,
      action: "status",
      outcome: "skipped",
      reason: `Situação ${order.situacaoId} do Bling não encontrada no módulo de Vendas.`,
    });
    return "missing";
  }
  const zydonOrder = await ctx.zydon.getOrder(exp.zydonOrderId);
  const statuses = await ctx.zydon.listStatuses();
  const decision = decideStatusMove(situacao.nome, zydonOrder?.statusId ?? null, statuses);
  if (decision.kind === "missing" || decision.kind === "forbidden") {
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "order_status",
      entityKey: key,
      action: "status",
      outcome: "skipped",
      reason: decision.reason,
      details: { blingOrderId, situacao: situacao.nome },
    });
    await exportsRepo.update(exp.id, { blingSituacaoId: order.situacaoId });
    return decision.kind;
  }
  if (decision.kind === "move") {
    try {
      await ctx.zydon.setOrderStatus(exp.zydonOrderId, decision.toId);
      // Reaching the "approved" status starts the NF-e (issue 10; nfe.ts re-checks the setting).
      if (isNfeTrigger(ctx, decision.toId)) await ctx.enqueueNfe?.(exp.zydonOrderId);
    } catch (err) {
      // A 404 on an order exported (or last mirrored) moments ago: transient (throws), else its own reason.
      const notFound = checkZydonNotFound(ctx, err, exp, { label: `o pedido ${key}`, created: "recebido" });
      if (isTransient(err)) throw err;
      await ledger.record({
        tenantId: ctx.tenantId,
        entity: "order_status",
        entityKey: key,
        action: "status",
        outcome: "failed",
        reason: notFound ?? `O Zydon recusou mudar o pedido para "${situacao.nome}": ${errorMessage(err)}`,
        retryable: true,
      });
      return "failed";
    }
  }
  await ctx.db.transaction(async (tx) => {
    await new OrderExportsRepository(tx).update(exp.id, { blingSituacaoId: order.situacaoId });
    await new LedgerRepository(tx).record({
      tenantId: ctx.tenantId,
      entity: "order_status",
      entityKey: key,
      action: "status",
      outcome: "synced",
      reason: `Pedido movido para "${situacao.nome}" no Zydon.`,
    });
  });
  return decision.kind === "move" ? "moved" : "unchanged";
}
