import { CredentialsRepository, TenantsRepository, zydonCredentials } from "@zb/db";
import { testEnv } from "@zb/testing";
import { zydonAdapter } from "@zb/zydon";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, leakedSecrets } from "../test-support/harness.js";

let h: Harness;
const pluginKey = testEnv().ZYDON_ACCESS_KEY as string;

function signedNotification(event: "install" | "uninstall", organizationId: string, key = pluginKey) {
  const rawBody = zydonAdapter.notificationBody(organizationId);
  return {
    payload: rawBody,
    headers: zydonAdapter.signedHeaders({
      accessKey: key,
      rawBody,
      now: new Date(),
      event,
      deliveryId: `d-${Math.random()}`,
    }),
  };
}

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

describe("install through App Studio OAuth", () => {
  it("creates one tenant in awaiting_bling, stores the access key encrypted and hands over a launch session", async () => {
    const { orgId, tenantId, launchLocation } = await h.install("Atacado Azul");
    const tenant = await new TenantsRepository(h.db.db).findById(tenantId);
    expect(tenant?.state).toBe("awaiting_bling");
    expect(tenant?.zydonOrganizationId).toBe(orgId);

    const key = h.zydon.sim.accessKeyFor(orgId);
    const stored = await new CredentialsRepository(h.db.db, h.deps.secretBox).getZydonAccessKey(tenantId);
    expect(stored).toEqual({ accessKeyCode: key.code, accessKeyToken: key.token });
    const [raw] = await h.db.db
      .select()
      .from(zydonCredentials)
      .where(eq(zydonCredentials.tenantId, tenantId));
    expect(raw?.accessKeyTokenEnc).not.toContain(key.token);

    expect(launchLocation.startsWith(`${h.apiUrl}/app#launch=`)).toBe(true);
    const launch = decodeURIComponent(launchLocation.split("#launch=")[1] as string);
    // The launch code is traded once for a page session (it opens nothing by itself).
    const traded = await h.api.inject({
      method: "POST",
      url: "/api/session/launch",
      payload: { launchToken: launch },
    });
    expect(traded.statusCode).toBe(200);
    const conn = await h.api.inject({
      method: "GET",
      url: "/api/settings/connection",
      headers: { authorization: `Bearer ${traded.json().token}` },
    });
    expect(conn.statusCode).toBe(200);
    expect(conn.json().tenant.id).toBe(tenantId);
  });

  it("installing twice (OAuth + notification, then OAuth again) leaves one tenant", async () => {
    const first = await h.install("Atacado Duplo");
    const again = await h.install({ orgId: first.orgId });
    expect(again.tenantId).toBe(first.tenantId);
    const n = signedNotification("install", first.orgId);
    for (let i = 0; i < 2; i++) {
      const res = await h.api.inject({ method: "POST", url: "/zydon/notifications/install", ...n });
      expect(res.statusCode).toBe(200);
    }
    const rows = await h.db
      .sql`select count(*)::int as n from tenants where zydon_organization_id = ${first.orgId}`;
    expect(rows[0]?.n).toBe(1);
  });

  it("an install notification alone creates the tenant (idempotent)", async () => {
    const org = h.zydon.sim.createOrganization({ name: "Só Notificação" });
    const n = signedNotification("install", org.id);
    const a = await h.api.inject({ method: "POST", url: "/zydon/notifications/install", ...n });
    const b = await h.api.inject({ method: "POST", url: "/zydon/notifications/install", ...n });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.json()).toEqual({ status: "installed", tenantState: "awaiting_bling" });
    const rows = await h.db
      .sql`select count(*)::int as n from tenants where zydon_organization_id = ${org.id}`;
    expect(rows[0]?.n).toBe(1);
  });

  it("refuses unsigned, wrongly signed and mismatched notifications", async () => {
    const org = h.zydon.sim.createOrganization({ name: "Forjada" });
    const forged = signedNotification("install", org.id, "not-the-plugin-key");
    const r1 = await h.api.inject({ method: "POST", url: "/zydon/notifications/install", ...forged });
    expect(r1.statusCode).toBe(401);
    const r2 = await h.api.inject({
      method: "POST",
      url: "/zydon/notifications/install",
      headers: { "content-type": "application/json" },
      payload: zydonAdapter.notificationBody(org.id),
    });
    expect(r2.statusCode).toBe(401);
    const wrongEvent = signedNotification("uninstall", org.id);
    const r3 = await h.api.inject({ method: "POST", url: "/zydon/notifications/install", ...wrongEvent });
    expect(r3.statusCode).toBe(400);
    expect(await new TenantsRepository(h.db.db).findByOrganization(org.id)).toBeUndefined();
  });

  it("refuses a callback whose state is unknown, reused or missing, and explains error= callbacks in pt-BR", async () => {
    const org = h.zydon.sim.createOrganization({ name: "Estado" });
    const redirectUri = `${h.apiUrl}/zydon/callback`;
    const code = await h.zydon.sim.authorize(org.id, h.pluginId, redirectUri);
    const unknown = await h.api.inject({ method: "GET", url: `/zydon/callback?code=${code}&state=forjado` });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain("expirou ou já foi usado");
    const missing = await h.api.inject({ method: "GET", url: `/zydon/callback?code=${code}` });
    expect(missing.statusCode).toBe(400);

    const start = await h.api.inject({ method: "GET", url: "/zydon/install" });
    const state = new URL(start.headers.location as string).searchParams.get("state") as string;
    const cookies = { zb_zydon_state: start.cookies.find((c) => c.name === "zb_zydon_state")?.value ?? "" };
    expect(cookies.zb_zydon_state).toBe(state);
    const denied = await h.api.inject({
      method: "GET",
      url: `/zydon/callback?error=access_denied&state=${state}`,
      cookies,
    });
    expect(denied.statusCode).toBe(400);
    expect(denied.headers["content-type"]).toContain("text/html");
    expect(denied.body).toContain("A instalação foi cancelada na Zydon");
    // The error burned the state: a code for it now is refused.
    const replay = await h.api.inject({
      method: "GET",
      url: `/zydon/callback?code=${code}&state=${state}`,
      cookies,
    });
    expect(replay.statusCode).toBe(400);
    // (The simulator's consent also sent the install notification, so the tenant exists; the code was
    // never exchanged, so no access key was stored.)
    const tenant = await new TenantsRepository(h.db.db).findByOrganization(org.id);
    const key = tenant
      ? await new CredentialsRepository(h.db.db, h.deps.secretBox).getZydonAccessKey(tenant.id)
      : undefined;
    expect(key).toBeUndefined();
  });
});

describe("uninstall and reinstall", () => {
  it("pauses within the request, stops everything for the tenant, and a reinstall resumes with a catch-up", async () => {
    const { orgId, tenantId } = await h.install("Pausável");
    const token = await h.session(orgId);
    const account = h.bling.createAccount("Pausável Ltda");
    const connected = await h.connectBling(token, account.accountId);
    expect(connected.status).toBe(302);
    const tenants = new TenantsRepository(h.db.db);
    await tenants.markInitialSyncDone(tenantId);
    await h.deps.hooks.onTenantResumed(tenantId);
    const schedulersBefore = await h.deps.producer.queue("sync").getJobSchedulers();
    expect(schedulersBefore.some((s) => s.key === `poll-changes-${tenantId}`)).toBe(true);

    // The App Center's Desinstalar: the simulator POSTs the uninstall notification to our listening server.
    const { delivery } = await h.zydon.sim.uninstall(orgId);
    expect(delivery?.status).toBe(200);
    const paused = await tenants.findById(tenantId);
    expect(paused?.state).toBe("paused");
    expect(paused?.uninstalledAt).toBeInstanceOf(Date);
    const [cred] = await h.db.db
      .select()
      .from(zydonCredentials)
      .where(eq(zydonCredentials.tenantId, tenantId));
    const purgeAfter = cred?.purgeAfter as Date;
    const days = (purgeAfter.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
    expect(h.hookCalls).toContainEqual({ hook: "paused", tenantId });
    const schedulersAfter = await h.deps.producer.queue("sync").getJobSchedulers();
    expect(schedulersAfter.some((s) => s.key.endsWith(tenantId))).toBe(false);

    // Twice = once: the purge date stays.
    const again = await h.api.inject({
      method: "POST",
      url: "/zydon/notifications/uninstall",
      ...signedNotification("uninstall", orgId),
    });
    expect(again.json()).toEqual({ status: "already_paused" });
    const [cred2] = await h.db.db
      .select()
      .from(zydonCredentials)
      .where(eq(zydonCredentials.tenantId, tenantId));
    expect(cred2?.purgeAfter?.getTime()).toBe(purgeAfter.getTime());

    // While paused, nothing we do for this tenant reaches Zydon or Bling.
    const zydonBefore = h.zydon.sim.requestLog.length;
    const blingBefore = h.bling.requests().length;
    const jobsBefore = (await h.jobs({ tenantId })).length;
    const session = await h.api.inject({
      method: "POST",
      url: "/api/session",
      payload: h.zydon.sim.issueAdminSession(orgId),
    });
    // The refusal of a bad token: an outsider cannot tell "uninstalled" from "never installed" (issue 21 #5).
    expect(session.statusCode).toBe(401);
    expect(session.json().error).toBe("unauthorized");
    const settings = await h.api.inject({
      method: "POST",
      url: "/api/settings/bling/disconnect",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(settings.statusCode).toBe(403);
    const connect = await h.api.inject({
      method: "POST",
      url: "/bling/connect",
      headers: { authorization: `Bearer ${token}`, origin: h.apiUrl },
    });
    expect(connect.statusCode).toBe(403);
    const body = JSON.stringify({
      eventId: "evt-paused-1",
      date: new Date().toISOString(),
      version: "v1",
      event: "stock.updated",
      companyId: account.companyId,
      data: {
        produto: { id: 1 },
        deposito: { id: 2, saldoFisico: 1, saldoVirtual: 1 },
        saldoFisicoTotal: 1,
        saldoVirtualTotal: 1,
      },
    });
    const hook = await h.api.inject({
      method: "POST",
      url: "/webhooks/bling",
      headers: { "content-type": "application/json", "x-bling-signature-256": h.bling.sign(body) },
      payload: body,
    });
    // Answered, not stored (issue 21 #6): an uninstalled tenant's inbox must not grow.
    expect(hook.json()).toEqual({ status: "ignored_uninstalled" });
    expect(h.zydon.sim.requestLog.length).toBe(zydonBefore);
    expect(h.bling.requests().length).toBe(blingBefore);
    expect((await h.jobs({ tenantId })).length).toBe(jobsBefore);

    // Reinstall inside the window: same tenant, back to active (Bling still good), purge cancelled,
    // a catch-up poll queued and no new full sync.
    const startsBefore = (await h.jobs({ tenantId, name: "initial-sync-start" })).length;
    const re = await h.install({ orgId });
    expect(re.tenantId).toBe(tenantId);
    const back = await tenants.findById(tenantId);
    expect(back?.state).toBe("active");
    expect(back?.uninstalledAt).toBeNull();
    const [cred3] = await h.db.db
      .select()
      .from(zydonCredentials)
      .where(eq(zydonCredentials.tenantId, tenantId));
    expect(cred3?.purgeAfter).toBeNull();
    const conn = await h.db.sql`select purge_after from bling_connections where tenant_id = ${tenantId}`;
    expect(conn[0]?.purge_after).toBeNull();
    expect((await h.jobs({ tenantId, name: "poll-changes" })).length).toBeGreaterThanOrEqual(1);
    expect((await h.jobs({ tenantId, name: "initial-sync-start" })).length).toBe(startsBefore);
    expect(h.hookCalls.filter((c) => c.tenantId === tenantId && c.hook === "resumed").length).toBe(2);
    // Nothing was stored while uninstalled (issue 21 #6); the catch-up poll covers the gap.
    const inbox = await h.db.sql`select count(*)::int as n from webhook_inbox where tenant_id = ${tenantId}`;
    expect(inbox[0]?.n).toBe(0);
  });

  it("an uninstall for an unknown organization is acknowledged and changes nothing", async () => {
    const res = await h.api.inject({
      method: "POST",
      url: "/zydon/notifications/uninstall",
      ...signedNotification("uninstall", "org-que-nunca-instalou"),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "unknown" });
  });
});

describe("hardening", () => {
  it("rate-limits public routes per client address", async () => {
    const headers = { "x-forwarded-for": "203.0.113.77" };
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) {
      statuses.push((await h.api.inject({ method: "GET", url: "/zydon/install", headers })).statusCode);
    }
    expect(statuses.slice(0, 60).every((s) => s === 302)).toBe(true);
    expect(statuses[60]).toBe(429);
    const other = await h.api.inject({
      method: "GET",
      url: "/zydon/install",
      headers: { "x-forwarded-for": "203.0.113.78" },
    });
    expect(other.statusCode).toBe(302);
  });

  it("sends security headers", async () => {
    const res = await h.api.inject({ method: "GET", url: "/healthz" });
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(String(res.headers["content-security-policy"])).toContain("frame-ancestors 'none'");
  });

  it("logged no secret during this file", () => {
    expect(h.logs.length).toBeGreaterThan(20);
    expect(leakedSecrets(h)).toEqual([]);
  });
});
