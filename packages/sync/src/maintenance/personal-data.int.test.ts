import {
  AlertsRepository,
  alerts,
  CredentialsRepository,
  createDb,
  type DbHandle,
  entityLinks,
  orderExports,
  PersonalDataRepository,
  PURGE_AUDIT_STREAM,
  runMigrations,
  SecretBox,
  syncCursors,
  syncLedger,
  syncRuns,
  TenantsRepository,
  webhookInbox,
} from "@zb/db";
import { createTestDatabase, generateCpf, type TestDatabase } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeExpiredTenants, purgeOnRequest } from "./personal-data.js";

let tdb: TestDatabase;
let h: DbHandle;
let credentials: CredentialsRepository;
const box = new SecretBox({ id: "k1", keyBase64: Buffer.alloc(32, 7).toString("base64") });
const log = { info: () => undefined, warn: () => undefined };
const now = new Date();
const cpf = generateCpf();

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 4 });
  credentials = new CredentialsRepository(h.db, box);
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

/** A tenant holding personal data in every place the app keeps it, and the rows that hold none. */
async function tenantWithData(org: string): Promise<string> {
  const { tenant } = await new TenantsRepository(h.db).install(org);
  const id = tenant.id;
  await credentials.saveZydonAccessKey(id, { accessKeyCode: "code", accessKeyToken: "token" });
  await credentials.connectBling(id, {
    blingCompanyId: `company-${org}`,
    companyName: "Maria da Silva ME",
    tokens: {
      accessToken: "at",
      refreshToken: "rt",
      accessExpiresAt: new Date(now.getTime() + 3_600_000),
      refreshExpiresAt: new Date(now.getTime() + 86_400_000),
    },
  });
  await h.db.insert(entityLinks).values([
    {
      tenantId: id,
      entity: "customer",
      blingId: "c1",
      zydonId: "p1",
      naturalKey: cpf,
      data: { nome: "Maria" },
    },
    { tenantId: id, entity: "customer", blingId: "c2", zydonId: "p2", naturalKey: "12345678000199" },
    { tenantId: id, entity: "product", blingId: "101", zydonId: "zp-101", naturalKey: "SKU-1" },
    { tenantId: id, entity: "order", blingId: "9001", zydonId: "Z-1", naturalKey: "Z-1" },
  ]);
  await h.db.insert(syncLedger).values([
    {
      tenantId: id,
      entity: "customer",
      entityKey: cpf,
      action: "import",
      outcome: "skipped",
      reason: 'Cliente "Maria da Silva" está inativo',
    },
    { tenantId: id, entity: "product", entityKey: "SKU-1", action: "upsert", outcome: "synced" },
  ]);
  await new AlertsRepository(h.db).saveConfig(id, { emails: ["maria@silva.com.br"] });
  await h.db.insert(alerts).values({
    tenantId: id,
    kind: "order_failed",
    dedupeKey: "1:1",
    subject: "Pedido Z-1 não foi enviado ao Bling",
    facts: { zydonOrderId: "Z-1", reason: 'Cliente "Maria da Silva" sem CPF' },
  });
  await h.db.insert(webhookInbox).values({
    provider: "zydon",
    eventId: `ev-${org}`,
    tenantId: id,
    eventType: "order.created",
    payload: { partner: { name: "Maria da Silva", address: "Rua A, 1" } },
  });
  await h.db.insert(orderExports).values([
    {
      tenantId: id,
      zydonOrderId: "Z-1",
      state: "created",
      blingOrderId: "9001",
      nfeDetails: { destinatario: "Maria" },
    },
    {
      tenantId: id,
      zydonOrderId: "Z-2",
      state: "failed",
      lastError: "O Bling recusou o contato Maria da Silva",
    },
  ]);
  await h.db
    .insert(syncRuns)
    .values({ tenantId: id, kind: "initial", entity: "customers", status: "failed", error: "Maria" });
  await h.db.insert(syncCursors).values([
    { tenantId: id, stream: "readiness", cursor: { sampled: false, withoutDocument: ["Maria da Silva"] } },
    { tenantId: id, stream: "poll:products", cursor: { productsSince: now.toISOString() } },
  ]);
  return id;
}

/** What is left of a tenant, table by table: ids and counts only. */
async function remains(tenantId: string) {
  const links =
    await h.sql`select entity, bling_id from entity_links where tenant_id = ${tenantId} order by entity, bling_id`;
  const exportsLeft = await h.sql`
    select zydon_order_id, bling_order_id, state, last_error, nfe_details from order_exports
    where tenant_id = ${tenantId} order by zydon_order_id`;
  const count = async (table: string) =>
    (await h.sql`select count(*)::int as n from ${h.sql(table)} where tenant_id = ${tenantId}`)[0]?.n;
  const cursors = await h.sql`select stream from sync_cursors where tenant_id = ${tenantId} order by stream`;
  const runs = await h.sql`select status, error from sync_runs where tenant_id = ${tenantId}`;
  const conn =
    await h.sql`select company_name, access_token_enc, refresh_token_enc, status from bling_connections where tenant_id = ${tenantId}`;
  const zyd =
    await h.sql`select access_key_code_enc, access_key_token_enc from zydon_credentials where tenant_id = ${tenantId}`;
  return {
    links: links.map((r) => `${r.entity}:${r.bling_id}`),
    orderExports: exportsLeft.map((r) => ({ ...r })),
    ledger: await count("sync_ledger"),
    inbox: await count("webhook_inbox"),
    alerts: (await count("alerts")) + (await count("alert_settings")),
    cursors: cursors.map((r) => r.stream as string),
    runs: runs.map((r) => ({ ...r })),
    connection: { ...conn[0] },
    zydon: { ...zyd[0] },
  };
}

describe("personal data purged with the secrets (issue 17 #7)", () => {
  it("when the retention window ends: only ids the sync needs remain; a tenant inside its window is untouched", async () => {
    const gone = await tenantWithData("org-gone");
    const waiting = await tenantWithData("org-waiting");
    await credentials.schedulePurge(gone, new Date(now.getTime() - 1_000));
    await credentials.schedulePurge(waiting, new Date(now.getTime() + 86_400_000));
    const before = await remains(waiting);

    const purged = await purgeExpiredTenants(h.db, credentials, log, now);

    expect(purged).toEqual([
      {
        tenantId: gone,
        counts: {
          customerLinks: 2,
          ledgerRows: 2,
          inboxRows: 1,
          orderExportsCleared: 2,
          syncRunErrorsCleared: 1,
          readinessReports: 1,
          companyNames: 1,
          alerts: 1,
          alertSettings: 1,
        },
      },
    ]);
    expect(await remains(gone)).toEqual({
      // Catalog and order links (ids, SKUs): a reinstall must not create them twice.
      links: ["order:9001", "product:101"],
      // Every order still exported exactly once; nothing about the buyer.
      orderExports: [
        {
          zydon_order_id: "Z-1",
          bling_order_id: "9001",
          state: "created",
          last_error: null,
          nfe_details: null,
        },
        { zydon_order_id: "Z-2", bling_order_id: null, state: "failed", last_error: null, nfe_details: null },
      ],
      ledger: 0,
      inbox: 0,
      alerts: 0,
      cursors: [PURGE_AUDIT_STREAM, "poll:products"],
      runs: [{ status: "failed", error: null }],
      connection: {
        company_name: null,
        access_token_enc: null,
        refresh_token_enc: null,
        status: "disconnected",
      },
      zydon: { access_key_code_enc: null, access_key_token_enc: null },
    });
    // No document, name or address anywhere in the tenant's rows.
    const dump = JSON.stringify(
      await h.sql`
      select (select json_agg(e) from entity_links e where e.tenant_id = ${gone}) as l,
             (select json_agg(o) from order_exports o where o.tenant_id = ${gone}) as o,
             (select json_agg(c) from sync_cursors c where c.tenant_id = ${gone}) as c,
             (select json_agg(r) from sync_runs r where r.tenant_id = ${gone}) as r`,
    );
    expect(dump).not.toContain(cpf);
    expect(dump).not.toContain("Maria");
    expect(dump).not.toContain("Rua A");
    // Recorded for the operator.
    const audit = await new PersonalDataRepository(h.db).purgeAudit(gone);
    expect(audit).toEqual([{ at: now.toISOString(), by: "retention", counts: purged[0]?.counts }]);
    // The tenant still inside its window keeps everything.
    expect(await remains(waiting)).toEqual(before);
    expect(before.ledger).toBe(2);
  });

  it("on the merchant's request: purged at once, audited, one pt-BR history row left", async () => {
    const id = await tenantWithData("org-request");
    await credentials.disconnectBling(id);
    const counts = await purgeOnRequest(h.db, id, log, now);
    expect(counts.customerLinks).toBe(2);
    const left = await remains(id);
    expect(left.links).toEqual(["order:9001", "product:101"]);
    expect(left.inbox).toBe(0);
    const ledger =
      await h.sql`select entity, action, outcome, reason from sync_ledger where tenant_id = ${id}`;
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ entity: "data", action: "purge", outcome: "synced" });
    expect(ledger[0]?.reason).toBe(
      "Dados pessoais excluídos a pedido da loja: 2 vínculos de clientes, 2 registros do histórico, " +
        "1 notificação recebida, 2 pedidos sem detalhes do comprador. As credenciais do Bling foram apagadas.",
    );
    expect(await new PersonalDataRepository(h.db).purgeAudit(id)).toMatchObject([{ by: "merchant" }]);
    expect(left.connection).toMatchObject({ access_token_enc: null, refresh_token_enc: null });
  });
});
