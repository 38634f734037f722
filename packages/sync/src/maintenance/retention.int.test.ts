import { createDb, type DbHandle, runMigrations, syncLedger, tenants, webhookInbox } from "@zb/db";
import { createTestDatabase, type TestDatabase } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pruneRetention } from "./retention.js";

let tdb: TestDatabase;
let h: DbHandle;
let tenantId: string;
const day = 86_400_000;
const now = new Date();
const ago = (days: number) => new Date(now.getTime() - days * day);
const lines: string[] = [];
const log = {
  info: (o: object, m: string) => lines.push(`${m} ${JSON.stringify(o)}`),
  warn: (o: object, m: string) => lines.push(`${m} ${JSON.stringify(o)}`),
};

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 4 });
  const [t] = await h.db.insert(tenants).values({ zydonOrganizationId: "org-prune" }).returning();
  tenantId = (t as { id: string }).id;
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

describe("pruneRetention (issue 21 #6)", () => {
  it("applies each window, deletes in bounded batches and leaves the rest for the next run", async () => {
    await h.db.insert(webhookInbox).values(
      Array.from({ length: 7 }, (_, i) => ({
        provider: "bling" as const,
        eventId: `e-${i}`,
        tenantId,
        eventType: "stock.updated",
        payload: {},
        processedAt: i < 5 ? ago(20) : ago(3), // 5 past the 14-day window, 2 inside it
      })),
    );
    await h.db.insert(syncLedger).values([
      {
        tenantId,
        entity: "product",
        entityKey: "A",
        action: "upsert",
        outcome: "synced",
        resolvedAt: ago(100),
        updatedAt: ago(100),
      },
      {
        tenantId,
        entity: "product",
        entityKey: "B",
        action: "upsert",
        outcome: "failed",
        updatedAt: ago(100),
      },
      {
        tenantId,
        entity: "product",
        entityKey: "C",
        action: "upsert",
        outcome: "synced",
        resolvedAt: ago(10),
        updatedAt: ago(10),
      },
    ]);
    const windows = { inboxDays: 14, ledgerDays: 90 };
    const first = await pruneRetention(h.db, windows, log, { batchSize: 2, maxBatches: 2, now });
    expect(first).toEqual({ inbox: 4, oauthStates: 0, syncRuns: 0, ledger: 1 });
    const second = await pruneRetention(h.db, windows, log, { batchSize: 2, maxBatches: 2, now });
    expect(second.inbox).toBe(1);
    expect(await h.db.$count(webhookInbox)).toBe(2);
    const ledger = await h.db.select({ k: syncLedger.entityKey }).from(syncLedger);
    expect(ledger.map((r) => r.k).sort()).toEqual(["B", "C"]);
    expect(lines.some((l) => l.startsWith("retention prune finished"))).toBe(true);
  });
});
