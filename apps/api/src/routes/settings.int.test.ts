import { randomUUID } from "node:crypto";
import {
  CredentialsRepository,
  CursorsRepository,
  LedgerRepository,
  SyncRunsRepository,
  TenantsRepository,
  WebhookInboxRepository,
} from "@zb/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signSession } from "../session/session-token.js";
import { createHarness, type Harness, leakedSecrets } from "../test-support/harness.js";

let h: Harness;

interface Merchant {
  orgId: string;
  tenantId: string;
  session: string;
  companyId: string;
  companyName: string;
  accountId: string;
}

async function merchant(name: string, companyName: string): Promise<Merchant> {
  const { orgId, tenantId } = await h.install(name);
  const session = await h.session(orgId);
  const acc = h.bling.createAccount(companyName);
  const r = await h.connectBling(session, acc.accountId);
  expect(r.status).toBe(302);
  return { orgId, tenantId, session, companyId: acc.companyId, companyName, accountId: acc.accountId };
}

function as(m: Pick<Merchant, "session">, method: string, url: string, payload?: unknown) {
  return h.api.inject({
    method: method as "GET",
    url,
    headers: { authorization: `Bearer ${m.session}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
}

beforeAll(async () => {
  h = await createHarness();
  h.deps.budget = {
    usage: async ({ blingCompanyId }) => ({
      today: blingCompanyId ? 1234 : 0,
      dailyLimit: 120_000,
      lastSecond: 1,
    }),
  };
});
afterAll(async () => {
  await h?.close();
});

describe("POST /api/session", () => {
  it("trades a verified Zydon admin session for a tenant session", async () => {
    const { orgId, tenantId } = await h.install("Sessão");
    const admin = h.zydon.sim.issueAdminSession(orgId);
    const res = await h.api.inject({ method: "POST", url: "/api/session", payload: admin });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.tenantId).toBe(tenantId);
    const minutes = (Date.parse(body.expiresAt) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(29);
    expect(minutes).toBeLessThanOrEqual(30);
  });

  it("refuses a forged token, another organization's session, unknown organizations and bad bodies", async () => {
    const a = await h.install("Sessão A");
    const b = await h.install("Sessão B");
    const forged = await h.api.inject({
      method: "POST",
      url: "/api/session",
      payload: { organizationId: a.orgId, accessToken: "forjado" },
    });
    expect(forged.statusCode).toBe(401);
    const bSession = h.zydon.sim.issueAdminSession(b.orgId);
    const mismatch = await h.api.inject({
      method: "POST",
      url: "/api/session",
      payload: { organizationId: a.orgId, accessToken: bSession.accessToken },
    });
    expect(mismatch.statusCode).toBe(401);
    // An organization that never installed, with a made-up token: the same answer as a bad token (issue
    // 21 #5); only a real member of that organization learns the app is not installed there.
    const unknown = await h.api.inject({
      method: "POST",
      url: "/api/session",
      payload: { organizationId: "nao-existe", accessToken: "x" },
    });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(mismatch.json());
    const neverInstalled = h.zydon.sim.createOrganization({ name: "Nunca Instalou" });
    const member = await h.api.inject({
      method: "POST",
      url: "/api/session",
      payload: h.zydon.sim.issueAdminSession(neverInstalled.id),
    });
    expect(member.statusCode).toBe(404);
    expect(member.json().message).toContain("não está instalado");
    const bad = await h.api.inject({
      method: "POST",
      url: "/api/session",
      payload: { organizationId: a.orgId },
    });
    expect(bad.statusCode).toBe(400);
  });

  it("settings routes need a valid, unexpired session", async () => {
    const m = await h.install("Expira");
    const tenant = await new TenantsRepository(h.db.db).findById(m.tenantId);
    const old = signSession(
      h.deps.config.SESSION_SECRET,
      { tenantId: m.tenantId, organizationId: tenant?.zydonOrganizationId as string },
      new Date(Date.now() - 31 * 60_000),
    );
    const expired = await as({ session: old.token }, "GET", "/api/settings");
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error).toBe("session_expired");
    const other = signSession("another-secret-that-is-long-enough!!", {
      tenantId: m.tenantId,
      organizationId: m.orgId,
    });
    expect((await as({ session: other.token }, "GET", "/api/settings")).statusCode).toBe(401);
  });
});

describe("settings document", () => {
  it("GET returns defaults; PUT validates the whole document and saves all or nothing", async () => {
    const m = await merchant("Config", "Config Ltda");
    h.bling.sim.control.upsertDeposit(m.accountId, { id: 14887164854, descricao: "Depósito Loja" });
    const initial = await as(m, "GET", "/api/settings");
    expect(initial.json()).toMatchObject({ stock: { balance: "virtual", depositIds: [] }, paused: false });

    const good = {
      stock: { depositIds: ["14887164854"], balance: "physical" },
      price: { source: "base" },
      orders: { trigger: "all" },
      nfe: { enabled: false },
      paused: false,
    };
    const saved = await as(m, "PUT", "/api/settings", good);
    expect(saved.statusCode).toBe(200);
    expect(saved.json().stock).toEqual({ depositIds: ["14887164854"], balance: "physical" });

    const bad = await as(m, "PUT", "/api/settings", {
      ...good,
      stock: { depositIds: ["999"], balance: "qualquer" },
      price: { source: "store" },
      nfe: { enabled: true },
      extra: 1,
    });
    expect(bad.statusCode).toBe(400);
    const errors = bad.json().errors as Record<string, string>;
    expect(errors["stock.balance"]).toBe("Escolha saldo disponível ou físico.");
    expect(errors["price.blingStoreId"]).toBe("Escolha a loja do Bling de onde vem o preço.");
    expect(errors["nfe.approvedZydonStatusId"]).toContain("Escolha o status do Zydon");
    expect(errors.extra).toBe("Campo desconhecido.");
    // Nothing of the bad document was saved (not even its valid-looking deposit list).
    const after = await as(m, "GET", "/api/settings");
    expect(after.json().stock).toEqual({ depositIds: ["14887164854"], balance: "physical" });
  });

  it("pause stores the flag; resume queues a catch-up after a finished initial sync", async () => {
    const m = await merchant("Pausa", "Pausa Ltda");
    await new TenantsRepository(h.db.db).markInitialSyncDone(m.tenantId);
    const p = await as(m, "POST", "/api/settings/pause");
    expect(p.json()).toEqual({ paused: true });
    expect((await as(m, "GET", "/api/settings")).json().paused).toBe(true);
    expect((await as(m, "GET", "/api/settings/connection")).json().tenant.paused).toBe(true);
    const before = (await h.jobs({ tenantId: m.tenantId, name: "poll-changes" })).length;
    const r = await as(m, "POST", "/api/settings/resume");
    expect(r.json()).toEqual({ paused: false, catchUp: "poll-changes" });
    // The catch-up poll, plus the recurring schedule put back by the resume hook.
    expect((await h.jobs({ tenantId: m.tenantId, name: "poll-changes" })).length).toBeGreaterThanOrEqual(
      before + 1,
    );
    expect(h.hookCalls).toContainEqual({ hook: "resumed", tenantId: m.tenantId });
  });

  it("resume continues a one-entity resync the pause interrupted (its steps were skipped while paused)", async () => {
    const m = await merchant("Pausa no Meio", "Pausa no Meio Ltda");
    await new TenantsRepository(h.db.db).markInitialSyncDone(m.tenantId);
    const runId = randomUUID();
    // "Sincronizar estoque de novo" had reached page 3 when the merchant paused.
    await new CursorsRepository(h.db.db).set(m.tenantId, "initial", {
      order: ["stock"],
      runIds: { stock: runId },
      index: 0,
      page: 3,
    });
    expect((await as(m, "POST", "/api/settings/pause")).statusCode).toBe(200);
    expect((await as(m, "POST", "/api/settings/resume")).json()).toEqual({
      paused: false,
      catchUp: "poll-changes",
    });
    const steps = await h.jobs({ tenantId: m.tenantId, name: "initial-sync-step" });
    expect(steps.map((j) => j.data)).toEqual([{ tenantId: m.tenantId, runId, entity: "stock", page: 3 }]);
  });
});

describe("views", () => {
  it("readiness: empty state until the sync engine stores a report", async () => {
    const m = await merchant("Prontidão", "Prontidão Ltda");
    const empty = await as(m, "GET", "/api/settings/readiness");
    expect(empty.statusCode).toBe(404);
    expect(empty.json().error).toBe("readiness_not_available");
    const report = {
      generatedAt: new Date().toISOString(),
      problems: [
        {
          code: "situacoes_without_status",
          title: "2 situações do Bling sem status de mesmo nome no Zydon",
          count: 2,
          examples: ["Em separação", "Faturado"],
          action: "Crie no Zydon status com esses nomes.",
          severity: "warning",
        },
      ],
      counts: { products: 10, contacts: 5, paymentMethods: 3, situacoes: 6 },
      sampled: false,
    };
    await new CursorsRepository(h.db.db).set(m.tenantId, "readiness", report);
    const res = await as(m, "GET", "/api/settings/readiness");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(report);
  });

  it("readiness is recomputed on 'Atualizar' (one job for a burst of clicks) and after a settings save", async () => {
    const m = await merchant("Prontidão viva", "Prontidão Viva Ltda");
    const readinessJobs = () => h.jobs({ tenantId: m.tenantId, name: "readiness-report" });
    expect(await readinessJobs()).toHaveLength(0);
    expect((await as(m, "POST", "/api/settings/readiness/refresh")).statusCode).toBe(202);
    expect((await as(m, "POST", "/api/settings/readiness/refresh")).statusCode).toBe(202);
    expect(await readinessJobs()).toHaveLength(1);
    h.bling.sim.control.upsertDeposit(m.accountId, { id: 14887164855, descricao: "Depósito Norte" });
    const saved = await as(m, "PUT", "/api/settings", {
      stock: { depositIds: ["14887164855"], balance: "virtual" },
      price: { source: "base" },
      orders: { trigger: "all" },
      nfe: { enabled: false },
      paused: false,
    });
    expect(saved.statusCode).toBe(200);
    // A save right after a click is its own job (the click's may already read the old settings).
    expect((await readinessJobs()).map((j) => j.data)).toEqual([
      { tenantId: m.tenantId },
      { tenantId: m.tenantId },
    ]);
    // Not connected: nothing to read the report from.
    const { orgId } = await h.install("Prontidão sem Bling");
    const lone = await h.session(orgId);
    expect((await as({ session: lone }, "POST", "/api/settings/readiness/refresh")).statusCode).toBe(409);
  });

  it("progress: done/total per entity with an ETA from the request budget", async () => {
    const m = await merchant("Progresso", "Progresso Ltda");
    const runs = new SyncRunsRepository(h.db.db);
    const pm = await runs.create({
      tenantId: m.tenantId,
      kind: "initial",
      entity: "payment_methods",
      total: 20,
    });
    await runs.addProgress(pm.id, { done: 20 });
    await runs.finish(pm.id, "done");
    const prod = await runs.create({
      tenantId: m.tenantId,
      kind: "initial",
      entity: "products",
      total: 1_000,
    });
    await runs.start(prod.id);
    await runs.addProgress(prod.id, { done: 390, skipped: 10 });
    const res = await as(m, "GET", "/api/settings/progress");
    const body = res.json();
    expect(body.running).toBe(true);
    const products = body.entities.find((e: { entity: string }) => e.entity === "products");
    expect(products).toMatchObject({ status: "running", done: 390, skipped: 10, total: 1_000 });
    // 600 products left: 6 list pages + 600 details, at the account's share (2 requests/s).
    expect(products.etaSeconds).toBe(Math.ceil((6 + 600) / 2));
    expect(products.remainingRequests).toBe(606);
    expect(body.etaSeconds).toBe(products.etaSeconds);
    expect(body.overall).toEqual({ processed: 20 + 400, total: 20 + 1_000 });
    expect(body.entities.find((e: { entity: string }) => e.entity === "payment_methods")).toMatchObject({
      status: "done",
      etaSeconds: null,
    });
  });

  it("progress: the first sync's finish is kept apart from a later resync's", async () => {
    const m = await merchant("Primeira", "Primeira Ltda");
    const runs = new SyncRunsRepository(h.db.db);
    const tenants = new TenantsRepository(h.db.db);
    const first = new Date(Date.now() - 3_600_000);
    await tenants.markInitialSyncDone(m.tenantId, first);
    const resync = await runs.create({
      tenantId: m.tenantId,
      kind: "initial",
      entity: "customers",
      total: 3,
    });
    await runs.addProgress(resync.id, { done: 3 });
    await runs.finish(resync.id, "done");
    await tenants.markInitialSyncDone(m.tenantId, new Date());
    const body = (await as(m, "GET", "/api/settings/progress")).json();
    expect(Date.parse(body.initialSyncDoneAt)).toBe(first.getTime());
    expect(Date.parse(body.lastResyncDoneAt)).toBeGreaterThan(first.getTime());
    expect(body.running).toBe(false);
  });

  it("activity: records per hour over the last day (zeros filled) and the day's requests vs the limit", async () => {
    const m = await merchant("Atividade", "Atividade Ltda");
    const ledger = new LedgerRepository(h.db.db);
    for (const [key, outcome] of [
      ["A-1", "synced"],
      ["A-2", "synced"],
      ["A-3", "failed"],
      ["A-4", "skipped"],
    ] as const) {
      await ledger.record({
        tenantId: m.tenantId,
        entity: "product",
        entityKey: key,
        action: "import",
        outcome,
      });
    }
    const body = (await as(m, "GET", "/api/settings/activity")).json();
    expect(body.hours).toHaveLength(24);
    const starts = body.hours.map((x: { start: string }) => Date.parse(x.start));
    expect(
      starts.every((t: number, i: number) => i === 0 || t - (starts[i - 1] as number) === 3_600_000),
    ).toBe(true);
    expect(body.hours.at(-1)).toMatchObject({ synced: 2, failed: 1, skipped: 1 });
    expect(body.hours.slice(0, -1).every((x: { synced: number }) => x.synced === 0)).toBe(true);
    expect(body.requests).toEqual({ today: 1234, dailyLimit: 120_000 });
  });

  it("health: last success per entity, webhook lag, requests today, token state", async () => {
    const m = await merchant("Saúde", "Saúde Ltda");
    const ledger = new LedgerRepository(h.db.db);
    await ledger.record({
      tenantId: m.tenantId,
      entity: "products",
      entityKey: "SKU-1",
      action: "update",
      outcome: "synced",
    });
    const inbox = new WebhookInboxRepository(h.db.db);
    await inbox.insertOnce({
      provider: "bling",
      eventId: `lag-${m.tenantId}`,
      tenantId: m.tenantId,
      eventType: "stock.updated",
      payload: {},
      occurredAt: new Date(Date.now() - 4_000),
    });
    const res = await as(m, "GET", "/api/settings/health");
    const body = res.json();
    expect(body.tenantState).toBe("active");
    expect(body.paused).toBe(false);
    expect(Date.parse(body.lastSuccess.products)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.webhooks.bling.last24h).toBe(1);
    expect(body.webhooks.bling.lastLagMs).toBeGreaterThanOrEqual(3_500);
    expect(body.webhooks.bling.lastLagMs).toBeLessThan(30_000);
    expect(body.requests).toEqual({ today: 1234, dailyLimit: 120_000, lastSecond: 1 });
    expect(body.token.state).toBe("valid");
  });
});

describe("options for the form's selects", () => {
  it("lists Bling deposits and Zydon statuses, price tables and warehouses, each side failing on its own", async () => {
    const m = await merchant("Opções", "Opções Ltda");
    h.bling.sim.control.upsertDeposit(m.accountId, { descricao: "Loja Centro", padrao: false });
    h.zydon.sim.seed(m.orgId, { priceTables: [{ name: "Atacado Sul" }] });
    const res = await as(m, "GET", "/api/settings/options");
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.unavailable).toEqual({});
    const deposits = body.bling.deposits as Array<{ name: string; isDefault: boolean }>;
    expect(deposits.map((d) => d.name).sort()).toEqual(["Geral", "Loja Centro"]);
    expect(deposits.find((d) => d.name === "Geral")?.isDefault).toBe(true);
    expect(body.zydon.warehouses.map((w: { name: string }) => w.name)).toContain("Depósito Principal");
    expect(body.zydon.priceTables.map((p: { name: string }) => p.name)).toContain("Atacado Sul");
    expect(body.zydon.statuses.length).toBeGreaterThan(0);

    // Bling refuses the tokens: the Zydon lists still come, Bling says what to do.
    h.bling.revokeAll(m.accountId);
    await expect(h.deps.tokens.forceRefresh(m.tenantId)).rejects.toThrow();
    const after = (await as(m, "GET", "/api/settings/options")).json();
    expect(after.bling).toBeNull();
    expect(after.unavailable.bling).toBe("Reconecte o Bling para ver os depósitos.");
    expect(after.zydon.warehouses.length).toBeGreaterThan(0);
  });
});

describe("ledger", () => {
  it("lists with filters and pagination, retries one entry and all failures", async () => {
    const m = await merchant("Histórico", "Histórico Ltda");
    const ledger = new LedgerRepository(h.db.db);
    const failedId = await ledger.record({
      tenantId: m.tenantId,
      entity: "products",
      entityKey: "SKU-FALHA",
      action: "create",
      outcome: "failed",
      reason: "SKU duplicado no Bling",
      retryable: true,
    });
    await ledger.record({
      tenantId: m.tenantId,
      entity: "customers",
      entityKey: "12345678909",
      action: "create",
      outcome: "skipped",
      reason: "Cliente sem CPF/CNPJ",
    });
    const okId = await ledger.record({
      tenantId: m.tenantId,
      entity: "products",
      entityKey: "SKU-OK",
      action: "update",
      outcome: "synced",
    });
    await ledger.record({
      tenantId: m.tenantId,
      entity: "orders",
      entityKey: "PED-9",
      action: "export",
      outcome: "failed",
      reason: "Forma de pagamento inválida",
    });

    const all = (await as(m, "GET", "/api/settings/ledger")).json();
    expect(all.total).toBe(4);
    expect(all.items[0]).toHaveProperty("retryable");
    const failed = (await as(m, "GET", "/api/settings/ledger?outcome=failed")).json();
    expect(failed.items.map((i: { entityKey: string }) => i.entityKey).sort()).toEqual([
      "PED-9",
      "SKU-FALHA",
    ]);
    const products = (await as(m, "GET", "/api/settings/ledger?entity=products&outcome=failed")).json();
    expect(products.items).toHaveLength(1);
    expect(products.items[0]).toMatchObject({
      id: failedId,
      retryable: true,
      reason: "SKU duplicado no Bling",
    });
    const search = (await as(m, "GET", "/api/settings/ledger?search=cpf")).json();
    expect(search.items.map((i: { entityKey: string }) => i.entityKey)).toEqual(["12345678909"]);
    const page = (await as(m, "GET", "/api/settings/ledger?pageSize=3&page=1")).json();
    expect(page).toMatchObject({ total: 4, page: 1, pageSize: 3 });
    expect(page.items).toHaveLength(1);
    expect((await as(m, "GET", "/api/settings/ledger?outcome=talvez")).statusCode).toBe(400);

    const retry = await as(m, "POST", `/api/settings/ledger/${failedId}/retry`);
    expect(retry.statusCode).toBe(202);
    const again = await as(m, "POST", `/api/settings/ledger/${failedId}/retry`);
    expect(again.statusCode).toBe(202);
    const jobs = await h.jobs({ tenantId: m.tenantId, name: "retry-ledger" });
    // Two clicks in a row: one job.
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.data).toEqual({ tenantId: m.tenantId, ledgerId: failedId });
    expect((await as(m, "POST", `/api/settings/ledger/${okId}/retry`)).statusCode).toBe(409);
    expect((await as(m, "POST", "/api/settings/ledger/999999999/retry")).statusCode).toBe(404);

    const bulk = await as(m, "POST", "/api/settings/ledger/retry-failed");
    expect(bulk.json()).toEqual({ enqueued: 2 });
    const ids = (await h.jobs({ tenantId: m.tenantId, name: "retry-ledger" })).map((j) => j.data.ledgerId);
    expect(new Set(ids)).toEqual(
      new Set([
        failedId,
        (failed.items as Array<{ id: number; entityKey: string }>).find((i) => i.entityKey === "PED-9")?.id,
      ]),
    );
  });

  it("Sincronizar um item: queues one SKU or one order, once per click burst; refuses bad input and a paused sync", async () => {
    const m = await merchant("Um item", "Um Item Ltda");
    const sku = await as(m, "POST", "/api/settings/resync-item", { kind: "sku", value: "  CAM-P  " });
    expect(sku.statusCode).toBe(202);
    expect(sku.json()).toEqual({ status: "enqueued", requestedAt: expect.any(String) });
    expect(
      (await as(m, "POST", "/api/settings/resync-item", { kind: "sku", value: "CAM-P" })).statusCode,
    ).toBe(202);
    expect(
      (await as(m, "POST", "/api/settings/resync-item", { kind: "order", value: "ZP-1042" })).statusCode,
    ).toBe(202);
    expect((await h.jobs({ tenantId: m.tenantId, name: "resync-sku" })).map((j) => j.data)).toEqual([
      { tenantId: m.tenantId, sku: "CAM-P" },
    ]);
    expect((await h.jobs({ tenantId: m.tenantId, name: "resync-order" })).map((j) => j.data)).toEqual([
      { tenantId: m.tenantId, zydonOrderId: "ZP-1042" },
    ]);

    const blank = await as(m, "POST", "/api/settings/resync-item", { kind: "sku", value: "   " });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().message).toBe("Informe o SKU ou o número do pedido.");
    expect(
      (await as(m, "POST", "/api/settings/resync-item", { kind: "cliente", value: "1" })).statusCode,
    ).toBe(400);
    await as(m, "POST", "/api/settings/pause");
    const paused = await as(m, "POST", "/api/settings/resync-item", { kind: "sku", value: "OUTRO" });
    expect(paused.statusCode).toBe(409);
    expect(paused.json().message).toBe("A integração está pausada. Retome para sincronizar.");
    expect(await h.jobs({ tenantId: m.tenantId, name: "resync-sku" })).toHaveLength(1);
  });

  it("queues the merchant's choice on an open held price, once per click burst; refuses anything else", async () => {
    const m = await merchant("Trava", "Trava de Preço Ltda");
    const ledger = new LedgerRepository(h.db.db);
    const heldId = await ledger.record({
      tenantId: m.tenantId,
      entity: "price",
      entityKey: "CAM-P",
      action: "jump",
      outcome: "skipped",
      reason: "Preço retido: +150% de uma vez.",
      details: { from: 40, to: 100, source: "base", linkEntity: "product", blingId: "77", name: "Camiseta" },
    });
    const failedId = await ledger.record({
      tenantId: m.tenantId,
      entity: "price",
      entityKey: "CAM-M",
      action: "update",
      outcome: "failed",
      reason: "O Zydon recusou.",
    });
    const listed = (await as(m, "GET", "/api/settings/ledger?entity=price")).json();
    expect(listed.items.find((i: { id: number }) => i.id === heldId)).toMatchObject({
      action: "jump",
      change: { from: "R$\u00a040,00", to: "R$\u00a0100,00" },
    });

    const path = `/api/settings/ledger/${heldId}/price-hold`;
    expect((await as(m, "POST", path, { decision: "apply" })).statusCode).toBe(202);
    expect((await as(m, "POST", path, { decision: "apply" })).statusCode).toBe(202);
    const jobs = await h.jobs({ tenantId: m.tenantId, name: "price-hold" });
    expect(jobs.map((j) => j.data)).toEqual([{ tenantId: m.tenantId, ledgerId: heldId, decision: "apply" }]);

    expect((await as(m, "POST", path, { decision: "talvez" })).statusCode).toBe(400);
    expect((await as(m, "POST", path)).statusCode).toBe(400);
    const notHeld = await as(m, "POST", `/api/settings/ledger/${failedId}/price-hold`, { decision: "apply" });
    expect(notHeld.statusCode).toBe(409);
    expect(notHeld.json().message).toBe("Este preço não está mais retido: atualize o histórico.");
    expect(
      (await as(m, "POST", "/api/settings/ledger/999999999/price-hold", { decision: "discard" })).statusCode,
    ).toBe(404);
    // Decided (the worker's job closed it): refused, nothing queued.
    await ledger.record({
      tenantId: m.tenantId,
      entity: "price",
      entityKey: "CAM-P",
      action: "jump",
      outcome: "synced",
      reason: "Novo preço aplicado pelo lojista.",
    });
    expect((await as(m, "POST", path, { decision: "discard" })).statusCode).toBe(409);
    expect(await h.jobs({ tenantId: m.tenantId, name: "price-hold" })).toHaveLength(1);
  });

  it("reads as the merchant knows the items and exports the filtered rows as a CSV for Excel", async () => {
    const m = await merchant("Exporta", "Exporta Ltda");
    const ledger = new LedgerRepository(h.db.db);
    await ledger.record({
      tenantId: m.tenantId,
      entity: "customer",
      entityKey: "52998224725",
      action: "import",
      outcome: "synced",
      reason: "Cliente criado no Zydon.",
      details: { name: 'Maria; "Mari" Souza' },
    });
    await ledger.record({
      tenantId: m.tenantId,
      entity: "price",
      entityKey: "CAN-1",
      action: "update",
      outcome: "synced",
      reason: "Preço atualizado no Zydon.",
      details: { name: "Caneca", from: 10, to: 12.5 },
    });
    await ledger.record({
      tenantId: m.tenantId,
      entity: "product",
      entityKey: "bling:16409873812",
      action: "import",
      outcome: "skipped",
      reason: "Produto sem código.",
      details: { blingId: "16409873812", name: "=HYPERLINK(1)" },
    });
    const list = (await as(m, "GET", "/api/settings/ledger")).json();
    const byKey = (k: string) => list.items.find((i: { entityKey: string }) => i.entityKey === k);
    expect(byKey("52998224725")).toMatchObject({ item: "529.982.247-25", name: 'Maria; "Mari" Souza' });
    expect(byKey("CAN-1")).toMatchObject({
      item: "CAN-1",
      change: { from: "R$\u00a010,00", to: "R$\u00a012,50" },
    });
    expect(byKey("bling:16409873812").item).toBe("sem código (SKU)");

    const csv = await as(m, "GET", "/api/settings/ledger/export.csv?entity=price");
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(csv.headers["content-disposition"]).toMatch(
      /^attachment; filename="historico-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const bytes = csv.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csv.body
      .replace(/^\uFEFF/, "")
      .trimEnd()
      .split("\r\n");
    expect(lines[0]).toBe("Quando;Tipo;Ação;Item;Nome;Resultado;Tentativas;De;Para;Motivo");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^\d{2}\/\d{2}\/\d{4}, \d{2}:\d{2}:\d{2};Preço;Atualização;CAN-1;Caneca;Sincronizado;1;R\$\u00a010,00;R\$\u00a012,50;Preço atualizado no Zydon\.$/,
    );

    const all = (await as(m, "GET", "/api/settings/ledger/export.csv")).body;
    expect(all).toContain('529.982.247-25;"Maria; ""Mari"" Souza";Sincronizado');
    // A name Excel would run as a formula stays text; no Bling id in the item column.
    expect(all).toContain("sem código (SKU);'=HYPERLINK(1);Ignorado");
    expect(all).not.toContain("bling:16409873812");
    expect(all).not.toContain(m.tenantId);
    expect((await as(m, "GET", "/api/settings/ledger/export.csv?outcome=talvez")).statusCode).toBe(400);
  });

  it("a saved stock setting is applied at once: its resync is queued once per save, not while paused", async () => {
    const m = await merchant("Aplicar Configuração", "Aplicar Configuração Ltda");
    await new TenantsRepository(h.db.db).markInitialSyncDone(m.tenantId);
    const resyncs = async () =>
      // One-entity passes only (connecting queued the whole first sync).
      (await h.jobs({ tenantId: m.tenantId, name: "initial-sync-start" }))
        .map((j) => j.data.entities)
        .filter((e) => e !== undefined);
    const base = {
      stock: { depositIds: [], balance: "virtual" },
      price: { source: "base" },
      orders: { trigger: "all" },
      nfe: { enabled: false },
      paused: false,
    };
    expect((await as(m, "PUT", "/api/settings", base)).statusCode).toBe(200);
    expect(await resyncs()).toEqual([]);
    const physical = { ...base, stock: { depositIds: [], balance: "physical" } };
    expect((await as(m, "PUT", "/api/settings", physical)).statusCode).toBe(200);
    expect((await as(m, "PUT", "/api/settings", physical)).statusCode).toBe(200);
    expect(await resyncs()).toEqual([["stock"]]);
    // Another change within seconds is its own job: the first may already have read the old settings.
    expect((await as(m, "PUT", "/api/settings", base)).statusCode).toBe(200);
    expect(await resyncs()).toEqual([["stock"], ["stock"]]);
    // Paused: nothing reaches Bling (a paused tenant's jobs are skipped); Retomar's catch-up applies it.
    const paused = await as(m, "PUT", "/api/settings", { ...physical, paused: true });
    expect(paused.statusCode, paused.body).toBe(200);
    expect(await resyncs()).toHaveLength(2);
    expect((await as(m, "POST", "/api/settings/resume")).statusCode).toBe(200);
    expect(await resyncs()).toEqual([["stock"], ["stock"], ["stock"]]);
    // Once: a second Retomar has nothing left to apply.
    expect((await as(m, "POST", "/api/settings/pause")).statusCode).toBe(200);
    expect((await as(m, "POST", "/api/settings/resume")).statusCode).toBe(200);
    expect(await resyncs()).toHaveLength(3);
  });

  it("resync queues a one-entity sync; unknown entities are refused", async () => {
    const m = await merchant("Resync", "Resync Ltda");
    const res = await as(m, "POST", "/api/settings/resync/stock");
    expect(res.statusCode).toBe(202);
    const jobs = await h.jobs({ tenantId: m.tenantId, name: "initial-sync-start" });
    expect(jobs.map((j) => j.data)).toContainEqual({ tenantId: m.tenantId, entities: ["stock"] });
    expect((await as(m, "POST", "/api/settings/resync/planetas")).statusCode).toBe(400);
  });
});

describe("tenant isolation on every /api/settings route", () => {
  it("tenant A's session reads and changes nothing of tenant B, on every registered route", async () => {
    const a = await merchant("Isolada A", "Empresa A Ltda");
    const b = await merchant("Isolada B", "Empresa Bravo Secreta SA");
    const ledger = new LedgerRepository(h.db.db);
    const bLedgerId = await ledger.record({
      tenantId: b.tenantId,
      entity: "products",
      entityKey: "SKU-SO-DO-B",
      action: "create",
      outcome: "failed",
      reason: "Falha do B",
      retryable: true,
    });
    await ledger.record({
      tenantId: a.tenantId,
      entity: "products",
      entityKey: "SKU-A",
      action: "create",
      outcome: "failed",
      reason: "Falha do A",
    });
    await new CursorsRepository(h.db.db).set(b.tenantId, "readiness", {
      generatedAt: new Date().toISOString(),
      problems: [{ code: "b-only", examples: ["PRODUTO-DO-B"] }],
    });
    await new TenantsRepository(h.db.db).updateSettings(b.tenantId, {
      stock: { depositIds: ["DEPOSITO-DO-B"] },
    });

    const snapshot = async () => ({
      tenant: await new TenantsRepository(h.db.db).findById(b.tenantId),
      conn: await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(b.tenantId),
      ledger: await ledger.list({ tenantId: b.tenantId }),
      jobs: (await h.jobs({ tenantId: b.tenantId })).length,
    });
    const before = await snapshot();
    const bMarkers = [
      b.tenantId,
      b.orgId,
      b.companyName,
      b.companyId,
      "SKU-SO-DO-B",
      "PRODUTO-DO-B",
      "DEPOSITO-DO-B",
      "Falha do B",
    ];

    const settingsRoutes = h.routes
      .filter((r) => r.url.startsWith("/api/settings"))
      .flatMap((r) =>
        (Array.isArray(r.method) ? r.method : [r.method]).map((method) => ({ method, url: r.url })),
      );
    // The walk is only meaningful if it sees the whole surface.
    expect(settingsRoutes.length).toBeGreaterThanOrEqual(14);
    for (const path of [
      "/api/settings",
      "/api/settings/ledger/:id/retry",
      "/api/settings/bling/disconnect",
    ]) {
      expect(settingsRoutes.some((r) => r.url === path)).toBe(true);
    }

    for (const route of settingsRoutes) {
      const url = route.url.replace(":id", String(bLedgerId)).replace(":entity", "products");
      const payload = route.method === "PUT" ? { paused: false } : undefined;
      const anonymous = await h.api.inject({
        method: route.method as "GET",
        url,
        ...(payload ? { payload } : {}),
      });
      expect(anonymous.statusCode, `${route.method} ${route.url} without a session`).toBe(401);
      // B's tenant id in a token A could forge (without the secret): refused.
      const forged = `${Buffer.from(JSON.stringify({ v: 1, tid: b.tenantId, org: b.orgId, exp: 9e9, k: "page" })).toString("base64url")}.${a.session.split(".")[1]}`;
      const forgedRes = await as({ session: forged }, route.method, url, payload);
      expect(forgedRes.statusCode, `${route.method} ${route.url} with a forged session`).toBe(401);

      const res = await as(a, route.method, url, payload);
      expect(res.statusCode, `${route.method} ${route.url} as A`).toBeLessThan(500);
      for (const marker of bMarkers) {
        expect(res.body.includes(marker), `${route.method} ${route.url} leaked B's ${marker}`).toBe(false);
      }
    }

    const after = await snapshot();
    expect(after.tenant).toEqual(before.tenant);
    expect(after.conn).toEqual(before.conn);
    expect(after.ledger).toEqual(before.ledger);
    expect(after.jobs).toBe(before.jobs);
    expect(await h.bling.isRevoked(before.conn?.tokens?.accessToken as string)).toBe(false);
    // A's own disconnect did happen (the walk really exercised the routes as A).
    expect(
      (await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(a.tenantId))?.status,
    ).toBe("disconnected");
  });

  it("logged no secret during this file", () => {
    expect(
      leakedSecrets({ logs: ["a token at_123456789 here"], knownSecrets: () => ["at_123456789"] }),
    ).toHaveLength(1);
    expect(h.logs.some((l) => l.includes('"route":"/api/settings/ledger"'))).toBe(true);
    expect(leakedSecrets(h)).toEqual([]);
  });
});

describe("ids the merchant chooses (issue 15: no setting can corrupt data)", () => {
  const base = {
    price: { source: "base" },
    orders: { trigger: "all" },
    nfe: { enabled: false },
    paused: false,
  };
  const put = (m: Pick<Merchant, "session">, doc: Record<string, unknown>) =>
    as(m, "PUT", "/api/settings", { ...base, ...doc });
  const errorsOf = (r: { json(): unknown }) => (r.json() as { errors: Record<string, string> }).errors;

  it("refuses malformed depósito and loja ids with a message per field, connected or not", async () => {
    const { orgId, tenantId } = await h.install("Ids ruins");
    const m = { session: await h.session(orgId) };
    const deposits = await put(m, { stock: { depositIds: ["abc", "-1"], balance: "virtual" } });
    expect(deposits.statusCode).toBe(400);
    expect(errorsOf(deposits)["stock.depositIds.0"]).toContain('Depósito "abc" inválido');
    expect(errorsOf(deposits)["stock.depositIds.1"]).toContain('Depósito "-1" inválido');
    const semicolon = await put(m, { stock: { depositIds: ["12;34"] } });
    expect(errorsOf(semicolon)["stock.depositIds.0"]).toContain('Depósito "12;34" inválido');
    const twice = await put(m, { stock: { depositIds: ["12", "12"] } });
    expect(errorsOf(twice)["stock.depositIds"]).toBe("O mesmo depósito foi escolhido mais de uma vez.");
    for (const store of ["abc", "-5", "0", "1.5"]) {
      const r = await put(m, { price: { source: "store", blingStoreId: store } });
      expect(r.statusCode, store).toBe(400);
      expect(errorsOf(r)["price.blingStoreId"]).toContain(`Loja "${store}" inválida`);
    }
    const stored = await new TenantsRepository(h.db.db).findById(tenantId);
    expect(stored?.settings).toEqual({});
  });

  it("while Bling is not connected, a new depósito or loja is refused with what to do", async () => {
    const { orgId, tenantId } = await h.install("Desconectado");
    const m = { session: await h.session(orgId) };
    const deposit = await put(m, { stock: { depositIds: ["99999999999"] } });
    expect(deposit.statusCode).toBe(400);
    expect(errorsOf(deposit)["stock.depositIds"]).toBe(
      "Conecte o Bling para confirmar os depósitos: sem a conexão não dá para saber se o depósito 99999999999 existe.",
    );
    const store = await put(m, { price: { source: "store", blingStoreId: "99999999" } });
    expect(errorsOf(store)["price.blingStoreId"]).toContain("Conecte o Bling para confirmar a loja");
    // Settings without new ids still save while disconnected.
    const plain = await put(m, { stock: { depositIds: [], balance: "physical" } });
    expect(plain.statusCode).toBe(200);
    const stored = await new TenantsRepository(h.db.db).findById(tenantId);
    expect(stored?.settings).toMatchObject({ stock: { depositIds: [], balance: "physical" } });
  });

  it("when connected, ids must exist in Bling (depósitos, lojas) and Zydon (price tables)", async () => {
    const m = await merchant("Existe", "Existe Ltda");
    const c = h.bling.sim.control;
    const real = c.upsertDeposit(m.accountId, { descricao: "Galpão 2" });
    const missing = await put(m, { stock: { depositIds: [String(real.id), "99999999999"] } });
    expect(missing.statusCode).toBe(400);
    expect(errorsOf(missing)).toEqual({ "stock.depositIds.1": "Depósito 99999999999 não existe no Bling." });

    const unknownStore = await put(m, { price: { source: "store", blingStoreId: "99999999" } });
    expect(errorsOf(unknownStore)["price.blingStoreId"]).toBe(
      "Loja 99999999 não existe no Bling (ou não tem nenhum produto vinculado a ela).",
    );
    const store = c.upsertStore(m.accountId, { descricao: "Portal B2B" });
    const product = c.upsertProduct(m.accountId, { nome: "Caneca", codigo: "CAN-1", preco: 10 }) as {
      id: number;
    };
    c.setStoreProductPrice(m.accountId, store.id, product.id, { preco: 9 });

    const unknownTable = await put(m, {
      price: { source: "store", blingStoreId: String(store.id), zydonPriceTableId: "tabela-que-nao-existe" },
    });
    expect(errorsOf(unknownTable)).toEqual({
      "price.zydonPriceTableId": "Tabela de preço tabela-que-nao-existe não existe na Zydon.",
    });
    const { priceTables } = h.zydon.sim.seed(m.orgId, { priceTables: [{ name: "Atacado" }] });
    const tableId = priceTables?.Atacado as string;

    const good = await put(m, {
      stock: { depositIds: [String(real.id)], balance: "virtual" },
      price: { source: "store", blingStoreId: String(store.id), zydonPriceTableId: tableId },
    });
    expect(good.statusCode).toBe(200);
    expect(good.json()).toMatchObject({
      stock: { depositIds: [String(real.id)] },
      price: { blingStoreId: String(store.id), zydonPriceTableId: tableId },
    });
  });

  it("health shows attention while the sync has a setting it cannot apply, and not after it resolves", async () => {
    const m = await merchant("Atenção", "Atenção Ltda");
    expect((await as(m, "GET", "/api/settings/health")).json().attention).toEqual([]);
    const ledger = new LedgerRepository(h.db.db);
    const entry = {
      tenantId: m.tenantId,
      entity: "settings",
      entityKey: "stock.depositIds",
      action: "apply",
      reason:
        "Estoque não atualizado: o depósito 99999999999 escolhido em Configurações não existe no Bling.",
    } as const;
    await ledger.record({ ...entry, outcome: "failed" });
    const health = (await as(m, "GET", "/api/settings/health")).json();
    expect(health.attention).toMatchObject([{ setting: "stock.depositIds", reason: entry.reason }]);
    await ledger.record({ ...entry, outcome: "synced", reason: "Depósitos confirmados no Bling." });
    expect((await as(m, "GET", "/api/settings/health")).json().attention).toEqual([]);
  });

  it("ids already saved are not re-checked: pausing works with Bling disconnected and old settings", async () => {
    const { orgId, tenantId } = await h.install("Legado");
    const m = { session: await h.session(orgId) };
    // A document saved before the id rules (bad ids are the sync's to refuse now).
    await new TenantsRepository(h.db.db).updateSettings(tenantId, { stock: { depositIds: ["99999999999"] } });
    expect((await as(m, "POST", "/api/settings/pause")).json()).toEqual({ paused: true });
    const stored = await new TenantsRepository(h.db.db).findById(tenantId);
    expect(stored?.settings).toMatchObject({ stock: { depositIds: ["99999999999"] }, paused: true });
    const same = await put(m, { stock: { depositIds: ["99999999999"], balance: "virtual" }, paused: true });
    expect(same.statusCode).toBe(200);
  });
});

describe("NF-e switched on: the start of Zydon-side approvals (issue 19 #3)", () => {
  it("a save that switches NF-e on (or points it at another status) records when; other saves keep it", async () => {
    const m = await merchant("NF-e desde", "NF-e Desde Ltda");
    const statuses = [...h.zydon.sim.org(m.orgId).statuses.values()];
    const [first, second] = statuses;
    expect(second).toBeDefined();
    const doc = (nfe: Record<string, unknown>) => ({
      stock: { depositIds: [], balance: "virtual" },
      price: { source: "base" },
      orders: { trigger: "all" },
      nfe,
      paused: false,
    });
    const mark = async () =>
      (
        await h.db.sql`select cursor from sync_cursors
                      where tenant_id = ${m.tenantId} and stream = 'watch:nfe-trigger'`
      )[0]?.cursor as { since: string; statusId: string } | undefined;
    expect((await as(m, "PUT", "/api/settings", doc({ enabled: false }))).statusCode).toBe(200);
    expect(await mark()).toBeUndefined();

    const on = doc({ enabled: true, approvedZydonStatusId: first?.id });
    expect((await as(m, "PUT", "/api/settings", on)).statusCode).toBe(200);
    const since = await mark();
    expect(since?.statusId).toBe(first?.id);
    expect(Date.now() - Date.parse(since?.since ?? "")).toBeLessThan(60_000);

    await new Promise((r) => setTimeout(r, 5));
    expect((await as(m, "PUT", "/api/settings", { ...on, paused: true })).statusCode).toBe(200);
    expect(await mark()).toEqual(since);

    const other = doc({ enabled: true, approvedZydonStatusId: second?.id });
    expect((await as(m, "PUT", "/api/settings", other)).statusCode).toBe(200);
    const moved = await mark();
    expect(moved?.statusId).toBe(second?.id);
    expect(Date.parse(moved?.since ?? "")).toBeGreaterThan(Date.parse(since?.since ?? ""));
  });
});
