import { ZydonAuthError, ZydonValidationError } from "@zb/zydon";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PLUGIN_ID, startWorld, type World } from "./test-support.js";

let w: World;
beforeEach(async () => {
  w = await startWorld();
});
afterEach(async () => {
  await w.close();
});

/** Walks the App Center like a merchant: page → Instalar → consent → decision → redirect to our callback. */
async function clickThrough(decision: "approve" | "deny", state = "st-123") {
  const center = await fetch(`${w.url}/app-center?org=${w.org.id}`);
  expect(center.status).toBe(200);
  const html = await center.text();
  expect(html).toContain("Instalar");
  const cookie = (center.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  // Our app starts OAuth with its own state (the App Center link is equivalent but carries its own state).
  const authorize = await fetch(w.app.authorizeUrl({ redirectUri: w.callbackUrl, state }), {
    headers: { cookie },
  });
  expect(authorize.status).toBe(200);
  const consent = await authorize.text();
  expect(consent).toContain("Autorizar");
  expect(consent).toContain("Distribuidora Alfa");
  const form = new URLSearchParams({
    client_id: PLUGIN_ID,
    redirect_uri: w.callbackUrl,
    state,
    org: w.org.id,
    decision,
  });
  const res = await fetch(`${w.url}/oauth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie },
    body: form.toString(),
    redirect: "manual",
  });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location") ?? "");
  expect(location.origin + location.pathname).toBe(w.callbackUrl);
  return location.searchParams;
}

describe("App Studio OAuth round trip", () => {
  it("consent → code → exchange → working access key; install notification delivered and verifiable", async () => {
    const params = await clickThrough("approve");
    const cb = w.app.parseCallback(params);
    expect(cb.ok).toBe(true);
    if (!cb.ok) return;
    expect(cb.state).toBe("st-123");

    // Approval installs the plugin and notifies our installation endpoint (zydon-api.md §2.2 step 3, §2.3).
    const notes = w.receiver.received.filter((r) => r.path === "/zydon/install");
    expect(notes).toHaveLength(1);
    const note = notes[0];
    if (!note) return;
    expect(w.app.verifyNotification({ rawBody: note.rawBody, headers: note.headers })).toMatchObject({
      ok: true,
      event: "install",
      organizationId: w.org.id,
    });

    const creds = await w.app.exchangeCode(cb.code, w.callbackUrl);
    expect(creds.organizationId).toBe(w.org.id);
    expect(creds.organizationIdSource).toBe("exchange");
    const client = w.app.client({ code: creds.accessKeyCode, token: creds.accessKeyToken });
    const statuses = await client.statuses.list();
    expect(statuses.items.map((s) => s.name)).toContain("Pendente");
  });

  it("the App Center's Instalar link leads to the consent page for that organization", async () => {
    const html = await (await fetch(`${w.url}/app-center?org=${w.org.id}`)).text();
    const href = /href="([^"]+)" data-testid="install-/
      .exec(html)?.[1]
      ?.replaceAll("&amp;", "&")
      .replaceAll("&#38;", "&");
    expect(href).toBeDefined();
    const link = new URL(href ?? "", w.url);
    expect(link.pathname).toBe("/oauth/authorize");
    expect(link.searchParams.get("client_id")).toBe(PLUGIN_ID);
    expect(link.searchParams.get("redirect_uri")).toBe(w.callbackUrl);
    const consent = await fetch(link);
    expect(await consent.text()).toContain("Distribuidora Alfa");
  });

  it("a reused code is refused", async () => {
    const code = await w.sim.authorize(w.org.id, PLUGIN_ID, w.callbackUrl, "s");
    await w.app.exchangeCode(code, w.callbackUrl);
    const err = await w.app.exchangeCode(code, w.callbackUrl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZydonValidationError);
    expect((err as ZydonValidationError).exception).toBe("InvalidGrantException");
  });

  it("an expired code is refused", async () => {
    await w.close();
    let t = Date.now();
    w = await startWorld({ codeTtlMs: 1_000, now: () => new Date(t) });
    const code = await w.sim.authorize(w.org.id, PLUGIN_ID, w.callbackUrl, "s");
    t += 2_000;
    const err = (await w.app
      .exchangeCode(code, w.callbackUrl)
      .catch((e: unknown) => e)) as ZydonValidationError;
    expect(err).toBeInstanceOf(ZydonValidationError);
    expect(err.zydonMessage).toContain("expirado");
  });

  it("a code bound to another redirect URI, or an unknown code, is refused", async () => {
    const code = await w.sim.authorize(w.org.id, PLUGIN_ID, w.callbackUrl, "s");
    await expect(w.app.exchangeCode(code, `${w.callbackUrl}/other`)).rejects.toBeInstanceOf(
      ZydonValidationError,
    );
    await expect(w.app.exchangeCode("nope", w.callbackUrl)).rejects.toBeInstanceOf(ZydonValidationError);
  });

  it("a wrong plugin secret is refused with an auth error", async () => {
    const code = await w.sim.authorize(w.org.id, PLUGIN_ID, w.callbackUrl, "s");
    const { ZydonApp } = await import("@zb/zydon");
    const bad = new ZydonApp({ pluginId: PLUGIN_ID, accessKey: "wrong", apiBaseUrl: w.url, adminUrl: w.url });
    await expect(bad.exchangeCode(code, w.callbackUrl)).rejects.toBeInstanceOf(ZydonAuthError);
  });

  it("falls back to the access-key login JWT when the exchange omits organization_id", async () => {
    w.sim.setFaults({ omitOrganizationIdInExchange: true });
    const code = await w.sim.authorize(w.org.id, PLUGIN_ID, w.callbackUrl, "s");
    const creds = await w.app.exchangeCode(code, w.callbackUrl);
    expect(creds.organizationId).toBe(w.org.id);
    expect(creds.organizationIdSource).toBe("access_key_login");
  });

  it("error=invalid_client for an unregistered callback URL or unknown plugin", async () => {
    for (const [clientId, redirectUri] of [
      [PLUGIN_ID, `${w.receiver.url}/evil`],
      ["unknown-plugin", w.callbackUrl],
    ] as const) {
      const u = new URL(`${w.url}/oauth/authorize`);
      u.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: redirectUri,
        state: "s1",
        org: w.org.id,
      }).toString();
      const res = await fetch(u, { redirect: "manual" });
      expect(res.status).toBe(302);
      const cb = w.app.parseCallback(new URL(res.headers.get("location") ?? "").searchParams);
      expect(cb).toEqual({ ok: false, error: "invalid_client", state: "s1" });
    }
    expect(w.sim.org(w.org.id).installations.size).toBe(0);
  });

  it("error=server_error when Zydon fails during install, access_denied when the merchant cancels", async () => {
    w.sim.setFaults({ authorizeError: "server_error" });
    expect(w.app.parseCallback(await clickThrough("approve"))).toEqual({
      ok: false,
      error: "server_error",
      state: "st-123",
    });
    w.sim.setFaults({ authorizeError: null });
    expect(w.app.parseCallback(await clickThrough("deny"))).toEqual({
      ok: false,
      error: "access_denied",
      state: "st-123",
    });
    expect(w.sim.org(w.org.id).installations.size).toBe(0);
  });
});

describe("install / uninstall notifications", () => {
  it("uninstall from the App Center notifies, revokes the key (API → ZydonAuthError)", async () => {
    await w.sim.install(w.org.id);
    const client = w.app.client(w.sim.accessKeyFor(w.org.id));
    await client.warehouses.list();

    const res = await fetch(`${w.url}/app-center/uninstall`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ org: w.org.id, client_id: PLUGIN_ID }).toString(),
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    const note = w.receiver.received.find((r) => r.path === "/zydon/uninstall");
    expect(note).toBeDefined();
    if (!note) return;
    expect(w.app.verifyNotification({ rawBody: note.rawBody, headers: note.headers })).toMatchObject({
      ok: true,
      event: "uninstall",
      organizationId: w.org.id,
    });
    const err = await client.warehouses.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZydonAuthError);
    expect((err as ZydonAuthError).action).toBe("reconnect");
  });

  it("a forged notification (wrong key) does not verify", async () => {
    const { zydonAdapter } = await import("@zb/zydon");
    const raw = zydonAdapter.notificationBody(w.org.id);
    const headers = zydonAdapter.signedHeaders({
      accessKey: "not-the-plugin-key",
      rawBody: raw,
      now: new Date(),
      event: "uninstall",
      deliveryId: "x",
    });
    expect(w.app.verifyNotification({ rawBody: raw, headers })).toEqual({
      ok: false,
      reason: "signature mismatch",
    });
  });

  it("keeps organizations apart: each key reaches only its own org", async () => {
    const other = w.sim.createOrganization({ name: "Beta" });
    await w.sim.install(w.org.id);
    await w.sim.install(other.id);
    const a = w.app.client(w.sim.accessKeyFor(w.org.id));
    const b = w.app.client(w.sim.accessKeyFor(other.id));
    const id = await a.products.create({ sku: "ISO-1", name: "Isolado", price: 1 });
    expect((await a.products.get(id)).sku).toBe("ISO-1");
    await expect(b.products.get(id)).rejects.toMatchObject({ status: 404 });
    expect(w.sim.snapshot(other.id).products).toHaveLength(0);
  });
});

describe("admin session", () => {
  it("verifies an issued session and refuses forged or foreign ones", async () => {
    const session = w.sim.issueAdminSession(w.org.id);
    expect(await w.app.verifyAdminSession(session)).toMatchObject({ ok: true, organizationId: w.org.id });
    expect(await w.app.verifyAdminSession({ organizationId: w.org.id, accessToken: "forged" })).toEqual({
      ok: false,
      reason: "invalid_token",
    });
    const other = w.sim.createOrganization({ name: "Gama" });
    expect(
      await w.app.verifyAdminSession({ organizationId: other.id, accessToken: session.accessToken }),
    ).toEqual({ ok: false, reason: "organization_mismatch" });
  });

  it("refuses a portal buyer's session of the same organization (issue 21 #7)", async () => {
    const buyer = w.sim.issueAdminSession(w.org.id, "PARTNER");
    expect(await w.app.verifyAdminSession(buyer)).toEqual({ ok: false, reason: "not_admin" });
  });
});
