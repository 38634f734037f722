import { and, eq, isNotNull, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../client.js";
import {
  alertSettings,
  alerts,
  blingConnections,
  entityLinks,
  orderExports,
  syncCursors,
  syncLedger,
  syncRuns,
  webhookInbox,
  zydonCredentials,
} from "../schema/index.js";
import { CursorsRepository } from "./cursors-repository.js";

/**
 * Issue 17 #7: every place the app keeps a buyer's document, name or address, and what purging does there.
 * - `entity_links` of customers: `natural_key` is the CPF/CNPJ (or IE), `data` may hold contact data → deleted.
 *   Product, variation, payment-method and order links hold ids, SKUs and hashes only → kept (a reinstall
 *   must not create the catalog twice).
 * - `sync_ledger`: customer rows are keyed by document and every reason may quote a name → all deleted.
 * - `webhook_inbox`: payloads carry orders (buyer, address) → all deleted.
 * - `order_exports`: ids kept (an order must never be exported twice), `last_error` and `nfe_details` (may
 *   quote the buyer) cleared.
 * - `sync_runs.error` cleared; `sync_cursors` "readiness" (samples of contacts without CPF/CNPJ) deleted.
 * - `bling_connections.company_name` (may be a person's name for a sole trader) cleared.
 * - `alerts` (subjects and facts quote orders and reasons) and `alert_settings` (the recipients' e-mails) deleted.
 * Secrets are the credentials repository's (`purgeExpired`, `disconnectBling`).
 */
export interface PersonalDataPurgeCounts {
  customerLinks: number;
  ledgerRows: number;
  inboxRows: number;
  orderExportsCleared: number;
  syncRunErrorsCleared: number;
  readinessReports: number;
  companyNames: number;
  alerts: number;
  alertSettings: number;
}

export const PURGE_AUDIT_STREAM = "audit:personal-data-purges";

const purgeEvent = z.object({
  at: z.string(),
  by: z.enum(["merchant", "retention"]),
  counts: z.record(z.string(), z.number()),
});
export type PersonalDataPurgeEvent = z.infer<typeof purgeEvent>;
const auditSchema = z.object({ events: z.array(purgeEvent) });

/** Cursor streams that hold personal data (deleted); the purge audit itself is never deleted. */
const PERSONAL_STREAMS = ["readiness"];

export class PersonalDataRepository {
  constructor(private readonly db: Database) {}

  /**
   * Tenants whose retention window has ended and whose secrets are still there to purge (the same condition
   * as `CredentialsRepository.purgeExpired`, which clears it: run that last, so a crash in between is redone).
   */
  async expiredTenants(now: Date): Promise<string[]> {
    const z = await this.db
      .select({ tenantId: zydonCredentials.tenantId })
      .from(zydonCredentials)
      .where(and(isNotNull(zydonCredentials.purgeAfter), lt(zydonCredentials.purgeAfter, now)));
    const b = await this.db
      .select({ tenantId: blingConnections.tenantId })
      .from(blingConnections)
      .where(and(isNotNull(blingConnections.purgeAfter), lt(blingConnections.purgeAfter, now)));
    return [...new Set([...z, ...b].map((r) => r.tenantId))].sort();
  }

  /** Erase one tenant's personal data in one transaction (a crash leaves all of it or none). */
  async purgeTenant(tenantId: string): Promise<PersonalDataPurgeCounts> {
    return this.db.transaction(async (tx) => {
      const customerLinks = await tx
        .delete(entityLinks)
        .where(and(eq(entityLinks.tenantId, tenantId), eq(entityLinks.entity, "customer")))
        .returning({ id: entityLinks.id });
      const ledgerRows = await tx
        .delete(syncLedger)
        .where(eq(syncLedger.tenantId, tenantId))
        .returning({ id: syncLedger.id });
      const inboxRows = await tx
        .delete(webhookInbox)
        .where(eq(webhookInbox.tenantId, tenantId))
        .returning({ id: webhookInbox.id });
      const exportsCleared = await tx
        .update(orderExports)
        .set({ lastError: null, nfeDetails: null, updatedAt: new Date() })
        .where(
          and(
            eq(orderExports.tenantId, tenantId),
            or(isNotNull(orderExports.lastError), isNotNull(orderExports.nfeDetails)),
          ),
        )
        .returning({ id: orderExports.id });
      const runsCleared = await tx
        .update(syncRuns)
        .set({ error: null, updatedAt: new Date() })
        .where(and(eq(syncRuns.tenantId, tenantId), isNotNull(syncRuns.error)))
        .returning({ id: syncRuns.id });
      const reports = await tx
        .delete(syncCursors)
        .where(
          and(
            eq(syncCursors.tenantId, tenantId),
            sql`${syncCursors.stream} in (${sql.join(
              PERSONAL_STREAMS.map((s) => sql`${s}`),
              sql`, `,
            )})`,
          ),
        )
        .returning({ stream: syncCursors.stream });
      const names = await tx
        .update(blingConnections)
        .set({ companyName: null, updatedAt: new Date() })
        .where(and(eq(blingConnections.tenantId, tenantId), isNotNull(blingConnections.companyName)))
        .returning({ tenantId: blingConnections.tenantId });
      const alertRows = await tx
        .delete(alerts)
        .where(eq(alerts.tenantId, tenantId))
        .returning({ id: alerts.id });
      const alertConfig = await tx
        .delete(alertSettings)
        .where(eq(alertSettings.tenantId, tenantId))
        .returning({ tenantId: alertSettings.tenantId });
      return {
        customerLinks: customerLinks.length,
        ledgerRows: ledgerRows.length,
        inboxRows: inboxRows.length,
        orderExportsCleared: exportsCleared.length,
        syncRunErrorsCleared: runsCleared.length,
        readinessReports: reports.length,
        companyNames: names.length,
        alerts: alertRows.length,
        alertSettings: alertConfig.length,
      };
    });
  }

  /** Append one purge to the tenant's audit (kept by every purge and prune: the operator's record). */
  async recordPurge(tenantId: string, event: PersonalDataPurgeEvent): Promise<void> {
    const cursors = new CursorsRepository(this.db);
    const audit = (await cursors.get(tenantId, PURGE_AUDIT_STREAM, auditSchema)) ?? { events: [] };
    await cursors.set(tenantId, PURGE_AUDIT_STREAM, { events: [...audit.events, event] });
  }

  async purgeAudit(tenantId: string): Promise<PersonalDataPurgeEvent[]> {
    return (
      (await new CursorsRepository(this.db).get(tenantId, PURGE_AUDIT_STREAM, auditSchema))?.events ?? []
    );
  }
}
