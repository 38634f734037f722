import { alertsResponseSchema, alertTestResponseSchema } from "@zb/contract";
import { AlertsRepository } from "@zb/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";

/** Issue 18 #1: the page's alert settings, the list of alerts and "Enviar alerta de teste". */
let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const HOOK = "https://hooks.slack.com/services/T0001/B0001/segredoDoWebhook123";
const good = {
  emails: ["Dono@Loja.com.br", "financeiro@loja.com.br"],
  webhookUrl: HOOK,
  kinds: {
    bling_reconnect: true,
    daily_limit: true,
    order_failed: true,
    nfe_failed: false,
    stalled: true,
    first_sync: true,
  },
  stalledMinutes: 45,
  dailySummary: true,
};

async function merchant(name: string) {
  const { orgId, tenantId } = await h.install(name);
  return { tenantId, session: await h.session(orgId) };
}

function call(session: string, method: "GET" | "PUT" | "POST", url: string, payload?: unknown) {
  return h.api.inject({
    method,
    url,
    headers: { authorization: `Bearer ${session}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
}

describe("alert settings and alerts", () => {
  it("starts with no recipient, saves what the page sends and never gives the webhook URL back", async () => {
    const m = await merchant("alerts-save");
    const first = alertsResponseSchema.parse((await call(m.session, "GET", "/api/settings/alerts")).json());
    expect(first).toEqual({
      settings: {
        emails: [],
        webhook: null,
        kinds: {
          bling_reconnect: true,
          daily_limit: true,
          order_failed: true,
          nfe_failed: true,
          stalled: true,
          first_sync: true,
        },
        stalledMinutes: 60,
        dailySummary: false,
      },
      items: [],
    });

    const saved = await call(m.session, "PUT", "/api/settings/alerts", good);
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({
      emails: ["dono@loja.com.br", "financeiro@loja.com.br"],
      webhook: { host: "hooks.slack.com" },
      kinds: { nfe_failed: false },
      stalledMinutes: 45,
      dailySummary: true,
    });
    const read = await call(m.session, "GET", "/api/settings/alerts");
    expect(read.body).not.toContain("segredoDoWebhook123");
    expect(saved.body).not.toContain("segredoDoWebhook123");

    // Saving without webhookUrl keeps it (the page never had it); null removes it.
    const { webhookUrl: _omit, ...withoutUrl } = good;
    await call(m.session, "PUT", "/api/settings/alerts", { ...withoutUrl, stalledMinutes: 30 });
    expect((await new AlertsRepository(h.db.db).getConfig(m.tenantId))?.webhookUrl).toBe(HOOK);
    const removed = await call(m.session, "PUT", "/api/settings/alerts", { ...good, webhookUrl: null });
    expect(removed.json().webhook).toBeNull();
    expect(h.logs.join("\n")).not.toContain("segredoDoWebhook123");
  });

  it("refuses bad values field by field, in pt-BR, and saves nothing", async () => {
    const m = await merchant("alerts-bad");
    const r = await call(m.session, "PUT", "/api/settings/alerts", {
      ...good,
      emails: ["dono@loja.com.br", "dono-sem-arroba", "dono@loja.com.br"],
      webhookUrl: "ftp://hooks.slack.com/x",
      stalledMinutes: 5,
      extra: 1,
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors).toEqual({
      "emails.1": 'E-mail "dono-sem-arroba" inválido: use o formato nome@empresa.com.br.',
      emails: "O mesmo e-mail foi informado mais de uma vez.",
      webhookUrl: "Endereço inválido: use um endereço https:// completo (como o de um webhook do Slack).",
      stalledMinutes: "Use pelo menos 15 minutos.",
      extra: "Campo desconhecido.",
    });
    const tooMany = await call(m.session, "PUT", "/api/settings/alerts", {
      ...good,
      emails: ["a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com", "f@x.com"],
    });
    expect(tooMany.json().errors).toEqual({ emails: "Informe no máximo 5 e-mails." });
    expect(await new AlertsRepository(h.db.db).getConfig(m.tenantId)).toBeUndefined();
    const notAnObject = await call(m.session, "PUT", "/api/settings/alerts", [good]);
    expect(notAnObject.statusCode).toBe(400);
    expect(notAnObject.json().errors).toEqual({ _: "Envie as configurações de alertas." });
  });

  it("sends a test alert through the saved channels, once a minute, listed for this tenant only", async () => {
    const m = await merchant("alerts-test");
    const other = await merchant("alerts-other");
    const none = await call(m.session, "POST", "/api/settings/alerts/test", {});
    expect(none.statusCode).toBe(409);
    expect(none.json().message).toBe(
      "Informe pelo menos um e-mail ou um webhook e salve antes de enviar o teste.",
    );

    await call(m.session, "PUT", "/api/settings/alerts", good);
    const sent = await call(m.session, "POST", "/api/settings/alerts/test", {});
    expect(sent.statusCode).toBe(202);
    const { alertId } = alertTestResponseSchema.parse(sent.json());
    // One delivery job, carrying ids only.
    const jobs = await h.jobs({ name: "alert-deliver", tenantId: m.tenantId });
    expect(jobs.map((j) => j.data)).toEqual([{ tenantId: m.tenantId, alertId }]);
    expect((await call(m.session, "POST", "/api/settings/alerts/test", {})).statusCode).toBe(429);

    const list = alertsResponseSchema.parse((await call(m.session, "GET", "/api/settings/alerts")).json());
    expect(list.items).toMatchObject([
      {
        id: alertId,
        kind: "test",
        subject: "Alerta de teste do Zydon ↔ Bling",
        status: "pending",
        channels: [],
      },
    ]);
    const theirs = alertsResponseSchema.parse(
      (await call(other.session, "GET", "/api/settings/alerts")).json(),
    );
    expect(theirs.items).toEqual([]);
  });

  it("answers only with a session", async () => {
    for (const [method, url] of [
      ["GET", "/api/settings/alerts"],
      ["PUT", "/api/settings/alerts"],
      ["POST", "/api/settings/alerts/test"],
    ] as const) {
      expect((await h.api.inject({ method, url, payload: {} })).statusCode).toBe(401);
    }
  });
});
