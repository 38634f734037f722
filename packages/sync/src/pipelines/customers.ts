import { LedgerRepository, LinksRepository } from "@zb/db";
import { fiscalIdentity, isValidCnpj, isValidCpf, onlyDigits } from "../domain/documents.js";
import type { EntityPipeline } from "../engine/initial-sync.js";
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
  let existing = validDoc ? await ctx.zydon.findPartnerByDocument(doc) : null;
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
  if (!existing && identity.kind !== "cpf" && identity.kind !== "cnpj")
    existing = await ctx.zydon.findPartnerByDocument(identity.document);
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
    // A contact may need a detail read (one request each at ~2/s): report every few so the page moves.
    for (const [i, r] of rows.entries()) {
      counts[await syncCustomer(ctx, r)]++;
      if (progress && (i + 1) % PROGRESS_EVERY === 0 && i + 1 < rows.length) await progress({ ...counts });
    }
    const total = page === 1 ? await readinessTotal(ctx, "contactsListed") : undefined;
    return { hasMore: rows.length === 100, ...counts, ...(total !== undefined ? { total } : {}) };
  },
};
