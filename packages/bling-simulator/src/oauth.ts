import type { SimClock } from "./clock.js";
import {
  BlingHttpError,
  bodyText,
  header,
  htmlResponse,
  jsonResponse,
  type SimRequest,
  type SimResponse,
} from "./http-util.js";
import type { Rng } from "./random.js";
import type { Account } from "./store.js";

export interface SimApp {
  clientId: string;
  clientSecret: string;
  redirectUri?: string | undefined;
  webhookUrl?: string | undefined;
  name?: string | undefined;
}

export const BLING_SCOPE = "98309 318257570 5862218180";

interface CodeRecord {
  accountId: string;
  clientId: string;
  expiresAt: number;
  used: boolean;
}

interface AccessRecord {
  accountId: string;
  clientId: string;
  expiresAt: number;
  revoked: boolean;
}

interface RefreshRecord {
  accountId: string;
  clientId: string;
  expiresAt: number;
  state: "active" | "rotated" | "revoked";
}

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type: "Bearer";
  scope: string;
  refresh_token: string;
}

const oauthError = (status: number, type: string, description: string): BlingHttpError =>
  new BlingHttpError(status, type, type, description);

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Authorization-code OAuth with single-use codes, rotating refresh tokens and revocation, as Bling does it. */
export class OAuthServer {
  private readonly codes = new Map<string, CodeRecord>();
  private readonly access = new Map<string, AccessRecord>();
  private readonly refresh = new Map<string, RefreshRecord>();
  /** accountId → clientIds that the account has authorized (webhooks only flow to installed apps). */
  readonly installed = new Map<string, Set<string>>();

  constructor(
    private readonly clock: SimClock,
    private readonly rng: Rng,
    readonly apps: Map<string, SimApp>,
    private readonly accounts: Map<string, Account>,
    private readonly createAccount: () => Account,
    private readonly ttl: { accessSec: number; refreshSec: number; codeSec: number },
    private readonly autoApprove: boolean,
  ) {}

  installedFor(accountId: string): Set<string> {
    return this.installed.get(accountId) ?? new Set();
  }

  private install(accountId: string, clientId: string): void {
    const set = this.installed.get(accountId) ?? new Set<string>();
    set.add(clientId);
    this.installed.set(accountId, set);
  }

  issueCode(accountId: string, clientId: string): string {
    if (!this.accounts.has(accountId)) throw new Error(`unknown account ${accountId}`);
    if (!this.apps.has(clientId)) throw new Error(`unknown client ${clientId}`);
    const code = this.rng.hex(40);
    this.codes.set(code, {
      accountId,
      clientId,
      expiresAt: this.clock.now() + this.ttl.codeSec * 1000,
      used: false,
    });
    this.install(accountId, clientId);
    return code;
  }

  issueTokens(accountId: string, clientId: string, jwt = false): TokenResponse {
    const now = this.clock.now();
    const accessToken = jwt ? this.jwt(accountId, clientId, now) : this.rng.hex(40);
    const refreshToken = this.rng.hex(40);
    this.access.set(accessToken, {
      accountId,
      clientId,
      expiresAt: now + this.ttl.accessSec * 1000,
      revoked: false,
    });
    this.refresh.set(refreshToken, {
      accountId,
      clientId,
      expiresAt: now + this.ttl.refreshSec * 1000,
      state: "active",
    });
    this.install(accountId, clientId);
    return {
      access_token: accessToken,
      expires_in: this.ttl.accessSec,
      token_type: "Bearer",
      scope: BLING_SCOPE,
      refresh_token: refreshToken,
    };
  }

  /** A JWT-looking access token (~1.5 KB), what `enable-jwt: 1` returns; the simulator still looks it up by value. */
  private jwt(accountId: string, clientId: string, now: number): string {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const companyId = this.accounts.get(accountId)?.companyId ?? "";
    const payload = {
      iss: "https://www.bling.com.br",
      sub: companyId,
      aud: clientId,
      iat: Math.floor(now / 1000),
      nbf: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + this.ttl.accessSec,
      jti: this.rng.hex(32),
      scope: BLING_SCOPE.split(" "),
      // Real tokens carry the app's per-resource permission ids, which is what makes them ~1.5–3 KB.
      permissions: Array.from({ length: 90 }, (_, i) => 98309 + i * 7919),
    };
    return `${enc({ alg: "RS256", typ: "JWT", kid: this.rng.hex(16) })}.${enc(payload)}.${this.rng.base64url(256)}`;
  }

  revokeAccount(accountId: string, clientId?: string): void {
    for (const rec of this.access.values()) {
      if (rec.accountId === accountId && (clientId === undefined || rec.clientId === clientId))
        rec.revoked = true;
    }
    for (const rec of this.refresh.values()) {
      if (rec.accountId === accountId && (clientId === undefined || rec.clientId === clientId))
        rec.state = "revoked";
    }
  }

  /** Make every access token of the account expired now (refresh tokens stay usable). */
  expireAccessTokens(accountId: string): void {
    const now = this.clock.now();
    for (const rec of this.access.values())
      if (rec.accountId === accountId) rec.expiresAt = Math.min(rec.expiresAt, now);
  }

  /** The account behind `Authorization: Bearer …`, or the Bling error for a missing/bad/expired token. */
  authenticate(req: SimRequest): { accountId: string; clientId: string } {
    const auth = header(req, "authorization");
    if (auth === undefined || auth.trim() === "") {
      throw oauthError(401, "invalid_token", "The access token provided is invalid");
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m?.[1]) throw oauthError(400, "invalid_request", "Malformed auth header");
    const rec = this.access.get(m[1]);
    if (!rec || rec.revoked) throw oauthError(401, "invalid_token", "The access token provided is invalid");
    if (rec.expiresAt <= this.clock.now())
      throw oauthError(401, "invalid_token", "The access token provided has expired");
    return { accountId: rec.accountId, clientId: rec.clientId };
  }

  // --- HTTP endpoints ---

  authorizePage(req: SimRequest, url: URL): SimResponse {
    const q = url.searchParams;
    const clientId = q.get("client_id") ?? "";
    const app = this.apps.get(clientId);
    if (!app)
      return errorPage(
        400,
        "Aplicativo não encontrado",
        "O client_id informado não corresponde a nenhum aplicativo.",
      );
    if (q.get("response_type") !== "code") {
      return this.redirectError(app, q.get("state") ?? "", "invalid_request", "response_type deve ser code");
    }
    const state = q.get("state") ?? "";
    if (state === "") return errorPage(400, "Requisição inválida", "O parâmetro state é obrigatório.");
    const requested = q.get("accountId") ?? undefined;
    if (this.autoApprove) {
      const acc = this.pickAccount(requested);
      return this.redirectCode(app, acc.accountId, state);
    }
    const options = [...this.accounts.values()]
      .map(
        (a) =>
          `<option value="${esc(a.accountId)}"${a.accountId === requested ? " selected" : ""}>${esc(a.companyName)} (${esc(a.accountId)})</option>`,
      )
      .join("");
    void req;
    return htmlResponse(
      200,
      `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>Bling - Autorizar aplicativo</title></head>
<body><main><h1>Autorizar acesso</h1>
<p>O aplicativo <strong>${esc(app.name ?? app.clientId)}</strong> está solicitando acesso aos dados da sua empresa no Bling.</p>
<form method="post" action="/Api/v3/oauth/authorize">
<input type="hidden" name="client_id" value="${esc(clientId)}"><input type="hidden" name="state" value="${esc(state)}">
<label>Empresa <select name="accountId">${options}<option value="__new__">Nova empresa de teste</option></select></label>
<button type="submit" name="decision" value="allow">Autorizar</button>
<button type="submit" name="decision" value="deny">Negar</button>
</form></main></body></html>`,
    );
  }

  authorizeSubmit(req: SimRequest): SimResponse {
    const form = new URLSearchParams(bodyText(req));
    const app = this.apps.get(form.get("client_id") ?? "");
    if (!app)
      return errorPage(
        400,
        "Aplicativo não encontrado",
        "O client_id informado não corresponde a nenhum aplicativo.",
      );
    const state = form.get("state") ?? "";
    if (form.get("decision") !== "allow") {
      return this.redirectError(app, state, "access_denied", "O usuário negou o acesso ao aplicativo.");
    }
    const requested = form.get("accountId") ?? undefined;
    const acc = requested === "__new__" ? this.createAccount() : this.pickAccount(requested);
    return this.redirectCode(app, acc.accountId, state);
  }

  private pickAccount(requested: string | undefined): Account {
    if (requested !== undefined) {
      const acc = this.accounts.get(requested);
      if (acc) return acc;
    }
    const all = [...this.accounts.values()];
    return all[all.length - 1] ?? this.createAccount();
  }

  private redirectCode(app: SimApp, accountId: string, state: string): SimResponse {
    const code = this.issueCode(accountId, app.clientId);
    if (!app.redirectUri) {
      return htmlResponse(
        200,
        `<!doctype html><html lang="pt-BR"><body><p>Código de autorização: <code>${esc(code)}</code></p></body></html>`,
      );
    }
    const target = new URL(app.redirectUri);
    target.searchParams.set("code", code);
    target.searchParams.set("state", state);
    return { status: 302, headers: { location: target.toString() }, body: "" };
  }

  private redirectError(app: SimApp, state: string, error: string, description: string): SimResponse {
    if (!app.redirectUri) return errorPage(400, "Acesso negado", description);
    const target = new URL(app.redirectUri);
    target.searchParams.set("error", error);
    target.searchParams.set("error_description", description);
    target.searchParams.set("state", state);
    return { status: 302, headers: { location: target.toString() }, body: "" };
  }

  private basicClient(req: SimRequest): SimApp {
    const auth = header(req, "authorization") ?? "";
    const m = /^Basic\s+(\S+)$/i.exec(auth.trim());
    if (!m?.[1]) throw oauthError(401, "invalid_client", "The client credentials are invalid");
    const decoded = Buffer.from(m[1], "base64").toString("utf8");
    const sep = decoded.indexOf(":");
    const id = decoded.slice(0, sep);
    const secret = decoded.slice(sep + 1);
    const app = this.apps.get(id);
    if (sep < 0 || !app || app.clientSecret !== secret) {
      throw oauthError(401, "invalid_client", "The client credentials are invalid");
    }
    return app;
  }

  /**
   * `POST /oauth/token`. Everything between reading a code/refresh token and marking it used runs synchronously,
   * so N concurrent refreshes with one token see exactly one winner.
   */
  token(req: SimRequest): SimResponse {
    const app = this.basicClient(req);
    const form = parseForm(req);
    const grant = form.get("grant_type");
    const jwt = header(req, "enable-jwt") === "1";
    const now = this.clock.now();
    if (grant === "authorization_code") {
      const code = form.get("code") ?? "";
      const rec = this.codes.get(code);
      if (!rec || rec.clientId !== app.clientId)
        throw oauthError(400, "invalid_grant", "The authorization code is invalid");
      if (rec.expiresAt <= now) throw oauthError(400, "invalid_grant", "The authorization code has expired");
      if (rec.used) {
        // Bling treats a replayed code as an attack: the request fails and the user's access is revoked.
        this.revokeAccount(rec.accountId, rec.clientId);
        throw new BlingHttpError(
          400,
          "VALIDATION_ERROR",
          "Código de autorização já utilizado",
          "O código de autorização informado já foi utilizado; os acessos do usuário foram revogados.",
        );
      }
      rec.used = true;
      return jsonResponse(200, this.issueTokens(rec.accountId, rec.clientId, jwt));
    }
    if (grant === "refresh_token") {
      const token = form.get("refresh_token") ?? "";
      const rec = this.refresh.get(token);
      if (!rec || rec.clientId !== app.clientId || rec.state !== "active") {
        throw oauthError(400, "invalid_grant", "Invalid refresh token");
      }
      if (rec.expiresAt <= now) throw oauthError(400, "invalid_grant", "Refresh token has expired");
      const acc = this.accounts.get(rec.accountId);
      if (!acc?.active) {
        throw new BlingHttpError(
          401,
          "UNAUTHORIZED_ERROR",
          "Empresa inativa",
          "A empresa vinculada ao token esta inativa.",
        );
      }
      rec.state = "rotated";
      return jsonResponse(200, this.issueTokens(rec.accountId, rec.clientId, jwt));
    }
    throw oauthError(400, "unsupported_grant_type", "The grant type was not recognized");
  }

  /** `POST /oauth/revoke` with `token`, `token_type_hint`, optional `revoke_action`/`revoke_target`. */
  revoke(req: SimRequest): SimResponse {
    const app = this.basicClient(req);
    const form = parseForm(req);
    const token = form.get("token") ?? "";
    const hint = form.get("token_type_hint");
    const a = hint !== "refresh_token" ? this.access.get(token) : undefined;
    const r = hint !== "access_token" ? this.refresh.get(token) : undefined;
    const owner = a ?? r;
    if (!owner || owner.clientId !== app.clientId)
      throw oauthError(400, "invalid_request", "The token is invalid");
    if (a) a.revoked = true;
    if (r) r.state = "revoked";
    const action = form.get("revoke_action");
    if (action === "logout" || action === "uninstall") {
      const target = form.get("revoke_target") === "company" ? undefined : app.clientId;
      this.revokeAccount(owner.accountId, target);
      if (action === "uninstall") this.installed.get(owner.accountId)?.delete(app.clientId);
    }
    return { status: 200, headers: {}, body: "" };
  }
}

function parseForm(req: SimRequest): URLSearchParams {
  const raw = bodyText(req);
  const ct = header(req, "content-type") ?? "";
  if (ct.includes("application/json")) {
    try {
      const obj = JSON.parse(raw) as Record<string, unknown>;
      return new URLSearchParams(Object.entries(obj).map(([k, v]): [string, string] => [k, String(v)]));
    } catch {
      return new URLSearchParams();
    }
  }
  return new URLSearchParams(raw);
}

function errorPage(status: number, title: string, message: string): SimResponse {
  return htmlResponse(
    status,
    `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><p>${esc(message)}</p></body></html>`,
  );
}
