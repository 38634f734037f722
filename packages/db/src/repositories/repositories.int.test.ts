import { createTestDatabase, type TestDatabase } from "@zb/testing";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../client.js";
import { runMigrations } from "../migrate.js";
import { syncLedger, tenants } from "../schema/index.js";
import { CursorsRepository } from "./cursors-repository.js";
import { LedgerRepository } from "./ledger-repository.js";
import { LinksRepository } from "./links-repository.js";
import { OAuthStatesRepository } from "./oauth-states-repository.js";
import { OrderExportsRepository } from "./order-exports-repository.js";
import { SyncRunsRepository } from "./sync-runs-repository.js";
import { WebhookInboxRepository } from "./webhook-inbox-repository.js";

let tdb: TestDatabase;
let h: DbHandle;
let tenantId: string;
let otherTenantId: string;

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 6 });
  const rows = await h.db
    .insert(tenants)
    .values([{ zydonOrganizationId: "org-a" }, { zydonOrganizationId: "org-b" }])
    .returning();
  tenantId = rows[0]!.id;
  otherTenantId = rows[1]!.id;
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

describe("OAuthStatesRepository", () => {
  it("a state is consumed once, even by concurrent callbacks, and only for its provider", async () => {
    const repo = new OAuthStatesRepository(h.db);
    const state = await repo.create({ provider: "bling", tenantId });
    expect(await repo.consume(state, "zydon")).toBeUndefined();
    const results = await Promise.all([1, 2, 3, 4].map(() => repo.consume(state, "bling")));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(results.find(Boolean)?.tenantId).toBe(tenantId);
    expect(await repo.consume(state, "bling")).toBeUndefined();
  });

  it("an expired state is refused", async () => {
    const repo = new OAuthStatesRepository(h.db);
    const state = await repo.create({ provider: "bling", tenantId, ttlMs: -1000 });
    expect(await repo.consume(state, "bling")).toBeUndefined();
    expect(await repo.deleteExpired()).toBeGreaterThanOrEqual(1);
  });
});

describe("WebhookInboxRepository", () => {
  it("stores an event once; a redelivery returns undefined", async () => {
    const repo = new WebhookInboxRepository(h.db);
    const input = {
      provider: "bling" as const,
      eventId: "e-1",
      tenantId,
      eventType: "stock.updated",
      payload: { a: 1 },
    };
    const [a, b] = await Promise.all([repo.insertOnce(input), repo.insertOnce(input)]);
    expect([a, b].filter((x) => x !== undefined)).toHaveLength(1);
    const id = (a ?? b) as number;
    await repo.markProcessed(id);
    expect((await repo.get(id))?.processedAt).toBeInstanceOf(Date);
  });

  it("dedupes per tenant: another tenant's event with the same id is its own row", async () => {
    const repo = new WebhookInboxRepository(h.db);
    const input = {
      provider: "bling" as const,
      eventId: "e-shared",
      eventType: "stock.updated",
      payload: { a: 1 },
    };
    const mine = await repo.insertOnce({ ...input, tenantId });
    const theirs = await repo.insertOnce({ ...input, tenantId: otherTenantId });
    expect(mine).toBeTypeOf("number");
    expect(theirs).toBeTypeOf("number");
    expect(theirs).not.toBe(mine);
    expect(await repo.insertOnce({ ...input, tenantId: otherTenantId })).toBeUndefined();
    expect((await repo.get(theirs as number))?.tenantId).toBe(otherTenantId);
  });
});

describe("LedgerRepository", () => {
  it("folds repeated failures into one open row and closes it on success", async () => {
    const repo = new LedgerRepository(h.db);
    const base = { tenantId, entity: "product", entityKey: "SKU-1", action: "upsert" };
    const id1 = await repo.record({
      ...base,
      outcome: "failed",
      reason: "Zydon fora do ar",
      retryable: true,
    });
    const id2 = await repo.record({
      ...base,
      outcome: "failed",
      reason: "Zydon fora do ar de novo",
      retryable: true,
    });
    expect(id2).toBe(id1);
    expect(await repo.hasOpen(tenantId, "product", "SKU-1", "upsert")).toBe(true);
    expect(await repo.hasOpen(tenantId, "product", "SKU-1", "delete")).toBe(false);
    expect(await repo.hasOpen(tenantId, "product", "SKU-2", "upsert")).toBe(false);
    const row = await repo.get(tenantId, id1);
    expect(row?.attempts).toBe(2);
    expect(row?.reason).toBe("Zydon fora do ar de novo");
    await repo.record({ ...base, outcome: "synced" });
    expect((await repo.get(tenantId, id1))?.resolvedAt).toBeInstanceOf(Date);
    expect((await repo.listOpenFailures(tenantId)).map((r) => r.id)).not.toContain(id1);
    expect(await repo.hasOpen(tenantId, "product", "SKU-1", "upsert")).toBe(false);
  });

  it("keeps one row per key, action and outcome: a skip repeated after a success reopens its row", async () => {
    const repo = new LedgerRepository(h.db);
    const base = { tenantId, entity: "product", entityKey: "bling:777", action: "import" };
    const skip = { ...base, outcome: "skipped" as const, reason: "Sem SKU", details: { name: "Caneca" } };
    const id = await repo.record(skip);
    for (let i = 0; i < 5; i++) await repo.record(skip);
    await repo.record({ ...base, outcome: "synced" });
    expect((await repo.get(tenantId, id))?.resolvedAt).toBeInstanceOf(Date);
    expect((await repo.list({ tenantId, resolved: true, search: "Caneca" })).items.map((r) => r.id)).toEqual([
      id,
    ]);
    // Skipped again on the next pass: the same row, reopened, counting on — not a new row per pass.
    expect(await repo.record(skip)).toBe(id);
    const rows = (await repo.list({ tenantId, search: "bling:777" })).items;
    expect(rows.filter((r) => r.outcome === "skipped")).toHaveLength(1);
    expect(rows.find((r) => r.outcome === "skipped")).toMatchObject({ id, attempts: 7, resolvedAt: null });
    expect((await repo.list({ tenantId, resolved: true, search: "Caneca" })).items).toHaveLength(0);
  });

  it("finds a CPF typed with its punctuation and a record by the name shown beside it", async () => {
    const repo = new LedgerRepository(h.db);
    await repo.record({
      tenantId,
      entity: "customer",
      entityKey: "52998224725",
      action: "import",
      outcome: "synced",
      details: { name: "Maria Pontual" },
    });
    const byDoc = await repo.list({ tenantId, search: "529.982.247-25" });
    expect(byDoc.items.map((r) => r.entityKey)).toEqual(["52998224725"]);
    const byName = await repo.list({ tenantId, search: "maria pont" });
    expect(byName.items.map((r) => r.entityKey)).toEqual(["52998224725"]);
  });

  it("counts records per hour and outcome over the last day, for one tenant, from the index", async () => {
    const [t] = await h.db.insert(tenants).values({ zydonOrganizationId: "org-hourly" }).returning();
    const tid = (t as { id: string }).id;
    const repo = new LedgerRepository(h.db);
    const at = async (key: string, outcome: "synced" | "skipped" | "failed", when: string) => {
      const id = await repo.record({
        tenantId: tid,
        entity: "product",
        entityKey: key,
        action: "import",
        outcome,
      });
      await h.db
        .update(syncLedger)
        .set({ updatedAt: new Date(when) })
        .where(eq(syncLedger.id, id));
    };
    await at("A", "synced", "2026-03-10T10:05:00Z");
    await at("B", "synced", "2026-03-10T10:59:59Z");
    await at("C", "failed", "2026-03-10T10:30:00Z");
    await at("D", "skipped", "2026-03-10T12:00:00Z");
    await at("OLD", "synced", "2026-03-09T09:00:00Z");
    await repo.record({
      tenantId,
      entity: "product",
      entityKey: "other",
      action: "import",
      outcome: "synced",
    });
    const rows = await repo.hourly(tid, new Date("2026-03-09T12:00:00Z"));
    expect(rows).toEqual([
      { hour: new Date("2026-03-10T10:00:00Z"), synced: 2, skipped: 0, failed: 1 },
      { hour: new Date("2026-03-10T12:00:00Z"), synced: 0, skipped: 1, failed: 0 },
    ]);
    // The range scan's index: (tenant_id, updated_at), created by the migration.
    const idx = await h.db.execute(
      sql`select indexdef from pg_indexes where indexname = 'sync_ledger_tenant_updated_idx'`,
    );
    expect(JSON.stringify(idx)).toContain("(tenant_id, updated_at)");
  });

  it("filters, searches safely and never shows another tenant's rows", async () => {
    const repo = new LedgerRepository(h.db);
    await repo.record({
      tenantId,
      entity: "customer",
      entityKey: "12345678909",
      action: "import",
      outcome: "skipped",
      reason: "Cliente sem CPF/CNPJ nem IE/RG",
    });
    await repo.record({
      tenantId,
      entity: "customer",
      entityKey: "50%_off",
      action: "import",
      outcome: "skipped",
      reason: "x",
    });
    await repo.record({
      tenantId: otherTenantId,
      entity: "customer",
      entityKey: "12345678909",
      action: "import",
      outcome: "skipped",
    });
    const found = await repo.list({ tenantId, search: "123456" });
    expect(found.items.map((r) => r.tenantId)).toEqual([tenantId]);
    expect((await repo.list({ tenantId, search: "%" })).items.map((r) => r.entityKey)).toEqual(["50%_off"]);
    expect((await repo.list({ tenantId, search: "'; drop table sync_ledger; --" })).total).toBe(0);
    expect((await repo.list({ tenantId, entity: "customer", outcome: "skipped" })).total).toBe(2);
    expect(await repo.get(otherTenantId, found.items[0]!.id)).toBeUndefined();
    const counts = await repo.countsByOutcome(tenantId);
    expect(counts.customer?.skipped).toBe(2);
  });
});

describe("LinksRepository", () => {
  it("upserts by Bling id and keeps both sides unique", async () => {
    const repo = new LinksRepository(h.db);
    await repo.upsert({ tenantId, entity: "product", blingId: "b1", zydonId: null, naturalKey: "SKU-1" });
    const l = await repo.upsert({
      tenantId,
      entity: "product",
      blingId: "b1",
      zydonId: "z1",
      contentHash: "h1",
    });
    expect(l).toMatchObject({ blingId: "b1", zydonId: "z1", naturalKey: "SKU-1", contentHash: "h1" });
    expect((await repo.byZydonId(tenantId, "product", "z1"))?.blingId).toBe("b1");
    expect((await repo.byNaturalKey(tenantId, "product", "SKU-1"))?.id).toBe(l.id);
    await expect(
      repo.upsert({ tenantId, entity: "product", blingId: "b2", zydonId: "z1" }),
    ).rejects.toThrow();
    expect(await repo.byBlingIds(tenantId, "product", ["b1", "nope"])).toHaveLength(1);
  });
});

describe("OrderExportsRepository", () => {
  it("ensure is idempotent and transitions are compare-and-set", async () => {
    const repo = new OrderExportsRepository(h.db);
    const [a, b] = await Promise.all([repo.ensure(tenantId, "o-1"), repo.ensure(tenantId, "o-1")]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    const id = a.row.id;
    const moves = await Promise.all([
      repo.transition(id, ["pending"], "creating", { incrementAttempts: true }),
      repo.transition(id, ["pending"], "creating", { incrementAttempts: true }),
    ]);
    expect(moves.filter(Boolean)).toHaveLength(1);
    const created = await repo.transition(id, ["creating"], "created", { blingOrderId: "999" });
    expect(created).toMatchObject({ state: "created", blingOrderId: "999", attempts: 1 });
    expect((await repo.byBlingOrderId(tenantId, "999"))?.zydonOrderId).toBe("o-1");
  });
});

describe("CursorsRepository and SyncRunsRepository", () => {
  it("round-trips cursors through a schema and tracks run progress", async () => {
    const { z } = await import("zod");
    const cursors = new CursorsRepository(h.db);
    await cursors.set(tenantId, "products:initial", { page: 3 });
    await cursors.set(tenantId, "products:initial", { page: 4 });
    expect(await cursors.get(tenantId, "products:initial", z.object({ page: z.number() }))).toEqual({
      page: 4,
    });
    await expect(
      cursors.get(tenantId, "products:initial", z.object({ since: z.string() })),
    ).rejects.toThrow();

    const runs = new SyncRunsRepository(h.db);
    const run = await runs.create({ tenantId, kind: "initial", entity: "products" });
    await runs.start(run.id, 250);
    await Promise.all([
      runs.addProgress(run.id, { done: 100 }),
      runs.addProgress(run.id, { done: 100, skipped: 3 }),
    ]);
    await runs.finish(run.id, "done");
    expect(await runs.get(run.id)).toMatchObject({ status: "done", total: 250, done: 200, skipped: 3 });
    expect((await runs.latestByEntity(tenantId)).map((r) => r.entity)).toEqual(["products"]);
  });
});
