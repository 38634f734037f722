import { randomUUID } from "node:crypto";
import {
  createDb,
  type Database,
  type DbHandle,
  LedgerRepository,
  type LedgerRow,
  LinksRepository,
  runMigrations,
  type Sql,
  TenantsRepository,
} from "@zb/db";
import { createTestDatabase, type TestDatabase } from "@zb/testing";
import { afterAll, beforeAll } from "vitest";
import type { SyncContext } from "../pipelines/context.js";
import { readTenantSettings } from "../settings/tenant-settings.js";
import { FakeBling } from "./fake-bling.js";
import { FakeZydon } from "./fake-zydon.js";

export interface TestContext extends SyncContext {
  bling: FakeBling;
  zydon: FakeZydon;
  /** Follow-up work the pipelines queued, in order. */
  enqueued: { images: string[]; nfe: string[] };
  /** Move the context's clock (and the fakes' change times) forward. */
  advance(ms: number): void;
}

/**
 * A `SyncContext` for one tenant around fresh in-memory fakes (or the ones given, to share state between
 * two "workers"), with a controllable clock. `settings` is the stored settings object (parsed like the
 * worker does).
 */
export function testContext(opts: {
  db: Database;
  tenantId: string;
  settings?: unknown;
  now?: Date;
  bling?: FakeBling;
  zydon?: FakeZydon;
}): TestContext {
  let now = opts.now ?? new Date("2026-03-10T15:00:00.000Z");
  const clock = () => now;
  const enqueued = { images: [] as string[], nfe: [] as string[] };
  return {
    tenantId: opts.tenantId,
    settings: readTenantSettings(opts.settings ?? {}),
    bling: opts.bling ?? new FakeBling(clock),
    zydon: opts.zydon ?? new FakeZydon(),
    db: opts.db,
    log: { info() {}, warn() {} },
    now: clock,
    enqueued,
    advance(ms) {
      now = new Date(now.getTime() + ms);
    },
    async enqueueImages(blingProductId) {
      enqueued.images.push(blingProductId);
    },
    async enqueueNfe(zydonOrderId) {
      enqueued.nfe.push(zydonOrderId);
    },
  };
}

export interface SyncTestDatabase {
  readonly db: Database;
  /** Raw SQL, for what no repository offers (e.g. ageing a claim so it reads as abandoned). */
  readonly sql: Sql;
  /** A new tenant: tests in one file share the database and stay apart by tenant. */
  newTenant(): Promise<string>;
  context(opts?: Omit<Parameters<typeof testContext>[0], "db" | "tenantId">): Promise<TestContext>;
}

/** One migrated Postgres database for the calling test file (created in `beforeAll`, dropped in `afterAll`). */
export function useSyncTestDatabase(): SyncTestDatabase {
  let tdb: TestDatabase | undefined;
  let handle: DbHandle | undefined;
  beforeAll(async () => {
    tdb = await createTestDatabase({ migrate: runMigrations });
    handle = createDb({ url: tdb.url, max: 4 });
  });
  afterAll(async () => {
    await handle?.close();
    await tdb?.drop();
  });
  const api: SyncTestDatabase = {
    get db() {
      if (!handle) throw new Error("useSyncTestDatabase: the database is created in beforeAll");
      return handle.db;
    },
    get sql() {
      if (!handle) throw new Error("useSyncTestDatabase: the database is created in beforeAll");
      return handle.sql;
    },
    async newTenant() {
      return (await new TenantsRepository(api.db).install(`org-${randomUUID()}`)).tenant.id;
    },
    async context(opts = {}) {
      const tenantId = await api.newTenant();
      // Stored too: pipelines re-read what must be current (field ownership) from the tenant row.
      if (opts.settings !== undefined)
        await new TenantsRepository(api.db).updateSettings(
          tenantId,
          opts.settings as Record<string, unknown>,
        );
      return testContext({ ...opts, db: api.db, tenantId });
    },
  };
  return api;
}

/** The tenant's ledger rows, newest first (optionally of one entity). */
export async function ledgerRows(ctx: SyncContext, entity?: string): Promise<LedgerRow[]> {
  return (await new LedgerRepository(ctx.db).list({ tenantId: ctx.tenantId, entity, pageSize: 200 })).items;
}

export function links(ctx: SyncContext): LinksRepository {
  return new LinksRepository(ctx.db);
}
