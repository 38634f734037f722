import { createTestDatabase, type TestDatabase } from "@zb/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client.js";
import { runMigrations } from "./migrate.js";
import { CompanyAlreadyBoundError, CredentialsRepository } from "./repositories/credentials-repository.js";
import { TenantsRepository } from "./repositories/tenants-repository.js";
import {
  entityLinks,
  oauthStates,
  orderExports,
  syncCursors,
  tenants,
  webhookInbox,
} from "./schema/index.js";
import { sealLegacy } from "./secrets/legacy-seal.testkit.js";
import { rotateSecrets } from "./secrets/rotate-secrets.js";
import { SecretBox, SecretDecryptionError } from "./secrets/secret-box.js";

const k1 = { id: "k1", keyBase64: Buffer.alloc(32, 1).toString("base64") };
const k2 = { id: "k2", keyBase64: Buffer.alloc(32, 2).toString("base64") };

let tdb: TestDatabase;
let h: DbHandle;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await runMigrations(tdb.url);
  h = createDb({ url: tdb.url, max: 4 });
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

function expectUniqueViolation(p: Promise<unknown>) {
  return expect(p).rejects.toSatisfy((e: unknown) => {
    const err = e as { code?: string; cause?: { code?: string } };
    return err.code === "23505" || err.cause?.code === "23505";
  });
}

async function newTenant(org: string) {
  const [t] = await h.db.insert(tenants).values({ zydonOrganizationId: org }).returning();
  return t!;
}

describe("migrations", () => {
  it("apply to an empty database and a second run is a no-op", async () => {
    const fresh = await createTestDatabase();
    try {
      await runMigrations(fresh.url);
      const c = createDb({ url: fresh.url, max: 1 });
      const count = async () =>
        (await c.sql`select count(*)::int as n from drizzle.__drizzle_migrations`)[0]?.n as number;
      const tables =
        await c.sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`;
      expect(tables.map((t) => t.table_name)).toEqual([
        "alert_settings",
        "alerts",
        "bling_connections",
        "entity_links",
        "oauth_states",
        "order_exports",
        "sync_cursors",
        "sync_ledger",
        "sync_runs",
        "tenants",
        "webhook_inbox",
        "zydon_credentials",
      ]);
      const before = await count();
      expect(before).toBeGreaterThan(0);
      await runMigrations(fresh.url);
      expect(await count()).toBe(before);
      await c.close();
    } finally {
      await fresh.drop();
    }
  });
});

describe("unique constraints make duplicates impossible", () => {
  it("one tenant per Zydon organization", async () => {
    await newTenant("org-uq");
    await expectUniqueViolation(h.db.insert(tenants).values({ zydonOrganizationId: "org-uq" }));
  });

  it("one link per tenant × entity × Bling id, and per tenant × entity × Zydon id", async () => {
    const t = await newTenant("org-links");
    await h.db.insert(entityLinks).values({ tenantId: t.id, entity: "product", blingId: "1", zydonId: "z1" });
    await expectUniqueViolation(
      h.db.insert(entityLinks).values({ tenantId: t.id, entity: "product", blingId: "1", zydonId: "z2" }),
    );
    await expectUniqueViolation(
      h.db.insert(entityLinks).values({ tenantId: t.id, entity: "product", blingId: "2", zydonId: "z1" }),
    );
    // Same ids under another entity or tenant are fine.
    await h.db
      .insert(entityLinks)
      .values({ tenantId: t.id, entity: "customer", blingId: "1", zydonId: "z1" });
    const t2 = await newTenant("org-links-2");
    await h.db
      .insert(entityLinks)
      .values({ tenantId: t2.id, entity: "product", blingId: "1", zydonId: "z1" });
    // A link must name at least one side.
    await expect(h.db.insert(entityLinks).values({ tenantId: t.id, entity: "product" })).rejects.toThrow();
  });

  it("one tenant per Bling company", async () => {
    const box = new SecretBox(k1);
    const repo = new CredentialsRepository(h.db, box);
    const a = await newTenant("org-company-a");
    const b = await newTenant("org-company-b");
    const tokens = {
      accessToken: "a",
      refreshToken: "r",
      accessExpiresAt: new Date(Date.now() + 3600_000),
      refreshExpiresAt: new Date(Date.now() + 86400_000),
    };
    await repo.connectBling(a.id, { blingCompanyId: "company-1", companyName: "A", tokens });
    await expect(
      repo.connectBling(b.id, { blingCompanyId: "company-1", companyName: "B", tokens }),
    ).rejects.toBeInstanceOf(CompanyAlreadyBoundError);
    // Reconnecting the same tenant to the same company is fine.
    await repo.connectBling(a.id, { blingCompanyId: "company-1", companyName: "A", tokens });
    expect(await repo.findTenantIdByBlingCompany("company-1")).toBe(a.id);
  });

  it("one inbox row per provider, tenant and event id", async () => {
    const a = await newTenant("org-inbox-a");
    const b = await newTenant("org-inbox-b");
    const row = (tenantId: string, provider: "bling" | "zydon" = "bling") => ({
      provider,
      tenantId,
      eventId: "ev-1",
      eventType: "stock.updated",
      payload: {},
    });
    await h.db.insert(webhookInbox).values(row(a.id));
    await expectUniqueViolation(h.db.insert(webhookInbox).values(row(a.id)));
    // Another tenant's event with the same id is its own row (issue 21 #9), and so is another provider's.
    await h.db.insert(webhookInbox).values(row(b.id));
    await h.db.insert(webhookInbox).values(row(a.id, "zydon"));
  });

  it("one export per Zydon order and per Bling order, one cursor per stream, one oauth state", async () => {
    const t = await newTenant("org-orders");
    await h.db.insert(orderExports).values({ tenantId: t.id, zydonOrderId: "o1", blingOrderId: "b1" });
    await expectUniqueViolation(h.db.insert(orderExports).values({ tenantId: t.id, zydonOrderId: "o1" }));
    await expectUniqueViolation(
      h.db.insert(orderExports).values({ tenantId: t.id, zydonOrderId: "o2", blingOrderId: "b1" }),
    );
    await h.db.insert(syncCursors).values({ tenantId: t.id, stream: "products", cursor: { page: 1 } });
    await expectUniqueViolation(
      h.db.insert(syncCursors).values({ tenantId: t.id, stream: "products", cursor: {} }),
    );
    const expiresAt = new Date(Date.now() + 60_000);
    await h.db.insert(oauthStates).values({ state: "s1", provider: "bling", tenantId: t.id, expiresAt });
    await expectUniqueViolation(
      h.db.insert(oauthStates).values({ state: "s1", provider: "bling", expiresAt }),
    );
  });

  it("rejects unknown tenant states", async () => {
    await expect(
      h.db.execute(sql`insert into tenants (zydon_organization_id, state) values ('org-bad', 'zombie')`),
    ).rejects.toThrow();
  });
});

describe("repositories", () => {
  it("install is idempotent and re-activates a paused tenant", async () => {
    const repo = new TenantsRepository(h.db);
    const first = await repo.install("org-install");
    expect(first).toMatchObject({ created: true });
    const [second, third] = await Promise.all([repo.install("org-install"), repo.install("org-install")]);
    expect(second?.tenant.id).toBe(first.tenant.id);
    expect(third?.tenant.id).toBe(first.tenant.id);
    await repo.setState(first.tenant.id, "paused");
    expect((await repo.findById(first.tenant.id))?.uninstalledAt).toBeInstanceOf(Date);
    const again = await repo.install("org-install", { blingConnected: true });
    expect(again).toMatchObject({ created: false, reactivated: true });
    expect(again.tenant.state).toBe("active");
    expect(again.tenant.uninstalledAt).toBeNull();
  });

  it("stores credentials encrypted and refreshes with compare-and-set", async () => {
    const box = new SecretBox(k1);
    const repo = new CredentialsRepository(h.db, box);
    const t = await newTenant("org-creds");
    await repo.saveZydonAccessKey(t.id, { accessKeyCode: "code-123", accessKeyToken: "token-456" });
    const raw =
      await h.sql`select access_key_code_enc, access_key_token_enc from zydon_credentials where tenant_id = ${t.id}`;
    expect(JSON.stringify(raw)).not.toContain("token-456");
    expect(await repo.getZydonAccessKey(t.id)).toEqual({
      accessKeyCode: "code-123",
      accessKeyToken: "token-456",
    });

    const tokens = {
      accessToken: "at-1",
      refreshToken: "rt-1",
      accessExpiresAt: new Date(Date.now() + 3600_000),
      refreshExpiresAt: new Date(Date.now() + 86400_000),
    };
    await repo.connectBling(t.id, { blingCompanyId: "company-creds", companyName: "C", tokens });
    const conn = await repo.getBlingConnection(t.id);
    expect(conn?.tokens?.refreshToken).toBe("rt-1");
    const v = conn!.tokenVersion;
    expect(
      await repo.saveRefreshedTokens(t.id, v, { ...tokens, accessToken: "at-2", refreshToken: "rt-2" }),
    ).toBe(true);
    // A second writer holding the old version loses: the winner's refresh token survives.
    expect(
      await repo.saveRefreshedTokens(t.id, v, { ...tokens, accessToken: "at-x", refreshToken: "rt-x" }),
    ).toBe(false);
    expect((await repo.getBlingConnection(t.id))?.tokens?.refreshToken).toBe("rt-2");
  });

  it("purges secrets after the retention window only", async () => {
    const box = new SecretBox(k1);
    const repo = new CredentialsRepository(h.db, box);
    const t = await newTenant("org-purge");
    await repo.saveZydonAccessKey(t.id, { accessKeyCode: "c", accessKeyToken: "t" });
    await repo.schedulePurge(t.id, new Date(Date.now() + 60_000));
    expect(await repo.purgeExpired(new Date())).not.toContain(t.id);
    expect(await repo.getZydonAccessKey(t.id)).toBeDefined();
    expect(await repo.purgeExpired(new Date(Date.now() + 120_000))).toContain(t.id);
    expect(await repo.getZydonAccessKey(t.id)).toBeUndefined();
  });

  it("a sealed value moved to another tenant's row or another column does not open (issue 21 #11)", async () => {
    const box = new SecretBox(k1);
    const repo = new CredentialsRepository(h.db, box);
    const a = await newTenant("org-aad-a");
    const b = await newTenant("org-aad-b");
    const tokens = (p: string) => ({
      accessToken: `${p}-access`,
      refreshToken: `${p}-refresh`,
      accessExpiresAt: new Date(Date.now() + 3600_000),
      refreshExpiresAt: new Date(Date.now() + 86400_000),
    });
    await repo.connectBling(a.id, { blingCompanyId: "company-aad-a", companyName: "A", tokens: tokens("a") });
    await repo.connectBling(b.id, { blingCompanyId: "company-aad-b", companyName: "B", tokens: tokens("b") });
    await repo.saveZydonAccessKey(b.id, { accessKeyCode: "b-code", accessKeyToken: "b-token" });
    expect((await repo.getBlingConnection(b.id))?.tokens?.refreshToken).toBe("b-refresh");

    // Someone with write access to the table copies A's refresh token into B's row…
    await h.sql`update bling_connections set refresh_token_enc =
      (select refresh_token_enc from bling_connections where tenant_id = ${a.id}) where tenant_id = ${b.id}`;
    await expect(repo.getBlingConnection(b.id)).rejects.toBeInstanceOf(SecretDecryptionError);
    // …or B's own refresh token into B's access-token column, or into the Zydon key of the same row owner.
    await repo.connectBling(b.id, { blingCompanyId: "company-aad-b", companyName: "B", tokens: tokens("b") });
    await h.sql`update bling_connections set access_token_enc = refresh_token_enc where tenant_id = ${b.id}`;
    await expect(repo.getBlingConnection(b.id)).rejects.toBeInstanceOf(SecretDecryptionError);
    await h.sql`update zydon_credentials set access_key_token_enc =
      (select refresh_token_enc from bling_connections where tenant_id = ${b.id}) where tenant_id = ${b.id}`;
    await expect(repo.getZydonAccessKey(b.id)).rejects.toBeInstanceOf(SecretDecryptionError);
    // A's own row is untouched and still opens.
    expect((await repo.getBlingConnection(a.id))?.tokens?.refreshToken).toBe("a-refresh");
    // A rotation to a new key leaves a value that does not open where it lies as it is, counts it, goes on.
    const toK2 = new SecretBox(k2, [k1]);
    const before = await rotateSecrets(h.db, toK2, { dryRun: true });
    expect(before.unreadable).toBeGreaterThanOrEqual(2);
    await repo.connectBling(b.id, { blingCompanyId: "company-aad-b", companyName: "B", tokens: tokens("b") });
    await repo.saveZydonAccessKey(b.id, { accessKeyCode: "b-code", accessKeyToken: "b-token" });
    expect((await rotateSecrets(h.db, toK2, { dryRun: true })).unreadable).toBe(before.unreadable - 2);
  });

  it("legacy gcm1 values still open, and rotation re-seals them as gcm2 bound to their place", async () => {
    const box = new SecretBox(k1);
    const repo = new CredentialsRepository(h.db, box);
    const t = await newTenant("org-legacy");
    await repo.connectBling(t.id, {
      blingCompanyId: "company-legacy",
      companyName: "L",
      tokens: {
        accessToken: "x",
        refreshToken: "y",
        accessExpiresAt: new Date(Date.now() + 3600_000),
        refreshExpiresAt: new Date(Date.now() + 86400_000),
      },
    });
    await repo.saveZydonAccessKey(t.id, { accessKeyCode: "x", accessKeyToken: "y" });
    // Rows as the first format wrote them.
    await h.sql`update bling_connections set access_token_enc = ${sealLegacy(k1, "legacy-access")},
      refresh_token_enc = ${sealLegacy(k1, "legacy-refresh")} where tenant_id = ${t.id}`;
    await h.sql`update zydon_credentials set access_key_code_enc = ${sealLegacy(k1, "legacy-code")},
      access_key_token_enc = ${sealLegacy(k1, "legacy-token")} where tenant_id = ${t.id}`;
    expect((await repo.getBlingConnection(t.id))?.tokens?.refreshToken).toBe("legacy-refresh");
    expect(await repo.getZydonAccessKey(t.id)).toEqual({
      accessKeyCode: "legacy-code",
      accessKeyToken: "legacy-token",
    });

    const report = await rotateSecrets(h.db, box, { dryRun: false });
    expect(report.rotated).toBeGreaterThanOrEqual(4);
    const [bc] = await h.sql`select access_token_enc, refresh_token_enc from bling_connections
      where tenant_id = ${t.id}`;
    const [zc] = await h.sql`select access_key_code_enc, access_key_token_enc from zydon_credentials
      where tenant_id = ${t.id}`;
    for (const v of [
      bc?.access_token_enc,
      bc?.refresh_token_enc,
      zc?.access_key_code_enc,
      zc?.access_key_token_enc,
    ]) {
      expect(box.formatOf(v as string)).toBe("gcm2");
    }
    expect((await repo.getBlingConnection(t.id))?.tokens).toMatchObject({
      accessToken: "legacy-access",
      refreshToken: "legacy-refresh",
    });
    expect(await repo.getZydonAccessKey(t.id)).toEqual({
      accessKeyCode: "legacy-code",
      accessKeyToken: "legacy-token",
    });
    // Now bound: the re-sealed access token no longer opens in the refresh-token column.
    await h.sql`update bling_connections set refresh_token_enc = access_token_enc where tenant_id = ${t.id}`;
    await expect(repo.getBlingConnection(t.id)).rejects.toBeInstanceOf(SecretDecryptionError);
    expect((await rotateSecrets(h.db, box, { dryRun: true })).rotated).toBe(0);
  });

  it("rotation re-encrypts with the new key; dry run changes nothing; old values still decrypt", async () => {
    const oldBox = new SecretBox(k1);
    const t = await newTenant("org-rotate");
    await new CredentialsRepository(h.db, oldBox).saveZydonAccessKey(t.id, {
      accessKeyCode: "code",
      accessKeyToken: "tok",
    });
    const newBox = new SecretBox(k2, [k1]);
    const repo = new CredentialsRepository(h.db, newBox);
    expect(await repo.getZydonAccessKey(t.id)).toEqual({ accessKeyCode: "code", accessKeyToken: "tok" });

    const dry = await rotateSecrets(h.db, newBox, { dryRun: true });
    expect(dry.rotated).toBeGreaterThanOrEqual(2);
    const [stillOld] =
      await h.sql`select access_key_code_enc from zydon_credentials where tenant_id = ${t.id}`;
    expect(newBox.keyIdOf(stillOld?.access_key_code_enc)).toBe("k1");

    const real = await rotateSecrets(h.db, newBox, { dryRun: false });
    expect(real.rotated).toBe(dry.rotated);
    const [now] = await h.sql`select access_key_code_enc from zydon_credentials where tenant_id = ${t.id}`;
    expect(newBox.keyIdOf(now?.access_key_code_enc)).toBe("k2");
    // With only the new key, everything still reads.
    expect(await new CredentialsRepository(h.db, new SecretBox(k2)).getZydonAccessKey(t.id)).toEqual({
      accessKeyCode: "code",
      accessKeyToken: "tok",
    });
    const again = await rotateSecrets(h.db, newBox, { dryRun: false });
    expect(again.rotated).toBe(0);
  });
});
