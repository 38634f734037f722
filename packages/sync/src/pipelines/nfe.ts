import { LedgerRepository, type NfeState, type OrderExport, OrderExportsRepository } from "@zb/db";
import { actionOf, RetryLaterError } from "../engine/errors.js";
import type { ErpNfe } from "../ports/bling-port.js";
import { safeJobId } from "../queues/job-ids.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";
import { followAttachedNfe } from "./post-sale.js";

/**
 * NF-e for approved orders: `gerar-nfe` and `enviar` exactly once per order, then follow SEFAZ (invoice
 * webhook + polling) until authorized (5/6, attached to the Zydon order) or a final failure (4 rejected,
 * 9 denied, 2 cancelled).
 *
 * State lives in `order_exports.nfe_state` (see `nfeStates` in @zb/db) and every move is a compare-and-set.
 * The two Bling writes are guarded by claims (`generating`, `sending`) taken *before* the call, with a
 * counter of calls made in `nfe_details`:
 * - a transient error (network, 5xx, rate limit) releases the claim and the job retries;
 * - a crash leaves the claim; another run takes it over once stale and, because a call may have reached
 *   Bling, first reads Bling: the order's `notaFiscal.id` before any second `gerar-nfe`, the note's
 *   `situacao` before any second `enviar`. So a crash between `gerar-nfe` and saving its id still ends
 *   with one NF-e, and a note is never transmitted twice by us (only a merchant retry of a rejected note
 *   re-sends that same note).
 */

/** A claim older than this belongs to a dead worker (far above a request timeout plus budget wait). */
export const NFE_STALE_CLAIM_MS = 5 * 60_000;

/** Polling fallback when the invoice webhook is late or lost: 30 s, 1 min, 2 min, 5 min, then every 15 min. */
export const NFE_POLL_SCHEDULE_MS = [30_000, 60_000, 120_000, 300_000, 900_000] as const;

const AUTHORIZED = new Set([5, 6]);
/** Situações that mean "transmitted, SEFAZ has not answered yet". */
const IN_FLIGHT = new Set([3, 7, 8, 10, 11]);

/** Another worker holds this order's NF-e claim: try again later (the job retries). */
export class NfeInProgressError extends RetryLaterError {
  constructor(readonly zydonOrderId: string) {
    super(`NF-e of order ${zydonOrderId} is being processed by another worker`);
  }
}

export type NfeStepResult =
  | { kind: "disabled" }
  | { kind: "not_exported" }
  /** Transmitted; SEFAZ has not answered. `cycle` numbers the transmission (for the poller's job id). */
  | { kind: "waiting"; situacao: number; pollInMs: number; cycle: number }
  | { kind: "attached"; chaveAcesso: string }
  /** Attached, then cancelled in Bling: marked on the Zydon order (post-sale.ts). */
  | { kind: "cancelled"; chaveAcesso: string }
  | { kind: "rejected"; reason: string }
  | { kind: "failed"; reason: string };

type NfeDetails = {
  /** `gerar-nfe` calls started (the claim is taken and this bumped before each call). */
  generateCalls?: number;
  /** `enviar` claims taken (bumped before each call) and answered (set when its outcome was recorded). */
  sendSeq?: number;
  sendDone?: number;
  polls?: number;
  situacao?: number;
  numero?: string | null;
  chaveAcesso?: string | null;
  reason?: string;
  retryable?: boolean;
};

function details(row: OrderExport): NfeDetails {
  return (row.nfeDetails ?? {}) as NfeDetails;
}

/** The job id of the NF-e step for one transmission cycle (0 = the trigger, before any transmission). */
export function nfeJobId(tenantId: string, zydonOrderId: string, cycle: number): string {
  return safeJobId("nfe", tenantId, zydonOrderId, cycle);
}

/** Was the order just moved to (or created in) the Zydon status that means "approved", with NF-e on? */
export function isNfeTrigger(ctx: SyncContext, zydonStatusId: string | null | undefined): boolean {
  const n = ctx.settings.nfe;
  return n.enabled && !!n.approvedZydonStatusId && zydonStatusId === n.approvedZydonStatusId;
}

/** Wait before the next poll, growing with the number of polls already made. */
export function nfePollDelayMs(polls: number): number {
  return NFE_POLL_SCHEDULE_MS[Math.min(polls, NFE_POLL_SCHEDULE_MS.length - 1)] as number;
}

/**
 * Advance one order's NF-e as far as it can go now. `retry` is the merchant's "tentar novamente" on the
 * ledger entry: a rejected note is sent again (the same note: fix it in Bling first) and a refused
 * generation is attempted again; denied and cancelled notes are final.
 */
export async function advanceNfe(
  ctx: SyncContext,
  zydonOrderId: string,
  opts: { retry?: boolean } = {},
): Promise<NfeStepResult> {
  const repo = new OrderExportsRepository(ctx.db);
  let row = await repo.get(ctx.tenantId, zydonOrderId);
  // Switched off: nothing new starts, nothing is transmitted; a note SEFAZ already has is still followed and
  // attached (it exists, the order must show it).
  const transmitted =
    row?.nfeState === "sent" || row?.nfeState === "authorized" || row?.nfeState === "attached";
  if (!ctx.settings.nfe.enabled && !transmitted) return { kind: "disabled" };
  if (row?.state !== "created" || !row.blingOrderId) return { kind: "not_exported" };
  if (opts.retry && ctx.settings.nfe.enabled) row = await reopen(repo, row);

  // Each pass either finishes or moves the row forward; the bound only guards against a logic error.
  for (let pass = 0; pass < 12; pass++) {
    const state: NfeState | null = row.nfeState ?? null;
    switch (state) {
      case null: {
        const claimed = await repo.nfeTransition(row.id, [null], "generating", {
          nfeDetails: { ...details(row) },
        });
        row = claimed ? await generate(ctx, repo, claimed) : await reread(repo, row);
        break;
      }
      case "generating": {
        const taken = await repo.takeOverStaleNfe(row.id, "generating", NFE_STALE_CLAIM_MS);
        if (!taken) throw new NfeInProgressError(zydonOrderId);
        row = await generate(ctx, repo, taken);
        break;
      }
      case "generated": {
        const d = details(row);
        const claimed = await repo.nfeTransition(row.id, ["generated"], "sending", {
          nfeDetails: { ...d, sendSeq: (d.sendSeq ?? 0) + 1 },
        });
        row = claimed ? await send(ctx, repo, claimed, false) : await reread(repo, row);
        break;
      }
      case "sending": {
        const taken = await repo.takeOverStaleNfe(row.id, "sending", NFE_STALE_CLAIM_MS);
        if (!taken) throw new NfeInProgressError(zydonOrderId);
        row = await send(ctx, repo, taken, true);
        break;
      }
      case "sent": {
        const next = await follow(ctx, repo, row);
        if ("kind" in next) return next;
        row = next;
        break;
      }
      case "authorized": {
        const next = await attach(ctx, repo, row);
        if ("kind" in next) return next;
        row = next;
        break;
      }
      case "attached":
        // Attached: only a cancellation in Bling is left to follow (the invoice webhook brings us here).
        return followAttachedNfe(ctx, row);
      case "rejected":
        return { kind: "rejected", reason: details(row).reason ?? "NF-e rejeitada pela SEFAZ." };
      case "failed":
        return { kind: "failed", reason: details(row).reason ?? "A NF-e não pôde ser emitida." };
    }
  }
  throw new Error(`NF-e state machine of order ${zydonOrderId} did not settle`);
}

async function reread(repo: OrderExportsRepository, row: OrderExport): Promise<OrderExport> {
  const now = await repo.get(row.tenantId, row.zydonOrderId);
  if (!now) throw new Error(`order export ${row.zydonOrderId} disappeared`);
  return now;
}

/** The merchant's retry: rejected → send the same note again; a refused generation → generate again. */
async function reopen(repo: OrderExportsRepository, row: OrderExport): Promise<OrderExport> {
  const d = details(row);
  if (row.nfeState === "rejected") {
    const { reason: _r, retryable: _x, ...rest } = d;
    return (
      (await repo.nfeTransition(row.id, ["rejected"], "generated", { nfeDetails: rest })) ?? reread(repo, row)
    );
  }
  if (row.nfeState === "failed" && !row.blingInvoiceId && d.retryable) {
    // The merchant checked Bling (the ledger asked them to): the next gerar-nfe is theirs to allow.
    const { reason: _r, retryable: _x, generateCalls: _g, ...rest } = d;
    return (await repo.nfeTransition(row.id, ["failed"], null, { nfeDetails: rest })) ?? reread(repo, row);
  }
  return row;
}

/** `gerar-nfe` with the `generating` claim held; looks Bling up first whenever a call may have been made. */
async function generate(
  ctx: SyncContext,
  repo: OrderExportsRepository,
  row: OrderExport,
): Promise<OrderExport> {
  const blingOrderId = row.blingOrderId as string;
  const d = details(row);
  // A transient failure before gerar-nfe releases the claim (nothing was called yet).
  const order = await releaseOnTransient(ctx.bling.getOrder(blingOrderId), () =>
    repo.nfeTransition(row.id, ["generating"], null),
  );
  if (!order) {
    return fail(ctx, repo, row, ["generating"], {
      reason: `O pedido ${row.blingOrderNumber ?? blingOrderId} não existe mais no Bling; a NF-e não foi emitida.`,
      retryable: true,
    });
  }
  if (order.notaFiscalId) return saveInvoiceId(ctx, repo, row, order.notaFiscalId, "found");
  if ((d.generateCalls ?? 0) > 0 && order.notaFiscalId === undefined) {
    // A previous gerar-nfe may have reached Bling and we cannot see the order's note: never risk a second one.
    return fail(ctx, repo, row, ["generating"], {
      reason:
        "Não foi possível confirmar no Bling se a NF-e deste pedido já foi gerada. Confira o pedido no Bling antes de tentar novamente.",
      retryable: true,
    });
  }
  const counted = await repo.nfeTransition(row.id, ["generating"], "generating", {
    nfeDetails: { ...d, generateCalls: (d.generateCalls ?? 0) + 1 },
  });
  if (!counted) return reread(repo, row);
  let nfeId: string;
  try {
    nfeId = await ctx.bling.generateNfe(blingOrderId);
  } catch (err) {
    if (isTransient(err)) {
      // Release the claim; the call count stays, so the next run looks the order's note up first.
      await repo.nfeTransition(row.id, ["generating"], null);
      throw err;
    }
    if (!isRefusal(err)) throw err; // unknown: keep the claim, as a crash would
    return fail(ctx, repo, counted, ["generating"], {
      reason: `O Bling não gerou a NF-e do pedido ${row.blingOrderNumber ?? blingOrderId}: ${blingReason(err)}. Corrija no Bling e tente novamente.`,
      retryable: true,
    });
  }
  return saveInvoiceId(ctx, repo, counted, nfeId, "generated");
}

async function saveInvoiceId(
  ctx: SyncContext,
  repo: OrderExportsRepository,
  row: OrderExport,
  nfeId: string,
  how: "generated" | "found",
): Promise<OrderExport> {
  const saved = await repo.nfeTransition(row.id, ["generating"], "generated", { blingInvoiceId: nfeId });
  if (!saved) return reread(repo, row);
  ctx.log.info({ zydonOrderId: row.zydonOrderId, nfeId, how }, "NF-e id saved");
  return saved;
}

/**
 * `enviar` with the `sending` claim held. The note's situação is read first: only a note that is still
 * pending (1) — or rejected (4) on a fresh claim, i.e. the merchant's retry — is transmitted.
 */
async function send(
  ctx: SyncContext,
  repo: OrderExportsRepository,
  row: OrderExport,
  takenOver: boolean,
): Promise<OrderExport> {
  const nfeId = row.blingInvoiceId as string;
  // Until enviar has answered, a transient failure hands the note back to `generated`: the next claim reads
  // the situação again before sending, so a transmission that did happen is not repeated.
  const release = () => repo.nfeTransition(row.id, ["sending"], "generated");
  const before = await releaseOnTransient(ctx.bling.getNfe(nfeId), release);
  if (!before) {
    return fail(ctx, repo, row, ["sending"], {
      reason: `A NF-e ${nfeId} do pedido não existe mais no Bling.`,
      retryable: false,
    });
  }
  const mayTransmit = before.situacao === 1 || (before.situacao === 4 && !takenOver);
  if (!mayTransmit) return afterSend(ctx, repo, row, before, null);
  try {
    await ctx.bling.sendNfe(nfeId);
  } catch (err) {
    if (isTransient(err)) {
      await release();
      throw err;
    }
    if (!isRefusal(err)) throw err; // unknown: keep the claim, as a crash would
    const now = await releaseOnTransient(ctx.bling.getNfe(nfeId), release);
    return afterSend(ctx, repo, row, now ?? before, blingReason(err));
  }
  // Transmitted: from here on SEFAZ's answer is followed (webhook, polling), never sent again by us.
  const d = details(row);
  const sent = await repo.nfeTransition(row.id, ["sending"], "sent", {
    nfeDetails: { ...d, sendDone: d.sendSeq ?? 0, polls: 0 },
  });
  return sent ?? reread(repo, row);
}

async function releaseOnTransient<T>(p: Promise<T>, release: () => Promise<unknown>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (isTransient(err)) await release();
    throw err;
  }
}

/** Record what the transmission led to: sent (follow it), authorized, rejected or failed. */
async function afterSend(
  ctx: SyncContext,
  repo: OrderExportsRepository,
  row: OrderExport,
  nfe: ErpNfe,
  refusal: string | null,
): Promise<OrderExport> {
  const d = details(row);
  const base: NfeDetails = {
    ...d,
    sendDone: d.sendSeq ?? 0,
    situacao: nfe.situacao,
    numero: nfe.numero,
    chaveAcesso: nfe.chaveAcesso,
  };
  if (AUTHORIZED.has(nfe.situacao))
    return (
      (await repo.nfeTransition(row.id, ["sending"], "authorized", { nfeDetails: base })) ?? reread(repo, row)
    );
  const final = finalFailure(nfe, refusal);
  if (final) return fail(ctx, repo, row, ["sending"], final, base);
  if (refusal && !IN_FLIGHT.has(nfe.situacao)) {
    // Bling refused before SEFAZ (still pending): the merchant fixes the note and retries.
    return fail(
      ctx,
      repo,
      row,
      ["sending"],
      {
        reason: `O Bling não transmitiu a NF-e${numeroText(nfe)}: ${refusal}. Corrija a nota no Bling e tente novamente.`,
        retryable: true,
        state: "rejected",
      },
      base,
    );
  }
  return (
    (await repo.nfeTransition(row.id, ["sending"], "sent", { nfeDetails: { ...base, polls: 0 } })) ??
    reread(repo, row)
  );
}

/** A transmitted note: read it and move on when SEFAZ answered; otherwise wait (webhook or poll). */
async function follow(
  ctx: SyncContext,
  repo: OrderExportsRepository,
  row: OrderExport,
): Promise<OrderExport | NfeStepResult> {
  const nfeId = row.blingInvoiceId as string;
  const d = details(row);
  const nfe = await ctx.bling.getNfe(nfeId);
  if (!nfe) {
    return fail(ctx, repo, row, ["sent"], {
      reason: `A NF-e ${nfeId} do pedido não existe mais no Bling.`,
      retryable: false,
    });
  }
  const base: NfeDetails = { ...d, situacao: nfe.situacao, numero: nfe.numero, chaveAcesso: nfe.chaveAcesso };
  if (AUTHORIZED.has(nfe.situacao))
    return (
      (await repo.nfeTransition(row.id, ["sent"], "authorized", { nfeDetails: base })) ?? reread(repo, row)
    );
  const final = finalFailure(nfe, null);
  if (final) return fail(ctx, repo, row, ["sent"], final, base);
  const polls = d.polls ?? 0;
  await repo.nfeTransition(row.id, ["sent"], "sent", { nfeDetails: { ...base, polls: polls + 1 } });
  if (!IN_FLIGHT.has(nfe.situacao))
    ctx.log.warn(
      { zydonOrderId: row.zydonOrderId, situacao: nfe.situacao },
      "NF-e in an unexpected situação",
    );
  return { kind: "waiting", situacao: nfe.situacao, pollInMs: nfePollDelayMs(polls), cycle: d.sendSeq ?? 1 };
}

/** Attach the authorized note to the Zydon order (idempotent in the adapter), then close the ledger. */
async function attach(
  ctx: SyncContext,
  repo: OrderExportsRepository,
  row: OrderExport,
): Promise<OrderExport | NfeStepResult> {
  const nfeId = row.blingInvoiceId as string;
  const nfe = await ctx.bling.getNfe(nfeId);
  if (!nfe?.chaveAcesso) throw new RetryLaterError(`authorized NF-e ${nfeId} without chave`);
  const ledger = new LedgerRepository(ctx.db);
  try {
    await ctx.zydon.attachInvoice(row.zydonOrderId, {
      key: nfe.chaveAcesso,
      xmlUrl: nfe.xmlUrl || null,
      danfeUrl: nfe.danfeUrl || null,
    });
  } catch (err) {
    if (isTransient(err)) throw err;
    const reason = `NF-e${numeroText(nfe)} autorizada, mas o Zydon recusou anexá-la ao pedido: ${errorMessage(err)}`;
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "nfe",
      entityKey: row.zydonOrderId,
      action: "emit",
      outcome: "failed",
      reason,
      retryable: true,
      details: { blingOrderId: row.blingOrderId, blingInvoiceId: nfeId, situacao: nfe.situacao },
    });
    return { kind: "failed", reason };
  }
  const done = await ctx.db.transaction(async (tx) => {
    const r = await new OrderExportsRepository(tx).nfeTransition(row.id, ["authorized"], "attached", {
      nfeDetails: {
        ...details(row),
        situacao: nfe.situacao,
        numero: nfe.numero,
        chaveAcesso: nfe.chaveAcesso,
      },
    });
    if (r)
      await new LedgerRepository(tx).record({
        tenantId: ctx.tenantId,
        entity: "nfe",
        entityKey: row.zydonOrderId,
        action: "emit",
        outcome: "synced",
        reason: `NF-e${numeroText(nfe)} autorizada e anexada ao pedido no Zydon (chave ${nfe.chaveAcesso}).`,
        details: { blingOrderId: row.blingOrderId, blingInvoiceId: nfeId, chaveAcesso: nfe.chaveAcesso },
      });
    return r;
  });
  return done ?? reread(repo, row);
}

interface Failure {
  reason: string;
  retryable: boolean;
  state?: "rejected" | "failed";
}

/** 4 → rejected (retryable after a fix), 9 denied and 2 cancelled → failed for good. */
function finalFailure(nfe: ErpNfe, refusal: string | null): Failure | null {
  const motivo = refusal ?? "o motivo está na nota, no Bling (Notas fiscais)";
  if (nfe.situacao === 4)
    return {
      reason: `A SEFAZ rejeitou a NF-e${numeroText(nfe)}: ${motivo}. Corrija a nota no Bling e tente novamente.`,
      retryable: true,
      state: "rejected",
    };
  if (nfe.situacao === 9)
    return {
      reason: `A SEFAZ denegou a NF-e${numeroText(nfe)}: ${motivo}. Uma nota denegada não pode ser reenviada.`,
      retryable: false,
    };
  if (nfe.situacao === 2)
    return { reason: `A NF-e${numeroText(nfe)} foi cancelada no Bling.`, retryable: false };
  return null;
}

async function fail(
  ctx: SyncContext,
  repo: OrderExportsRepository,
  row: OrderExport,
  from: NfeState[],
  f: Failure,
  base: NfeDetails = details(row),
): Promise<OrderExport> {
  const state = f.state ?? "failed";
  const moved = await ctx.db.transaction(async (tx) => {
    const r = await new OrderExportsRepository(tx).nfeTransition(row.id, from, state, {
      nfeDetails: { ...base, reason: f.reason, retryable: f.retryable },
    });
    if (r)
      await new LedgerRepository(tx).record({
        tenantId: ctx.tenantId,
        entity: "nfe",
        entityKey: row.zydonOrderId,
        action: "emit",
        outcome: "failed",
        reason: f.reason,
        retryable: f.retryable,
        details: {
          blingOrderId: row.blingOrderId,
          blingInvoiceId: row.blingInvoiceId,
          ...(base.situacao !== undefined ? { situacao: base.situacao } : {}),
        },
      });
    return r;
  });
  return moved ?? reread(repo, row);
}

function numeroText(nfe: Pick<ErpNfe, "numero">): string {
  return nfe.numero ? ` nº ${nfe.numero}` : "";
}

/** Bling said no to the request itself (validation, not found): retrying the same call will not help. */
function isRefusal(err: unknown): boolean {
  return actionOf(err) === "give_up";
}

/** Bling's own pt-BR words for a refusal (field lines or description), else the error message. */
export function blingReason(err: unknown): string {
  const e = err as { fieldLines?: () => string[]; description?: string } | null;
  const lines = typeof e?.fieldLines === "function" ? e.fieldLines() : [];
  if (lines.length > 0) return lines.join("; ");
  if (e?.description) return e.description;
  return errorMessage(err);
}
