import { createManualClock, type SimClock } from "./clock.js";
import { BlingSimulator, type BlingSimulatorOptions } from "./simulator.js";

/** Shared by this package's tests: a manual-clock simulator with one app, one account and a token. */
export const TEST_APP = {
  clientId: "test-client",
  clientSecret: "test-secret",
  redirectUri: "https://app.test/callback",
};

// Tests read arbitrary JSON shapes; a loose type keeps assertions readable.
// biome-ignore lint/suspicious/noExplicitAny: test-only JSON access
type Json = any;

export interface TestSim {
  sim: BlingSimulator;
  clock: SimClock;
  accountId: string;
  companyId: string;
  token: string;
  refreshToken: string;
  call(
    method: string,
    path: string,
    opts?: CallOpts,
  ): Promise<{ status: number; json: Json; text: string; headers: Record<string, string> }>;
}

export interface CallOpts {
  token?: string | null;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  ip?: string;
}

export function basic(clientId = TEST_APP.clientId, secret = TEST_APP.clientSecret): string {
  return `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}`;
}

export function createTestSim(opts: BlingSimulatorOptions = {}): TestSim {
  const clock = opts.clock ?? createManualClock();
  const sim = new BlingSimulator({ seed: 7, apps: [TEST_APP], ...opts, clock });
  const { accountId, companyId } = sim.control.createAccount({
    companyName: "Loja Teste Ltda",
    cnpj: "11222333000181",
  });
  const tokens = sim.control.issueTokens(accountId, TEST_APP.clientId);
  const t: TestSim = {
    sim,
    clock,
    accountId,
    companyId,
    token: tokens.access_token,
    refreshToken: tokens.refresh_token,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      const token = o.token === undefined ? t.token : o.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = o.raw;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers["content-type"] = "application/json";
      }
      const res = await sim.handle({
        method,
        url: `/Api/v3${path}`,
        headers,
        body,
        remoteAddress: o.ip ?? "10.0.0.1",
      });
      let json: unknown;
      try {
        json = res.body === "" ? undefined : JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text: res.body, headers: res.headers };
    },
  };
  return t;
}

export function tokenRequest(
  sim: BlingSimulator,
  form: Record<string, string>,
  opts: { auth?: string | null; headers?: Record<string, string>; ip?: string } = {},
) {
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    ...(opts.headers ?? {}),
  };
  const auth = opts.auth === undefined ? basic() : opts.auth;
  if (auth !== null) headers.authorization = auth;
  return sim
    .handle({
      method: "POST",
      url: "/Api/v3/oauth/token",
      headers,
      body: new URLSearchParams(form).toString(),
      remoteAddress: opts.ip ?? "10.0.0.2",
    })
    .then((r) => ({ status: r.status, json: r.body ? (JSON.parse(r.body) as Json) : undefined }));
}
