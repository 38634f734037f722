import { AlertsRepository, LedgerRepository, TenantsRepository } from "@zb/db";
import { describe, expect, it } from "vitest";
import { useSyncTestDatabase } from "../test-support/test-context.js";
import type { AlertSettingsInput } from "./alert-settings.js";
import { ALERT_MAX_TRIES, type AlertTransport, deliverAlert, readDeliveries } from "./deliver.js";
import { watchAlerts } from "./watch.js";

const t = useSyncTestDatabase();
const PAGE = "https://admin.zydon.test/store/apps/zydon-bling/";
const HOOK = "https://hooks.slack.test/services/T000/B000/segredo-do-webhook";
const silent = { info() {}, warn() {}, error() {}, debug() {} };

function fakeTransport() {
  const mails: Array<{ to: string[]; subject: string; text: string; html: string }> = [];
  const hooks: Array<{ url: string; body: Record<string, unknown> }> = [];
  const fail = { mail: false, hook: false };
  const transport: AlertTransport = {
    mailConfigured: true,
    async sendMail(m) {
      if (fail.mail)
        throw Object.assign(new Error("550 mailbox unavailable for smtp://user:pw@x"), { responseCode: 550 });
      mails.push(m);
    },
    async postWebhook(url, body) {
      if (fail.hook) throw new Error("o endereço hooks.slack.test respondeu 500.");
      hooks.push({ url, body });
    },
  };
  return { transport, mails, hooks, fail };
}

/** One tenant with alert settings, and a watcher whose raised alerts are delivered at once. */
async function tenantWithAlerts(settings: AlertSettingsInput = { emails: ["dono@loja.com.br"] }) {
  const tenantId = await t.newTenant();
  await new TenantsRepository(t.db).setState(tenantId, "active");
  const repo = new AlertsRepository(t.db);
  await repo.saveConfig(tenantId, settings as Record<string, unknown>);
  const fake = fakeTransport();
  const delivered: number[] = [];
  let clock = new Date("2026-12-03T15:00:00Z");
  const watch = () =>
    watchAlerts({
      db: t.db,
      log: silent,
      now: () => clock,
      deliver: async (tid, id) => {
        if (tid !== tenantId) return;
        delivered.push(id);
        await deliverAlert(
          { db: t.db, transport: fake.transport, pageUrl: PAGE, log: silent, now: () => clock },
          id,
        );
      },
    });
  const mine = async () => (await repo.recent(tenantId, 50)).reverse();
  return {
    tenantId,
    repo,
    fake,
    delivered,
    watch,
    mine,
    advance(ms: number) {
      clock = new Date(clock.getTime() + ms);
    },
    get now() {
      return clock;
    },
  };
}

async function failOrder(tenantId: string, zydonOrderId: string, reason: string) {
  await new LedgerRepository(t.db).record({
    tenantId,
    entity: "order",
    entityKey: zydonOrderId,
    action: "export",
    outcome: "failed",
    reason,
    retryable: true,
  });
}

describe("alerts", () => {
  it("sends a failed order once, with what happened, what to do and the link; the next within the hour is counted, not sent", async () => {
    const w = await tenantWithAlerts();
    await failOrder(w.tenantId, "PED-1001", "O SKU CAM-9 não existe no Bling.");
    await w.watch();
    await w.watch(); // the same occurrence: nothing new
    expect(w.fake.mails).toHaveLength(1);
    const mail = w.fake.mails[0];
    expect(mail?.to).toEqual(["dono@loja.com.br"]);
    expect(mail?.subject).toBe("Pedido PED-1001 não foi enviado ao Bling");
    expect(mail?.text).toContain("Motivo: O SKU CAM-9 não existe no Bling.");
    expect(mail?.text).toContain("O que fazer: Corrija o motivo acima e clique em “Tentar de novo”");
    expect(mail?.text).toContain(`Abrir o app: ${PAGE}`);
    expect(mail?.html).toContain(`<a href="${PAGE}">Abrir o app</a>`);

    w.advance(10 * 60_000);
    await failOrder(w.tenantId, "PED-1002", "Cliente sem CPF/CNPJ.");
    await w.watch();
    expect(w.fake.mails).toHaveLength(1);
    const rows = await w.mine();
    expect(rows.map((r) => [r.kind, r.status])).toEqual([
      ["order_failed", "sent"],
      ["order_failed", "suppressed"],
    ]);
    expect(rows[0]?.suppressedCount).toBe(1);

    // An hour after the sent one, the next occurrence goes out.
    w.advance(51 * 60_000);
    await failOrder(w.tenantId, "PED-1003", "Forma de pagamento recusada.");
    await w.watch();
    expect(w.fake.mails.map((m) => m.subject)).toEqual([
      "Pedido PED-1001 não foi enviado ao Bling",
      "Pedido PED-1003 não foi enviado ao Bling",
    ]);
  });

  it("alerts on reconnecting Bling, the daily-limit pause and a rejected NF-e, each of its own kind", async () => {
    const w = await tenantWithAlerts({ emails: ["dono@loja.com.br"], webhookUrl: HOOK });
    const tenants = new TenantsRepository(t.db);
    await tenants.setBlingPausedUntil(w.tenantId, new Date("2026-12-04T03:00:00Z"));
    await new LedgerRepository(t.db).record({
      tenantId: w.tenantId,
      entity: "nfe",
      entityKey: "PED-77",
      action: "emit",
      outcome: "failed",
      reason: "NF-e 123 rejeitada pela SEFAZ: 539 Duplicidade de NF-e.",
      retryable: true,
    });
    await w.watch();
    await tenants.setState(w.tenantId, "needs_reauth");
    await w.watch();
    const subjects = w.fake.mails.map((m) => m.subject).sort();
    expect(subjects).toEqual(
      [
        "Limite diário do Bling atingido: sincronização pausada até 04/12/2026, 00:00",
        "NF-e do pedido PED-77 não foi emitida",
        "Reconecte o Bling: a sincronização está parada",
      ].sort(),
    );
    // The webhook got the same three, Slack-style, and no alert carries the webhook's own URL.
    expect(w.fake.hooks).toHaveLength(3);
    expect(w.fake.hooks.every((h) => typeof h.body.text === "string" && h.url === HOOK)).toBe(true);
    const everything = JSON.stringify([w.fake.mails, w.fake.hooks.map((h) => h.body), await w.mine()]);
    expect(everything).not.toContain("segredo-do-webhook");
    expect(everything).toContain("Reconectar ao Bling");
  });

  it("says when nothing succeeded for N minutes while webhooks wait, and stays quiet when work moves", async () => {
    const w = await tenantWithAlerts({ emails: ["dono@loja.com.br"], stalledMinutes: 30 });
    await t.sql`insert into webhook_inbox (provider, event_id, tenant_id, event_type, payload, received_at)
      values ('bling', ${`ev-${w.tenantId}`}, ${w.tenantId}, 'stock.updated', '{}'::jsonb, ${new Date(w.now.getTime() - 45 * 60_000).toISOString()})`;
    await new LedgerRepository(t.db).record({
      tenantId: w.tenantId,
      entity: "stock",
      entityKey: "CAM-1",
      action: "update",
      outcome: "synced",
    });
    await t.sql`update sync_ledger set updated_at = ${new Date(w.now.getTime() - 10 * 60_000).toISOString()} where tenant_id = ${w.tenantId}`;
    await w.watch();
    expect(w.fake.mails).toHaveLength(0); // a success 10 minutes ago: not stalled

    w.advance(25 * 60_000); // the last success is now 35 minutes old
    await w.watch();
    expect(w.fake.mails.map((m) => m.subject)).toEqual([
      "Nenhuma sincronização há mais de 30 minutos, com trabalho pendente",
    ]);
    expect(w.fake.mails[0]?.text).toMatch(/desde \d\d\/\d\d\/2026, \d\d:\d\d/);
  });

  it("announces the first sync with its counts once, and honors kinds turned off and a tenant without channel", async () => {
    const w = await tenantWithAlerts({ emails: ["dono@loja.com.br"], kinds: { order_failed: false } });
    await t.sql`insert into sync_runs (tenant_id, kind, entity, status, done, skipped, failed)
      values (${w.tenantId}, 'initial', 'products', 'done', 106, 9, 0),
             (${w.tenantId}, 'initial', 'customers', 'done', 65, 0, 0)`;
    await t.sql`update tenants set initial_sync_done_at = ${new Date(w.now.getTime() - 60_000).toISOString()} where id = ${w.tenantId}`;
    await failOrder(w.tenantId, "PED-5", "Recusado.");
    await w.watch();
    await w.watch();
    expect(w.fake.mails.map((m) => m.subject)).toEqual([
      "Primeira sincronização concluída, com 9 itens a revisar",
    ]);
    expect(w.fake.mails[0]?.text).toContain(
      "106 produtos sincronizados (9 ignorados); 65 clientes sincronizados",
    );

    const quiet = await tenantWithAlerts({ emails: [] });
    await failOrder(quiet.tenantId, "PED-6", "Recusado.");
    await quiet.watch();
    expect(await quiet.mine()).toEqual([]);
  });

  it("retries a failed channel without sending the other again, and gives up after its tries with the reason kept", async () => {
    const w = await tenantWithAlerts({ emails: ["dono@loja.com.br"], webhookUrl: HOOK });
    w.fake.fail.hook = true;
    await failOrder(w.tenantId, "PED-9", "Recusado.");
    await w.watch();
    const [alert] = await w.mine();
    if (!alert) throw new Error("no alert");
    expect(alert.status).toBe("pending");
    const deps = { db: t.db, transport: w.fake.transport, pageUrl: PAGE, log: silent };
    for (let i = 2; i < ALERT_MAX_TRIES; i++) expect((await deliverAlert(deps, alert.id)).kind).toBe("retry");
    expect((await deliverAlert(deps, alert.id)).kind).toBe("failed");
    const row = await w.repo.get(alert.id);
    expect(row?.status).toBe("failed");
    const d = readDeliveries(row?.deliveries);
    expect(d.email).toMatchObject({ status: "sent", tries: 1, target: "1 destinatário" });
    expect(d.webhook).toMatchObject({
      status: "failed",
      tries: ALERT_MAX_TRIES,
      error: "o endereço hooks.slack.test respondeu 500.",
      target: "hooks.slack.test",
    });
    expect(w.fake.mails).toHaveLength(1);

    // A mail server's refusal is recorded in pt-BR, never with the library's raw text (it may echo credentials).
    const m = await tenantWithAlerts({ emails: ["dono@loja.com.br"] });
    m.fake.fail.mail = true;
    await failOrder(m.tenantId, "PED-10", "Recusado.");
    await m.watch();
    const [pending] = await m.mine();
    const e = readDeliveries(pending?.deliveries).email;
    expect(e?.error).toBe("o servidor de e-mail recusou a mensagem (código 550).");
    expect(JSON.stringify(pending)).not.toContain("user:pw");
  });

  it("hands a pending alert whose delivery job was lost to delivery again, once it is stale", async () => {
    const w = await tenantWithAlerts();
    const lost = await w.repo.raise({
      tenantId: w.tenantId,
      kind: "order_failed",
      dedupeKey: "lost-job",
      subject: "Pedido PED-404 não foi enviado ao Bling",
      facts: { zydonOrderId: "PED-404", reason: "Recusado." },
      throttleMs: 0,
      now: w.now,
    });
    if (lost.kind !== "raised") throw new Error("not raised");
    await t.sql`update alerts set updated_at = ${new Date(w.now.getTime() - 5 * 60_000).toISOString()} where id = ${lost.alert.id}`;
    await w.watch();
    expect(w.delivered).not.toContain(lost.alert.id); // a retry may still be waiting
    await t.sql`update alerts set updated_at = ${new Date(w.now.getTime() - 20 * 60_000).toISOString()} where id = ${lost.alert.id}`;
    await w.watch();
    expect(w.delivered).toContain(lost.alert.id);
    expect(w.fake.mails.map((m) => m.subject)).toContain("Pedido PED-404 não foi enviado ao Bling");
    expect((await w.repo.get(lost.alert.id))?.status).toBe("sent");
  });

  it("sends the daily summary once a day, from 08:00 in São Paulo", async () => {
    const w = await tenantWithAlerts({
      emails: ["dono@loja.com.br"],
      dailySummary: true,
      kinds: { stalled: false },
    });
    w.advance(-(15 - 10) * 3_600_000); // 10:00 UTC = 07:00 in São Paulo
    await w.watch();
    expect(w.fake.mails).toHaveLength(0);
    w.advance(3_600_000); // 08:00 there
    await new LedgerRepository(t.db).record({
      tenantId: w.tenantId,
      entity: "stock",
      entityKey: "CAM-1",
      action: "update",
      outcome: "synced",
    });
    await w.watch();
    w.advance(3_600_000);
    await w.watch();
    expect(w.fake.mails.map((m) => m.subject)).toEqual([
      "Resumo do dia 03/12/2026: 1 item sincronizado, 0 com falha",
    ]);
  });
});
