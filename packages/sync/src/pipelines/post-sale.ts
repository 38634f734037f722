import { CursorsRepository, LedgerRepository, type OrderExport, OrderExportsRepository } from "@zb/db";
import { z } from "zod";
import { normalizeStatusName } from "../domain/status-matching.js";
import type { ErpNfe, ErpOrderSummary } from "../ports/bling-port.js";
import type { PortalPostSale } from "../ports/zydon-port.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";
import { checkZydonNotFound } from "./zydon-not-found.js";

/**
 * After the sale, back to the buyer (issue 19 #4): the Bling order's tracking codes and its "delivered"
 * situação are written on the Zydon order, and an NF-e cancelled in Bling after it was attached is marked on the
 * order. Where Zydon keeps them is @zb/zydon's adapter guess (order attributes). Each mark is written once: what
 * was written is remembered (a cursor per order for tracking and delivery, the order's `nfe_details` for the
 * cancellation), so a repeated webhook writes nothing.
 *
 * Runs on the same Bling order read as the status mirror (`statuses.ts`), so it spends no Bling request of
 * its own; the cancellation runs on the NF-e step the invoice webhook starts (`nfe.ts`, attached notes).
 */

/**
 * Bling situações that mean "delivered to the buyer", compared by name (case and accents aside). "Atendido" is
 * one of Bling's default sales situações (id 9, reference §6.9); "Entregue" is the name merchants give a custom
 * one. INFERENCE: "Atendido" is where merchants close a shipped order.
 */
export const DELIVERED_SITUACAO_NAMES: readonly string[] = ["Atendido", "Entregue"];

const cursorSchema = z.object({
  /** Codes last written to Zydon, in Bling's order. */
  tracking: z.array(z.string()).default([]),
  /** When "delivered" was written (the Bling situação then); written once. */
  deliveredAt: z.string().nullable().default(null),
  deliveredSituacao: z.string().nullable().default(null),
});
type PostSaleCursor = z.infer<typeof cursorSchema>;

const cursorStream = (zydonOrderId: string) => `post-sale:${zydonOrderId}`;

export type PostSaleResult = {
  tracking: "written" | "unchanged" | "failed" | "unknown";
  delivered: "written" | "unchanged" | "failed";
};

/**
 * Write the order's new or changed tracking codes and, when its situação is a delivered one, the delivery mark
 * (one Zydon write for both). `situacaoNome` names the order's Bling situação (null when unknown); it is only
 * asked while the delivery is not written yet (the situações list is cached, but may cost a request).
 */
export async function syncPostSale(
  ctx: SyncContext,
  exp: OrderExport,
  order: ErpOrderSummary,
  situacaoNome: () => Promise<string | null>,
): Promise<PostSaleResult> {
  const cursors = new CursorsRepository(ctx.db);
  const stream = cursorStream(exp.zydonOrderId);
  const state: PostSaleCursor =
    (await cursors.get(ctx.tenantId, stream, cursorSchema).catch(() => undefined)) ?? cursorSchema.parse({});
  const codes = order.trackingCodes?.map((t) => t.codigo);
  const trackingDue = codes !== undefined && !sameList(codes, state.tracking);
  const nome = state.deliveredAt === null ? await situacaoNome() : null;
  const deliveredDue =
    nome !== null &&
    DELIVERED_SITUACAO_NAMES.some((n) => normalizeStatusName(n) === normalizeStatusName(nome));
  const result: PostSaleResult = {
    tracking: codes === undefined ? "unknown" : "unchanged",
    delivered: "unchanged",
  };
  if (!trackingDue && !deliveredDue) return result;

  const deliveredAt = ctx.now().toISOString();
  const marks: Partial<PortalPostSale> = {
    ...(trackingDue ? { trackingCodes: codes } : {}),
    ...(deliveredDue ? { deliveredAt } : {}),
  };
  const key = exp.zydonOrderId;
  const details = {
    blingOrderId: exp.blingOrderId,
    ...(trackingDue ? { trackingCodes: order.trackingCodes } : {}),
    ...(deliveredDue ? { situacao: nome } : {}),
  };
  try {
    await ctx.zydon.setOrderPostSale(key, marks);
  } catch (err) {
    const notFound = checkZydonNotFound(ctx, err, exp, { label: `o pedido ${key}`, created: "recebido" });
    if (isTransient(err)) throw err;
    const ledger = new LedgerRepository(ctx.db);
    const why = notFound ?? errorMessage(err);
    if (trackingDue) {
      result.tracking = "failed";
      await ledger.record({
        tenantId: ctx.tenantId,
        entity: "order",
        entityKey: key,
        action: "tracking",
        outcome: "failed",
        reason: `O Zydon recusou gravar ${trackingWords(codes ?? [])} no pedido ${key}: ${why}`,
        retryable: true,
        details,
      });
    }
    if (deliveredDue) {
      result.delivered = "failed";
      await ledger.record({
        tenantId: ctx.tenantId,
        entity: "order",
        entityKey: key,
        action: "delivered",
        outcome: "failed",
        reason: `O Zydon recusou marcar o pedido ${key} como entregue: ${why}`,
        retryable: true,
        details,
      });
    }
    return result;
  }

  await ctx.db.transaction(async (tx) => {
    const next: PostSaleCursor = {
      tracking: trackingDue ? (codes ?? []) : state.tracking,
      deliveredAt: deliveredDue ? deliveredAt : state.deliveredAt,
      deliveredSituacao: deliveredDue ? nome : state.deliveredSituacao,
    };
    await new CursorsRepository(tx).set(ctx.tenantId, stream, next);
    const ledger = new LedgerRepository(tx);
    if (trackingDue) {
      result.tracking = "written";
      const list = codes ?? [];
      await ledger.record({
        tenantId: ctx.tenantId,
        entity: "order",
        entityKey: key,
        action: "tracking",
        outcome: "synced",
        reason:
          list.length === 0
            ? `Código de rastreio removido do pedido ${key} no Zydon (o pedido no Bling não tem mais código).`
            : list.length === 1
              ? `Código de rastreio ${list[0]} enviado ao pedido ${key} no Zydon.`
              : `Códigos de rastreio ${list.join(", ")} enviados ao pedido ${key} no Zydon.`,
        details,
      });
    }
    if (deliveredDue) {
      result.delivered = "written";
      await ledger.record({
        tenantId: ctx.tenantId,
        entity: "order",
        entityKey: key,
        action: "delivered",
        outcome: "synced",
        reason: `Pedido ${key} marcado como entregue no Zydon (situação "${nome}" no Bling).`,
        details,
      });
    }
  });
  return result;
}

export type CancelledNfeResult =
  | { kind: "attached"; chaveAcesso: string }
  | { kind: "cancelled"; chaveAcesso: string }
  | { kind: "failed"; reason: string };

type CancelDetails = {
  chaveAcesso?: string | null;
  numero?: string | null;
  cancelMarked?: boolean;
};

/**
 * An NF-e already attached to the Zydon order: when Bling says it was cancelled (situação 2), mark it on the
 * order, once. Called by the NF-e step of an attached note (the invoice webhook starts it).
 */
export async function followAttachedNfe(ctx: SyncContext, row: OrderExport): Promise<CancelledNfeResult> {
  const d = (row.nfeDetails ?? {}) as CancelDetails;
  const chave = d.chaveAcesso ?? "";
  if (d.cancelMarked) return { kind: "cancelled", chaveAcesso: chave };
  if (!row.blingInvoiceId) return { kind: "attached", chaveAcesso: chave };
  const nfe = await ctx.bling.getNfe(row.blingInvoiceId);
  if (nfe?.situacao !== 2) return { kind: "attached", chaveAcesso: chave };
  return markCancelledNfe(ctx, row, nfe);
}

/** The cancellation of an attached note, known from Bling (`nfe.situacao` 2): mark it on the Zydon order once. */
async function markCancelledNfe(
  ctx: SyncContext,
  row: OrderExport,
  nfe: ErpNfe,
): Promise<CancelledNfeResult> {
  const d = (row.nfeDetails ?? {}) as CancelDetails;
  const key = d.chaveAcesso ?? nfe.chaveAcesso ?? "";
  const numero = d.numero ?? nfe.numero;
  const nota = `NF-e${numero ? ` ${numero}` : ""}`;
  const zydonOrderId = row.zydonOrderId;
  const ledger = new LedgerRepository(ctx.db);
  const details = { blingOrderId: row.blingOrderId, blingInvoiceId: row.blingInvoiceId, chaveAcesso: key };
  try {
    const order = await ctx.zydon.getOrder(zydonOrderId);
    const already = order?.postSale?.cancelledInvoiceKeys ?? [];
    if (!already.includes(key))
      await ctx.zydon.setOrderPostSale(zydonOrderId, { cancelledInvoiceKeys: [...already, key] });
  } catch (err) {
    const notFound = checkZydonNotFound(ctx, err, row, {
      label: `o pedido ${zydonOrderId}`,
      created: "recebido",
    });
    if (isTransient(err)) throw err;
    const reason = `${nota} cancelada no Bling, mas o Zydon recusou marcá-la no pedido ${zydonOrderId}: ${notFound ?? errorMessage(err)}`;
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "nfe",
      entityKey: zydonOrderId,
      action: "cancel",
      outcome: "failed",
      reason,
      retryable: true,
      details,
    });
    return { kind: "failed", reason };
  }
  await ctx.db.transaction(async (tx) => {
    const moved = await new OrderExportsRepository(tx).nfeTransition(row.id, ["attached"], "attached", {
      nfeDetails: { ...(row.nfeDetails ?? {}), situacao: 2, cancelMarked: true },
    });
    if (moved)
      await new LedgerRepository(tx).record({
        tenantId: ctx.tenantId,
        entity: "nfe",
        entityKey: zydonOrderId,
        action: "cancel",
        outcome: "synced",
        reason: `${nota} cancelada no Bling: marcada no pedido ${zydonOrderId} do Zydon.`,
        details,
      });
  });
  return { kind: "cancelled", chaveAcesso: key };
}

/** How far back the sweep looks: SEFAZ takes cancellations within days of the authorization, not months. */
export const CANCEL_SWEEP_DAYS = 10;
/** At most this many pages (100 notes each) per sweep; the rest waits for the next one. */
export const CANCEL_SWEEP_MAX_PAGES = 5;

/**
 * The fallback for a lost invoice webhook (Bling gives up on a delivery after 3 days and disables the webhook):
 * Bling's cancelled exit notes emitted in the last `CANCEL_SWEEP_DAYS` (`GET /nfe?situacao=2`, usually one
 * request), each one attached by us and not marked yet marked on its Zydon order. Runs with the daily drift
 * audit. A Zydon refusal is recorded per note (as on the webhook path) and does not stop the sweep.
 */
export async function sweepCancelledNfes(ctx: SyncContext): Promise<{ cancelled: number; marked: number }> {
  const since = new Date(ctx.now().getTime() - CANCEL_SWEEP_DAYS * 86_400_000);
  const repo = new OrderExportsRepository(ctx.db);
  const out = { cancelled: 0, marked: 0 };
  for (let page = 1; page <= CANCEL_SWEEP_MAX_PAGES; page++) {
    const rows = await ctx.bling.listCancelledNfes({ since, page });
    for (const nfe of rows) {
      out.cancelled++;
      const exp = await repo.byBlingInvoiceId(ctx.tenantId, nfe.id);
      if (exp?.nfeState !== "attached" || (exp.nfeDetails as CancelDetails | null)?.cancelMarked) continue;
      const r = await markCancelledNfe(ctx, exp, nfe);
      if (r.kind === "cancelled") out.marked++;
    }
    if (rows.length < 100) break;
  }
  if (out.marked > 0) ctx.log.info({ ...out }, "cancelled NF-e marked by the sweep");
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function trackingWords(codes: readonly string[]): string {
  if (codes.length === 0) return "a remoção do código de rastreio";
  return codes.length === 1
    ? `o código de rastreio ${codes[0]}`
    : `os códigos de rastreio ${codes.join(", ")}`;
}
