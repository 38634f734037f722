import { CredentialsRepository, OAuthStatesRepository, TenantsRepository } from "@zb/db";
import { BlingReauthRequiredError } from "@zb/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, isBlingConfirmation, leakedSecrets } from "../test-support/harness.js";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

function startConnect(session: string) {
  return h.startBling(session);
}

/** Bling's callback, then "Confirmar" on the confirmation page when it asks (the merchant's own browser). */
async function callback(query: string, cookie?: string) {
  const res = await h.api.inject({
    method: "GET",
    url: `/bling/callback?${query}`,
    cookies: cookie ? { zb_bling_state: cookie } : {},
  });
  if (!isBlingConfirmation(res)) return res;
  return h.answerBling(new URLSearchParams(query).get("state") as string, cookie);
}

async function connection(session: string) {
  const res = await h.api.inject({
    method: "GET",
    url: "/api/settings/connection",
    headers: { authorization: `Bearer ${session}` },
  });
  expect(res.statusCode).toBe(200);
  return res;
}

describe("Conectar ao Bling", () => {
  it("connects: tokens sealed, company bound, tenant active, initial sync queued, never a token in the answer", async () => {
    const { orgId, tenantId } = await h.install("Conecta");
    const session = await h.session(orgId);
    const account = h.bling.createAccount("Conecta Distribuidora Ltda");

    const start = await startConnect(session);
    expect(`${start.location.origin}${start.location.pathname}`).toBe(h.bling.authorizeUrl);
    expect(start.location.searchParams.get("response_type")).toBe("code");
    expect(start.location.searchParams.get("client_id")).toBe("test-bling-client-id");
    const res = await callback(
      `code=${h.bling.authorize(account.accountId)}&state=${start.state}`,
      start.cookie,
    );
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe(`${h.apiUrl}/app?bling=connected`);

    const tenant = await new TenantsRepository(h.db.db).findById(tenantId);
    expect(tenant?.state).toBe("active");
    const conn = await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(tenantId);
    expect(conn?.blingCompanyId).toBe(account.companyId);
    expect(conn?.status).toBe("connected");
    expect(h.bling.issued()).toContain(conn?.tokens?.accessToken);
    const raw = await h.db
      .sql`select access_token_enc, refresh_token_enc from bling_connections where tenant_id = ${tenantId}`;
    expect(JSON.stringify(raw)).not.toContain(conn?.tokens?.accessToken as string);

    const jobs = await h.jobs({ tenantId, name: "initial-sync-start" });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.data).toEqual({ tenantId });

    const view = await connection(session);
    expect(view.json().bling).toMatchObject({
      state: "connected",
      label: "Conectado como Conecta Distribuidora Ltda",
      companyName: "Conecta Distribuidora Ltda",
    });
    expect(view.json().token.state).toBe("valid");
    for (const t of h.bling.issued()) expect(view.body).not.toContain(t);
  });

  it("refuses a replayed, foreign, expired or missing state, and a callback without the browser cookie", async () => {
    const a = await h.install("Estado A");
    const b = await h.install("Estado B");
    const sa = await h.session(a.orgId);
    const sb = await h.session(b.orgId);
    const accA = h.bling.createAccount("A Ltda");
    const accB = h.bling.createAccount("B Ltda");

    // Replay: the first use connects, the second (same state + cookie, fresh code) is refused.
    const first = await startConnect(sa);
    const ok = await callback(`code=${h.bling.authorize(accA.accountId)}&state=${first.state}`, first.cookie);
    expect(ok.statusCode).toBe(302);
    const replay = await callback(
      `code=${h.bling.authorize(accB.accountId)}&state=${first.state}`,
      first.cookie,
    );
    expect(replay.statusCode).toBe(400);
    expect(replay.body).toContain("expirou ou já foi usado");

    // Foreign: B's state presented in A's browser (A's cookie) — and A's own state with B's cookie.
    const startA = await startConnect(sa);
    const startB = await startConnect(sb);
    const foreign1 = await callback(
      `code=${h.bling.authorize(accB.accountId)}&state=${startB.state}`,
      startA.cookie,
    );
    const foreign2 = await callback(
      `code=${h.bling.authorize(accB.accountId)}&state=${startA.state}`,
      startB.cookie,
    );
    expect([foreign1.statusCode, foreign2.statusCode]).toEqual([400, 400]);
    // A state of another provider (the Zydon install) with a matching cookie is not a Bling state.
    const zydonStart = await h.api.inject({ method: "GET", url: "/zydon/install" });
    const zydonState = new URL(zydonStart.headers.location as string).searchParams.get("state") as string;
    const otherProvider = await callback(
      `code=${h.bling.authorize(accB.accountId)}&state=${zydonState}`,
      zydonState,
    );
    expect(otherProvider.statusCode).toBe(400);
    // Expired.
    const expired = await new OAuthStatesRepository(h.db.db).create({
      provider: "bling",
      tenantId: b.tenantId,
      ttlMs: -1,
    });
    const exp = await callback(`code=${h.bling.authorize(accB.accountId)}&state=${expired}`, expired);
    expect(exp.statusCode).toBe(400);
    // Missing state, missing cookie.
    const missing = await callback(`code=${h.bling.authorize(accB.accountId)}`, startB.cookie);
    expect(missing.statusCode).toBe(400);
    const noCookie = await callback(`code=${h.bling.authorize(accB.accountId)}&state=${startB.state}`);
    expect(noCookie.statusCode).toBe(400);

    // None of that connected B, and A is still bound to its own company.
    const creds = new CredentialsRepository(h.db.db, h.deps.secretBox);
    expect(await creds.getBlingConnection(b.tenantId)).toBeUndefined();
    expect((await creds.getBlingConnection(a.tenantId))?.blingCompanyId).toBe(accA.companyId);
    expect(await creds.findTenantIdByBlingCompany(accB.companyId)).toBeUndefined();
  });

  it("explains error= callbacks in pt-BR and burns the state", async () => {
    const { orgId, tenantId } = await h.install("Nega");
    const session = await h.session(orgId);
    const s1 = await startConnect(session);
    const denied = await callback(`error=access_denied&state=${s1.state}`, s1.cookie);
    expect(denied.statusCode).toBe(200);
    expect(denied.body).toContain("Você cancelou a autorização no Bling");
    const s2 = await startConnect(session);
    const inactive = await callback(`error=app_inativo&error_description=x&state=${s2.state}`, s2.cookie);
    expect(inactive.body).toContain("Este app está inativo no Bling");
    const acc = h.bling.createAccount("Nega Ltda");
    const reuse = await callback(`code=${h.bling.authorize(acc.accountId)}&state=${s1.state}`, s1.cookie);
    expect(reuse.statusCode).toBe(400);
    expect(
      await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(tenantId),
    ).toBeUndefined();
  });

  it("refuses a Bling company already bound to another tenant and revokes the tokens it just got", async () => {
    const a = await h.install("Dono");
    const b = await h.install("Intruso");
    const acc = h.bling.createAccount("Empresa Compartilhada SA");
    expect((await h.connectBling(await h.session(a.orgId), acc.accountId)).status).toBe(302);
    const issuedBefore = h.bling.issued().length;
    const res = await h.connectBling(await h.session(b.orgId), acc.accountId);
    expect(res.status).toBe(409);
    expect(res.body).toContain("já está conectada a outra organização da Zydon");
    const fresh = h.bling.issued().slice(issuedBefore);
    expect(fresh).toHaveLength(2);
    for (const t of fresh) expect(await h.bling.isRevoked(t)).toBe(true);
    expect((await new TenantsRepository(h.db.db).findById(b.tenantId))?.state).toBe("awaiting_bling");
    expect(
      await new CredentialsRepository(h.db.db, h.deps.secretBox).findTenantIdByBlingCompany(acc.companyId),
    ).toBe(a.tenantId);
    expect(await h.jobs({ tenantId: b.tenantId, name: "initial-sync-start" })).toHaveLength(0);
  });

  it("refuses to start without a valid session, or with a session in the URL", async () => {
    const origin = h.apiUrl;
    const none = await h.api.inject({ method: "POST", url: "/bling/connect", headers: { origin } });
    expect(none.statusCode).toBe(401);
    expect(none.json().message).toContain("Sessão inválida");
    const bad = await h.api.inject({
      method: "POST",
      url: "/bling/connect",
      headers: { origin, authorization: "Bearer abc.def" },
    });
    expect(bad.statusCode).toBe(401);
    // The former `?session=` start no longer opens anything, even with a valid session.
    const { orgId } = await h.install("Sessão na URL");
    const session = await h.session(orgId);
    const inUrl = await h.api.inject({
      method: "GET",
      url: `/bling/connect?session=${encodeURIComponent(session)}`,
    });
    expect(inUrl.statusCode).toBe(400);
    expect(inUrl.body).toContain("Este link de conexão não vale mais");
  });
});

describe("token state and disconnect", () => {
  it("invalid_grant on refresh marks needs_reauth, visible on the connection; reconnecting clears it", async () => {
    const { orgId, tenantId } = await h.install("Reauth");
    const session = await h.session(orgId);
    const acc = h.bling.createAccount("Reauth Ltda");
    await h.connectBling(session, acc.accountId);
    // The merchant revoked the app in Bling: the next refresh gets invalid_grant.
    h.bling.revokeAll(acc.accountId);
    await expect(h.deps.tokens.forceRefresh(tenantId)).rejects.toBeInstanceOf(BlingReauthRequiredError);

    const view = (await connection(session)).json();
    expect(view.bling.state).toBe("needs_reauth");
    expect(view.bling.label).toBe("Reconexão necessária");
    expect(view.token.state).toBe("needs_reauth");
    expect(view.tenant.state).toBe("needs_reauth");

    const again = await h.connectBling(session, acc.accountId);
    expect(again.status).toBe(302);
    const after = (await connection(session)).json();
    expect(after.bling.state).toBe("connected");
    expect(after.tenant.state).toBe("active");
  });

  it("a refresh that works rotates the tokens and keeps the connection valid", async () => {
    const { orgId, tenantId } = await h.install("Refresh");
    const session = await h.session(orgId);
    const acc = h.bling.createAccount("Refresh Ltda");
    await h.connectBling(session, acc.accountId);
    const before = await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(tenantId);
    const token = await h.deps.tokens.forceRefresh(tenantId);
    expect(token).not.toBe(before?.tokens?.accessToken);
    expect(await h.bling.isRevoked(before?.tokens?.refreshToken as string)).toBe(true);
    expect((await connection(session)).json().token.state).toBe("valid");
  });

  it("Desconectar revokes both tokens at Bling and forgets them", async () => {
    const { orgId, tenantId } = await h.install("Desconecta");
    const session = await h.session(orgId);
    const acc = h.bling.createAccount("Desconecta Ltda");
    await h.connectBling(session, acc.accountId);
    const conn = await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(tenantId);
    const res = await h.api.inject({
      method: "POST",
      url: "/api/settings/bling/disconnect",
      headers: { authorization: `Bearer ${session}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ wasConnected: true, revokedAtBling: true });
    expect(await h.bling.isRevoked(conn?.tokens?.accessToken as string)).toBe(true);
    expect(await h.bling.isRevoked(conn?.tokens?.refreshToken as string)).toBe(true);
    const after = await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(tenantId);
    expect(after?.tokens).toBeNull();
    expect(after?.blingCompanyId).toBeNull();
    // Every session of the tenant ended with it (issue 21 #8); the page signs in again.
    const ended = await h.api.inject({
      method: "GET",
      url: "/api/settings/connection",
      headers: { authorization: `Bearer ${session}` },
    });
    expect(ended.statusCode).toBe(401);
    const view = (await connection(await h.session(orgId))).json();
    expect(view.bling.state).toBe("not_connected");
    expect(view.tenant.state).toBe("awaiting_bling");
    expect(h.hookCalls).toContainEqual({ hook: "paused", tenantId });
    // The company is free again: another tenant may connect it.
    const other = await h.install("Herdeiro");
    expect((await h.connectBling(await h.session(other.orgId), acc.accountId)).status).toBe(302);
  });

  it("logged no secret during this file", () => {
    expect(h.logs.some((l) => l.includes('"route":"/bling/callback"'))).toBe(true);
    expect(leakedSecrets(h)).toEqual([]);
  });
});
