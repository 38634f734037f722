import { createHmac, timingSafeEqual } from "node:crypto";
import type { BlingTokens } from "@zb/db";
import { z } from "zod";
import type { BlingGateway } from "../ports.js";

/**
 * A thin Bling gateway for the API's own needs (OAuth, revoke, company id, webhook signature), on global
 * fetch. Written against Bling's documented contract (reference §2, §6.11, §7) because @zb/bling was not
 * in the repo yet; swap the body of each method for the @zb/bling call when it lands — the port stays.
 */
export interface BlingGatewayOptions {
  clientId: string;
  clientSecret: string;
  /** e.g. https://api.bling.com.br/Api/v3 — token, revoke and REST live under it. */
  apiBaseUrl: string;
  authorizeUrl: string;
  enableJwt?: boolean;
  timeoutMs?: number;
  now?: () => Date;
}

/** Bling's refresh tokens live 30 days (reference §2.2); the token response does not say. */
const REFRESH_TOKEN_TTL_MS = 30 * 86_400_000;

/** Errors carry what to do, never a token. `action: "reconnect"` = Bling refused the grant. */
export class BlingOAuthError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly action: "reconnect" | "retry" | "give_up",
  ) {
    super(`Bling OAuth call failed: ${status} ${type}`);
    this.name = "BlingOAuthError";
  }
}

export class BlingApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
  ) {
    super(`Bling API call failed: ${status} ${type}`);
    this.name = "BlingApiError";
  }
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.coerce.number().int().positive(),
  scope: z.string().optional(),
});

const companyResponse = z.object({
  data: z.object({ id: z.union([z.string(), z.number()]).transform(String), nome: z.string().nullish() }),
});

async function errorType(res: Response): Promise<string> {
  try {
    const b = (await res.json()) as { error?: { type?: unknown } | string };
    if (typeof b.error === "string") return b.error;
    if (typeof b.error?.type === "string") return b.error.type;
  } catch {
    // Not JSON: the status decides.
  }
  return "unknown";
}

export function createBlingGateway(o: BlingGatewayOptions): BlingGateway {
  const base = o.apiBaseUrl.replace(/\/$/, "");
  const timeoutMs = o.timeoutMs ?? 30_000;
  const now = o.now ?? (() => new Date());
  const basic = `Basic ${Buffer.from(`${o.clientId}:${o.clientSecret}`, "utf8").toString("base64")}`;

  async function tokenCall(form: Record<string, string>): Promise<BlingTokens> {
    const res = await fetch(`${base}/oauth/token`, {
      method: "POST",
      headers: {
        authorization: basic,
        "content-type": "application/x-www-form-urlencoded",
        accept: "1.0",
        ...(o.enableJwt ? { "enable-jwt": "1" } : {}),
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) {
      const type = await errorType(res);
      const refused =
        type === "invalid_grant" || type === "UNAUTHORIZED_ERROR" || type === "VALIDATION_ERROR";
      throw new BlingOAuthError(
        res.status,
        type,
        refused ? "reconnect" : res.status >= 500 ? "retry" : "give_up",
      );
    }
    const t = tokenResponse.parse(await res.json());
    const at = now().getTime();
    return {
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      accessExpiresAt: new Date(at + t.expires_in * 1000),
      refreshExpiresAt: new Date(at + REFRESH_TOKEN_TTL_MS),
      scope: t.scope,
    };
  }

  return {
    authorizeUrl(state) {
      const u = new URL(o.authorizeUrl);
      u.searchParams.set("response_type", "code");
      u.searchParams.set("client_id", o.clientId);
      u.searchParams.set("state", state);
      return u.toString();
    },
    exchangeCode: (code) => tokenCall({ grant_type: "authorization_code", code }),
    refresh: (refreshToken) => tokenCall({ grant_type: "refresh_token", refresh_token: refreshToken }),
    async revoke(token, hint) {
      const res = await fetch(`${base}/oauth/revoke`, {
        method: "POST",
        headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, token_type_hint: hint }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new BlingOAuthError(res.status, await errorType(res), "give_up");
    },
    async companyInfo(accessToken) {
      const res = await fetch(`${base}/empresas/me/dados-basicos`, {
        headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new BlingApiError(res.status, await errorType(res));
      const b = companyResponse.parse(await res.json());
      return { id: b.data.id, name: b.data.nome ?? null };
    },
    verifyWebhookSignature(rawBody, header) {
      return verifyBlingSignature(rawBody, header, o.clientSecret);
    },
  };
}

/** HMAC-SHA256 over the raw body bytes with the client secret, `sha256=<hex>`, constant time. */
export function verifyBlingSignature(
  rawBody: Buffer,
  header: string | undefined,
  clientSecret: string,
): boolean {
  if (!header?.startsWith("sha256=")) return false;
  const given = Buffer.from(header.slice(7).trim(), "hex");
  const expected = createHmac("sha256", clientSecret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
