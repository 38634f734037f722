import { createTestDatabase, type TestDatabase } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../client.js";
import { runMigrations } from "../migrate.js";
import { syncLedger, syncRuns, tenants, webhookInbox } from "../schema/index.js";
import { HealthRepository } from "./health-repository.js";
import { WebhookInboxRepository } from "./webhook-inbox-repository.js";

let tdb: TestDatabase;
let h: DbHandle;
let tenantId: string;
let otherTenantId: string;

const at = (iso: string) => new Date(iso);

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 4 });
  const rows = await h.db
    .insert(tenants)
    .values([{ zydonOrganizationId: "org-h1" }, { zydonOrganizationId: "org-h2" }])
    .returning();
  tenantId = rows[0]!.id;
  otherTenantId = rows[1]!.id;
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

describe("HealthRepository.lastSuccessByEntity", () => {
  it("merges the newest synced ledger row and the newest finished run per entity; failures and other tenants do not count", async () => {
    const base = { tenantId, action: "upsert" };
    await h.db.insert(syncLedger).values([
      {
        ...base,
        entity: "products",
        entityKey: "A",
        outcome: "synced",
        updatedAt: at("2026-01-01T10:00:00Z"),
      },
      {
        ...base,
        entity: "products",
        entityKey: "B",
        outcome: "synced",
        updatedAt: at("2026-01-01T12:00:00Z"),
      },
      {
        ...base,
        entity: "products",
        entityKey: "C",
        outcome: "failed",
        updatedAt: at("2026-01-01T15:00:00Z"),
      },
      { ...base, entity: "stock", entityKey: "A", outcome: "synced", updatedAt: at("2026-01-02T08:00:00Z") },
      {
        ...base,
        entity: "orders",
        entityKey: "1",
        outcome: "skipped",
        updatedAt: at("2026-01-03T08:00:00Z"),
      },
      {
        ...base,
        tenantId: otherTenantId,
        entity: "products",
        entityKey: "X",
        outcome: "synced",
        updatedAt: at("2026-02-01T00:00:00Z"),
      },
    ]);
    await h.db.insert(syncRuns).values([
      // A later finished run beats the ledger for products.
      {
        tenantId,
        kind: "initial",
        entity: "products",
        status: "done",
        finishedAt: at("2026-01-01T13:00:00Z"),
      },
      // An earlier run does not override a later ledger success.
      { tenantId, kind: "initial", entity: "stock", status: "done", finishedAt: at("2026-01-01T00:00:00Z") },
      // A failed run is not a success.
      {
        tenantId,
        kind: "initial",
        entity: "customers",
        status: "failed",
        finishedAt: at("2026-01-05T00:00:00Z"),
      },
      { tenantId, kind: "initial", entity: "prices", status: "done", finishedAt: at("2026-01-04T00:00:00Z") },
    ]);

    const repo = new HealthRepository(h.db);
    expect(await repo.lastSuccessByEntity(tenantId)).toEqual({
      products: at("2026-01-01T13:00:00Z"),
      stock: at("2026-01-02T08:00:00Z"),
      prices: at("2026-01-04T00:00:00Z"),
    });
    expect(await repo.lastSuccessByEntity(otherTenantId)).toEqual({ products: at("2026-02-01T00:00:00Z") });
  });
});

describe("HealthRepository.webhookLagSince", () => {
  it("counts events per provider after `since`, with the last and p95 lag of events that carry occurredAt", async () => {
    const row = (provider: "bling" | "zydon", eventId: string, receivedAt: string, lagMs: number | null) => ({
      provider,
      eventId,
      tenantId,
      eventType: "x",
      payload: {},
      receivedAt: at(receivedAt),
      occurredAt: lagMs === null ? null : new Date(at(receivedAt).getTime() - lagMs),
    });
    await h.db.insert(webhookInbox).values([
      row("bling", "old", "2026-01-01T00:00:00Z", 99_000),
      row("bling", "b1", "2026-01-10T10:00:00Z", 1000),
      row("bling", "b2", "2026-01-10T11:00:00Z", 3000),
      // The newest bling event carries no occurredAt: the last lag is the newest one that does.
      row("bling", "b3", "2026-01-10T12:00:00Z", null),
      row("zydon", "z1", "2026-01-10T09:00:00Z", null),
      { ...row("bling", "other", "2026-01-10T10:00:00Z", 50), tenantId: otherTenantId },
    ]);

    const repo = new HealthRepository(h.db);
    const lags = await repo.webhookLagSince(tenantId, at("2026-01-09T00:00:00Z"));
    const byProvider = Object.fromEntries(lags.map((l) => [l.provider, l]));
    expect(byProvider.bling).toMatchObject({
      provider: "bling",
      count: 3,
      lastReceivedAt: at("2026-01-10T12:00:00Z"),
      lastLagMs: 3000,
    });
    // percentile_cont over {1000, 3000}: 1000 + 0.95 × 2000.
    expect(byProvider.bling?.p95LagMs).toBe(2900);
    expect(byProvider.zydon).toEqual({
      provider: "zydon",
      count: 1,
      lastReceivedAt: at("2026-01-10T09:00:00Z"),
      lastLagMs: null,
      p95LagMs: null,
    });
    expect(await repo.webhookLagSince(otherTenantId, at("2026-01-11T00:00:00Z"))).toEqual([]);
  });
});

describe("WebhookInboxRepository.findByEvent", () => {
  it("finds one provider event's row and whether it was processed", async () => {
    const inbox = new WebhookInboxRepository(h.db);
    const input = {
      provider: "zydon" as const,
      eventId: "order:7",
      tenantId,
      eventType: "order.created",
      payload: {},
    };
    const id = (await inbox.insertOnce(input)) as number;
    expect(await inbox.findByEvent("zydon", tenantId, "order:7")).toEqual({ id, processedAt: null });
    expect(await inbox.findByEvent("bling", tenantId, "order:7")).toBeUndefined();
    // Another tenant never sees this tenant's row (the dedupe key is per tenant).
    expect(await inbox.findByEvent("zydon", otherTenantId, "order:7")).toBeUndefined();
    await inbox.markProcessed(id);
    expect((await inbox.findByEvent("zydon", tenantId, "order:7"))?.processedAt).toBeInstanceOf(Date);
  });
});
