import {
  CursorsRepository,
  LedgerRepository,
  LinksRepository,
  type OrderExport,
  OrderExportsRepository,
  withAdvisoryLock,
} from "@zb/db";
import { z } from "zod";
import { onlyDigits } from "../domain/documents.js";
import { isAtOrPastStatus } from "../domain/status-matching.js";
import { isRedisUnavailableError, RetryLaterError } from "../engine/errors.js";
import { partnerToContact } from "../mappers/customers.js";
import { mapOrder, OrderMappingError } from "../mappers/orders.js";
import { blingPaymentType, paymentNameKey } from "../mappers/payment-methods.js";
import type { PortalOrder } from "../ports/zydon-port.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";
import { isNfeTrigger } from "./nfe.js";
import { POLL_OVERLAP_MS } from "./products-poll.js";
import { checkZydonNotFound, ZYDON_READ_MISSING } from "./zydon-not-found.js";

/** A claim older than this is abandoned by a crashed worker (far above a request's timeout plus budget wait). */
export const STALE_CLAIM_MS = 5 * 60_000;

/** Another worker is exporting this order right now: try again later (the job retries). */
export class ExportInProgressError extends RetryLaterError {
  constructor(readonly zydonOrderId: string) {
    super(`order ${zydonOrderId} is being exported by another worker`);
  }
}

export type ExportResult =
  | { kind: "created"; blingOrderId: string }
  | { kind: "already"; blingOrderId: string }
  | { kind: "not_eligible"; reason: string }
  | { kind: "failed"; reason: string };

/**
 * The order trigger: all new orders, or only from a chosen Zydon status on — that status or one after it
 * (`isAtOrPastStatus`; the status list is read only when the order is not at the chosen status itself).
 */
export async function isEligible(ctx: SyncContext, order: PortalOrder): Promise<boolean> {
  const t = ctx.settings.orders;
  if (t.trigger === "all") return true;
  if (!t.zydonStatusId || !order.statusId) return false;
  if (order.statusId === t.zydonStatusId) return true;
  return isAtOrPastStatus(await ctx.zydon.listStatuses(), t.zydonStatusId, order.statusId);
}

/**
 * Export a Zydon order to Bling exactly once. The durable `order_exports` row moves pending → creating →
 * created(bling id) with compare-and-set; before any create (first or retried) the order is looked up in Bling
 * by `numeroLoja` (= the Zydon order id), so a crash after Bling's create and before our write still ends
 * with one Bling order.
 */
export async function exportOrder(ctx: SyncContext, zydonOrderId: string): Promise<ExportResult> {
  const exportsRepo = new OrderExportsRepository(ctx.db);
  const ledger = new LedgerRepository(ctx.db);
  const { row } = await exportsRepo.ensure(ctx.tenantId, zydonOrderId);
  if (row.state === "created" && row.blingOrderId) return { kind: "already", blingOrderId: row.blingOrderId };

  const order = await ctx.zydon.getOrder(zydonOrderId);
  if (!order) {
    // Zydon 404s the order: transient while we first heard of it moments ago (throws), else recorded.
    const reason =
      checkZydonNotFound(ctx, ZYDON_READ_MISSING, row, {
        label: `o pedido ${zydonOrderId}`,
        created: "recebido",
      }) ?? `Pedido ${zydonOrderId} não encontrado no Zydon.`;
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "order",
      entityKey: zydonOrderId,
      action: "export",
      outcome: "failed",
      reason,
      retryable: true,
    });
    return { kind: "failed", reason };
  }
  if (!(await isEligible(ctx, order)))
    return { kind: "not_eligible", reason: "O pedido ainda não atingiu o status configurado para envio." };

  // Claim the export: only one worker may be creating it. A claim left by a dead worker is taken over
  // after a while (the Bling lookup above already covered a create that happened before the crash).
  let claimed = await exportsRepo.transition(row.id, ["pending", "failed"], "creating", {
    incrementAttempts: true,
  });
  claimed ??= await exportsRepo.takeOverStale(row.id, STALE_CLAIM_MS);
  if (!claimed) {
    const now = await exportsRepo.get(ctx.tenantId, zydonOrderId);
    if (now?.state === "created" && now.blingOrderId)
      return { kind: "already", blingOrderId: now.blingOrderId };
    throw new ExportInProgressError(zydonOrderId);
  }

  // With the claim held, look the order up in Bling by numeroLoja before any create: the create may have
  // happened just before a crash (ours or a previous claimant's).
  // A transient failure before `createOrder` was called hands the claim back at once (the next attempt
  // looks the order up again before creating); after it, the claim stays until it is stale, since a
  // create that timed out on our side may still land in Bling.
  let createCalled = false;
  const releaseIfNotCreated = async (err: unknown): Promise<never> => {
    // Redis failing is always before the request leaves (budget slot, lock, token lease): nothing was sent.
    if ((!createCalled || isRedisUnavailableError(err)) && isTransient(err))
      await exportsRepo.transition(row.id, ["creating"], "pending").catch(() => undefined);
    throw err;
  };
  const found = await ctx.bling.findOrdersByNumeroLoja(zydonOrderId).catch(releaseIfNotCreated);
  const match = found.find((o) => o.numeroLoja === zydonOrderId);
  if (match) return startNfeIfApproved(ctx, order, await finish(ctx, row, match.id, match.numero, "already"));

  let done: ExportResult;
  try {
    const contactId = await ensureBlingContact(ctx, order.partnerId, row);
    const paymentMethodIdByZydonId = await ensureBlingPaymentMethods(ctx, order);
    const productIdBySku = await resolveItems(ctx, order);
    const input = mapOrder(order, { contactId, productIdBySku, paymentMethodIdByZydonId, today: ctx.now() });
    createCalled = true;
    const created = await ctx.bling.createOrder(input);
    done = await finish(ctx, row, created.id, created.numero, "created");
  } catch (err) {
    if (isTransient(err)) return releaseIfNotCreated(err);
    const reason =
      err instanceof OrderMappingError
        ? err.reasonPtBr
        : `O Bling recusou o pedido ${zydonOrderId}: ${errorMessage(err)}`;
    await exportsRepo.transition(row.id, ["creating", "pending"], "failed", { lastError: reason });
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "order",
      entityKey: zydonOrderId,
      action: "export",
      outcome: "failed",
      reason,
      retryable: true,
      details:
        err instanceof OrderMappingError ? { missingSkus: err.missingSkus } : { error: errorMessage(err) },
    });
    return { kind: "failed", reason };
  }
  return startNfeIfApproved(ctx, order, done);
}

/** An order exported while already in the "approved" status starts its NF-e (issue 10). */
async function startNfeIfApproved(
  ctx: SyncContext,
  order: PortalOrder,
  result: ExportResult,
): Promise<ExportResult> {
  if (isNfeTrigger(ctx, order.statusId)) await ctx.enqueueNfe?.(order.id);
  return result;
}

async function finish(
  ctx: SyncContext,
  row: OrderExport,
  blingOrderId: string,
  numero: string | null,
  kind: "created" | "already",
): Promise<ExportResult> {
  await ctx.db.transaction(async (tx) => {
    const repo = new OrderExportsRepository(tx);
    await repo.transition(row.id, ["pending", "creating", "failed"], "created", {
      blingOrderId,
      blingOrderNumber: numero,
      lastError: null,
    });
    await new LinksRepository(tx).upsert({
      tenantId: ctx.tenantId,
      entity: "order",
      blingId: blingOrderId,
      zydonId: row.zydonOrderId,
      naturalKey: row.zydonOrderId,
    });
    await new LedgerRepository(tx).record({
      tenantId: ctx.tenantId,
      entity: "order",
      entityKey: row.zydonOrderId,
      action: "export",
      outcome: "synced",
      reason: numero ? `Pedido criado no Bling (nº ${numero}).` : "Pedido criado no Bling.",
      details: { blingOrderId },
    });
  });
  return kind === "created" ? { kind: "created", blingOrderId } : { kind: "already", blingOrderId };
}

/** The order's customer in Bling: the link, else a Bling contact with the same CPF/CNPJ, else a new contact. */
async function ensureBlingContact(
  ctx: SyncContext,
  zydonPartnerId: string,
  exportRow: OrderExport,
): Promise<string> {
  const linked = await new LinksRepository(ctx.db).byZydonId(ctx.tenantId, "customer", zydonPartnerId);
  if (linked?.blingId) return linked.blingId;
  const partner = await ctx.zydon.getPartner(zydonPartnerId);
  if (!partner) {
    // The order that names this customer arrived moments ago: its 404 may be transient (throws).
    const reason = checkZydonNotFound(ctx, ZYDON_READ_MISSING, exportRow, {
      label: `o cliente ${zydonPartnerId} do pedido ${exportRow.zydonOrderId}`,
      created: "pedido recebido",
    });
    throw new OrderMappingError(reason ?? `Cliente ${zydonPartnerId} do pedido não encontrado no Zydon.`);
  }
  const doc = onlyDigits(partner.fiscal_registration_number);
  // Two orders of one new buyer export at once (any worker process): one finds-or-creates the contact, the
  // other waits and then reads the link it wrote. Never two contacts for one document.
  const lockKey = `bling-contact:${ctx.tenantId}:${doc || partner.state_registration || zydonPartnerId}`;
  return serialized(ctx, lockKey, async () => {
    const again = await new LinksRepository(ctx.db).byZydonId(ctx.tenantId, "customer", zydonPartnerId);
    if (again?.blingId) return again.blingId;
    let blingId: string | undefined;
    if (doc)
      blingId = (await ctx.bling.findContactsByDocument(doc)).find(
        (c) => onlyDigits(c.numeroDocumento) === doc,
      )?.id;
    let created = false;
    if (!blingId) {
      blingId = await ctx.bling.createContact(partnerToContact(partner));
      created = true;
    }
    const found = blingId;
    // A short transaction after the Bling calls: no connection is held while Bling answers.
    await ctx.db.transaction(async (tx) => {
      await new LinksRepository(tx).upsert({
        tenantId: ctx.tenantId,
        entity: "customer",
        blingId: found,
        zydonId: zydonPartnerId,
        naturalKey: doc || partner.state_registration || zydonPartnerId,
      });
      await new LedgerRepository(tx).record({
        tenantId: ctx.tenantId,
        entity: "customer",
        entityKey: doc || partner.name,
        action: "export",
        outcome: "synced",
        reason: created
          ? "Cliente criado no Bling para o pedido."
          : "Cliente do pedido vinculado ao contato de mesmo CPF/CNPJ no Bling.",
      });
    });
    return found;
  });
}

/**
 * Run `fn` as the only holder of `key` across every worker process, WITHOUT holding a database connection
 * while it calls Bling (issue 21 #4: an advisory-lock transaction kept a pooled connection for the whole
 * find-or-create, so a slow Bling drained the pool for every tenant). The worker's Redis lease
 * (`ctx.exclusive`, renewed while held, expiring if its process dies) serializes; without one (unit tests
 * of the pipeline) the transaction-scoped advisory lock does.
 */
async function serialized<T>(ctx: SyncContext, key: string, fn: () => Promise<T>): Promise<T> {
  if (ctx.exclusive) return ctx.exclusive(key, fn);
  return withAdvisoryLock(ctx.db, key, () => fn());
}

/** Each payment method of the order in Bling: the link, else a same-named forma de pagamento, else a new one. */
async function ensureBlingPaymentMethods(ctx: SyncContext, order: PortalOrder): Promise<Map<string, string>> {
  const links = new LinksRepository(ctx.db);
  const out = new Map<string, string>();
  let zydonMethods: Map<string, { name: string; type: string }> | undefined;
  let blingByName: Map<string, string> | undefined;
  for (const p of order.payments) {
    if (out.has(p.paymentMethodId)) continue;
    const linked = await links.byZydonId(ctx.tenantId, "payment_method", p.paymentMethodId);
    if (linked?.blingId) {
      out.set(p.paymentMethodId, linked.blingId);
      continue;
    }
    zydonMethods ??= new Map((await ctx.zydon.listPaymentMethods()).map((m) => [m.id, m]));
    const zm = zydonMethods.get(p.paymentMethodId);
    if (!zm)
      throw new OrderMappingError(`Forma de pagamento ${p.paymentMethodId} do pedido não existe no Zydon.`);
    if (!blingByName) {
      blingByName = new Map();
      for (let page = 1; ; page++) {
        const rows = await ctx.bling.listPaymentMethods(page);
        for (const r of rows) blingByName.set(paymentNameKey(r.descricao), r.id);
        if (rows.length < 100) break;
      }
    }
    const key = paymentNameKey(zm.name);
    const methods = blingByName;
    // Same guard as contacts: one Bling payment method per name, whichever order gets here first.
    const blingId = await serialized(ctx, `bling-payment:${ctx.tenantId}:${key}`, async () => {
      const readLinks = new LinksRepository(ctx.db);
      const again = await readLinks.byZydonId(ctx.tenantId, "payment_method", p.paymentMethodId);
      if (again?.blingId) return again.blingId;
      const byName = await readLinks.byNaturalKey(ctx.tenantId, "payment_method", key);
      let id = byName?.blingId ?? methods.get(key) ?? null;
      const created = !id;
      id ??= await ctx.bling.createPaymentMethod({
        descricao: zm.name,
        tipoPagamento: blingPaymentType(zm.type),
      });
      const found = id;
      methods.set(key, found);
      await ctx.db.transaction(async (tx) => {
        await new LinksRepository(tx).upsert({
          tenantId: ctx.tenantId,
          entity: "payment_method",
          blingId: found,
          zydonId: p.paymentMethodId,
          naturalKey: key,
        });
        await new LedgerRepository(tx).record({
          tenantId: ctx.tenantId,
          entity: "payment_method",
          entityKey: zm.name,
          action: "export",
          outcome: "synced",
          reason: created
            ? "Forma de pagamento criada no Bling para o pedido."
            : "Vinculada à forma de pagamento de mesmo nome no Bling.",
        });
      });
      return found;
    });
    out.set(p.paymentMethodId, blingId);
  }
  return out;
}

async function resolveItems(ctx: SyncContext, order: PortalOrder): Promise<Map<string, string>> {
  const links = new LinksRepository(ctx.db);
  const out = new Map<string, string>();
  for (const item of order.items) {
    const l =
      (await links.byNaturalKey(ctx.tenantId, "variation", item.sku)) ??
      (await links.byNaturalKey(ctx.tenantId, "product", item.sku));
    if (l?.blingId) out.set(item.sku, l.blingId);
  }
  return out;
}

const ordersCursor = z.object({ since: z.string() });

/**
 * Fallback for a lost Zydon order webhook: orders created since the last poll (with overlap) that have no
 * export row yet. Returns their ids; the caller enqueues `export-order` (idempotent per order).
 */
export async function pollNewZydonOrders(ctx: SyncContext): Promise<string[]> {
  const cursors = new CursorsRepository(ctx.db);
  const now = ctx.now();
  const cursor = await cursors.get(ctx.tenantId, "poll:zydon-orders", ordersCursor).catch(() => undefined);
  const since = cursor
    ? new Date(new Date(cursor.since).getTime() - POLL_OVERLAP_MS)
    : new Date(now.getTime() - 60 * 60_000);
  const orders = await ctx.zydon.listOrdersSince(since);
  const exportsRepo = new OrderExportsRepository(ctx.db);
  const missing: string[] = [];
  for (const o of orders) {
    const row = await exportsRepo.get(ctx.tenantId, o.id);
    if (!row || (row.state !== "created" && row.state !== "failed")) missing.push(o.id);
  }
  await cursors.set(ctx.tenantId, "poll:zydon-orders", { since: now.toISOString() });
  return missing;
}
