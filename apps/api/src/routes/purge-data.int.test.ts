import { purgeDataResponseSchema } from "@zb/contract";
import { entityLinks, LedgerRepository, PersonalDataRepository, webhookInbox } from "@zb/db";
import { generateCpf } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";

/** Issue 17 #7: "Excluir meus dados" from the page — confirmed, immediate, recorded, this tenant only. */
let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

async function connectedMerchant(name: string) {
  const { orgId, tenantId } = await h.install(name);
  const session = await h.session(orgId);
  const acc = h.bling.createAccount(`${name} ERP`);
  expect((await h.connectBling(session, acc.accountId)).status).toBe(302);
  const doc = generateCpf();
  await h.db.db.insert(entityLinks).values({
    tenantId,
    entity: "customer",
    blingId: `c-${name}`,
    zydonId: `p-${name}`,
    naturalKey: doc,
  });
  await new LedgerRepository(h.db.db).record({
    tenantId,
    entity: "customer",
    entityKey: doc,
    action: "import",
    outcome: "skipped",
    reason: `Cliente "Fulano de ${name}" está inativo no Bling.`,
  });
  await h.db.db.insert(webhookInbox).values({
    provider: "zydon",
    eventId: `ev-${name}`,
    tenantId,
    eventType: "order.created",
    payload: { partner: { name: `Fulano de ${name}` } },
  });
  return { orgId, tenantId, session, doc };
}

function purge(session: string | undefined, payload: unknown) {
  return h.api.inject({
    method: "POST",
    url: "/api/settings/data/purge",
    headers: session ? { authorization: `Bearer ${session}` } : {},
    payload: payload as object,
  });
}

async function personalRows(tenantId: string) {
  const [r] = await h.db.sql`
    select (select count(*)::int from entity_links where tenant_id = ${tenantId} and entity = 'customer') as links,
           (select count(*)::int from sync_ledger where tenant_id = ${tenantId} and entity = 'customer') as ledger,
           (select count(*)::int from webhook_inbox where tenant_id = ${tenantId}) as inbox`;
  return r;
}

describe("POST /api/settings/data/purge", () => {
  it("refuses without the typed confirmation (or a session) and deletes nothing", async () => {
    const m = await connectedMerchant("Purga Recusada");
    for (const body of [{}, { confirmation: "excluir" }, { confirmation: "SIM" }]) {
      const res = await purge(m.session, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toEqual({
        error: "confirmation_required",
        message: "Digite EXCLUIR para confirmar a exclusão dos dados.",
      });
    }
    expect((await purge(undefined, { confirmation: "EXCLUIR" })).statusCode).toBe(401);
    expect(await personalRows(m.tenantId)).toEqual({ links: 1, ledger: 1, inbox: 1 });
  });

  it("confirmed: disconnects Bling, erases this tenant's personal data, records it; another tenant is untouched", async () => {
    const m = await connectedMerchant("Purga Pedida");
    const other = await connectedMerchant("Purga Vizinha");
    const res = await purge(m.session, { confirmation: "EXCLUIR" });
    expect(res.statusCode, res.body).toBe(200);
    const body = purgeDataResponseSchema.parse(res.json());
    expect(body.purged).toMatchObject({ customerLinks: 1, inboxRows: 1 });
    expect(body.purged.ledgerRows).toBeGreaterThanOrEqual(1);
    expect(body.blingDisconnected).toBe(true);
    expect(body.message).toMatch(/^Dados pessoais excluídos a pedido da loja: 1 vínculo de cliente, /);

    expect(await personalRows(m.tenantId)).toEqual({ links: 0, ledger: 0, inbox: 0 });
    // Every session of the tenant ended with the purge; this tab carries on with the one in the answer.
    const before = await h.api.inject({
      method: "GET",
      url: "/api/settings/connection",
      headers: { authorization: `Bearer ${m.session}` },
    });
    expect(before.json()).toMatchObject({ error: "session_revoked" });
    const mine = body.session?.token;
    expect(mine).toBeTruthy();
    const conn = await h.api.inject({
      method: "GET",
      url: "/api/settings/connection",
      headers: { authorization: `Bearer ${mine}` },
    });
    expect(conn.json()).toMatchObject({ bling: { state: "not_connected", companyName: null } });
    // The history the page shows keeps one row: what was deleted, in pt-BR.
    const ledger = await h.api.inject({
      method: "GET",
      url: "/api/settings/ledger",
      headers: { authorization: `Bearer ${mine}` },
    });
    expect(ledger.json().items).toMatchObject([{ entity: "data", action: "purge", reason: body.message }]);
    // The operator's audit.
    expect(await new PersonalDataRepository(h.db.db).purgeAudit(m.tenantId)).toMatchObject([
      { by: "merchant", counts: body.purged },
    ]);
    expect(h.hookCalls).toContainEqual({ hook: "paused", tenantId: m.tenantId });
    expect(await personalRows(other.tenantId)).toEqual({ links: 1, ledger: 1, inbox: 1 });
  });
});
