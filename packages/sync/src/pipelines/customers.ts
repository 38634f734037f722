import { LedgerRepository, LinksRepository } from "@zb/db";
import { fiscalIdentity, isValidCnpj, isValidCpf, onlyDigits } from "../domain/documents.js";
import type { EntityPipeline } from "../engine/initial-sync.js";
import { forEachPooled, KeyedLock, PAGE_CONCURRENCY } from "../engine/page-pool.js";
import { mapContactToPartner } from "../mappers/customers.js";
import type { ErpContact } from "../ports/bling-port.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";
import { readinessTotal } from "./readiness.js";

type Outcome = "synced" | "skipped" | "failed";

/**
 * One Bling contact → Zydon partner. Only active contacts with CPF/CNPJ or IE/RG (Zydon requires them);
 * the rest are listed as skipped with the reason. A Zydon partner with the same document is linked, never
 * duplicated. The contact's detail is read only when the list row is not enough (no valid CPF/CNPJ, or a
 * partner must be created).
 */
export async function syncCustomer(ctx: SyncContext, row: ErpContact): Promise<Outcome> {
  // Records of a page run together (engine/page-pool.ts): two contacts with one document, one at a time.
  const doc = onlyDigits(row.numeroDocumento);
  if (ctx.sameKey && doc) return ctx.sameKey.run([doc], () => syncCustomerNow(ctx, row));
  return syncCustomerNow(ctx, row);
}

async function syncCustomerNow(ctx: SyncContext, row: ErpContact): Promise<Outcome> {
  const links = new LinksRepository(ctx.db);
  const ledger = new LedgerRepository(ctx.db);
  const key = onlyDigits(row.numeroDocumento) || row.codigo || `bling:${row.id}`;
  if (row.situacao !== "A") {
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "customer",
      entityKey: key,
      action: "import",
      outcome: "skipped",
      reason: `Cliente "${row.nome}" está inativo no Bling; só clientes ativos são sincronizados.`,
      details: { name: row.nome },
    });
    return "skipped";
  }
  if (await links.byBlingId(ctx.tenantId, "customer", row.id)) return "synced";

  const doc = onlyDigits(row.numeroDocumento);
  const validDoc = (doc.length === 11 && isValidCpf(doc)) || (doc.length === 14 && isValidCnpj(doc));
  let contact = row;
  const existing = validDoc ? await ctx.zydon.findPartnerByDocument(doc) : null;
  if (!existing) contact = (await ctx.bling.getContact(row.id)) ?? row;
  const identity = fiscalIdentity(contact);
  if (identity.kind === "none") {
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "customer",
      entityKey: key,
      action: "import",
      outcome: "skipped",
      reason: `${identity.reason}: "${contact.nome}". Cadastre o CPF/CNPJ ou a IE/RG no Bling para sincronizá-lo.`,
      details: { blingId: row.id, name: contact.nome },
    });
    return "skipped";
  }
  // A document only the detail carries (no CPF/CNPJ on the list row): held now, as the row's was above.
  if (ctx.sameKey && !doc)
    return ctx.sameKey.run([identity.document], () => linkPartner(ctx, row, contact, identity, existing));
  return linkPartner(ctx, row, contact, identity, existing);
}

async function linkPartner(
  ctx: SyncContext,
  row: ErpContact,
  contact: ErpContact,
  identity: Exclude<ReturnType<typeof fiscalIdentity>, { kind: "none" }>,
  found: Awaited<ReturnType<SyncContext["zydon"]["findPartnerByDocument"]>>,
): Promise<Outcome> {
  const ledger = new LedgerRepository(ctx.db);
  let existing = found;
  if (!existing && identity.kind !== "cpf" && identity.kind !== "cnpj")
    existing = await ctx.zydon.findPartnerByDocument(identity.document);
  // Two Bling contacts with one document: Zydon keeps one partner per document, already linked to the first.
  // Linking the second would take the first's link (a unique row per Zydon partner): reported instead, under
  // its own action so the first contact's next success does not close it.
  const owner = existing
    ? await new LinksRepository(ctx.db).byZydonId(ctx.tenantId, "customer", existing.id)
    : undefined;
  if (owner && owner.blingId !== row.id) {
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "customer",
      entityKey: identity.document,
      action: "duplicate",
      outcome: "skipped",
      reason: `Cliente "${contact.nome}" tem o mesmo documento (${identity.document}) de outro cliente do Bling já sincronizado; o Zydon guarda um cliente por documento, e os pedidos desse documento usam o já vinculado. Se são o mesmo cliente, una os cadastros no Bling.`,
      details: { blingId: row.id, conflictsWith: owner.blingId, name: contact.nome },
    });
    return "skipped";
  }
  let zydonId = existing?.id;
  try {
    zydonId ??= await ctx.zydon.createPartner(mapContactToPartner(contact, identity));
  } catch (err) {
    if (isTransient(err)) throw err;
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "customer",
      entityKey: identity.document,
      action: "import",
      outcome: "failed",
      reason: `O Zydon recusou o cliente "${contact.nome}": ${errorMessage(err)}`,
      retryable: true,
      details: { blingId: row.id, name: contact.nome },
    });
    return "failed";
  }
  await ctx.db.transaction(async (tx) => {
    await new LinksRepository(tx).upsert({
      tenantId: ctx.tenantId,
      entity: "customer",
      blingId: row.id,
      zydonId: zydonId as string,
      naturalKey: identity.document,
    });
    await new LedgerRepository(tx).record({
      tenantId: ctx.tenantId,
      entity: "customer",
      entityKey: identity.document,
      action: "import",
      outcome: "synced",
      reason: existing
        ? "Vinculado ao cliente de mesmo documento já existente no Zydon."
        : "Cliente criado no Zydon.",
      details: { name: contact.nome },
    });
  });
  return "synced";
}

/** Records between two progress reports inside a page. */
const PROGRESS_EVERY = 5;

export const customersPipeline: EntityPipeline<SyncContext> = {
  entity: "customers",
  async runPage(ctx, page, progress) {
    const rows = await ctx.bling.listContacts({ page, criterio: 1 });
    const counts = { synced: 0, skipped: 0, failed: 0 };
    const pageCtx: SyncContext = { ...ctx, sameKey: new KeyedLock() };
    // A contact may need a detail read (one request each at ~2/s): report every few so the bar moves (in order).
    let done = 0;
    let reported = Promise.resolve();
    await forEachPooled(rows, PAGE_CONCURRENCY, async (r) => {
      counts[await syncCustomer(pageCtx, r)]++;
      done++;
      if (progress && done % PROGRESS_EVERY === 0 && done < rows.length) {
        reported = reported.then(() => progress({ ...counts }));
        await reported;
      }
    });
    await reported;
    const total = page === 1 ? await readinessTotal(ctx, "contactsListed") : undefined;
    return { hasMore: rows.length === 100, ...counts, ...(total !== undefined ? { total } : {}) };
  },
};
