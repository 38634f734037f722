import { createHmac, randomBytes } from "node:crypto";
import Fastify from "fastify";

/**
 * Test double of Bling's OAuth + `empresas/me/dados-basicos`, over real HTTP on 127.0.0.1:0, following
 * reference §2 and §6.11 (Basic auth only, single-use codes, rotating refresh tokens, `invalid_grant`,
 * revoke, error envelope). Stands in for @zb/bling-simulator, which was not in the repo when these tests
 * were written; it records every request so tests can assert "no call for this tenant".
 */
export interface FakeBlingAccount {
  accountId: string;
  companyId: string;
  companyName: string;
}

interface TokenRow {
  accountId: string;
  kind: "access" | "refresh";
  revoked: boolean;
}

export interface FakeBlingRequest {
  method: string;
  path: string;
  accountId: string | null;
  status: number;
}

export async function startFakeBling(app: { clientId: string; clientSecret: string }) {
  const accounts = new Map<string, FakeBlingAccount>();
  const codes = new Map<string, { accountId: string; used: boolean }>();
  const tokens = new Map<string, TokenRow>();
  const issued: string[] = [];
  const log: FakeBlingRequest[] = [];
  const revokedTokens: string[] = [];
  let seq = 0;

  const server = Fastify({ logger: false });
  server.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string" },
    (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  function error(status: number, type: string) {
    return { status, body: { error: { type, message: type, description: type } } };
  }

  function basicOk(header: string | undefined): boolean {
    const expected = `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString("base64")}`;
    return header === expected;
  }

  function issue(accountId: string) {
    const access = `at_${randomBytes(12).toString("hex")}`;
    const refresh = `rt_${randomBytes(12).toString("hex")}`;
    tokens.set(access, { accountId, kind: "access", revoked: false });
    tokens.set(refresh, { accountId, kind: "refresh", revoked: false });
    issued.push(access, refresh);
    return {
      access_token: access,
      refresh_token: refresh,
      expires_in: 21_600,
      token_type: "Bearer",
      scope: "98309 318257570",
    };
  }

  server.addHook("onSend", async (req, reply, payload) => {
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith("Bearer ") ? tokens.get(auth.slice(7)) : undefined;
    const form = (req.body ?? {}) as Record<string, string>;
    const viaForm = form.refresh_token
      ? tokens.get(form.refresh_token)
      : form.token
        ? tokens.get(form.token)
        : undefined;
    const viaCode = form.code ? codes.get(form.code) : undefined;
    log.push({
      method: req.method,
      path: req.url.split("?")[0] ?? req.url,
      accountId: bearer?.accountId ?? viaForm?.accountId ?? viaCode?.accountId ?? null,
      status: reply.statusCode,
    });
    return payload;
  });

  server.post("/Api/v3/oauth/token", async (req, reply) => {
    const form = (req.body ?? {}) as Record<string, string>;
    if (!basicOk(req.headers.authorization) || form.client_secret) {
      const e = error(401, "invalid_client");
      return reply.code(e.status).send(e.body);
    }
    if (form.grant_type === "authorization_code") {
      const c = form.code ? codes.get(form.code) : undefined;
      if (!c) return reply.code(400).send(error(400, "invalid_grant").body);
      if (c.used) return reply.code(400).send(error(400, "VALIDATION_ERROR").body);
      c.used = true;
      return issue(c.accountId);
    }
    if (form.grant_type === "refresh_token") {
      const t = form.refresh_token ? tokens.get(form.refresh_token) : undefined;
      if (t?.kind !== "refresh" || t.revoked) return reply.code(400).send(error(400, "invalid_grant").body);
      t.revoked = true; // rotation: the old refresh token dies on use
      return issue(t.accountId);
    }
    return reply.code(400).send(error(400, "unsupported_grant_type").body);
  });

  server.post("/Api/v3/oauth/revoke", async (req, reply) => {
    if (!basicOk(req.headers.authorization)) return reply.code(401).send(error(401, "invalid_client").body);
    const form = (req.body ?? {}) as Record<string, string>;
    const t = form.token ? tokens.get(form.token) : undefined;
    if (t && form.token) {
      t.revoked = true;
      revokedTokens.push(form.token);
    }
    return reply.code(200).send({});
  });

  server.get("/Api/v3/empresas/me/dados-basicos", async (req, reply) => {
    const auth = req.headers.authorization;
    const t = auth?.startsWith("Bearer ") ? tokens.get(auth.slice(7)) : undefined;
    if (t?.kind !== "access" || t.revoked) return reply.code(401).send(error(401, "invalid_token").body);
    const a = accounts.get(t.accountId) as FakeBlingAccount;
    return {
      data: {
        id: a.companyId,
        nome: a.companyName,
        cnpj: "00000000000191",
        email: "x@y.z",
        dataContrato: "2020-01-01",
      },
    };
  });

  await server.listen({ port: 0, host: "127.0.0.1" });
  const addr = server.server.address();
  const url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;

  return {
    url,
    apiBaseUrl: `${url}/Api/v3`,
    authorizeUrl: `${url}/Api/v3/oauth/authorize`,
    createAccount(companyName = `Empresa ${++seq}`): FakeBlingAccount {
      const a = {
        accountId: `acc_${randomBytes(4).toString("hex")}`,
        companyId: randomBytes(16).toString("hex"),
        companyName,
      };
      accounts.set(a.accountId, a);
      return a;
    },
    /** What Bling's consent page does: a single-use code for this account. */
    authorize(accountId: string): string {
      const code = randomBytes(10).toString("hex");
      codes.set(code, { accountId, used: false });
      return code;
    },
    /** Bling-side "Revogar": every token of the account stops working (refresh → invalid_grant). */
    revokeAll(accountId: string) {
      for (const t of tokens.values()) if (t.accountId === accountId) t.revoked = true;
    },
    isRevoked: (token: string) => tokens.get(token)?.revoked === true,
    revokedTokens,
    /** Every token value this fake ever issued (for the secrets-in-logs scan). */
    issued,
    requests: (accountId?: string) => (accountId ? log.filter((r) => r.accountId === accountId) : [...log]),
    sign: (rawBody: string | Buffer) =>
      `sha256=${createHmac("sha256", app.clientSecret).update(rawBody).digest("hex")}`,
    close: () => server.close(),
  };
}

export type FakeBling = Awaited<ReturnType<typeof startFakeBling>>;
