import { CredentialsRepository, SecretDecryptionError } from "@zb/db";
import { AttackTally } from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";

/**
 * Issue 21 #11: someone who can write the database (a restored backup, an SQL injection elsewhere, a
 * careless migration) moves sealed values between rows or columns. Each value is bound to its table, column
 * and tenant in the AES-GCM associated data, so a moved value does not open — the merchant's tokens can
 * never be made to act for another tenant, nor a refresh token read as an access token.
 */
let h: Harness;
const tally = new AttackTally("secrets.attacks");

beforeAll(async () => {
  h = await createHarness({ rateLimits: { public: 10_000 } });
});
afterAll(async () => {
  tally.flush();
  await h?.close();
});

async function connected(name: string) {
  const t = await h.install(name);
  const acc = h.bling.createAccount(`${name} Ltda`);
  expect((await h.connectBling(await h.session(t.orgId), acc.accountId)).status).toBe(302);
  return t;
}

async function opens(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (err) {
    if (err instanceof SecretDecryptionError) return false;
    throw err;
  }
}

describe("sealed values moved in the database (issue 21 #11)", () => {
  it("another tenant's token, another column's value, another table's value: none opens", async () => {
    const victim = await connected("Cofre Vítima");
    const attacker = await connected("Cofre Atacante");
    const creds = new CredentialsRepository(h.db.db, h.deps.secretBox);
    const victimRefresh = (await creds.getBlingConnection(victim.tenantId))?.tokens?.refreshToken;
    expect(victimRefresh).toBeDefined();
    const { sql } = h.db;
    const restore = async () => {
      // The attacker's own rows, sealed afresh before each move.
      await creds.saveZydonAccessKey(attacker.tenantId, {
        accessKeyCode: "kc-attacker",
        accessKeyToken: "kt-attacker",
      });
      await creds.connectBling(attacker.tenantId, {
        blingCompanyId: `cofre-${attacker.tenantId}`,
        companyName: "Cofre Atacante Ltda",
        tokens: {
          accessToken: "at-attacker",
          refreshToken: "rt-attacker",
          accessExpiresAt: new Date(Date.now() + 3_600_000),
          refreshExpiresAt: new Date(Date.now() + 86_400_000),
        },
      });
    };
    const moves: Array<[string, () => Promise<unknown>, () => Promise<unknown>]> = [
      [
        "victim's Bling refresh token copied into the attacker's row",
        () => sql`update bling_connections set refresh_token_enc =
          (select refresh_token_enc from bling_connections where tenant_id = ${victim.tenantId})
          where tenant_id = ${attacker.tenantId}`,
        () => creds.getBlingConnection(attacker.tenantId),
      ],
      [
        "victim's Bling access token copied into the attacker's row",
        () => sql`update bling_connections set access_token_enc =
          (select access_token_enc from bling_connections where tenant_id = ${victim.tenantId})
          where tenant_id = ${attacker.tenantId}`,
        () => creds.getBlingConnection(attacker.tenantId),
      ],
      [
        "victim's Zydon access key copied into the attacker's row",
        () => sql`update zydon_credentials set access_key_token_enc =
          (select access_key_token_enc from zydon_credentials where tenant_id = ${victim.tenantId})
          where tenant_id = ${attacker.tenantId}`,
        () => creds.getZydonAccessKey(attacker.tenantId),
      ],
      [
        "a refresh token moved into the access-token column of its own row",
        () => sql`update bling_connections set access_token_enc = refresh_token_enc
          where tenant_id = ${attacker.tenantId}`,
        () => creds.getBlingConnection(attacker.tenantId),
      ],
      [
        "a Bling token moved into the Zydon key table of its own tenant",
        () => sql`update zydon_credentials set access_key_code_enc =
          (select access_token_enc from bling_connections where tenant_id = ${attacker.tenantId})
          where tenant_id = ${attacker.tenantId}`,
        () => creds.getZydonAccessKey(attacker.tenantId),
      ],
    ];
    for (const [label, move, read] of moves) {
      await restore();
      expect(await opens(read), `${label}: before`).toBe(true);
      await move();
      const opened = await opens(read);
      tally.record(label, !opened, "the moved value opened");
      expect(opened, label).toBe(false);
    }
    // The victim's own values are untouched and still open.
    expect((await creds.getBlingConnection(victim.tenantId))?.tokens?.refreshToken).toBe(victimRefresh);
  });
});
