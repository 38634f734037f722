import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";

/** What a settings-page session proves: this browser may act for exactly one tenant until `exp`. */
export interface TenantSession {
  tenantId: string;
  organizationId: string;
  /** Epoch seconds. */
  exp: number;
  /** "page" = normal session; "launch" = the short-lived one handed over right after install. */
  kind: "page" | "launch";
  /**
   * The tenant's session generation when this was issued (`tenants.session_generation`): uninstall,
   * "Desconectar Bling" and the purge bump it, and a token of an older generation opens nothing.
   */
  generation: number;
}

export const SESSION_TTL_SEC = 30 * 60;
export const LAUNCH_TTL_SEC = 5 * 60;

const payloadSchema = z.object({
  v: z.literal(1),
  tid: z.uuid(),
  org: z.string().min(1),
  exp: z.number().int(),
  k: z.enum(["page", "launch"]),
  // Tokens signed before generations existed carry none: generation 0, which the first revocation ends.
  g: z.number().int().min(0).default(0),
});

/**
 * Domain-separated so the same secret can never validate some other signed value of ours — and per kind: a
 * launch code's MAC is not a page session's MAC over the same bytes, so one kind can never pass for the other
 * even before the payload's `k` is read.
 */
const DOMAINS: Record<TenantSession["kind"], string> = { page: "zb-session.v1.", launch: "zb-launch.v1." };

function mac(secret: string, body: string, kind: TenantSession["kind"]): Buffer {
  return createHmac("sha256", secret).update(`${DOMAINS[kind]}${body}`).digest();
}

/** `<base64url(json)>.<base64url(hmac)>`: small, stateless, verifiable by any API process. */
export function signSession(
  secret: string,
  input: {
    tenantId: string;
    organizationId: string;
    kind?: TenantSession["kind"];
    ttlSec?: number;
    /** The tenant's current `session_generation`. */
    generation?: number;
  },
  now: Date = new Date(),
): { token: string; expiresAt: Date } {
  const kind = input.kind ?? "page";
  const ttl = input.ttlSec ?? (kind === "launch" ? LAUNCH_TTL_SEC : SESSION_TTL_SEC);
  const exp = Math.floor(now.getTime() / 1000) + ttl;
  const body = Buffer.from(
    JSON.stringify({
      v: 1,
      tid: input.tenantId,
      org: input.organizationId,
      exp,
      k: kind,
      g: input.generation ?? 0,
    }),
    "utf8",
  ).toString("base64url");
  return {
    token: `${body}.${mac(secret, body, kind).toString("base64url")}`,
    expiresAt: new Date(exp * 1000),
  };
}

export type SessionCheck =
  | { ok: true; session: TenantSession }
  | { ok: false; reason: "malformed" | "bad_signature" | "expired" };

/**
 * Constant-time signature check first (under the expected kind's domain); the payload is only parsed once
 * the signature holds, and its kind must be the expected one too.
 */
export function verifySession(
  secret: string,
  token: string | undefined,
  now: Date = new Date(),
  kind: TenantSession["kind"] = "page",
): SessionCheck {
  if (!token || token.length > 2_048) return { ok: false, reason: "malformed" };
  const parts = token.split(".");
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { ok: false, reason: "malformed" };
  const [body, sig] = parts as [string, string];
  const expected = mac(secret, body, kind);
  const given = Buffer.from(sig, "base64url");
  // Base64url decoding ignores stray characters and the spare bits of the last one, so several strings
  // decode to the same MAC: only the canonical encoding counts, or a tampered token would still pass.
  const canonical = given.toString("base64url") === sig;
  if (!canonical || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "bad_signature" };
  }
  let payload: z.infer<typeof payloadSchema>;
  try {
    payload = payloadSchema.parse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (payload.k !== kind) return { ok: false, reason: "bad_signature" };
  if (payload.exp * 1000 <= now.getTime()) return { ok: false, reason: "expired" };
  return {
    ok: true,
    session: {
      tenantId: payload.tid,
      organizationId: payload.org,
      exp: payload.exp,
      kind: payload.k,
      generation: payload.g,
    },
  };
}

/** `Authorization: Bearer <token>` → token, else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m?.[1];
}
