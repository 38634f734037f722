import { createLogger } from "@zb/config";
import {
  CursorsRepository,
  LedgerRepository,
  LinksRepository,
  SyncRunsRepository,
  TenantsRepository,
  WebhookInboxRepository,
} from "@zb/db";
import { allowMassChange } from "@zb/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

function as(session: string, method: "GET" | "POST", url: string) {
  return h.api.inject({ method, url, headers: { authorization: `Bearer ${session}` } });
}
const state = async (session: string) => (await as(session, "GET", "/api/settings/state")).json();

async function blingWebhook(tenantId: string, eventId: string) {
  await new WebhookInboxRepository(h.db.db).insertOnce({
    provider: "bling",
    eventId,
    tenantId,
    eventType: "stock.updated",
    payload: {},
  });
}

describe("GET /api/settings/state: one truthful state", () => {
  it("not connected → first sync → active → paused with N waiting → catching up → disconnected", async () => {
    const { orgId, tenantId } = await h.install("Estados");
    const session = await h.session(orgId);
    const first = await state(session);
    expect(first).toMatchObject({ state: "not_connected", canSync: false, canPause: false });
    expect(first.title).not.toContain("Ativa");

    const acc = h.bling.createAccount("Estados Ltda");
    expect((await h.connectBling(session, acc.accountId)).status).toBe(302);
    const runs = new SyncRunsRepository(h.db.db);
    const run = await runs.create({ tenantId, kind: "initial", entity: "products" });
    expect((await state(session)).state).toBe("first_sync");

    const tenants = new TenantsRepository(h.db.db);
    await tenants.markInitialSyncDone(tenantId);
    await runs.finish(run.id, "done");
    const active = await state(session);
    expect(active).toMatchObject({ state: "active", title: "Ativa", canSync: true });

    expect((await as(session, "POST", "/api/settings/pause")).statusCode).toBe(200);
    await blingWebhook(tenantId, "ev-1");
    await blingWebhook(tenantId, "ev-2");
    const paused = await state(session);
    expect(paused).toMatchObject({ state: "paused", waiting: 2, canSync: false, canPause: true });
    expect(paused.detail).toContain("2 alterações recebidas do Bling aguardam");

    expect((await as(session, "POST", "/api/settings/resume")).statusCode).toBe(200);
    await blingWebhook(tenantId, "ev-after");
    const resuming = await state(session);
    expect(resuming).toMatchObject({ state: "catching_up", waiting: 2 });
    // The catch-up poll ran (its cursor moved past the resume): active again.
    await new Promise((r) => setTimeout(r, 5));
    await new CursorsRepository(h.db.db).set(tenantId, "poll:products", {
      productsSince: new Date().toISOString(),
    });
    expect((await state(session)).state).toBe("active");

    const off = await as(session, "POST", "/api/settings/bling/disconnect");
    expect(off.statusCode).toBe(200);
    // Desconectar ended every session of the tenant; this tab goes on with the one in the answer.
    expect(await state(off.json().session.token)).toMatchObject({ state: "not_connected", canSync: false });
  });
});

describe("POST /api/settings/guards/:guard/release: Aplicar mesmo assim", () => {
  it("releases a held stock pass once, records who released it and queues the pass again", async () => {
    const { orgId, tenantId } = await h.install("Retida");
    const session = await h.session(orgId);
    const acc = h.bling.createAccount("Retida Ltda");
    await h.connectBling(session, acc.accountId);
    await new TenantsRepository(h.db.db).markInitialSyncDone(tenantId);
    const ctx = {
      db: h.db.db,
      tenantId,
      now: () => new Date(),
      log: createLogger({ level: "silent" }),
    };
    // Nothing held: nothing to release.
    const nothing = await as(session, "POST", "/api/settings/guards/stock/release");
    expect(nothing.statusCode).toBe(409);
    expect(nothing.json()).toMatchObject({ released: false });

    // 30 products zeroed at once (floor 10): held.
    expect(await allowMassChange(ctx, "stock", 30, 0.2)).toBe(false);
    const held = await state(session);
    expect(held.state).toBe("attention");
    expect(held.attention).toMatchObject([{ setting: "stock.zeroGuard", guard: "stock" }]);

    const before = (await h.jobs({ tenantId, name: "initial-sync-start" })).length;
    const r = await as(session, "POST", "/api/settings/guards/stock/release");
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ released: true });
    expect(r.json().message).toContain("Atualização de estoque liberada");
    expect((await h.jobs({ tenantId, name: "initial-sync-start" })).length).toBe(before + 1);
    // The breaker lets the pass through now, the entry is closed and the release is on record.
    expect(await allowMassChange(ctx, "stock", 30, 0.2)).toBe(true);
    expect((await state(session)).state).toBe("active");
    const rows = await new LedgerRepository(h.db.db).list({ tenantId, entity: "settings" });
    expect(rows.items.map((i) => i.reason)).toContain(
      "Atualização de estoque liberada pelo lojista (aplicar mesmo assim).",
    );
    // Once: a second click finds nothing held.
    expect((await as(session, "POST", "/api/settings/guards/stock/release")).statusCode).toBe(409);
    expect((await as(session, "POST", "/api/settings/guards/nada/release")).statusCode).toBe(404);
  });
});

describe("POST /api/settings/preview: the effect before saving", () => {
  it("says how many products a depósito or price change recomputes, and saves nothing", async () => {
    const { orgId, tenantId } = await h.install("Prévia");
    const session = await h.session(orgId);
    const acc = h.bling.createAccount("Prévia Ltda");
    expect((await h.connectBling(session, acc.accountId)).status).toBe(302);
    h.bling.sim.control.upsertDeposit(acc.accountId, { id: 14887164851, descricao: "Galpão 1" });
    h.bling.sim.control.upsertDeposit(acc.accountId, { id: 14887164852, descricao: "Galpão 2" });
    const preview = (payload: object) =>
      h.api.inject({
        method: "POST",
        url: "/api/settings/preview",
        headers: { authorization: `Bearer ${session}` },
        payload,
      });
    const current = (await as(session, "GET", "/api/settings")).json();
    const twoDeposits = {
      ...current,
      stock: { depositIds: ["14887164851", "14887164852"], balance: "virtual" },
    };
    // Nothing synced yet: nothing to recompute.
    expect((await preview(twoDeposits)).json()).toEqual({ effects: [] });
    const links = new LinksRepository(h.db.db);
    for (let i = 1; i <= 3; i++)
      await links.upsert({
        tenantId,
        entity: "product",
        blingId: String(500 + i),
        zydonId: `zp-${i}`,
        naturalKey: `SKU-${i}`,
        data: { kind: "simple" },
      });
    // A parent is not on sale by itself: not counted.
    await links.upsert({
      tenantId,
      entity: "product",
      blingId: "600",
      zydonId: "zp-p",
      data: { kind: "parent" },
    });

    expect((await preview(current)).json()).toEqual({ effects: [] });
    expect((await preview(twoDeposits)).json().effects).toEqual([
      {
        kind: "stock",
        affected: 3,
        message:
          "Isto muda o estoque de 3 produtos e variações à venda no Zydon: ele passa a vir da soma de 2 depósitos (saldo disponível).",
      },
    ]);
    // From a loja back to the base price.
    await new TenantsRepository(h.db.db).updateSettings(tenantId, {
      ...current,
      price: { source: "store", blingStoreId: "203950523", zydonPriceTableId: "t" },
    });
    const price = (await preview(current)).json();
    expect(price.effects).toMatchObject([{ kind: "price", affected: 3 }]);
    expect(price.effects[0].message).toContain("volta a ser o preço base do Bling");
    expect((await preview({ stock: "nada" })).statusCode).toBe(400);
    // An id the save would refuse is answered with the save's errors, not previewed for confirmation.
    const bad = await preview({ ...current, stock: { depositIds: ["99999999999"], balance: "virtual" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual({ "stock.depositIds.0": "Depósito 99999999999 não existe no Bling." });
    // Nothing was saved by any preview.
    expect((await as(session, "GET", "/api/settings")).json().stock).toEqual(current.stock);
  });
});
