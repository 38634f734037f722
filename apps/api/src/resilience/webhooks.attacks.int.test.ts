import { signBlingPayload } from "@zb/bling";
import { AttackTally } from "@zb/e2e-kit";
import { testEnv } from "@zb/testing";
import { zydonAdapter } from "@zb/zydon";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import { expectNoSecretLeak, recordResponses, storedState, tenantRows } from "./attack-kit.js";

/**
 * Bad input at both webhook doors. Every refusal is checked three ways: the exact status, no inbox row,
 * no job. Acknowledged-but-ignored inputs (unknown company, duplicates) are checked the same way.
 */
let h: Harness;
let responses: string[];
let companyId: string;
let orgId: string;
let tenantId: string;
const tally = new AttackTally("webhooks.attacks");
const pluginKey = testEnv().ZYDON_ACCESS_KEY as string;
let seq = 0;

function blingEvent(over: Record<string, unknown> = {}): string {
  seq++;
  return JSON.stringify({
    eventId: `01950000-${seq.toString(16).padStart(4, "0")}-7000-8000-a77ac4000000`,
    date: new Date(Date.now() - 1_000).toISOString().replace(/\.\d+Z$/, "Z"),
    version: "v1",
    event: "stock.updated",
    companyId,
    data: {
      produto: { id: 16_000_000_000 + seq },
      deposito: { id: 14_887_164_854, saldoFisico: 5, saldoVirtual: 4 },
      operacao: "E",
      quantidade: 2,
      saldoFisicoTotal: 5,
      saldoVirtualTotal: 4,
      // Accents make "same JSON, different bytes" easy: JSON.stringify keeps them, \u escapes do not.
      observacoes: "Ajuste de inventário — depósito São João",
    },
    ...over,
  });
}

function postBling(body: string | Buffer, headers: Record<string, string | undefined>) {
  const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return h.api.inject({ method: "POST", url: "/webhooks/bling", headers: clean, payload: body });
}

const json = { "content-type": "application/json" };

function zydonOrder(orderId: string, opts: { key?: string; org?: string; now?: Date } = {}) {
  const rawBody = zydonAdapter.orderWebhookBody({
    orderId,
    organizationId: opts.org ?? orgId,
    amountValue: 250.1,
    createdAt: new Date().toISOString(),
  });
  const headers = zydonAdapter.signedHeaders({
    accessKey: opts.key ?? pluginKey,
    rawBody,
    now: opts.now ?? new Date(),
    event: zydonAdapter.ORDER_WEBHOOK_EVENT,
    deliveryId: `del-${orderId}-${Math.random()}`,
  });
  return { rawBody, headers };
}

function postZydon(body: string, headers: Record<string, string>) {
  return h.api.inject({ method: "POST", url: "/webhooks/zydon/orders", headers, payload: body });
}

/** Runs `attack`, then proves it stored and queued nothing. */
async function refusedWithoutTrace(
  label: string,
  status: number,
  attack: () => Promise<LightMyRequestResponse>,
) {
  const before = await storedState(h);
  const res = await attack();
  tally.expectStatus(label, res, status);
  expect(await storedState(h), `${label} left a trace`).toEqual(before);
  return res;
}

beforeAll(async () => {
  h = await createHarness({ rateLimits: { public: 10_000, webhooks: 100_000 } });
  responses = recordResponses(h);
  const installed = await h.install("Ataques Webhook");
  orgId = installed.orgId;
  tenantId = installed.tenantId;
  const acc = h.bling.createAccount("Ataques Webhook Ltda");
  companyId = acc.companyId;
  expect((await h.connectBling(await h.session(orgId), acc.accountId)).status).toBe(302);
});

afterAll(async () => {
  tally.flush();
  await h?.close();
});

describe("POST /webhooks/bling with bad input", () => {
  it("a correctly signed event is accepted (the baseline the attacks below differ from)", async () => {
    const body = blingEvent();
    const res = await postBling(body, { ...json, "x-bling-signature-256": h.bling.sign(body) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "accepted" });
  });

  it("forged signatures → 401", async () => {
    const body = blingEvent();
    const forgeries = {
      "signed with another secret": signBlingPayload(body, "not-the-client-secret"),
      "random hex of the right length": `sha256=${"7f".repeat(32)}`,
      "right hex without the sha256= prefix": h.bling.sign(body).replace(/^sha256=/, ""),
      "one hex digit changed": h.bling.sign(body).replace(/.$/, (c) => (c === "0" ? "1" : "0")),
      "signature of another event": h.bling.sign(blingEvent()),
      "truncated signature": h.bling.sign(body).slice(0, 40),
    };
    for (const [name, sig] of Object.entries(forgeries)) {
      const r = await refusedWithoutTrace(`bling forged: ${name}`, 401, () =>
        postBling(body, { ...json, "x-bling-signature-256": sig }),
      );
      expect(r.json()).toEqual({ error: "invalid_signature", message: "Assinatura do webhook inválida." });
    }
  });

  it("missing or empty signature → 401", async () => {
    const body = blingEvent();
    await refusedWithoutTrace("bling missing signature", 401, () => postBling(body, json));
    await refusedWithoutTrace("bling empty signature", 401, () =>
      postBling(body, { ...json, "x-bling-signature-256": "" }),
    );
    await refusedWithoutTrace("bling signature in another header", 401, () =>
      postBling(body, { ...json, "x-hub-signature-256": h.bling.sign(body) }),
    );
  });

  it("re-serialized body (same JSON, different bytes) → 401", async () => {
    const body = blingEvent();
    const signature = h.bling.sign(body);
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const variants = {
      pretty: JSON.stringify(parsed, null, 2),
      "keys reordered": JSON.stringify(Object.fromEntries(Object.entries(parsed).reverse())),
      "unicode escaped": body.replace(
        /[^ -~]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
      ),
      "trailing newline": `${body}\n`,
    };
    for (const [name, variant] of Object.entries(variants)) {
      expect(JSON.parse(variant)).toEqual(parsed);
      expect(variant).not.toBe(body);
      await refusedWithoutTrace(`bling re-serialized: ${name}`, 401, () =>
        postBling(variant, { ...json, "x-bling-signature-256": signature }),
      );
    }
  });

  it("truncated body → 401 under the original signature, 400 when the truncated bytes are signed", async () => {
    const body = blingEvent();
    const cut = body.slice(0, Math.floor(body.length / 2));
    await refusedWithoutTrace("bling truncated, original signature", 401, () =>
      postBling(cut, { ...json, "x-bling-signature-256": h.bling.sign(body) }),
    );
    const res = await refusedWithoutTrace("bling truncated, signed", 400, () =>
      postBling(cut, { ...json, "x-bling-signature-256": h.bling.sign(cut) }),
    );
    expect(res.json()).toEqual({ error: "malformed_webhook", message: "body is not valid JSON" });
    await refusedWithoutTrace("bling empty body, signed", 400, () =>
      postBling("", { ...json, "x-bling-signature-256": h.bling.sign("") }),
    );
    // Valid JSON, correctly signed, but not an event envelope.
    for (const notAnEvent of ["null", "[]", '"stock.updated"', "42", "{}"]) {
      await refusedWithoutTrace(`bling signed ${notAnEvent}`, 400, () =>
        postBling(notAnEvent, { ...json, "x-bling-signature-256": h.bling.sign(notAnEvent) }),
      );
    }
  });

  it("huge bodies → 413 before any signature work", async () => {
    for (const kib of [257, 1_100]) {
      const body = blingEvent({ data: { produto: { id: 1 }, filler: "x".repeat(kib * 1024) } });
      const res = await refusedWithoutTrace(`bling ${kib} KiB body`, 413, () =>
        postBling(body, { ...json, "x-bling-signature-256": h.bling.sign(body) }),
      );
      expect(res.json()).toEqual({ error: "payload_too_large", message: "Conteúdo grande demais." });
    }
  });

  it("a huge body streamed without Content-Length (chunked) → 413 too", async () => {
    const before = await storedState(h);
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 20) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${h.apiUrl}/webhooks/bling`, {
      method: "POST",
      headers: { ...json, "x-bling-signature-256": `sha256=${"0".repeat(64)}` },
      body: stream,
      duplex: "half",
    } as RequestInit);
    tally.expectStatus("bling 1.25 MiB chunked body", { statusCode: res.status }, 413);
    expect(await storedState(h)).toEqual(before);
  });

  it("unknown company id → 200 unknown_tenant (Bling would retry a refusal for days), nothing stored", async () => {
    for (const id of ["ffffffffffffffffffffffffffffffff", "0", "' or 1=1 --"]) {
      const body = blingEvent({ companyId: id });
      const res = await refusedWithoutTrace(`bling unknown company ${id}`, 200, () =>
        postBling(body, { ...json, "x-bling-signature-256": h.bling.sign(body) }),
      );
      expect(res.json()).toEqual({ status: "unknown_tenant" });
    }
  });

  it("wrong content type → 415, even when correctly signed", async () => {
    const body = blingEvent();
    const sig = h.bling.sign(body);
    for (const ct of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
    ]) {
      const res = await refusedWithoutTrace(`bling content-type ${ct}`, 415, () =>
        postBling(body, { "content-type": ct, "x-bling-signature-256": sig }),
      );
      expect(res.json().error).toBe("unsupported_media_type");
    }
    await refusedWithoutTrace("bling no content-type", 415, () =>
      postBling(Buffer.from(body), { "x-bling-signature-256": sig }),
    );
    // The same bytes with the right type and charset parameter are fine: the 415s were about the type.
    const ok = await postBling(body, {
      "content-type": "application/json; charset=utf-8",
      "x-bling-signature-256": sig,
    });
    expect(ok.json()).toEqual({ status: "accepted" });
  });

  it("a NUL inside a signed event is cleaned, not a 500 (Postgres cannot store it)", async () => {
    const body = blingEvent({
      event: "product.updated",
      data: { id: 16_000_009_999, nome: "Caneta\u0000Azul" },
    });
    expect(body).toContain("\\u0000");
    const res = await postBling(body, { ...json, "x-bling-signature-256": h.bling.sign(body) });
    tally.expectStatus("bling event with a NUL in a string", res, 200);
    expect(res.json()).toEqual({ status: "accepted" });
    const eventId = (JSON.parse(body) as { eventId: string }).eventId;
    const rows = await h.db.sql`select payload from webhook_inbox where event_id = ${eventId}`;
    expect(rows).toHaveLength(1);
    const payload = rows[0]?.payload as { data: { nome: string } };
    expect(payload.data.nome).toBe("CanetaAzul");
  });

  it("signed events named after Object.prototype members are unknown events, not a 500", async () => {
    // `kind in dataSchemas` matched inherited names: "constructor" picked Object and threw on safeParse.
    for (const event of ["constructor", "__proto__", "toString", "hasOwnProperty", "constructor.created"]) {
      const body = blingEvent({ event });
      const res = await postBling(body, { ...json, "x-bling-signature-256": h.bling.sign(body) });
      tally.expectStatus(`bling signed event "${event}"`, res, 200);
      expect(res.json()).toEqual({ status: "accepted" });
      const eventId = (JSON.parse(body) as { eventId: string }).eventId;
      const rows = await h.db.sql`select event_type from webhook_inbox where event_id = ${eventId}`;
      expect(rows.map((r) => r.event_type)).toEqual([event]);
    }
  });

  it("duplicated delivery (sequential and concurrent) → one inbox row, one job", async () => {
    const body = blingEvent();
    const eventId = (JSON.parse(body) as { eventId: string }).eventId;
    const headers = { ...json, "x-bling-signature-256": h.bling.sign(body) };
    const jobsBefore = (await h.jobs({ name: "bling-webhook", tenantId })).length;
    const first = await postBling(body, headers);
    expect(first.json()).toEqual({ status: "accepted" });
    const again = [
      await postBling(body, headers),
      ...(await Promise.all(Array.from({ length: 8 }, () => postBling(body, headers)))),
    ];
    for (const [i, r] of again.entries()) {
      tally.expectStatus(`bling duplicate delivery #${i + 2}`, r, 200);
      expect(r.json()).toEqual({ status: "duplicate" });
    }
    const rows = await h.db
      .sql`select id from webhook_inbox where provider = 'bling' and event_id = ${eventId}`;
    expect(rows).toHaveLength(1);
    const jobs = await h.jobs({ name: "bling-webhook", tenantId });
    expect(jobs.length).toBe(jobsBefore + 1);
    expect(jobs.filter((j) => j.data.inboxId === Number(rows[0]?.id))).toHaveLength(1);
  });

  it("another tenant's event with the same event id is its own row and job, never a duplicate of ours", async () => {
    // The inbox key was (provider, eventId): tenant B's delivery deduped against tenant A's row and re-queued
    // a job pairing B's tenant id with A's row id.
    const other = await h.install("Ataques Webhook Outro");
    const accB = h.bling.createAccount("Ataques Webhook Outro Ltda");
    expect((await h.connectBling(await h.session(other.orgId), accB.accountId)).status).toBe(302);
    const bodyA = blingEvent();
    const eventId = (JSON.parse(bodyA) as { eventId: string }).eventId;
    const a = await postBling(bodyA, { ...json, "x-bling-signature-256": h.bling.sign(bodyA) });
    expect(a.json()).toEqual({ status: "accepted" });
    const bodyB = JSON.stringify({ ...(JSON.parse(bodyA) as object), companyId: accB.companyId });
    const b = await postBling(bodyB, { ...json, "x-bling-signature-256": h.bling.sign(bodyB) });
    tally.expectStatus("bling event id reused by another tenant", b, 200);
    expect(b.json()).toEqual({ status: "accepted" });
    const rows = await h.db
      .sql`select id, tenant_id from webhook_inbox where event_id = ${eventId} order by id`;
    expect(rows.map((r) => r.tenant_id)).toEqual([tenantId, other.tenantId]);
    const jobsB = await h.jobs({ name: "bling-webhook", tenantId: other.tenantId });
    expect(jobsB.map((j) => j.data.inboxId)).toEqual([Number(rows[1]?.id)]);
    const jobsA = await h.jobs({ name: "bling-webhook", tenantId });
    expect(jobsA.filter((j) => j.data.inboxId === Number(rows[1]?.id))).toHaveLength(0);
  });

  it("a first delivery raced by its own copies still makes one row and one job", async () => {
    const body = blingEvent();
    const headers = { ...json, "x-bling-signature-256": h.bling.sign(body) };
    const jobsBefore = (await h.jobs({ name: "bling-webhook", tenantId })).length;
    const all = await Promise.all(Array.from({ length: 10 }, () => postBling(body, headers)));
    const outcomes = all.map((r) => (r.json() as { status: string }).status).sort();
    expect(outcomes.filter((o) => o === "accepted")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(9);
    for (const r of all) tally.expectStatus("bling concurrent first delivery", r, 200);
    const eventId = (JSON.parse(body) as { eventId: string }).eventId;
    expect(await h.db.sql`select 1 from webhook_inbox where event_id = ${eventId}`).toHaveLength(1);
    expect((await h.jobs({ name: "bling-webhook", tenantId })).length).toBe(jobsBefore + 1);
  });
});

describe("POST /webhooks/zydon/orders with bad input", () => {
  it("forged, missing and stale signatures → 401", async () => {
    const good = zydonOrder("ord-forjado");
    const sigHeader = Object.keys(good.headers).find((k) => /signature/i.test(k)) as string;
    const tsHeader = Object.keys(good.headers).find((k) => /timestamp/i.test(k)) as string;
    const forged = zydonOrder("ord-forjado", { key: "not-the-plugin-key" });
    await refusedWithoutTrace("zydon signed with another key", 401, () =>
      postZydon(forged.rawBody, forged.headers),
    );
    const { [sigHeader]: _s, ...noSig } = good.headers;
    await refusedWithoutTrace("zydon missing signature", 401, () => postZydon(good.rawBody, noSig));
    const { [tsHeader]: _t, ...noTs } = good.headers;
    await refusedWithoutTrace("zydon missing timestamp", 401, () => postZydon(good.rawBody, noTs));
    const stale = zydonOrder("ord-forjado", { now: new Date(Date.now() - 60 * 60_000) });
    await refusedWithoutTrace("zydon replay an hour later", 401, () =>
      postZydon(stale.rawBody, stale.headers),
    );
    await refusedWithoutTrace("zydon timestamp moved, signature kept", 401, () =>
      postZydon(good.rawBody, { ...good.headers, [tsHeader]: String(Number(good.headers[tsHeader]) + 1) }),
    );
  });

  it("re-serialized and truncated bodies → 401; huge → 413; wrong content type → 415", async () => {
    const good = zydonOrder("ord-bytes");
    const pretty = JSON.stringify(JSON.parse(good.rawBody), null, 1);
    await refusedWithoutTrace("zydon re-serialized", 401, () => postZydon(pretty, good.headers));
    await refusedWithoutTrace("zydon truncated", 401, () =>
      postZydon(good.rawBody.slice(0, good.rawBody.length - 5), good.headers),
    );
    const hugeBody = JSON.stringify({ ...JSON.parse(good.rawBody), filler: "y".repeat(300 * 1024) });
    const huge = zydonAdapter.signedHeaders({
      accessKey: pluginKey,
      rawBody: hugeBody,
      now: new Date(),
      event: zydonAdapter.ORDER_WEBHOOK_EVENT,
      deliveryId: "del-huge",
    });
    await refusedWithoutTrace("zydon huge body", 413, () => postZydon(hugeBody, huge));
    await refusedWithoutTrace("zydon text/plain", 415, () =>
      postZydon(good.rawBody, { ...good.headers, "content-type": "text/plain" }),
    );
  });

  it("unknown organization → 200 unknown_tenant, nothing stored", async () => {
    const o = zydonOrder("ord-de-ninguem", { org: "org-que-nao-existe" });
    const res = await refusedWithoutTrace("zydon unknown organization", 200, () =>
      postZydon(o.rawBody, o.headers),
    );
    expect(res.json()).toEqual({ status: "unknown_tenant" });
  });

  it("the same order delivered again (new delivery id, new signature) → one inbox row, one job", async () => {
    const jobsBefore = (await h.jobs({ name: "zydon-order-webhook", tenantId })).length;
    const first = zydonOrder("ord-dup");
    expect((await postZydon(first.rawBody, first.headers)).json()).toEqual({ status: "accepted" });
    const copies = await Promise.all(
      Array.from({ length: 5 }, () => {
        const c = zydonOrder("ord-dup");
        return postZydon(c.rawBody, c.headers);
      }),
    );
    for (const r of copies) {
      tally.expectStatus("zydon duplicate order delivery", r, 200);
      expect(r.json()).toEqual({ status: "duplicate" });
    }
    expect(await h.db.sql`select 1 from webhook_inbox where event_id = 'order:ord-dup'`).toHaveLength(1);
    expect((await h.jobs({ name: "zydon-order-webhook", tenantId })).length).toBe(jobsBefore + 1);
  });
});

describe("POST /webhooks/zydon/orders/updated with bad input (zydon-api.md §9 [ZS-233])", () => {
  function update(orderId: string, opts: { key?: string; org?: string; event?: string } = {}) {
    const rawBody = zydonAdapter.orderUpdateWebhookBody({
      orderId,
      organizationId: opts.org ?? orgId,
      statusId: "st-aprovado",
      kind: zydonAdapter.ORDER_UPDATE_KINDS.status,
      updatedAt: "2026-03-10T15:00:00.000Z",
    });
    const headers = zydonAdapter.signedHeaders({
      accessKey: opts.key ?? pluginKey,
      rawBody,
      now: new Date(),
      event: opts.event ?? zydonAdapter.ORDER_UPDATE_WEBHOOK_EVENT,
      deliveryId: `del-${orderId}-${Math.random()}`,
    });
    return { rawBody, headers };
  }
  const postUpdate = (body: string, headers: Record<string, string>) =>
    h.api.inject({ method: "POST", url: "/webhooks/zydon/orders/updated", headers, payload: body });

  it("forged, re-serialized, huge, wrong type, wrong event, no order → refused, nothing stored or queued", async () => {
    const forged = update("upd-forjado", { key: "not-the-plugin-key" });
    await refusedWithoutTrace("zydon update signed with another key", 401, () =>
      postUpdate(forged.rawBody, forged.headers),
    );
    const good = update("upd-bytes");
    await refusedWithoutTrace("zydon update re-serialized", 401, () =>
      postUpdate(JSON.stringify(JSON.parse(good.rawBody), null, 1), good.headers),
    );
    const hugeBody = JSON.stringify({ ...JSON.parse(good.rawBody), filler: "y".repeat(300 * 1024) });
    const huge = zydonAdapter.signedHeaders({
      accessKey: pluginKey,
      rawBody: hugeBody,
      now: new Date(),
      event: zydonAdapter.ORDER_UPDATE_WEBHOOK_EVENT,
      deliveryId: "del-upd-huge",
    });
    await refusedWithoutTrace("zydon update huge body", 413, () => postUpdate(hugeBody, huge));
    await refusedWithoutTrace("zydon update text/plain", 415, () =>
      postUpdate(good.rawBody, { ...good.headers, "content-type": "text/plain" }),
    );
    const created = update("upd-evento", { event: zydonAdapter.ORDER_WEBHOOK_EVENT });
    await refusedWithoutTrace("zydon order.created on the update URL", 400, () =>
      postUpdate(created.rawBody, created.headers),
    );
    const noOrder = JSON.stringify({ organization_id: orgId, status_id: "st-x" });
    await refusedWithoutTrace("zydon update without order", 400, () =>
      postUpdate(
        noOrder,
        zydonAdapter.signedHeaders({
          accessKey: pluginKey,
          rawBody: noOrder,
          now: new Date(),
          event: zydonAdapter.ORDER_UPDATE_WEBHOOK_EVENT,
          deliveryId: "del-upd-no-order",
        }),
      ),
    );
    const nobody = update("upd-de-ninguem", { org: "org-que-nao-existe" });
    const res = await refusedWithoutTrace("zydon update unknown organization", 200, () =>
      postUpdate(nobody.rawBody, nobody.headers),
    );
    expect(res.json()).toEqual({ status: "unknown_tenant" });
  });

  it("the same change delivered five times at once → one inbox row, one job", async () => {
    const jobsBefore = (await h.jobs({ name: "zydon-order-webhook", tenantId })).length;
    const copies = await Promise.all(
      Array.from({ length: 5 }, () => {
        const c = update("upd-dup");
        return postUpdate(c.rawBody, c.headers);
      }),
    );
    const outcomes = copies.map((r) => {
      tally.expectStatus("zydon duplicate update delivery", r, 200);
      return (r.json() as { status: string }).status;
    });
    expect(outcomes.filter((o) => o === "accepted")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(4);
    expect(
      await h.db.sql`select 1 from webhook_inbox where event_id like 'order-update:upd-dup:%'`,
    ).toHaveLength(1);
    expect((await h.jobs({ name: "zydon-order-webhook", tenantId })).length).toBe(jobsBefore + 1);
  });
});

describe("POST /zydon/notifications/* with bad input", () => {
  function notification(event: "install" | "uninstall", org: string, key = pluginKey) {
    const rawBody = zydonAdapter.notificationBody(org);
    return {
      rawBody,
      headers: zydonAdapter.signedHeaders({
        accessKey: key,
        rawBody,
        now: new Date(),
        event,
        deliveryId: `n-${Math.random()}`,
      }),
    };
  }
  async function tenants() {
    const all = [...(await h.db.sql`select id from tenants order by id`)];
    return { all, mine: await tenantRows(h, tenantId) };
  }
  function post(path: string, body: string, headers: Record<string, string>) {
    return h.api.inject({ method: "POST", url: path, headers, payload: body });
  }

  it("forged, wrong-event, non-JSON, huge → refused; the installed tenant is not uninstalled", async () => {
    const before = await tenants();
    const forged = notification("uninstall", orgId, "not-the-plugin-key");
    tally.expectStatus(
      "uninstall signed with another key",
      await post("/zydon/notifications/uninstall", forged.rawBody, forged.headers),
      401,
    );
    const good = notification("uninstall", orgId);
    const sig = Object.keys(good.headers).find((k) => /signature/i.test(k)) as string;
    const { [sig]: _s, ...unsigned } = good.headers;
    tally.expectStatus(
      "uninstall without signature",
      await post("/zydon/notifications/uninstall", good.rawBody, unsigned),
      401,
    );
    const install = notification("install", orgId);
    tally.expectStatus(
      "install event at the uninstall door",
      await post("/zydon/notifications/uninstall", install.rawBody, install.headers),
      400,
    );
    tally.expectStatus(
      "uninstall as text/plain",
      await post("/zydon/notifications/uninstall", good.rawBody, {
        ...good.headers,
        "content-type": "text/plain",
      }),
      415,
    );
    const other = notification("uninstall", "org-de-outra-pessoa");
    tally.expectStatus(
      "uninstall re-serialized for another organization",
      await post("/zydon/notifications/uninstall", other.rawBody, good.headers),
      401,
    );
    const hugeBody = JSON.stringify({ organization_id: orgId, filler: "z".repeat(300 * 1024) });
    const huge = zydonAdapter.signedHeaders({
      accessKey: pluginKey,
      rawBody: hugeBody,
      now: new Date(),
      event: "uninstall",
      deliveryId: "n-huge",
    });
    tally.expectStatus(
      "uninstall huge body",
      await post("/zydon/notifications/uninstall", hugeBody, huge),
      413,
    );
    expect(await tenants()).toEqual(before);
  });
});

describe("webhooks for an uninstalled tenant (issue 21 #6)", () => {
  it("are answered 200 ignored_uninstalled at both doors, and nothing is stored or queued", async () => {
    const gone = await h.install("Desinstalada Webhook");
    const acc = h.bling.createAccount("Desinstalada Webhook Ltda");
    expect((await h.connectBling(await h.session(gone.orgId), acc.accountId)).status).toBe(302);
    const rawBody = zydonAdapter.notificationBody(gone.orgId);
    const un = await h.api.inject({
      method: "POST",
      url: "/zydon/notifications/uninstall",
      payload: rawBody,
      headers: zydonAdapter.signedHeaders({
        accessKey: pluginKey,
        rawBody,
        now: new Date(),
        event: "uninstall",
        deliveryId: "del-uninstall-webhooks",
      }),
    });
    expect(un.statusCode).toBe(200);
    for (let i = 0; i < 3; i++) {
      const body = blingEvent({ companyId: acc.companyId });
      const res = await refusedWithoutTrace(`bling event ${i} for an uninstalled tenant`, 200, () =>
        postBling(body, { ...json, "x-bling-signature-256": h.bling.sign(body) }),
      );
      expect(res.json()).toEqual({ status: "ignored_uninstalled" });
      const o = zydonOrder(`ord-desinstalada-${i}`, { org: gone.orgId });
      const z = await refusedWithoutTrace(`zydon order ${i} for an uninstalled tenant`, 200, () =>
        postZydon(o.rawBody, o.headers),
      );
      expect(z.json()).toEqual({ status: "ignored_uninstalled" });
    }
  });
});

describe("secrets", () => {
  it("no secret in any log line or response of this file", () => {
    expect(tally.tried).toBeGreaterThan(30);
    expectNoSecretLeak(h, responses);
  });
});
