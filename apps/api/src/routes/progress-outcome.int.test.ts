import { progressSchema } from "@zb/contract";
import { CursorsRepository, LedgerRepository, SyncRunsRepository, TenantsRepository } from "@zb/db";
import { InitialSyncOrchestrator } from "@zb/sync";
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

async function connected(name: string) {
  const { orgId, tenantId } = await h.install(name);
  const session = await h.session(orgId);
  const acc = h.bling.createAccount(`${name} Ltda`);
  expect((await h.connectBling(session, acc.accountId)).status).toBe(302);
  return { tenantId, session };
}

const progress = async (session: string) =>
  progressSchema.parse((await as(session, "GET", "/api/settings/progress")).json());

describe("GET /api/settings/progress: one outcome per step and per pass", () => {
  it("a pass finished with skips: 'Concluída com 9 itens ignorados', and 'ver quais' lists exactly the run's skips", async () => {
    const { tenantId, session } = await connected("Resultado");
    const ledger = new LedgerRepository(h.db.db);
    // Skipped before this run: not one of "those".
    await ledger.record({
      tenantId,
      entity: "product",
      entityKey: "OLD-1",
      action: "import",
      outcome: "skipped",
    });
    await new Promise((r) => setTimeout(r, 20));

    const runs = new SyncRunsRepository(h.db.db);
    const pm = await runs.create({ tenantId, kind: "initial", entity: "payment_methods", total: 6 });
    await runs.start(pm.id);
    await runs.setProgress(pm.id, { done: 6, failed: 0, skipped: 0 });
    await runs.finish(pm.id, "done");
    const products = await runs.create({ tenantId, kind: "initial", entity: "products", total: 115 });
    await runs.start(products.id);
    await runs.setProgress(products.id, { done: 106, failed: 0, skipped: 9 });
    for (let i = 1; i <= 9; i++)
      await ledger.record({
        tenantId,
        entity: "product",
        entityKey: `SKU-${i}`,
        action: "import",
        outcome: "skipped",
        reason: "Produto sem código (SKU) no Bling.",
      });
    await runs.finish(products.id, "done");
    await new TenantsRepository(h.db.db).markInitialSyncDone(tenantId);

    const body = await progress(session);
    const startedAt = (await runs.get(products.id))?.startedAt?.toISOString();
    expect(body.outcome).toEqual({
      kind: "ok_with_skips",
      badge: "Concluída com avisos",
      sentence: "Concluída com 9 itens ignorados.",
      review: [{ outcome: "skipped", count: 9, label: "ver quais", entity: "product", since: startedAt }],
    });
    const rows = Object.fromEntries(body.entities.map((e) => [e.entity, e.outcome]));
    expect(rows.payment_methods).toMatchObject({ kind: "ok", badge: "Concluída", action: "resync" });
    expect(rows.products).toMatchObject({
      kind: "ok_with_skips",
      sentence: "Concluída com 9 itens ignorados.",
    });

    // The link's filter, as Histórico sends it: the 9 of this run, not the older one.
    const review = body.outcome?.review[0];
    const q = new URLSearchParams({
      entity: review?.entity ?? "",
      outcome: "skipped",
      onlyOpen: "true",
      since: review?.since ?? "",
      pageSize: "50",
    });
    const listed = (await as(session, "GET", `/api/settings/ledger?${q}`)).json();
    expect(listed.total).toBe(9);
    expect(listed.items.map((i: { entityKey: string }) => i.entityKey).sort()).toEqual(
      Array.from({ length: 9 }, (_, i) => `SKU-${i + 1}`).sort(),
    );
    const all = (await as(session, "GET", "/api/settings/ledger?outcome=skipped&onlyOpen=true")).json();
    expect(all.total).toBe(10);
    expect((await as(session, "GET", "/api/settings/ledger?since=ontem")).statusCode).toBe(400);
  });

  it("a stopped first sync: the reason and next step on the row and the pass, never 'Concluída'; 'Tentar de novo' continues it", async () => {
    const { tenantId, session } = await connected("Parada");
    const orch = new InitialSyncOrchestrator(h.db.db, h.deps.producer);
    const cursor = await orch.start(tenantId, ["payment_methods", "products", "stock"]);
    const runs = new SyncRunsRepository(h.db.db);
    const id = (e: "payment_methods" | "products" | "stock") => cursor.runIds[e] as string;
    await runs.start(id("payment_methods"));
    await runs.finish(id("payment_methods"), "done");
    // The chain moved on to products' page 3 (as the step jobs do), where its job gave up.
    await new CursorsRepository(h.db.db).set(tenantId, "initial", { ...cursor, index: 1, page: 3 });
    await runs.start(id("products"));
    await runs.setProgress(id("products"), { done: 200, failed: 1, skipped: 2 });
    const failure = {
      reason: "O Zydon respondeu com erro (HTTP 500) em 8 tentativas seguidas.",
      nextStep: "Clique em “Tentar de novo”: a sincronização continua de onde parou.",
    };
    expect(await orch.stop(tenantId, { runId: id("products"), entity: "products" }, failure)).toBe(true);

    const body = await progress(session);
    expect(body.running).toBe(false);
    expect(body.outcome).toMatchObject({
      kind: "failed",
      badge: "Falhou",
      sentence: "A sincronização parou na etapa Produtos; até então, 1 falha e 2 itens ignorados.",
      ...failure,
    });
    const rows = Object.fromEntries(body.entities.map((e) => [e.entity, e.outcome]));
    expect(rows.products).toMatchObject({ kind: "failed", action: "retry", ...failure });
    expect(rows.stock).toMatchObject({
      kind: "not_run",
      sentence: "Não começou porque a etapa Produtos parou antes.",
      action: null,
    });
    // Before the first sync finished, a done step offers no fresh pass (it would replace the checkpoint).
    expect(rows.payment_methods).toMatchObject({ kind: "ok", action: null });
    expect(JSON.stringify(body)).not.toMatch(/desconhecido|HTTP 500 InternalError/);
    // Nothing "concluída" about a pass that stopped.
    expect(body.lastResyncDoneAt ?? null).toBeNull();

    const state = (await as(session, "GET", "/api/settings/state")).json();
    expect(state).toMatchObject({
      state: "first_sync",
      title: "Primeira sincronização parou",
      canSync: true,
    });

    // "Tentar de novo": the pass continues at the page it stopped at, once.
    expect((await as(session, "POST", "/api/settings/resync/stock/retry")).statusCode).toBe(409);
    expect((await as(session, "POST", "/api/settings/resync/products/retry")).statusCode).toBe(202);
    const again = await as(session, "POST", "/api/settings/resync/products/retry");
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe("not_stopped");
    const steps = await h.jobs({ name: "initial-sync-step", tenantId });
    expect(steps.filter((j) => j.data.runId === id("products"))).toEqual([
      { name: "initial-sync-step", data: { tenantId, runId: id("products"), entity: "products", page: 3 } },
    ]);
    const after = await progress(session);
    expect(after.running).toBe(true);
    expect(after.outcome?.kind).toBe("queued");
    expect((await as(session, "GET", "/api/settings/state")).json().title).toBe("Primeira sincronização");
  });
});
