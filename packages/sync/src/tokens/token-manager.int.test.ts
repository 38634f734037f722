import { BlingInvalidGrantError } from "@zb/bling";
import {
  CredentialsRepository,
  createDb,
  type DbHandle,
  runMigrations,
  SecretBox,
  TenantsRepository,
} from "@zb/db";
import { createTestDatabase, createTestRedis, type TestDatabase } from "@zb/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlingReauthRequiredError, type BlingRefreshPort, BlingTokenManager } from "./token-manager.js";

const box = new SecretBox({ id: "k1", keyBase64: Buffer.alloc(32, 3).toString("base64") });
const redisT = createTestRedis();
let tdb: TestDatabase;
let h: DbHandle;
const redises: Redis[] = [];

/** Behaves like Bling's token endpoint: each refresh token works once and is replaced (rotation). */
class RotatingOAuth implements BlingRefreshPort {
  calls = 0;
  private valid = new Set<string>();
  private n = 0;
  constructor(
    initial: string,
    private readonly delayMs = 200,
  ) {
    this.valid.add(initial);
  }
  async refresh(refreshToken: string) {
    this.calls++;
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (!this.valid.delete(refreshToken)) throw new BlingInvalidGrantError({ type: "invalid_grant" });
    this.n++;
    const next = `rt-${this.n}`;
    this.valid.add(next);
    return {
      accessToken: `at-${this.n}`,
      refreshToken: next,
      accessExpiresAt: new Date(Date.now() + 6 * 3600_000),
      refreshExpiresAt: new Date(Date.now() + 30 * 86400_000),
    };
  }
}

function newRedis(): Redis {
  const r = new Redis(redisT.url);
  redises.push(r);
  return r;
}

async function connectedTenant(org: string, accessExpiresInMs: number) {
  const tenants = new TenantsRepository(h.db);
  const { tenant } = await tenants.install(org);
  await tenants.setState(tenant.id, "active");
  await new CredentialsRepository(h.db, box).connectBling(tenant.id, {
    blingCompanyId: `company-${org}`,
    companyName: org,
    tokens: {
      accessToken: "at-0",
      refreshToken: "rt-0",
      accessExpiresAt: new Date(Date.now() + accessExpiresInMs),
      refreshExpiresAt: new Date(Date.now() + 30 * 86400_000),
    },
  });
  return tenant.id;
}

function manager(oauth: BlingRefreshPort, db = h) {
  return new BlingTokenManager({
    credentials: new CredentialsRepository(db.db, box),
    tenants: new TenantsRepository(db.db),
    redis: newRedis(),
    oauth,
    keyPrefix: redisT.prefix,
  });
}

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 6 });
});
afterAll(async () => {
  for (const r of redises) r.disconnect();
  await h?.close();
  await tdb?.drop();
  await redisT.cleanup();
});

describe("BlingTokenManager", () => {
  it("returns the stored token while it is fresh, without calling Bling", async () => {
    const tenantId = await connectedTenant("org-fresh", 3 * 3600_000);
    const oauth = new RotatingOAuth("rt-0");
    expect(await manager(oauth).getAccessToken(tenantId)).toBe("at-0");
    expect(oauth.calls).toBe(0);
  });

  it("two processes needing a refresh at once make one token call; both continue with the new token", async () => {
    const tenantId = await connectedTenant("org-race", 60_000);
    const oauth = new RotatingOAuth("rt-0");
    // Separate managers = separate processes: own in-process maps, own Redis and Postgres connections.
    const other = createDb({ url: tdb.url, max: 2 });
    try {
      const a = manager(oauth);
      const b = manager(oauth, other);
      const tokens = await Promise.all([
        a.getAccessToken(tenantId),
        b.getAccessToken(tenantId),
        a.getAccessToken(tenantId),
      ]);
      expect(oauth.calls).toBe(1);
      expect(new Set(tokens)).toEqual(new Set(["at-1"]));
      const conn = await new CredentialsRepository(h.db, box).getBlingConnection(tenantId);
      expect(conn?.tokens?.refreshToken).toBe("rt-1");
      expect(conn?.status).toBe("connected");
    } finally {
      await other.close();
    }
  });

  it("forceRefresh after a 401 refreshes once, and not again if someone already did", async () => {
    const tenantId = await connectedTenant("org-401", 3 * 3600_000);
    const oauth = new RotatingOAuth("rt-0");
    const m = manager(oauth);
    expect(await m.forceRefresh(tenantId, "at-0")).toBe("at-1");
    expect(await m.forceRefresh(tenantId, "at-0")).toBe("at-1");
    expect(oauth.calls).toBe(1);
  });

  it("invalid_grant → needs_reauth on the connection and the tenant, and a typed error", async () => {
    const tenantId = await connectedTenant("org-dead", 60_000);
    const oauth = new RotatingOAuth("some-other-token");
    await expect(manager(oauth).getAccessToken(tenantId)).rejects.toBeInstanceOf(BlingReauthRequiredError);
    const conn = await new CredentialsRepository(h.db, box).getBlingConnection(tenantId);
    expect(conn?.status).toBe("needs_reauth");
    expect((await new TenantsRepository(h.db).findById(tenantId))?.state).toBe("needs_reauth");
    // Later calls fail fast without hitting Bling again.
    await expect(manager(oauth).getAccessToken(tenantId)).rejects.toBeInstanceOf(BlingReauthRequiredError);
    expect(oauth.calls).toBe(1);
  });

  it("keep-alive refreshes idle connections only", async () => {
    const tenantId = await connectedTenant("org-idle", 5 * 3600_000);
    const oauth = new RotatingOAuth("rt-0");
    const m = manager(oauth);
    expect(await m.keepAlive(tenantId, 24 * 3600_000)).toBe("fresh");
    expect(await m.keepAlive(tenantId, -1)).toBe("refreshed");
    expect(oauth.calls).toBe(1);
  });
});
