import { CredentialsRepository, TenantsRepository } from "@zb/db";
import { AttackTally } from "@zb/e2e-kit";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INSTALL_STATES_PER_CLIENT } from "../routes/zydon-install.js";
import { createHarness, type Harness, isBlingConfirmation } from "../test-support/harness.js";
import { BLING_STATES_PER_TENANT } from "../use-cases/bling-connection.js";
import { expectNoInternals, expectNoSecretLeak, recordResponses } from "./attack-kit.js";

/**
 * Bad input at both OAuth callbacks (Bling "Conectar", Zydon App Center install). Each refusal is checked
 * for its exact status, a pt-BR page without internals, and no change: no tokens or access key stored, no
 * tenant created or moved, no job queued.
 */
let h: Harness;
let responses: string[];
const tally = new AttackTally("oauth.attacks");
const codes: string[] = [];

beforeAll(async () => {
  h = await createHarness({ rateLimits: { public: 10_000 } });
  responses = recordResponses(h);
});

afterAll(async () => {
  tally.flush();
  await h?.close();
});

function blingCode(accountId: string): string {
  const c = h.bling.authorize(accountId);
  codes.push(c);
  return c;
}

async function startBling(session: string) {
  const { state, cookie } = await h.startBling(session);
  expect(cookie).toBe(state);
  return { state, cookie };
}

/** Bling's callback; a confirmation page is answered "Confirmar" from the same browser (same cookie). */
async function blingCallback(query: Record<string, string>, cookie?: string) {
  const res = await h.api.inject({
    method: "GET",
    url: `/bling/callback?${new URLSearchParams(query).toString()}`,
    cookies: cookie ? { zb_bling_state: cookie } : {},
  });
  return isBlingConfirmation(res) && query.state ? h.answerBling(query.state, cookie) : res;
}

/** Everything a Bling callback could change for these tenants. */
async function blingSnapshot(tenantIds: string[]) {
  const creds = new CredentialsRepository(h.db.db, h.deps.secretBox);
  const tenants = new TenantsRepository(h.db.db);
  const out: unknown[] = [];
  for (const id of tenantIds) {
    out.push({
      tenant: (await tenants.findById(id))?.state,
      conn: await creds.getBlingConnection(id),
      jobs: (await h.jobs({ tenantId: id })).map((j) => j.name).sort(),
    });
  }
  return { out, issued: h.bling.issued().length };
}

function expectPage(res: LightMyRequestResponse, text: string) {
  expect(res.headers["content-type"]).toContain("text/html");
  expect(res.body).toContain('<html lang="pt-BR">');
  expect(res.body).toContain(text);
  expectNoInternals(res.body);
}

describe("GET /bling/callback", () => {
  it("a replayed state (second use) → 400, the first connection stays as it was", async () => {
    const a = await h.install("Replay Bling");
    const session = await h.session(a.orgId);
    const first = h.bling.createAccount("Replay Primeira Ltda");
    const second = h.bling.createAccount("Replay Segunda Ltda");
    const s = await startBling(session);
    const ok = await blingCallback({ code: blingCode(first.accountId), state: s.state }, s.cookie);
    expect(ok.statusCode).toBe(302);
    const before = await blingSnapshot([a.tenantId]);
    for (const [label, code] of [
      ["bling replayed state, fresh code", blingCode(second.accountId)],
      ["bling replayed state, same code", codes.at(-2) as string],
    ] as const) {
      const res = await blingCallback({ code, state: s.state }, s.cookie);
      tally.expectStatus(label, res, 400);
      expectPage(res, "expirou ou já foi usado");
    }
    expect(await blingSnapshot([a.tenantId])).toEqual(before);
    const conn = await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(a.tenantId);
    expect(conn?.blingCompanyId).toBe(first.companyId);
  });

  it("a foreign state (another tenant's, another browser's, another provider's) → 400, nothing connected", async () => {
    const a = await h.install("Vítima");
    const b = await h.install("Atacante");
    const sa = await startBling(await h.session(a.orgId));
    const sb = await startBling(await h.session(b.orgId));
    const attackerAccount = h.bling.createAccount("Conta do Atacante Ltda");
    const before = await blingSnapshot([a.tenantId, b.tenantId]);
    // Login CSRF: B's state and B's code pushed into A's browser, which holds A's cookie.
    const csrf = await blingCallback(
      { code: blingCode(attackerAccount.accountId), state: sb.state },
      sa.cookie,
    );
    tally.expectStatus("bling foreign state in the victim's browser", csrf, 400);
    expectPage(csrf, "não corresponde a uma conexão iniciada neste navegador");
    const swapped = await blingCallback(
      { code: blingCode(attackerAccount.accountId), state: sa.state },
      sb.cookie,
    );
    tally.expectStatus("bling own state with another browser's cookie", swapped, 400);
    const zydonStart = await h.api.inject({ method: "GET", url: "/zydon/install" });
    const zydonState = new URL(zydonStart.headers.location as string).searchParams.get("state") as string;
    const otherProvider = await blingCallback(
      { code: blingCode(attackerAccount.accountId), state: zydonState },
      zydonState,
    );
    tally.expectStatus("bling callback with a Zydon state", otherProvider, 400);
    const made = await blingCallback(
      { code: blingCode(attackerAccount.accountId), state: "a".repeat(43) },
      "a".repeat(43),
    );
    tally.expectStatus("bling made-up state matching a made-up cookie", made, 400);
    expect(await blingSnapshot([a.tenantId, b.tenantId])).toEqual(before);
    // The refused attempts did not burn A's and B's own states: each can still finish its own connect.
    const accA = h.bling.createAccount("Vítima Ltda");
    expect(
      (await blingCallback({ code: blingCode(accA.accountId), state: sa.state }, sa.cookie)).statusCode,
    ).toBe(302);
  });

  it("a missing state → 400", async () => {
    const a = await h.install("Sem Estado");
    const s = await startBling(await h.session(a.orgId));
    const acc = h.bling.createAccount("Sem Estado Ltda");
    const before = await blingSnapshot([a.tenantId]);
    const cases: Array<[string, Record<string, string>, string | undefined]> = [
      ["bling no state, cookie present", { code: blingCode(acc.accountId) }, s.cookie],
      ["bling empty state", { code: blingCode(acc.accountId), state: "" }, s.cookie],
      ["bling no state, no cookie", { code: blingCode(acc.accountId) }, undefined],
      ["bling state, no cookie", { code: blingCode(acc.accountId), state: s.state }, undefined],
      ["bling nothing at all", {}, undefined],
    ];
    for (const [label, q, cookie] of cases) {
      const res = await blingCallback(q, cookie);
      tally.expectStatus(label, res, 400);
      expectPage(res, "Conexão com o Bling não concluída");
    }
    const nul = await blingCallback({ code: blingCode(acc.accountId), state: "abc\u0000" }, s.cookie);
    tally.expectStatus("bling NUL in state", nul, 400);
    expect(await blingSnapshot([a.tenantId])).toEqual(before);
  });

  it("error= values → 200 pt-BR page that never echoes free text or breaks, state burned, nothing stored", async () => {
    const a = await h.install("Erros Bling");
    const session = await h.session(a.orgId);
    const before = await blingSnapshot([a.tenantId]);
    const cases: Array<[string, string]> = [
      ["access_denied", "Você cancelou a autorização no Bling"],
      ["app_inativo", "Este app está inativo no Bling"],
      ["UNAUTHORIZED_ERROR", "o usuário não tem permissão"],
      ["server_error", "O Bling recusou a autorização (server_error)"],
      // Object.prototype names must not be taken for known errors.
      ["constructor", "O Bling recusou a autorização (constructor)"],
      ["__proto__", "O Bling recusou a autorização (__proto__)"],
      ["toString", "O Bling recusou a autorização (toString)"],
      // Free text is not echoed: someone could put any sentence on our domain.
      ["<script>alert(1)</script>", "O Bling recusou a autorização. Tente conectar novamente."],
      ["Ligue agora para 0800 000 0000 e informe sua senha", "O Bling recusou a autorização. Tente"],
      ["x".repeat(5_000), "O Bling recusou a autorização. Tente conectar novamente."],
    ];
    for (const [error, text] of cases) {
      const s = await startBling(session);
      const res = await blingCallback(
        { error, error_description: "Stack: at Object.<anonymous>", state: s.state },
        s.cookie,
      );
      tally.expectStatus(`bling error=${error.slice(0, 30)}`, res, 200);
      expectPage(res, text);
      expect(res.body).not.toContain("<script>");
      expect(res.body).not.toContain("Ligue agora");
      expect(res.body).not.toContain("Stack:");
      // The state died with the error: a code for it now is refused.
      const acc = h.bling.createAccount(`Depois do erro ${error.slice(0, 10)}`);
      const reuse = await blingCallback({ code: blingCode(acc.accountId), state: s.state }, s.cookie);
      tally.expectStatus(`bling code after error=${error.slice(0, 30)}`, reuse, 400);
    }
    // An error without a state of ours is refused before anything is read.
    const stray = await blingCallback({ error: "access_denied" });
    tally.expectStatus("bling error= without state", stray, 400);
    expect(await blingSnapshot([a.tenantId])).toEqual(before);
  });

  it("a made-up or already used code → 400, state burned, nothing stored", async () => {
    const a = await h.install("Código Falso");
    const session = await h.session(a.orgId);
    const acc = h.bling.createAccount("Código Falso Ltda");
    const before = await blingSnapshot([a.tenantId]);
    const s1 = await startBling(session);
    const fake = await blingCallback(
      { code: "0123456789abcdef0123456789abcdef01234567", state: s1.state },
      s1.cookie,
    );
    tally.expectStatus("bling made-up code", fake, 400);
    expectPage(fake, "O código de autorização do Bling não vale mais");
    // A code another connect already used.
    const other = await h.install("Código Usado");
    const used = blingCode(acc.accountId);
    const so = await startBling(await h.session(other.orgId));
    expect((await blingCallback({ code: used, state: so.state }, so.cookie)).statusCode).toBe(302);
    const s2 = await startBling(session);
    const reused = await blingCallback({ code: used, state: s2.state }, s2.cookie);
    tally.expectStatus("bling code used by another connect", reused, 400);
    expect((await blingSnapshot([a.tenantId])).out).toEqual(before.out);
  });

  it("a code for a Bling company already linked to another tenant → 409, fresh tokens revoked, nothing stored", async () => {
    const owner = await h.install("Dona da Empresa");
    const intruder = await h.install("Intrusa");
    const acc = h.bling.createAccount("Empresa Disputada SA");
    expect((await h.connectBling(await h.session(owner.orgId), acc.accountId)).status).toBe(302);
    const before = await blingSnapshot([owner.tenantId, intruder.tenantId]);
    const s = await startBling(await h.session(intruder.orgId));
    const res = await blingCallback({ code: blingCode(acc.accountId), state: s.state }, s.cookie);
    tally.expectStatus("bling company of another tenant", res, 409);
    expectPage(res, "já está conectada a outra organização da Zydon");
    const after = await blingSnapshot([owner.tenantId, intruder.tenantId]);
    expect(after.out).toEqual(before.out);
    const fresh = h.bling.issued().slice(before.issued);
    expect(fresh).toHaveLength(2);
    for (const t of fresh) expect(await h.bling.isRevoked(t)).toBe(true);
    // The owner's own tokens were not touched.
    const ownerConn = await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(
      owner.tenantId,
    );
    expect(await h.bling.isRevoked(ownerConn?.tokens?.accessToken as string)).toBe(false);
  });
});

async function startZydon() {
  const res = await h.api.inject({ method: "GET", url: "/zydon/install" });
  expect(res.statusCode).toBe(302);
  const u = new URL(res.headers.location as string);
  return {
    state: u.searchParams.get("state") as string,
    redirectUri: u.searchParams.get("redirect_uri") as string,
    cookie: res.cookies.find((c) => c.name === "zb_zydon_state")?.value as string,
  };
}
async function zydonSnapshot() {
  const rows = await h.db.sql`select id, zydon_organization_id, state from tenants order by id`;
  const keys = await h.db
    .sql`select tenant_id, access_key_token_enc from zydon_credentials order by tenant_id`;
  return { rows, keys, jobs: (await h.jobs()).length };
}
/** The callback as the install's browser opens it (its state cookie), or another browser (`cookie` unset). */
function zydonCallback(query: Record<string, string>, cookie?: string) {
  return h.api.inject({
    method: "GET",
    url: `/zydon/callback?${new URLSearchParams(query).toString()}`,
    cookies: cookie ? { zb_zydon_state: cookie } : {},
  });
}

describe("GET /zydon/callback", () => {
  it("a replayed state → 400: the install is not run twice", async () => {
    const org = h.zydon.sim.createOrganization({ name: "Replay Zydon" });
    const s = await startZydon();
    const code = await h.zydon.sim.authorize(org.id, h.pluginId, s.redirectUri, s.state);
    expect((await zydonCallback({ code, state: s.state }, s.cookie)).statusCode).toBe(302);
    const before = await zydonSnapshot();
    const code2 = await h.zydon.sim.authorize(org.id, h.pluginId, s.redirectUri, s.state);
    for (const [label, c] of [
      ["zydon replayed state, same code", code],
      ["zydon replayed state, fresh code", code2],
    ] as const) {
      const res = await zydonCallback({ code: c, state: s.state }, s.cookie);
      tally.expectStatus(label, res, 400);
      expectPage(res, "expirou ou já foi usado");
    }
    expect(await zydonSnapshot()).toEqual(before);
  });

  it("a foreign state (a Bling connect state) and a missing or made-up state → 400", async () => {
    const a = await h.install("Estado Estrangeiro");
    const bs = await startBling(await h.session(a.orgId));
    const org = h.zydon.sim.createOrganization({ name: "Estrangeira" });
    const redirectUri = `${h.apiUrl}/zydon/callback`;
    const code = await h.zydon.sim.authorize(org.id, h.pluginId, redirectUri);
    // (The simulator's consent already sent the install notification; the snapshot is taken after it.)
    const before = await zydonSnapshot();
    for (const [label, q] of [
      ["zydon callback with a Bling state", { code, state: bs.state }],
      ["zydon missing state", { code }],
      ["zydon empty state", { code, state: "" }],
      ["zydon made-up state", { code, state: "b".repeat(43) }],
    ] as const) {
      const res = await zydonCallback(q);
      tally.expectStatus(label, res, 400);
      expectPage(res, "Link de instalação inválido");
    }
    // A NUL in the state used to reach Postgres and fail there (500).
    const nul = await zydonCallback({ code, state: "abc\u0000" });
    tally.expectStatus("zydon NUL in state", nul, 400);
    expect(await zydonSnapshot()).toEqual(before);
  });

  it("a forwarded install link opened in another browser (issue 21 #2) → 400, nothing installed", async () => {
    // The attacker starts an install in their browser and sends the Zydon consent link to a merchant, who
    // approves it in theirs: Zydon redirects the merchant's browser, which has no install cookie, to us.
    const org = h.zydon.sim.createOrganization({ name: "Link Encaminhado" });
    const s = await startZydon();
    expect(s.cookie).toBe(s.state);
    const code = await h.zydon.sim.authorize(org.id, h.pluginId, s.redirectUri, s.state);
    codes.push(code);
    const before = await zydonSnapshot();
    for (const [label, cookie] of [
      ["zydon callback in another browser (no install cookie)", undefined],
      ["zydon callback with another install's cookie", (await startZydon()).cookie],
    ] as const) {
      const res = await zydonCallback({ code, state: s.state }, cookie);
      tally.expectStatus(label, res, 400);
      expectPage(res, "não foi aberto neste navegador");
    }
    expect(await zydonSnapshot()).toEqual(before);
    const key = async () => {
      const t = await new TenantsRepository(h.db.db).findByOrganization(org.id);
      return t ? new CredentialsRepository(h.db.db, h.deps.secretBox).getZydonAccessKey(t.id) : undefined;
    };
    expect(await key()).toBeUndefined();
    // The install's own browser still completes it: the refusal did not burn its state.
    const own = await zydonCallback({ code, state: s.state }, s.cookie);
    expect(own.statusCode).toBe(302);
    expect(own.headers.location).toContain("#launch=");
    expect(await key()).toBeDefined();
  });

  it("error= values → 400 pt-BR page, no free text echoed, state burned", async () => {
    const before = await zydonSnapshot();
    const cases: Array<[string, string]> = [
      ["access_denied", "A instalação foi cancelada na Zydon"],
      ["invalid_client", "A Zydon não reconheceu este app"],
      ["server_error", "A Zydon teve um erro ao autorizar o app"],
      ["temporarily_unavailable", "A Zydon recusou a instalação (temporarily_unavailable)"],
      ["constructor", "A Zydon recusou a instalação (constructor)"],
      ["hasOwnProperty", "A Zydon recusou a instalação (hasOwnProperty)"],
      ["<img src=x onerror=alert(1)>", "A Zydon recusou a instalação. Tente novamente pelo App Center."],
    ];
    for (const [error, text] of cases) {
      const s = await startZydon();
      const res = await zydonCallback({ error, state: s.state }, s.cookie);
      tally.expectStatus(`zydon error=${error.slice(0, 30)}`, res, 400);
      expectPage(res, text);
      expect(res.body).not.toContain("<img");
      const org = h.zydon.sim.createOrganization({ name: `Depois ${error.slice(0, 8)}` });
      const code = await h.zydon.sim.authorize(org.id, h.pluginId, s.redirectUri, s.state);
      const reuse = await zydonCallback({ code, state: s.state }, s.cookie);
      tally.expectStatus(`zydon code after error=${error.slice(0, 30)}`, reuse, 400);
    }
    const after = await zydonSnapshot();
    // Consent in the simulator notified installs (tenants without keys); no access key was stored.
    expect(after.keys).toEqual(before.keys);
  });
});

describe("oauth_states growth (issue 21 #5)", () => {
  const liveZydonStates = async () =>
    Number(
      (
        await h.db.sql`select count(*)::int as n from oauth_states
          where provider = 'zydon' and used_at is null and expires_at > now()`
      )[0]?.n,
    );

  it("a flood of install requests from one client leaves a handful of live states, not one per request", async () => {
    const flood = 60;
    const before = await liveZydonStates();
    let last: { state: string; cookie: string; redirectUri: string } | undefined;
    for (let i = 0; i < flood; i++) last = await startZydon();
    const grown = (await liveZydonStates()) - before;
    tally.record(
      `${flood} install requests from one client`,
      grown <= INSTALL_STATES_PER_CLIENT,
      `${grown} live states left`,
    );
    expect(grown).toBeLessThanOrEqual(INSTALL_STATES_PER_CLIENT);
    expect(grown).toBeGreaterThan(0);
    // The client's newest link still works.
    if (!last) throw new Error("no install started");
    const org = h.zydon.sim.createOrganization({ name: "Depois da Enxurrada" });
    const code = await h.zydon.sim.authorize(org.id, h.pluginId, last.redirectUri, last.state);
    expect((await zydonCallback({ code, state: last.state }, last.cookie)).statusCode).toBe(302);
  });

  it("expired states are deleted where states are created, not only by the daily prune", async () => {
    const old = new Date(Date.now() - 3_600_000).toISOString();
    for (let i = 0; i < 50; i++) {
      await h.db.sql`insert into oauth_states (state, provider, expires_at, created_at)
        values (${`expirado-${i}-${Math.random()}`}, 'zydon', ${old}, ${old})`;
    }
    const expired = async () =>
      Number((await h.db.sql`select count(*)::int as n from oauth_states where expires_at <= now()`)[0]?.n);
    expect(await expired()).toBeGreaterThanOrEqual(50);
    await startZydon();
    const left = await expired();
    tally.record("expired states after one install request", left === 0, `${left} expired rows left`);
    expect(left).toBe(0);
  });

  it("a tenant opening many Bling connect windows keeps only its newest few states", async () => {
    const t = await h.install("Janelas Demais");
    const session = await h.session(t.orgId);
    for (let i = 0; i < 12; i++) await h.startBling(session);
    const [{ n }] = (await h.db.sql`select count(*)::int as n from oauth_states
      where provider = 'bling' and tenant_id = ${t.tenantId} and used_at is null`) as unknown as [
      { n: number },
    ];
    tally.record("12 Bling connect windows of one tenant", n <= BLING_STATES_PER_TENANT, `${n} live states`);
    expect(n).toBeLessThanOrEqual(BLING_STATES_PER_TENANT);
  });
});

describe("secrets", () => {
  it("no secret (tokens, keys, codes) in any log line or response of this file", () => {
    expect(tally.tried).toBeGreaterThan(40);
    expectNoSecretLeak(h, responses, codes);
  });
});
