import { createTestDatabase, type TestDatabase } from "@zb/testing";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../client.js";
import { runMigrations } from "../migrate.js";
import { oauthStates, syncLedger, syncRuns, tenants, webhookInbox } from "../schema/index.js";
import { LedgerRepository } from "./ledger-repository.js";
import { OAuthStatesRepository } from "./oauth-states-repository.js";
import { SyncRunsRepository } from "./sync-runs-repository.js";
import { WebhookInboxRepository } from "./webhook-inbox-repository.js";

/** Issue 21 #6: every table that grows with traffic is pruned in bounded batches, never what is still needed. */
let tdb: TestDatabase;
let h: DbHandle;
let tenantId: string;
const day = 86_400_000;
const now = new Date();
const ago = (days: number) => new Date(now.getTime() - days * day);

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 4 });
  const [t] = await h.db.insert(tenants).values({ zydonOrganizationId: "org-retention" }).returning();
  tenantId = (t as { id: string }).id;
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

async function drain(step: () => Promise<number>): Promise<number[]> {
  const batches: number[] = [];
  for (let n = await step(); n > 0; n = await step()) batches.push(n);
  return batches;
}

describe("retention", () => {
  it("webhook inbox: deletes processed rows older than the window in batches, keeps unprocessed and recent ones", async () => {
    const repo = new WebhookInboxRepository(h.db);
    const row = (eventId: string, processedAt: Date | null) => ({
      provider: "bling" as const,
      eventId,
      tenantId,
      eventType: "stock.updated",
      payload: {},
      receivedAt: ago(30),
      processedAt,
    });
    await h.db
      .insert(webhookInbox)
      .values([
        ...[1, 2, 3, 4, 5].map((i) => row(`old-${i}`, ago(20))),
        row("old-unprocessed", null),
        row("recent", ago(1)),
      ]);
    expect(await drain(() => repo.pruneProcessed(ago(14), 2))).toEqual([2, 2, 1]);
    const left = await h.db.select({ e: webhookInbox.eventId }).from(webhookInbox);
    expect(left.map((r) => r.e).sort()).toEqual(["old-unprocessed", "recent"]);
  });

  it("oauth states: deletes expired ones in batches, keeps live ones", async () => {
    const repo = new OAuthStatesRepository(h.db);
    // Inserted directly: `create` itself deletes expired states first (issue 21 #5).
    const live = await repo.create({ provider: "zydon" });
    await h.db
      .insert(oauthStates)
      .values(
        [0, 1, 2].map((i) => ({ state: `expired-${i}`, provider: "zydon" as const, expiresAt: ago(1) })),
      );
    expect(await drain(() => repo.deleteExpired(new Date(), 2))).toEqual([2, 1]);
    const left = await h.db.select({ s: oauthStates.state }).from(oauthStates);
    expect(left.map((r) => r.s)).toEqual([live]);
  });

  it("sync runs: deletes old finished runs but keeps each tenant's latest per entity and unfinished ones", async () => {
    const repo = new SyncRunsRepository(h.db);
    const run = (entity: string, createdDaysAgo: number, finished: boolean) => ({
      tenantId,
      kind: "initial",
      entity,
      status: finished ? ("done" as const) : ("running" as const),
      createdAt: ago(createdDaysAgo),
      finishedAt: finished ? ago(createdDaysAgo) : null,
    });
    const rows = await h.db
      .insert(syncRuns)
      .values([
        run("products", 200, true),
        run("products", 150, true),
        run("products", 120, true), // the latest products run: kept although old
        run("stock", 300, false), // never finished: kept
        run("stock", 100, true), // the latest stock run
        run("customers", 10, true),
        run("customers", 5, true), // finished recently: kept
      ])
      .returning({ id: syncRuns.id, entity: syncRuns.entity, createdAt: syncRuns.createdAt });
    expect(await drain(() => repo.pruneFinished(ago(90), 1))).toEqual([1, 1]);
    const left = await h.db.select({ id: syncRuns.id }).from(syncRuns);
    const kept = rows.filter((r) => left.some((l) => l.id === r.id));
    expect(
      kept.map((r) => `${r.entity}@${Math.round((now.getTime() - r.createdAt.getTime()) / day)}`),
    ).toEqual(["products@120", "stock@300", "stock@100", "customers@10", "customers@5"]);
    expect((await repo.latestByEntity(tenantId)).map((r) => r.entity).sort()).toEqual([
      "customers",
      "products",
      "stock",
    ]);
  });

  it("ledger: one row per key for successes; pruning keeps open failures and skips however old", async () => {
    const repo = new LedgerRepository(h.db);
    const base = { tenantId, entity: "product", action: "upsert" };
    const first = await repo.record({ ...base, entityKey: "SKU-1", outcome: "synced" });
    const again = await repo.record({ ...base, entityKey: "SKU-1", outcome: "synced", details: { n: 2 } });
    expect(again).toBe(first);
    await repo.record({ ...base, entityKey: "SKU-1", outcome: "synced", action: "stock" });
    await repo.record({ ...base, entityKey: "SKU-2", outcome: "failed", reason: "Preço inválido." });
    await repo.record({ ...base, entityKey: "SKU-3", outcome: "skipped", reason: "SKU em branco." });
    await repo.record({ ...base, entityKey: "SKU-4", outcome: "failed", reason: "Erro." });
    await repo.record({ ...base, entityKey: "SKU-4", outcome: "synced" }); // resolves SKU-4's failure
    const synced = await h.db
      .select({ key: syncLedger.entityKey, action: syncLedger.action, details: syncLedger.details })
      .from(syncLedger)
      .where(and(eq(syncLedger.tenantId, tenantId), eq(syncLedger.outcome, "synced")));
    expect(synced.map((r) => `${r.key}/${r.action}`).sort()).toEqual([
      "SKU-1/stock",
      "SKU-1/upsert",
      "SKU-4/upsert",
    ]);
    expect(synced.find((r) => r.key === "SKU-1" && r.action === "upsert")?.details).toEqual({ n: 2 });

    await h.db.update(syncLedger).set({ updatedAt: ago(120) });
    await repo.record({ ...base, entityKey: "SKU-1", outcome: "synced", action: "stock" }); // touched today
    expect(await drain(() => repo.pruneOlderThan(ago(90), 2))).toEqual([2, 1]);
    const left = await h.db
      .select({ key: syncLedger.entityKey, action: syncLedger.action, outcome: syncLedger.outcome })
      .from(syncLedger)
      .orderBy(sql`${syncLedger.entityKey}, ${syncLedger.action}`);
    expect(left.map((r) => `${r.key}/${r.action}/${r.outcome}`)).toEqual([
      "SKU-1/stock/synced",
      "SKU-2/upsert/failed",
      "SKU-3/upsert/skipped",
    ]);
  });
});
