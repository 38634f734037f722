import { describe, expect, it } from "vitest";
import { basic, createTestSim, TEST_APP, tokenRequest } from "./test-support.js";

describe("OAuth", () => {
  it("authorize: auto-approve redirects to the registered URL with code and state", async () => {
    const t = createTestSim({ autoApprove: true });
    const res = await t.sim.handle({
      method: "GET",
      url: `/Api/v3/oauth/authorize?response_type=code&client_id=${TEST_APP.clientId}&state=abc123&redirect_uri=https://evil.test/`,
      headers: {},
    });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.location as string);
    expect(`${loc.origin}${loc.pathname}`).toBe(TEST_APP.redirectUri); // redirect_uri param is ignored
    expect(loc.searchParams.get("state")).toBe("abc123");
    const code = loc.searchParams.get("code") as string;
    const tok = await tokenRequest(t.sim, { grant_type: "authorization_code", code });
    expect(tok.status).toBe(200);
    expect(tok.json).toMatchObject({
      expires_in: 21600,
      token_type: "Bearer",
      scope: "98309 318257570 5862218180",
    });
  });

  it("authorize: consent form in pt-BR; Negar → access_denied; unknown client → 400", async () => {
    const t = createTestSim();
    const page = await t.sim.handle({
      method: "GET",
      url: `/Api/v3/oauth/authorize?response_type=code&client_id=${TEST_APP.clientId}&state=s1`,
      headers: {},
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain("Autorizar");
    expect(page.body).toContain("Negar");
    const denied = await t.sim.handle({
      method: "POST",
      url: "/Api/v3/oauth/authorize",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `client_id=${TEST_APP.clientId}&state=s1&accountId=${t.accountId}&decision=deny`,
    });
    expect(denied.status).toBe(302);
    const loc = new URL(denied.headers.location as string);
    expect(loc.searchParams.get("error")).toBe("access_denied");
    expect(loc.searchParams.get("state")).toBe("s1");
    const allowed = await t.sim.handle({
      method: "POST",
      url: "/Api/v3/oauth/authorize",
      headers: {},
      body: `client_id=${TEST_APP.clientId}&state=s2&accountId=${t.accountId}&decision=allow`,
    });
    expect(new URL(allowed.headers.location as string).searchParams.get("code")).toMatch(/^[0-9a-f]{40}$/);
    const unknown = await t.sim.handle({
      method: "GET",
      url: "/Api/v3/oauth/authorize?response_type=code&client_id=nope&state=x",
      headers: {},
    });
    expect(unknown.status).toBe(400);
  });

  it("token: Basic auth only; credentials in the body are invalid_client", async () => {
    const t = createTestSim();
    const { code } = t.sim.control.authorize(t.accountId, TEST_APP.clientId, "s");
    const inBody = await tokenRequest(
      t.sim,
      {
        grant_type: "authorization_code",
        code,
        client_id: TEST_APP.clientId,
        client_secret: TEST_APP.clientSecret,
      },
      { auth: null },
    );
    expect(inBody.status).toBe(401);
    expect(inBody.json.error.type).toBe("invalid_client");
    const wrong = await tokenRequest(
      t.sim,
      { grant_type: "authorization_code", code },
      { auth: basic(TEST_APP.clientId, "bad") },
    );
    expect(wrong.json.error.type).toBe("invalid_client");
    // The code was not consumed by the failed attempts.
    expect((await tokenRequest(t.sim, { grant_type: "authorization_code", code })).status).toBe(200);
  });

  it("code: expires after 60 s", async () => {
    const t = createTestSim();
    const { code } = t.sim.control.authorize(t.accountId, TEST_APP.clientId, "s");
    t.clock.advance(61_000);
    const res = await tokenRequest(t.sim, { grant_type: "authorization_code", code });
    expect(res.status).toBe(400);
    expect(res.json.error.type).toBe("invalid_grant");
  });

  it("code reuse → 400 VALIDATION_ERROR and every token of that user/app is revoked", async () => {
    const t = createTestSim();
    const { code } = t.sim.control.authorize(t.accountId, TEST_APP.clientId, "s");
    const first = await tokenRequest(t.sim, { grant_type: "authorization_code", code });
    expect(first.status).toBe(200);
    expect((await t.call("GET", "/depositos", { token: first.json.access_token })).status).toBe(200);
    const again = await tokenRequest(t.sim, { grant_type: "authorization_code", code });
    expect(again.status).toBe(400);
    expect(again.json.error.type).toBe("VALIDATION_ERROR");
    const after = await t.call("GET", "/depositos", { token: first.json.access_token });
    expect(after.status).toBe(401);
    expect(after.json.error.type).toBe("invalid_token");
    expect((await t.call("GET", "/depositos")).status).toBe(401); // the token from createTestSim too
    const refresh = await tokenRequest(t.sim, {
      grant_type: "refresh_token",
      refresh_token: first.json.refresh_token,
    });
    expect(refresh.json.error.type).toBe("invalid_grant");
  });

  it("refresh rotates: the new pair works, the old refresh token becomes invalid_grant", async () => {
    const t = createTestSim();
    const r1 = await tokenRequest(t.sim, { grant_type: "refresh_token", refresh_token: t.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.json.refresh_token).not.toBe(t.refreshToken);
    expect((await t.call("GET", "/depositos", { token: r1.json.access_token })).status).toBe(200);
    const reuse = await tokenRequest(t.sim, { grant_type: "refresh_token", refresh_token: t.refreshToken });
    expect(reuse.status).toBe(400);
    expect(reuse.json.error.type).toBe("invalid_grant");
    const r2 = await tokenRequest(t.sim, {
      grant_type: "refresh_token",
      refresh_token: r1.json.refresh_token,
    });
    expect(r2.status).toBe(200);
  });

  it("4 concurrent refreshes with one refresh token → exactly 1 success, 3 invalid_grant", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        tokenRequest(t.sim, { grant_type: "refresh_token", refresh_token: t.refreshToken }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const losers = results.filter((r) => r.status !== 200);
    expect(losers).toHaveLength(3);
    for (const l of losers) expect(l.json.error.type).toBe("invalid_grant");
  });

  it("refresh token expires after 30 days; access token after 6 h (401 invalid_token, 'expired')", async () => {
    const t = createTestSim();
    t.clock.advance(21_600_000);
    const expired = await t.call("GET", "/depositos");
    expect(expired.status).toBe(401);
    expect(expired.json.error).toMatchObject({
      type: "invalid_token",
      description: "The access token provided has expired",
    });
    t.clock.advance(30 * 86_400_000);
    const r = await tokenRequest(t.sim, { grant_type: "refresh_token", refresh_token: t.refreshToken });
    expect(r.json.error.type).toBe("invalid_grant");
  });

  it("enable-jwt: 1 → a JWT-looking access token (~1.5 KB) that works on the API", async () => {
    const t = createTestSim();
    const r = await tokenRequest(
      t.sim,
      { grant_type: "refresh_token", refresh_token: t.refreshToken },
      { headers: { "enable-jwt": "1" } },
    );
    const jwt = r.json.access_token as string;
    expect(jwt.split(".")).toHaveLength(3);
    expect(jwt.length).toBeGreaterThan(1200);
    expect(jwt.length).toBeLessThan(3000);
    const payload = JSON.parse(Buffer.from(jwt.split(".")[1] as string, "base64url").toString("utf8"));
    expect(payload.aud).toBe(TEST_APP.clientId);
    expect((await t.call("GET", "/depositos", { token: jwt, headers: { "enable-jwt": "1" } })).status).toBe(
      200,
    );
  });

  it("missing token → 401 invalid_token; malformed header → 400 invalid_request; revokeTokens → 401", async () => {
    const t = createTestSim();
    expect((await t.call("GET", "/produtos", { token: null })).json.error.type).toBe("invalid_token");
    const malformed = await t.call("GET", "/produtos", {
      token: null,
      headers: { authorization: "Token abc" },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.type).toBe("invalid_request");
    t.sim.control.revokeTokens(t.accountId);
    expect((await t.call("GET", "/produtos")).status).toBe(401);
  });

  it("POST /oauth/revoke invalidates the given token", async () => {
    const t = createTestSim();
    const res = await t.sim.handle({
      method: "POST",
      url: "/Api/v3/oauth/revoke",
      headers: { authorization: basic(), "content-type": "application/x-www-form-urlencoded" },
      body: `token=${t.token}&token_type_hint=access_token`,
    });
    expect(res.status).toBe(200);
    expect((await t.call("GET", "/depositos")).status).toBe(401);
    // The refresh token was not the one revoked.
    expect(
      (await tokenRequest(t.sim, { grant_type: "refresh_token", refresh_token: t.refreshToken })).status,
    ).toBe(200);
  });
});
