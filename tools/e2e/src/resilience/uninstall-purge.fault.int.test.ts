import { generateDemoAccount } from "@zb/bling-simulator";
import {
  CredentialsRepository,
  PersonalDataRepository,
  secretBoxFromConfig,
  TenantsRepository,
} from "@zb/db";
import {
  type Child,
  FaultTally,
  reportRecovery,
  type Tenant,
  waitFor,
  waitForInitialSync,
} from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, spawnWorker, startE2E } from "../world.js";

/**
 * Issue 17 #7, the retention purge interrupted: a tenant synced by a real worker process (customers with
 * CPF/CNPJ linked, history written) is uninstalled and its retention window ends; the worker is SIGKILLed
 * while the purge is inside its transaction (the test holds a row lock so the kill lands there). Nothing
 * may be half-erased, and the restarted worker must finish the purge — personal data and secrets — leaving
 * exactly the ids the sync needs. (Erasing the secrets first had made a crash in between final: the tenant
 * was no longer selected, so its buyers' data stayed forever.)
 */
let e: E2E;
const tally = new FaultTally("uninstall purge");
const children: Child[] = [];

beforeAll(async () => {
  e = await startE2E({ worker: false });
}, 60_000);
afterAll(async () => {
  for (const c of children) await c.kill("SIGKILL");
  tally.flush();
  await e?.close();
});

async function holdings(t: Tenant) {
  const [r] = await e.db.sql`
    select
      (select count(*)::int from entity_links where tenant_id = ${t.tenantId} and entity = 'customer') as customer_links,
      (select count(*)::int from entity_links where tenant_id = ${t.tenantId} and entity <> 'customer') as other_links,
      (select count(*)::int from sync_ledger where tenant_id = ${t.tenantId}) as ledger,
      (select count(*)::int from webhook_inbox where tenant_id = ${t.tenantId}) as inbox,
      (select count(*)::int from sync_cursors where tenant_id = ${t.tenantId} and stream = 'readiness') as readiness,
      (select count(*)::int from zydon_credentials where tenant_id = ${t.tenantId} and access_key_token_enc is not null) as zydon_secrets,
      (select count(*)::int from bling_connections where tenant_id = ${t.tenantId} and refresh_token_enc is not null) as bling_secrets,
      (select count(*)::int from bling_connections where tenant_id = ${t.tenantId} and company_name is not null) as company_names`;
  return r as Record<string, number>;
}

describe("the retention purge interrupted by a worker SIGKILL", () => {
  it("nothing half-erased; the restarted worker purges personal data and secrets, ids the sync needs remain", async () => {
    const t = await e.addTenant("Loja Purga");
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: 3,
      variationShare: 0,
      contacts: 6,
      paymentMethods: 1,
      seed: 71,
    });
    let worker = spawnWorker(e);
    children.push(worker);
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    await waitForInitialSync(e, t.tenantId, 45_000);
    // An order notification the app had received (its payload names the buyer).
    await e.db.sql`
      insert into webhook_inbox (provider, event_id, tenant_id, event_type, payload)
      values ('zydon', 'ev-purge-1', ${t.tenantId}, 'order.created', '{"partner":{"name":"Comprador"}}'::jsonb)`;
    const before = await holdings(t);
    expect(before.customer_links, "customers were linked by the sync").toBeGreaterThan(0);
    expect(before.ledger).toBeGreaterThan(0);

    // Uninstalled, and its retention window has just ended (the test stands in for the 30 days).
    await new TenantsRepository(e.db.db).setState(t.tenantId, "paused");
    await new CredentialsRepository(e.db.db, secretBoxFromConfig(e.env)).schedulePurge(
      t.tenantId,
      new Date(Date.now() - 1_000),
    );

    // Hold the customer links so the purge blocks inside its transaction, then kill the worker there.
    const lock = await e.db.sql.reserve();
    await lock`begin`;
    await lock`select id from entity_links where tenant_id = ${t.tenantId} and entity = 'customer' for update`;
    await e.worker.deps.producer.enqueue("purge-secrets", {});
    await waitFor(
      "the purge blocked inside its transaction",
      async () => {
        const [r] = await e.db.sql`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query ilike '%delete from "entity_links"%'`;
        return (r?.n ?? 0) > 0;
      },
      20_000,
    );
    await worker.kill("SIGKILL");
    await lock`rollback`;
    lock.release();
    const afterKill = await holdings(t);

    worker = spawnWorker(e);
    children.push(worker);
    const restarted = Date.now();
    await waitFor(
      "the purge finished by the restarted worker",
      async () => {
        const h = await holdings(t);
        return h.customer_links === 0 && h.zydon_secrets === 0 && h.bling_secrets === 0;
      },
      30_000,
    );
    reportRecovery("retention purge finished after the worker SIGKILL", Date.now() - restarted);
    const after = await holdings(t);
    const audit = await new PersonalDataRepository(e.db.db).purgeAudit(t.tenantId);
    const cursors = (
      await e.db.sql`
      select stream from sync_cursors where tenant_id = ${t.tenantId} order by stream`
    ).map((r) => r.stream);
    console.log(
      `[resilience] uninstall purge: before ${JSON.stringify(before)}; after ${JSON.stringify(after)}; cursors left ${cursors.join(", ")}`,
    );
    const expected = {
      customer_links: 0,
      other_links: before.other_links,
      ledger: 0,
      inbox: 0,
      readiness: 0,
      zydon_secrets: 0,
      bling_secrets: 0,
      company_names: 0,
    };
    const ok =
      JSON.stringify(afterKill) === JSON.stringify(before) &&
      JSON.stringify(after) === JSON.stringify(expected);
    tally.record("worker SIGKILLed inside the retention purge", {
      survived: ok,
      lost: 0,
      duplicated: 0,
      detail: `after kill ${JSON.stringify(afterKill)}, after restart ${JSON.stringify(after)}`,
    });
    // All or nothing: the killed purge left every row and every secret.
    expect(afterKill).toEqual(before);
    // Exactly what remains: the catalog's links (ids and SKUs), no personal data, no secret.
    expect(after).toEqual(expected);
    expect(before.other_links).toBeGreaterThan(0);
    expect(cursors).not.toContain("readiness");
    expect(audit).toMatchObject([
      { by: "retention", counts: { customerLinks: before.customer_links, inboxRows: 1 } },
    ]);
    await worker.kill("SIGTERM");
  }, 120_000);
});
