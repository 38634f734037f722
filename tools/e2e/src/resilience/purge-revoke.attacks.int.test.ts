import { CredentialsRepository, secretBoxFromConfig, TenantsRepository } from "@zb/db";
import { AttackTally } from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

/**
 * Issue 21 #6: when the retention window of an uninstalled tenant ends, the worker's purge job revokes its
 * Bling tokens at Bling (`POST /oauth/revoke`, reference §2.4) before erasing them — a copy of the sealed
 * tokens (a backup, a log of the database) then opens nothing at Bling either. Runs the worker's own
 * maintenance wiring (composeWorker) against the Bling simulator.
 */
let e: E2E;
const tally = new AttackTally("purge-revoke.attacks");

beforeAll(async () => {
  // No queue consumers: the test calls the purge job's body itself.
  e = await startE2E({ worker: { queues: [] } });
}, 60_000);
afterAll(async () => {
  tally.flush();
  await e?.close();
});

async function blingGet(accessToken: string): Promise<number> {
  const res = await fetch(`${e.bling.apiBaseUrl}/produtos`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await res.arrayBuffer();
  return res.status;
}

async function refreshWorks(refreshToken: string): Promise<boolean> {
  const basic = Buffer.from(`${e.env.BLING_CLIENT_ID}:${e.env.BLING_CLIENT_SECRET}`).toString("base64");
  const res = await fetch(`${e.bling.apiBaseUrl}/oauth/token`, {
    method: "POST",
    headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }).toString(),
  });
  await res.arrayBuffer();
  return res.status === 200;
}

describe("purge of an uninstalled tenant (issue 21 #6)", () => {
  it("revokes its Bling tokens at Bling, then erases them; a tenant still inside its window keeps its own", async () => {
    const credentials = new CredentialsRepository(e.db.db, secretBoxFromConfig(e.env));
    const tenants = new TenantsRepository(e.db.db);
    const gone = await e.addTenant("Purga Revoga");
    const kept = await e.addTenant("Ainda Na Janela");
    const goneTokens = (await credentials.getBlingConnection(gone.tenantId))?.tokens;
    const keptTokens = (await credentials.getBlingConnection(kept.tenantId))?.tokens;
    if (!goneTokens || !keptTokens) throw new Error("tenants without tokens");
    expect(await blingGet(goneTokens.accessToken)).toBe(200);

    // Both uninstalled; only the first one's retention window is over.
    for (const t of [gone, kept]) await tenants.setState(t.tenantId, "paused");
    await credentials.schedulePurge(gone.tenantId, new Date(Date.now() - 60_000));
    await credentials.schedulePurge(kept.tenantId, new Date(Date.now() + 86_400_000));
    const revokesBefore = e.bling.sim.requestLog.filter((r) => r.endpoint === "POST /oauth/revoke").length;

    await e.worker.deps.maintenance.purgeSecrets();

    const revokes = e.bling.sim.requestLog.filter((r) => r.endpoint === "POST /oauth/revoke").length;
    expect(revokes - revokesBefore).toBe(2);
    const accessStatus = await blingGet(goneTokens.accessToken);
    tally.record("purged tenant's access token at Bling", accessStatus === 401, `got ${accessStatus}`);
    expect(accessStatus).toBe(401);
    const refreshAlive = await refreshWorks(goneTokens.refreshToken);
    tally.record("purged tenant's refresh token at Bling", !refreshAlive, "refresh still works");
    expect(refreshAlive).toBe(false);
    expect((await credentials.getBlingConnection(gone.tenantId))?.tokens).toBeNull();
    // The other tenant's tokens are untouched, at Bling and here (a reinstall would resume with them).
    expect(await blingGet(keptTokens.accessToken)).toBe(200);
    expect((await credentials.getBlingConnection(kept.tenantId))?.tokens?.accessToken).toBe(
      keptTokens.accessToken,
    );
  });
});
