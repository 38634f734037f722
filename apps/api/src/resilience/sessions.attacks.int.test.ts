import { createHmac, randomUUID } from "node:crypto";
import { CredentialsRepository } from "@zb/db";
import { AttackTally } from "@zb/e2e-kit";
import { testEnv } from "@zb/testing";
import { zydonAdapter } from "@zb/zydon";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultRateLimits } from "../deps.js";
import { signSession, verifySession } from "../session/session-token.js";
import { createHarness, type Harness } from "../test-support/harness.js";
import { expectNoSecretLeak, recordResponses, tenantRows } from "./attack-kit.js";

/**
 * Session tokens that must not open any /api/settings route (routes listed from the Fastify instance):
 * expired, tampered in any single character, signed with another secret, naming a tenant that is not
 * theirs or does not exist, and tokens of an uninstalled tenant. None of them may change anything.
 */
type InjectMethod = NonNullable<InjectOptions["method"]>;

let h: Harness;
let responses: string[];
const tally = new AttackTally("sessions.attacks");
const pluginKey = testEnv().ZYDON_ACCESS_KEY as string;
let secret: string;
let a: { orgId: string; tenantId: string; session: string };

beforeAll(async () => {
  h = await createHarness({ rateLimits: { public: 10_000 } });
  responses = recordResponses(h);
  secret = h.deps.config.SESSION_SECRET;
  const installed = await h.install("Sessões");
  a = { ...installed, session: await h.session(installed.orgId) };
});

afterAll(async () => {
  tally.flush();
  await h?.close();
});

function settingsRoutes() {
  return h.routes
    .filter((r) => r.url.startsWith("/api/settings"))
    .flatMap((r) => [r.method].flat().map((method) => ({ method: method as InjectMethod, url: r.url })));
}

function concrete(url: string): string {
  return url.replace(":id", "1").replace(":entity", "products");
}

/** Tries `token` on every settings route; each must answer `status` with `error`. */
async function refusedEverywhere(label: string, token: string, status: number, error: string) {
  const before = await tenantRows(h, a.tenantId);
  for (const r of settingsRoutes()) {
    const res = await h.api.inject({
      method: r.method,
      url: concrete(r.url),
      headers: { authorization: `Bearer ${token}` },
      ...(r.method === "PUT" ? { payload: { paused: true } } : {}),
    });
    tally.expectStatus(`${label}: ${r.method} ${r.url}`, res, status);
    if (r.method !== "HEAD") expect(res.json().error, `${label}: ${r.method} ${r.url}`).toBe(error);
  }
  expect(await tenantRows(h, a.tenantId), `${label} changed something`).toEqual(before);
}

function forge(payload: Record<string, unknown>, key = secret): string {
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  const mac = createHmac("sha256", key).update(`zb-session.v1.${body}`).digest("base64url");
  return `${body}.${mac}`;
}

describe("session tokens on every /api/settings route", () => {
  it("the walk sees the whole settings surface, and the good session opens it", async () => {
    const routes = settingsRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(14);
    const res = await h.api.inject({
      method: "GET",
      url: "/api/settings",
      headers: { authorization: `Bearer ${a.session}` },
    });
    expect(res.statusCode).toBe(200);
  });

  it("expired → 401 session_expired (also at the exact second it ends)", async () => {
    const who = { tenantId: a.tenantId, organizationId: a.orgId };
    const old = signSession(secret, who, new Date(Date.now() - 31 * 60_000));
    await refusedEverywhere("expired 1 min ago", old.token, 401, "session_expired");
    const edge = forge({
      v: 1,
      tid: a.tenantId,
      org: a.orgId,
      exp: Math.floor(Date.now() / 1000),
      k: "page",
    });
    await refusedEverywhere("expiring this second", edge, 401, "session_expired");
    // A launch code is not a page session at all (its own signing domain), expired or not.
    const launch = signSession(secret, { ...who, kind: "launch" }, new Date(Date.now() - 6 * 60_000));
    await refusedEverywhere("launch code after 5 min as a Bearer token", launch.token, 401, "unauthorized");
  });

  it("a launch code (issue 21 #2, #8): traded once for a page session, never a Bearer token itself", async () => {
    const installed = await h.install("Código de Abertura");
    const launch = decodeURIComponent(installed.launchLocation.split("#launch=")[1] as string);
    const before = await tenantRows(h, installed.tenantId);
    await refusedEverywhere("launch code as a Bearer token", launch, 401, "unauthorized");
    const exchange = (launchToken: unknown) =>
      h.api.inject({ method: "POST", url: "/api/session/launch", payload: { launchToken } });
    const first = await exchange(launch);
    expect(first.statusCode).toBe(200);
    const page = first.json().token as string;
    expect(page).not.toBe(launch);
    const ok = await h.api.inject({
      method: "GET",
      url: "/api/settings/connection",
      headers: { authorization: `Bearer ${page}` },
    });
    expect(ok.statusCode).toBe(200);
    // A copied launch link (history, a shared screen) opens nothing afterwards.
    const replay = await exchange(launch);
    tally.expectStatus("launch code replayed", replay, 401);
    expect(replay.json().error).toBe("launch_used");
    // Retrying cannot help: the answer says where to open the app again (the Zydon admin).
    expect(replay.json().reopenUrl).toBe(new URL(h.zydon.url).origin);
    // A page session is not a launch code, nor is anything forged or malformed.
    tally.expectStatus("page session traded as a launch code", await exchange(page), 401);
    const forged = forge(
      { v: 1, tid: a.tenantId, org: a.orgId, exp: 9_999_999_999, k: "launch" },
      "not-the-session-secret-0123456789",
    );
    tally.expectStatus("forged launch code", await exchange(forged), 401);
    tally.expectStatus("launch code missing", await exchange(undefined), 400);
    tally.expectStatus("launch code not a string", await exchange(42), 400);
    const old = signSession(
      secret,
      { tenantId: a.tenantId, organizationId: a.orgId, kind: "launch" },
      new Date(Date.now() - 6 * 60_000),
    );
    tally.expectStatus("expired launch code", await exchange(old.token), 401);
    // Two tabs racing a fresh launch code: exactly one session.
    const fresh = signSession(secret, { tenantId: a.tenantId, organizationId: a.orgId, kind: "launch" });
    const raced = await Promise.all([exchange(fresh.token), exchange(fresh.token)]);
    const statuses = raced.map((r) => r.statusCode).sort();
    tally.record(
      "one launch code traded twice at once",
      statuses.join(",") === "200,401",
      statuses.join(","),
    );
    expect(statuses).toEqual([200, 401]);
    expect(await tenantRows(h, installed.tenantId)).toEqual(before);
  });

  it("tampered in any one character → 401", async () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const before = await tenantRows(h, a.tenantId);
    for (let i = 0; i < a.session.length; i++) {
      const c = a.session[i] as string;
      if (c === ".") continue;
      // The three characters that differ from this one only in the low two bits: at the last MAC
      // character those are the spare bits a lenient base64 decoder ignores.
      const at = alphabet.indexOf(c);
      for (const flip of [1, 2, 3]) {
        const d = alphabet[at ^ flip] as string;
        const tampered = `${a.session.slice(0, i)}${d}${a.session.slice(i + 1)}`;
        const res = await h.api.inject({
          method: "GET",
          url: "/api/settings/connection",
          headers: { authorization: `Bearer ${tampered}` },
        });
        tally.expectStatus(`tampered at ${i}: ${c}→${d}`, res, 401);
      }
    }
    const sig = a.session.split(".")[1] as string;
    const lastFlip = `${a.session.slice(0, -1)}${sig.endsWith("A") ? "B" : "A"}`;
    await refusedEverywhere("tampered last MAC character", lastFlip, 401, "unauthorized");
    const bodyFlip = `${a.session[0] === "e" ? "f" : "e"}${a.session.slice(1)}`;
    await refusedEverywhere("tampered first payload character", bodyFlip, 401, "unauthorized");
    expect(await tenantRows(h, a.tenantId)).toEqual(before);
  });

  it("signed with another secret, or shaped wrongly → 401", async () => {
    const payload = {
      v: 1,
      tid: a.tenantId,
      org: a.orgId,
      exp: Math.floor(Date.now() / 1000) + 600,
      k: "page",
    };
    await refusedEverywhere(
      "another secret",
      forge(payload, "another-secret-of-the-same-length!!!"),
      401,
      "unauthorized",
    );
    await refusedEverywhere("empty secret", forge(payload, ""), 401, "unauthorized");
    await refusedEverywhere("no MAC", `${a.session.split(".")[0]}.`, 401, "unauthorized");
    await refusedEverywhere("three parts", `${a.session}.x`, 401, "unauthorized");
    await refusedEverywhere("version 2", forge({ ...payload, v: 2 }), 401, "unauthorized");
    await refusedEverywhere("kind admin", forge({ ...payload, k: "admin" }), 401, "unauthorized");
    await refusedEverywhere("oversized", `${a.session}${"A".repeat(3_000)}`, 401, "unauthorized");
  });

  it("a validly signed token for a tenant that is not theirs or does not exist → 401", async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const b = await h.install("Outra Org");
    // Right tenant id, wrong organization (the pair must match the row).
    await refusedEverywhere(
      "tenant of another organization",
      forge({ v: 1, tid: b.tenantId, org: a.orgId, exp, k: "page" }),
      401,
      "unauthorized",
    );
    await refusedEverywhere(
      "unknown tenant",
      forge({ v: 1, tid: randomUUID(), org: a.orgId, exp, k: "page" }),
      401,
      "unauthorized",
    );
  });

  it("not a bearer session at all → 401", async () => {
    for (const [label, header] of [
      ["basic auth", `Basic ${Buffer.from("a:b").toString("base64")}`],
      ["two bearer tokens", `Bearer ${a.session}, Bearer ${a.session}`],
      ["bearer without token", "Bearer "],
      ["token without scheme", a.session],
    ] as const) {
      const res = await h.api.inject({
        method: "GET",
        url: "/api/settings",
        headers: { authorization: header },
      });
      tally.expectStatus(label, res, 401);
    }
    // The session in the query string is only for the top-level /bling/connect window, not the API.
    const q = await h.api.inject({
      method: "GET",
      url: `/api/settings?session=${encodeURIComponent(a.session)}`,
    });
    tally.expectStatus("session in the query string", q, 401);
  });

  it("a portal buyer's Zydon token of the same organization (issue 21 #7) → 403 not_admin; an admin's opens a session", async () => {
    const before = await tenantRows(h, a.tenantId);
    const buyer = h.zydon.sim.issueAdminSession(a.orgId, "PARTNER");
    const refused = await h.api.inject({ method: "POST", url: "/api/session", payload: buyer });
    tally.expectStatus("buyer's Zydon token: POST /api/session", refused, 403);
    expect(refused.json().error).toBe("not_admin");
    expect(refused.json()).not.toHaveProperty("token");
    expect(await tenantRows(h, a.tenantId), "a buyer's attempt changed something").toEqual(before);
    const admin = h.zydon.sim.issueAdminSession(a.orgId, "SELLER");
    const opened = await h.api.inject({ method: "POST", url: "/api/session", payload: admin });
    expect(opened.statusCode, "admin's Zydon token: POST /api/session").toBe(200);
    const res = await h.api.inject({
      method: "GET",
      url: "/api/settings",
      headers: { authorization: `Bearer ${opened.json().token as string}` },
    });
    expect(res.statusCode).toBe(200);
  });

  it("a session of an uninstalled tenant → 403 tenant_uninstalled on every route, and no outside call", async () => {
    const u = await h.install("Desinstalada");
    const session = await h.session(u.orgId);
    const rawBody = zydonAdapter.notificationBody(u.orgId);
    const res = await h.api.inject({
      method: "POST",
      url: "/zydon/notifications/uninstall",
      payload: rawBody,
      headers: zydonAdapter.signedHeaders({
        accessKey: pluginKey,
        rawBody,
        now: new Date(),
        event: "uninstall",
        deliveryId: "del-uninstall",
      }),
    });
    expect(res.statusCode).toBe(200);
    const zydonCalls = h.zydon.sim.requestLog.length;
    const before = await tenantRows(h, u.tenantId);
    for (const r of settingsRoutes()) {
      const out = await h.api.inject({
        method: r.method,
        url: concrete(r.url),
        headers: { authorization: `Bearer ${session}` },
        ...(r.method === "PUT" ? { payload: { paused: false } } : {}),
      });
      tally.expectStatus(`uninstalled: ${r.method} ${r.url}`, out, 403);
      if (r.method !== "HEAD") expect(out.json().error).toBe("tenant_uninstalled");
    }
    const connect = await h.api.inject({
      method: "POST",
      url: "/bling/connect",
      headers: { authorization: `Bearer ${session}`, origin: h.apiUrl },
    });
    tally.expectStatus("uninstalled: POST /bling/connect", connect, 403);
    expect(await tenantRows(h, u.tenantId)).toEqual(before);
    expect(h.zydon.sim.requestLog.length).toBe(zydonCalls);
  });
});

/** The App Center's uninstall notification for `orgId`. */
async function uninstall(orgId: string) {
  const rawBody = zydonAdapter.notificationBody(orgId);
  const res = await h.api.inject({
    method: "POST",
    url: "/zydon/notifications/uninstall",
    payload: rawBody,
    headers: zydonAdapter.signedHeaders({
      accessKey: pluginKey,
      rawBody,
      now: new Date(),
      event: "uninstall",
      deliveryId: `del-${randomUUID()}`,
    }),
  });
  expect(res.statusCode).toBe(200);
}

function settingsAs(token: string) {
  return h.api.inject({
    method: "GET",
    url: "/api/settings/connection",
    headers: { authorization: `Bearer ${token}` },
  });
}

describe("revocation (issue 21 #8): uninstall, Desconectar and the purge end every session of the tenant", () => {
  it("a session and an unused launch code from before an uninstall open nothing after the reinstall", async () => {
    const t = await h.install("Revogada na Desinstalação");
    const launch = decodeURIComponent(t.launchLocation.split("#launch=")[1] as string);
    const session = await h.session(t.orgId);
    expect((await settingsAs(session)).statusCode).toBe(200);
    await uninstall(t.orgId);
    const again = await h.install({ orgId: t.orgId });
    expect(again.tenantId).toBe(t.tenantId);
    // Tenant back in business: the old session would have opened it again for its remaining minutes.
    const old = await settingsAs(session);
    tally.expectStatus("page session from before the uninstall, after the reinstall", old, 401);
    expect(old.json().error).toBe("session_revoked");
    const oldLaunch = await h.api.inject({
      method: "POST",
      url: "/api/session/launch",
      payload: { launchToken: launch },
    });
    tally.expectStatus("unused launch code from before the uninstall", oldLaunch, 401);
    // The new install's own launch code and a new session work.
    const fresh = decodeURIComponent(again.launchLocation.split("#launch=")[1] as string);
    const traded = await h.api.inject({
      method: "POST",
      url: "/api/session/launch",
      payload: { launchToken: fresh },
    });
    expect(traded.statusCode).toBe(200);
    expect((await settingsAs(traded.json().token as string)).statusCode).toBe(200);
  });

  it("Desconectar Bling ends every session (a leaked one included); only the asking tab gets a new one", async () => {
    const t = await h.install("Revogada no Desconectar");
    const acc = h.bling.createAccount("Revogada Ltda");
    const mine = await h.session(t.orgId);
    expect((await h.connectBling(mine, acc.accountId)).status).toBe(302);
    const leaked = await h.session(t.orgId);
    const res = await h.api.inject({
      method: "POST",
      url: "/api/settings/bling/disconnect",
      headers: { authorization: `Bearer ${mine}` },
    });
    expect(res.statusCode).toBe(200);
    // The tab that asked is handed its replacement: new generation, never a longer life than the one it sent.
    const replacement = res.json().session as { token: string; expiresAt: string };
    expect((await settingsAs(replacement.token)).statusCode).toBe(200);
    const sent = verifySession(secret, mine, new Date(), "page");
    expect(sent.ok && Date.parse(replacement.expiresAt) <= sent.session.exp * 1000).toBe(true);
    for (const [label, token] of [
      ["leaked session after Desconectar", leaked],
      ["the disconnecting tab's own session after Desconectar", mine],
    ] as const) {
      const r = await settingsAs(token);
      tally.expectStatus(label, r, 401);
      expect(r.json().error).toBe("session_revoked");
    }
    const connect = await h.api.inject({
      method: "POST",
      url: "/bling/connect",
      headers: { authorization: `Bearer ${leaked}`, origin: h.apiUrl },
    });
    tally.expectStatus("leaked session starting a Bling connect after Desconectar", connect, 401);
    // The page signs in again through the host session.
    expect((await settingsAs(await h.session(t.orgId))).statusCode).toBe(200);
  });

  it("the purge moves the generation on: a token of the generation before it stays dead", async () => {
    const t = await h.install("Revogada na Purga");
    await uninstall(t.orgId);
    const [{ g: before }] = (await h.db.sql`select session_generation as g from tenants
      where id = ${t.tenantId}`) as unknown as [{ g: number }];
    const creds = new CredentialsRepository(h.db.db, h.deps.secretBox);
    const later = new Date(Date.now() + (h.deps.config.SECRET_RETENTION_DAYS + 1) * 86_400_000);
    expect(await creds.purgeExpired(later)).toContain(t.tenantId);
    const [{ g: after }] = (await h.db.sql`select session_generation as g from tenants
      where id = ${t.tenantId}`) as unknown as [{ g: number }];
    expect(after).toBe(before + 1);
    // A token minted under the pre-purge generation (as if issued just before) after a reinstall.
    const stale = signSession(secret, { tenantId: t.tenantId, organizationId: t.orgId, generation: before });
    await h.install({ orgId: t.orgId });
    const r = await settingsAs(stale.token);
    tally.expectStatus("session of the generation before the purge, after a reinstall", r, 401);
    expect(r.json().error).toBe("session_revoked");
  });
});

describe("POST /api/session probing (issue 21 #5)", () => {
  const post = (payload: unknown, xff?: string) =>
    h.api.inject({
      method: "POST",
      url: "/api/session",
      payload: payload as object,
      ...(xff ? { headers: { "x-forwarded-for": xff } } : {}),
    });

  it("unknown organization, wrong token, another organization's token, uninstalled: one answer", async () => {
    const installed = await h.install("Sondada");
    const gone = await h.install("Sondada Desinstalada");
    await uninstall(gone.orgId);
    const stranger = h.zydon.sim.createOrganization({ name: "Estranha" });
    const reference = await post({ organizationId: installed.orgId, accessToken: "token-errado-123" });
    expect(reference.statusCode).toBe(401);
    const cases: Array<[string, unknown]> = [
      ["unknown organization, made-up token", { organizationId: `org-${randomUUID()}`, accessToken: "x" }],
      [
        "installed organization, another organization's real admin token",
        {
          organizationId: installed.orgId,
          accessToken: h.zydon.sim.issueAdminSession(stranger.id).accessToken,
        },
      ],
      ["uninstalled organization, its own real admin token", h.zydon.sim.issueAdminSession(gone.orgId)],
      ["uninstalled organization, made-up token", { organizationId: gone.orgId, accessToken: "x" }],
    ];
    for (const [label, payload] of cases) {
      const res = await post(payload);
      const same = res.statusCode === reference.statusCode && res.body === reference.body;
      tally.record(`/api/session: ${label}`, same, `${res.statusCode} ${res.body}`);
      expect(res.statusCode, label).toBe(reference.statusCode);
      expect(res.body, label).toBe(reference.body);
    }
  });

  it("a per-organization limit holds against a new spoofed X-Forwarded-For (and real peer) per request", async () => {
    const target = await h.install("Alvo de Força Bruta");
    const bystander = await h.install("Vizinha da Força Bruta");
    const max = defaultRateLimits.sessionPerOrganization;
    const statuses: number[] = [];
    for (let i = 0; i < max + 5; i++) {
      const res = await post(
        { organizationId: target.orgId, accessToken: `palpite-${i}` },
        // A made-up leftmost value, and a different peer as our (trusted) balancer reports it each time.
        `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}, 203.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      );
      statuses.push(res.statusCode);
    }
    expect(statuses.slice(0, max).every((s) => s === 401)).toBe(true);
    for (const [i, s] of statuses.slice(max).entries()) {
      tally.expectStatus(`session guess #${max + i + 1} for one organization`, { statusCode: s }, 429);
    }
    // The limit is per organization: another one is not held back.
    const other = await post(h.zydon.sim.issueAdminSession(bystander.orgId), "203.0.113.200");
    expect(other.statusCode).toBe(200);
  });
});

describe("secrets", () => {
  it("no secret in any log line or response of this file", () => {
    expect(tally.tried).toBeGreaterThan(100);
    expectNoSecretLeak(h, responses);
  });
});
