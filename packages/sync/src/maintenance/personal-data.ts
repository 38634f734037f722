import {
  type CredentialsRepository,
  type Database,
  LedgerRepository,
  type PersonalDataPurgeCounts,
  PersonalDataRepository,
} from "@zb/db";
import type { SyncLog } from "../pipelines/context.js";

/**
 * Issue 17 #7: buyers' documents, names and addresses go with the secrets. When an uninstalled tenant's
 * retention window ends (`purge-secrets`, hourly), the secrets are erased and, for the same tenants, the
 * personal data (`PersonalDataRepository.purgeTenant` lists every place); a merchant can also ask for it at
 * once from the page ("Excluir meus dados"). Each purge is recorded in the tenant's purge audit (kept for
 * the operator: when, by whom, how many rows) and, on request, in the history the page shows.
 */
export async function purgeExpiredTenants(
  db: Database,
  credentials: Pick<CredentialsRepository, "purgeExpired">,
  log: SyncLog,
  now: Date = new Date(),
  opts: Parameters<CredentialsRepository["purgeExpired"]>[1] = {},
): Promise<Array<{ tenantId: string; counts: PersonalDataPurgeCounts }>> {
  const repo = new PersonalDataRepository(db);
  const out: Array<{ tenantId: string; counts: PersonalDataPurgeCounts }> = [];
  // Personal data first, secrets last: erasing the secrets clears `purgeAfter`, which is what selects the
  // tenant, so a crash in between leaves the tenant selected and the next run does both (fault test).
  for (const tenantId of await repo.expiredTenants(now)) {
    const counts = await repo.purgeTenant(tenantId);
    await repo.recordPurge(tenantId, { at: now.toISOString(), by: "retention", counts: { ...counts } });
    out.push({ tenantId, counts });
    log.info({ tenantId, ...counts }, "personal data of an uninstalled tenant purged with its secrets");
  }
  await credentials.purgeExpired(now, opts);
  return out;
}

/** The pt-BR summary of a purge, for the page and the history row. */
export function purgeSummaryPtBr(c: PersonalDataPurgeCounts): string {
  const parts = [
    `${c.customerLinks} ${c.customerLinks === 1 ? "vínculo de cliente" : "vínculos de clientes"}`,
    `${c.ledgerRows} ${c.ledgerRows === 1 ? "registro" : "registros"} do histórico`,
    `${c.inboxRows} ${c.inboxRows === 1 ? "notificação recebida" : "notificações recebidas"}`,
    `${c.orderExportsCleared} ${c.orderExportsCleared === 1 ? "pedido" : "pedidos"} sem detalhes do comprador`,
  ];
  return `Dados pessoais excluídos a pedido da loja: ${parts.join(", ")}. As credenciais do Bling foram apagadas.`;
}

/**
 * The merchant's immediate purge. The caller (the API) first disconnects Bling (tokens erased, revoked at
 * Bling, recurring work stopped); this erases the personal data, records the audit and leaves one history
 * row saying what was removed (written after the purge, so it is the only row left).
 */
export async function purgeOnRequest(
  db: Database,
  tenantId: string,
  log: SyncLog,
  now: Date = new Date(),
): Promise<PersonalDataPurgeCounts> {
  const repo = new PersonalDataRepository(db);
  const counts = await repo.purgeTenant(tenantId);
  await repo.recordPurge(tenantId, { at: now.toISOString(), by: "merchant", counts: { ...counts } });
  await new LedgerRepository(db).record({
    tenantId,
    entity: "data",
    entityKey: "personal-data",
    action: "purge",
    outcome: "synced",
    reason: purgeSummaryPtBr(counts),
    details: { ...counts },
  });
  log.info({ tenantId, ...counts }, "personal data purged at the merchant's request");
  return counts;
}
