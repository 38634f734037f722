import { CredentialsRepository, TenantsRepository } from "@zb/db";
import { AttackTally } from "@zb/e2e-kit";
import { testEnv } from "@zb/testing";
import { zydonAdapter } from "@zb/zydon";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHarness, type Harness, isBlingConfirmation } from "../test-support/harness.js";
import { expectNoInternals, expectNoSecretLeak, recordResponses } from "./attack-kit.js";

/**
 * Issue 21, findings 2 and 3: a connect link someone forwarded must never bind the clicker's Bling company
 * to the sender's organization (same-origin POST start, single-use nonce, confirmation before anything is
 * stored), an uninstalled tenant's purge lets go of its company, and one tenant's connect flood can neither
 * exceed its own attempt cap nor take the refreshes' part of the deployment-wide token-call cap.
 */
let h: Harness;
let responses: string[];
const tally = new AttackTally("bling-connect.attacks");
const pluginKey = testEnv().ZYDON_ACCESS_KEY as string;

beforeAll(async () => {
  h = await createHarness({ rateLimits: { public: 10_000 }, tokenBudget: true });
  responses = recordResponses(h);
  // The producer connection queues nothing while connecting: wait until it is up.
  if (h.redis.status !== "ready") await new Promise((r) => h.redis.once("ready", r));
});

// The exchange lane is 3 calls per 60 s for the whole deployment: each test starts with a fresh minute.
beforeEach(async () => {
  const p = `${h.deps.config.REDIS_PREFIX}:budget:egress:token-calls`;
  await h.redis.del(`${p}:exchange`, `${p}:refresh`);
});

afterAll(async () => {
  tally.flush();
  await h?.close();
});

const creds = () => new CredentialsRepository(h.db.db, h.deps.secretBox);

function startPost(headers: Record<string, string>) {
  return h.api.inject({ method: "POST", url: "/bling/connect", headers });
}

async function nonceUrl(session: string): Promise<string> {
  const res = await startPost({ authorization: `Bearer ${session}`, origin: h.apiUrl });
  expect(res.statusCode).toBe(200);
  const url = new URL(res.json().url as string);
  // No session in the URL the browser opens: only the nonce.
  expect(url.search).not.toContain(session);
  expect([...url.searchParams.keys()]).toEqual(["nonce"]);
  return `${url.pathname}${url.search}`;
}

function open(path: string) {
  return h.api.inject({ method: "GET", url: path });
}

function callback(code: string, state: string, cookie: string | undefined) {
  return h.api.inject({
    method: "GET",
    url: `/bling/callback?${new URLSearchParams({ code, state }).toString()}`,
    cookies: cookie ? { zb_bling_state: cookie } : {},
  });
}

async function nonceKeys(): Promise<string[]> {
  return h.redis.keys(`${h.deps.config.REDIS_PREFIX}:bling-connect:nonce:*`);
}

async function blingStates(): Promise<number> {
  const r = await h.db.sql`select count(*)::int as n from oauth_states where provider = 'bling'`;
  return r[0]?.n as number;
}

/** What a connect could change for these tenants: connection, tenant state, jobs. */
async function snapshot(tenantIds: string[]) {
  const tenants = new TenantsRepository(h.db.db);
  const out: unknown[] = [];
  for (const id of tenantIds) {
    out.push({
      tenant: (await tenants.findById(id))?.state,
      conn: await creds().getBlingConnection(id),
      jobs: (await h.jobs({ tenantId: id })).map((j) => j.name).sort(),
    });
  }
  return out;
}

function expectPage(res: LightMyRequestResponse, text: string) {
  expect(res.headers["content-type"]).toContain("text/html");
  expect(res.body).toContain('<html lang="pt-BR">');
  expect(res.body).toContain(text);
  expectNoInternals(res.body);
}

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
      deliveryId: `del-uninstall-${orgId}`,
    }),
  });
  expect(res.statusCode).toBe(200);
}

describe("a forwarded connect link (issue 21 #2)", () => {
  it("the former ?session= link, opened in any browser, starts nothing", async () => {
    const attacker = await h.install("Atacante Sessão");
    const session = await h.session(attacker.orgId);
    const states = await blingStates();
    const res = await open(`/bling/connect?session=${encodeURIComponent(session)}`);
    tally.expectStatus("forwarded ?session= connect link", res, 400);
    expectPage(res, "Este link de conexão não vale mais");
    expect(res.cookies.find((c) => c.name === "zb_bling_state")).toBeUndefined();
    expect(await blingStates()).toBe(states);
  });

  it("no nonce, a made-up or malformed nonce → 400, no state, no cookie", async () => {
    const states = await blingStates();
    for (const [label, path] of [
      ["connect without nonce", "/bling/connect"],
      ["connect with empty nonce", "/bling/connect?nonce="],
      ["connect with made-up nonce", `/bling/connect?nonce=${"A".repeat(43)}`],
      ["connect with malformed nonce", `/bling/connect?nonce=${encodeURIComponent("<x>'\"")}`],
      ["connect with oversized nonce", `/bling/connect?nonce=${"a".repeat(5_000)}`],
    ] as const) {
      const res = await open(path);
      tally.expectStatus(label, res, 400);
      expectPage(res, "Conectar ao Bling");
      expect(res.cookies.find((c) => c.name === "zb_bling_state")).toBeUndefined();
    }
    expect(await blingStates()).toBe(states);
  });

  it("a nonce opens one Bling window: replayed or expired → 400", async () => {
    const t = await h.install("Nonce Único");
    const session = await h.session(t.orgId);
    const path = await nonceUrl(session);
    expect((await open(path)).statusCode).toBe(302);
    const states = await blingStates();
    const replay = await open(path);
    tally.expectStatus("replayed nonce", replay, 400);
    expect(await blingStates()).toBe(states);
    // Two tabs racing one nonce: exactly one gets the Bling window.
    const racing = await nonceUrl(session);
    const both = await Promise.all([open(racing), open(racing)]);
    tally.record(
      "one nonce opened twice at once",
      both
        .map((r) => r.statusCode)
        .sort()
        .join(",") === "302,400",
      both.map((r) => r.statusCode).join(","),
    );
    expect(both.map((r) => r.statusCode).sort()).toEqual([302, 400]);
    // Expired: the nonce's minute is over (its Redis entry ends it).
    const late = await nonceUrl(session);
    const keys = await nonceKeys();
    expect(keys).toHaveLength(1);
    // The nonce itself is never stored, only its hash.
    expect(keys[0]).not.toContain(new URL(late, h.apiUrl).searchParams.get("nonce") as string);
    await h.redis.pexpire(keys[0] as string, 1);
    await new Promise((r) => setTimeout(r, 20));
    const expired = await open(late);
    tally.expectStatus("expired nonce", expired, 400);
    expect(await blingStates()).toBe(states + 1);
  });

  it("a start POST from another origin, without an origin or without a session → refused, no nonce", async () => {
    const t = await h.install("Origem Estranha");
    const session = await h.session(t.orgId);
    const auth = `Bearer ${session}`;
    const before = (await nonceKeys()).length;
    for (const [label, headers, status] of [
      ["start from a foreign origin", { authorization: auth, origin: "https://evil.example" }, 403],
      ["start from an opaque origin", { authorization: auth, origin: "null" }, 403],
      ["start from a look-alike origin", { authorization: auth, origin: `${h.apiUrl}.evil.example` }, 403],
      ["start without an origin", { authorization: auth }, 403],
      ["start without a session", { origin: h.apiUrl }, 401],
      ["start with a session in the query", { origin: h.apiUrl }, 401],
    ] as const) {
      const res =
        label === "start with a session in the query"
          ? await h.api.inject({
              method: "POST",
              url: `/bling/connect?session=${encodeURIComponent(session)}`,
              headers,
            })
          : await startPost(headers);
      tally.expectStatus(label, res, status);
      expect(res.json().message).toMatch(/página de configurações|Sessão inválida/);
    }
    expect((await nonceKeys()).length).toBe(before);
  });

  it("the attacker's nonce opened in the victim's browser: the confirmation names the attacker's organization, and nothing binds without it", async () => {
    const attacker = await h.install("Atacante Nonce");
    const victimCompany = h.bling.createAccount("Empresa da Vítima Ltda");
    const before = await snapshot([attacker.tenantId]);
    // The attacker forwards a fresh nonce link; the victim opens it and clicks "Autorizar" at Bling.
    const start = await open(await nonceUrl(await h.session(attacker.orgId)));
    expect(start.statusCode).toBe(302);
    const state = new URL(start.headers.location as string).searchParams.get("state") as string;
    const cookie = start.cookies.find((c) => c.name === "zb_bling_state")?.value as string;
    const issuedBefore = h.bling.issued().length;
    const cb = await callback(h.bling.authorize(victimCompany.accountId), state, cookie);
    tally.record("callback asks before binding", isBlingConfirmation(cb), `got ${cb.statusCode}`);
    expect(isBlingConfirmation(cb)).toBe(true);
    expectPage(cb, "Conectar a empresa Empresa da Vítima Ltda do Bling à organização");
    // Both sides by name (issue 21 #2), the organization's id beside its name.
    expect(cb.body).toContain(`à organização Atacante Nonce (${attacker.orgId}) da Zydon?`);
    expect(cb.body).toContain("Confirmar");
    expect(cb.body).toContain("Cancelar");
    // Nothing is stored before the answer.
    expect(await snapshot([attacker.tenantId])).toEqual(before);
    expect(await creds().findTenantIdByBlingCompany(victimCompany.companyId)).toBeUndefined();

    // "Confirmar" forged without the victim's cookie (another site's form, the attacker's own browser) or
    // with a wrong state or decision is refused.
    for (const [label, s, c, d] of [
      ["confirm without the state cookie", state, undefined, "confirm"],
      ["confirm with another cookie", state, "b".repeat(32), "confirm"],
      ["confirm with a made-up state", "c".repeat(32), "c".repeat(32), "confirm"],
      ["confirm with no decision", state, cookie, ""],
      ["confirm with an unknown decision", state, cookie, "sim"],
    ] as const) {
      const res = await h.answerBling(s, c, d as "confirm");
      tally.expectStatus(label, res, 400);
      expectPage(res, "Conexão com o Bling não concluída");
    }
    const json = await h.api.inject({
      method: "POST",
      url: "/bling/confirm",
      payload: { state, decision: "confirm" },
      cookies: { zb_bling_state: cookie },
    });
    tally.expectStatus("confirm as JSON (no form)", json, 400);
    expect(await snapshot([attacker.tenantId])).toEqual(before);

    // The victim reads the attacker's organization and clicks "Cancelar": the fresh tokens are revoked.
    const cancel = await h.answerBling(state, cookie, "cancel");
    expect(cancel.statusCode).toBe(200);
    expectPage(cancel, "Conexão cancelada");
    const fresh = h.bling.issued().slice(issuedBefore);
    expect(fresh).toHaveLength(2);
    for (const t of fresh) expect(await h.bling.isRevoked(t)).toBe(true);
    // Too late to confirm after cancelling.
    const after = await h.answerBling(state, cookie, "confirm");
    tally.expectStatus("confirm after cancel", after, 400);
    expect(await snapshot([attacker.tenantId])).toEqual(before);
    expect(await creds().findTenantIdByBlingCompany(victimCompany.companyId)).toBeUndefined();
  });

  it("a confirmation is used once: the second Confirmar changes nothing", async () => {
    const t = await h.install("Confirma Uma Vez");
    const session = await h.session(t.orgId);
    const acc = h.bling.createAccount("Confirma Uma Vez Ltda");
    const { state, cookie } = await h.startBling(session);
    const cb = await callback(h.bling.authorize(acc.accountId), state, cookie);
    expect(isBlingConfirmation(cb)).toBe(true);
    const ok = await h.answerBling(state, cookie);
    expect(ok.statusCode).toBe(302);
    expect(ok.headers.location).toBe(`${h.apiUrl}/app?bling=connected`);
    const bound = await snapshot([t.tenantId]);
    const again = await h.answerBling(state, cookie);
    tally.expectStatus("confirm replayed", again, 400);
    expect(await snapshot([t.tenantId])).toEqual(bound);
    expect((await creds().getBlingConnection(t.tenantId))?.blingCompanyId).toBe(acc.companyId);
  });

  it("the purge of an uninstalled tenant frees its Bling company for the merchant's own connect", async () => {
    const attacker = await h.install("Atacante Purga");
    const merchant = await h.install("Dona da Empresa Purga");
    const acc = h.bling.createAccount("Empresa Presa Ltda");
    expect((await h.connectBling(await h.session(attacker.orgId), acc.accountId)).status).toBe(302);
    await uninstall(attacker.orgId);
    // Retention window over: the purge job's repository call.
    await creds().purgeExpired(new Date(Date.now() + (h.deps.config.SECRET_RETENTION_DAYS + 1) * 86_400_000));
    expect(await creds().findTenantIdByBlingCompany(acc.companyId)).toBeUndefined();
    const res = await h.connectBling(await h.session(merchant.orgId), acc.accountId);
    tally.record("merchant's connect after the squatter's purge", res.status === 302, `got ${res.status}`);
    expect(res.status).toBe(302);
    expect(await creds().findTenantIdByBlingCompany(acc.companyId)).toBe(merchant.tenantId);
  });
});

describe("connect floods and the token-call cap (issue 21 #3)", () => {
  const fakeCode = () => `${Math.random().toString(16).slice(2)}${"0".repeat(24)}`.slice(0, 40);

  it("a tenant's 4th connect attempt in 10 minutes is refused, at the start and at the callback", async () => {
    const t = await h.install("Inundação");
    const session = await h.session(t.orgId);
    // Four windows opened at once (the page was clicked four times), then four callbacks with made-up codes.
    const starts = [];
    for (let i = 0; i < 4; i++) starts.push(await h.startBling(session));
    const answers = [];
    for (const s of starts) answers.push(await callback(fakeCode(), s.state, s.cookie));
    expect(answers.slice(0, 3).map((r) => r.statusCode)).toEqual([400, 400, 400]);
    tally.expectStatus("4th code exchange of one tenant", answers[3] as LightMyRequestResponse, 429);
    expectPage(answers[3] as LightMyRequestResponse, "Muitas tentativas de conexão com o Bling");
    // The page's button now says so before any Bling window opens.
    const fifth = await startPost({ authorization: `Bearer ${session}`, origin: h.apiUrl });
    tally.expectStatus("5th connect start of one tenant", fifth, 429);
    expect(fifth.json().message).toContain("Muitas tentativas de conexão com o Bling");
    // Another tenant is not held back by it.
    const other = await h.install("Vizinha da Inundação");
    const acc = h.bling.createAccount("Vizinha Ltda");
    await h.redis.del(`${h.deps.config.REDIS_PREFIX}:budget:egress:token-calls:exchange`);
    expect((await h.connectBling(await h.session(other.orgId), acc.accountId)).status).toBe(302);
  });

  it("a flood of code exchanges leaves the refreshes their lane of the token-call cap", async () => {
    const budget = h.tokenBudget;
    if (!budget) throw new Error("harness without token budget");
    // Three organizations of one attacker, each within its own attempt cap: nine exchanges in a minute.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = await h.install(`Inundação ${i}`);
      const session = await h.session(t.orgId);
      for (let j = 0; j < 3; j++) {
        const s = await h.startBling(session);
        statuses.push((await callback(fakeCode(), s.state, s.cookie)).statusCode);
      }
    }
    // Three reached Bling (made-up code → 400); the rest were held back by the exchange lane (502 page).
    expect(statuses.filter((s) => s === 400)).toHaveLength(3);
    expect(statuses.filter((s) => s === 502)).toHaveLength(6);
    const refreshes = [];
    for (let i = 0; i < 7; i++) refreshes.push((await budget.takeTokenCall("refresh")).ok);
    tally.record(
      "refresh lane after an exchange flood",
      refreshes.every(Boolean),
      `granted ${refreshes.filter(Boolean).length}/7`,
    );
    expect(refreshes).toEqual(Array(7).fill(true));
    // The lanes add up to the deployment's cap (10 per 60 s), never more.
    expect((await budget.takeTokenCall("refresh")).ok).toBe(false);
    expect((await budget.takeTokenCall("exchange")).ok).toBe(false);
  });
});

describe("secrets", () => {
  it("no secret in any log line or response of this file", () => {
    expect(tally.tried).toBeGreaterThan(25);
    expectNoSecretLeak(h, responses);
  });
});
