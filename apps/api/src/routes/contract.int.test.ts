import {
  actionResultSchema,
  activitySchema,
  connectionSchema,
  disconnectResponseSchema,
  enqueuedResponseSchema,
  errorBodySchema,
  guardReleaseResponseSchema,
  healthResponseSchema,
  ledgerOutcomes,
  ledgerPageResponseSchema,
  pageStateSchema,
  pauseResponseSchema,
  progressSchema,
  readinessSchema,
  retryFailedResponseSchema,
  sessionResponseSchema,
  settingsOptionsResponseSchema,
  settingsSchema,
  validationErrorBodySchema,
} from "@zb/contract";
import {
  CursorsRepository,
  ledgerOutcomes as dbLedgerOutcomes,
  LedgerRepository,
  SyncRunsRepository,
  TenantsRepository,
  WebhookInboxRepository,
} from "@zb/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createHarness, type Harness } from "../test-support/harness.js";

/**
 * Every answer the settings page reads, taken from the real API (the same harness as settings.int.test.ts),
 * must parse with the contract schema the page parses it with, and the contract must know every field the
 * API sends (a field the API adds without the contract is drift too).
 */

let h: Harness;
let session: string;
let tenantId: string;
let orgId: string;

/** Every object key path in a JSON value ("a.b", array items as "a[]"). */
function keyPaths(value: unknown, prefix = ""): Set<string> {
  const out = new Set<string>();
  if (Array.isArray(value)) {
    for (const item of value) for (const p of keyPaths(item, `${prefix}[]`)) out.add(p);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${k}` : k;
      out.add(path);
      for (const p of keyPaths(v, path)) out.add(p);
    }
  }
  return out;
}

/** Parses like the page does, and fails on any key the schema would drop. */
function expectContract<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new Error(`response does not match the contract: ${r.error.message}`);
  const kept = keyPaths(r.data);
  expect([...keyPaths(body)].filter((p) => !kept.has(p))).toEqual([]);
  return r.data;
}

function as(method: "GET" | "POST" | "PUT", url: string, payload?: object) {
  return h.api.inject({
    method,
    url,
    headers: { authorization: `Bearer ${session}` },
    ...(payload !== undefined ? { payload } : {}),
  });
}

beforeAll(async () => {
  h = await createHarness();
  h.deps.budget = {
    usage: async () => ({ today: 321, dailyLimit: 120_000, lastSecond: 2 }),
  };
  const installed = await h.install("Contrato");
  tenantId = installed.tenantId;
  orgId = installed.orgId;
  const admin = h.zydon.sim.issueAdminSession(installed.orgId);
  const res = await h.api.inject({ method: "POST", url: "/api/session", payload: admin });
  expect(res.statusCode).toBe(200);
  session = expectContract(sessionResponseSchema, res.json()).token;
  const acc = h.bling.createAccount("Contrato Ltda");
  // The deposit the settings test saves: the API checks that a chosen deposit exists in Bling.
  h.bling.sim.control.upsertDeposit(acc.accountId, { id: 14887164854, descricao: "Depósito Contrato" });
  expect((await h.connectBling(session, acc.accountId)).status).toBe(302);
});
afterAll(async () => {
  await h?.close();
});

describe("the settings page's contract against the real API", () => {
  it("ledger outcomes are the database's", () => {
    expect([...ledgerOutcomes]).toEqual([...dbLedgerOutcomes]);
  });

  it("session errors carry the error body the page reads", async () => {
    const res = await h.api.inject({ method: "POST", url: "/api/session", payload: { organizationId: "" } });
    expect(res.statusCode).toBe(400);
    expect(expectContract(errorBodySchema, res.json())).toMatchObject({ error: "bad_request" });
  });

  it("connection, health and progress", async () => {
    const connection = expectContract(connectionSchema, (await as("GET", "/api/settings/connection")).json());
    expect(connection.bling).toMatchObject({ state: "connected", companyName: "Contrato Ltda" });
    expect(connection.token.state).toBe("valid");

    await new LedgerRepository(h.db.db).record({
      tenantId,
      entity: "products",
      entityKey: "SKU-C",
      action: "update",
      outcome: "synced",
    });
    await new WebhookInboxRepository(h.db.db).insertOnce({
      provider: "bling",
      eventId: `contract-${tenantId}`,
      tenantId,
      eventType: "stock.updated",
      payload: {},
      occurredAt: new Date(Date.now() - 2_000),
    });
    const health = expectContract(healthResponseSchema, (await as("GET", "/api/settings/health")).json());
    expect(health.requests).toEqual({ today: 321, dailyLimit: 120_000, lastSecond: 2 });
    expect(health.webhooks.bling?.last24h).toBe(1);
    expect(typeof health.lastSuccess.products).toBe("string");

    const runs = new SyncRunsRepository(h.db.db);
    const run = await runs.create({ tenantId, kind: "initial", entity: "products", total: 10 });
    await runs.start(run.id);
    await runs.addProgress(run.id, { done: 4 });
    const progress = expectContract(progressSchema, (await as("GET", "/api/settings/progress")).json());
    expect(progress.running).toBe(true);
    expect(progress.entities).toContainEqual(
      expect.objectContaining({ entity: "products", done: 4, total: 10 }),
    );

    const activity = expectContract(activitySchema, (await as("GET", "/api/settings/activity")).json());
    expect(activity.hours).toHaveLength(24);
    expect(activity.hours.at(-1)?.synced).toBeGreaterThanOrEqual(1);
    expect(activity.requests).toEqual({ today: 321, dailyLimit: 120_000 });
    const state = expectContract(pageStateSchema, (await as("GET", "/api/settings/state")).json());
    expect(state.state).toBe("first_sync");
    const release = await as("POST", "/api/settings/guards/price/release");
    expect(expectContract(guardReleaseResponseSchema, release.json()).released).toBe(false);
  });

  it("readiness: the 404 before a report, then the report", async () => {
    const missing = await as("GET", "/api/settings/readiness");
    expect(missing.statusCode).toBe(404);
    expect(expectContract(errorBodySchema, missing.json()).error).toBe("readiness_not_available");
    await new CursorsRepository(h.db.db).set(tenantId, "readiness", {
      generatedAt: new Date().toISOString(),
      problems: [
        {
          code: "products_without_sku",
          title: "3 produtos sem código (SKU) no Bling",
          count: 3,
          examples: ["Camiseta"],
          action: "Preencha o código no Bling.",
          severity: "blocker",
        },
      ],
      counts: { products: 10 },
      sampled: false,
    });
    const readiness = expectContract(readinessSchema, (await as("GET", "/api/settings/readiness")).json());
    expect(readiness.problems.map((p) => p.severity)).toEqual(["blocker"]);
  });

  it("settings document, its validation errors and the select options", async () => {
    const initial = expectContract(settingsSchema, (await as("GET", "/api/settings")).json());
    expect(initial.stock.balance).toBe("virtual");
    const saved = await as("PUT", "/api/settings", {
      ...initial,
      stock: { depositIds: ["14887164854"], balance: "physical" },
    });
    expect(saved.statusCode).toBe(200);
    expect(expectContract(settingsSchema, saved.json()).stock.depositIds).toEqual(["14887164854"]);
    const bad = await as("PUT", "/api/settings", { ...initial, price: { source: "store" } });
    expect(bad.statusCode).toBe(400);
    expect(Object.keys(expectContract(validationErrorBodySchema, bad.json()).errors)).toContain(
      "price.blingStoreId",
    );

    const options = expectContract(
      settingsOptionsResponseSchema,
      (await as("GET", "/api/settings/options")).json(),
    );
    expect(options.bling?.deposits.length).toBeGreaterThan(0);
    expect(options.zydon?.statuses.length).toBeGreaterThan(0);
  });

  it("ledger page and its retry buttons", async () => {
    const ledger = new LedgerRepository(h.db.db);
    const failedId = await ledger.record({
      tenantId,
      entity: "orders",
      entityKey: "PED-C",
      action: "export",
      outcome: "failed",
      reason: "Forma de pagamento inválida",
      retryable: true,
    });
    const page = expectContract(
      ledgerPageResponseSchema,
      (await as("GET", "/api/settings/ledger?outcome=failed")).json(),
    );
    expect(page.items).toContainEqual(
      expect.objectContaining({ id: String(failedId), outcome: "failed", retryable: true }),
    );

    const one = await as("POST", `/api/settings/ledger/${failedId}/retry`);
    expect(one.statusCode).toBe(202);
    expect(expectContract(enqueuedResponseSchema, one.json())).toEqual({ status: "enqueued" });
    const all = expectContract(
      retryFailedResponseSchema,
      (await as("POST", "/api/settings/ledger/retry-failed")).json(),
    );
    expect(all.enqueued).toBeGreaterThanOrEqual(0);
    // The page reads every button's answer through the tolerant reader; none collapses to null.
    expect(actionResultSchema.parse(one.json())).toEqual({ status: "enqueued" });
  });

  it("resync, pause, resume and disconnect", async () => {
    const resync = await as("POST", "/api/settings/resync/stock");
    expect(resync.statusCode).toBe(202);
    expect(expectContract(enqueuedResponseSchema, resync.json()).status).toBe("enqueued");

    expect(expectContract(pauseResponseSchema, (await as("POST", "/api/settings/pause")).json())).toEqual({
      paused: true,
    });
    await new TenantsRepository(h.db.db).markInitialSyncDone(tenantId);
    const resumed = expectContract(pauseResponseSchema, (await as("POST", "/api/settings/resume")).json());
    expect(resumed.paused).toBe(false);

    const disconnected = expectContract(
      disconnectResponseSchema,
      (await as("POST", "/api/settings/bling/disconnect")).json(),
    );
    expect(disconnected).toMatchObject({ wasConnected: true });
    expect(actionResultSchema.parse(disconnected)?.message).toBe(disconnected.message);
    // Desconectar ends the tenant's sessions (issue 21 #8): the page mints a new one, as here.
    session = await h.session(orgId);
    const after = expectContract(connectionSchema, (await as("GET", "/api/settings/connection")).json());
    expect(after.bling.state).toBe("not_connected");
  });
});
