import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bearerToken, SESSION_TTL_SEC, signSession, verifySession } from "./session-token.js";

const secret = "a-session-secret-that-is-long-enough-123";
const tenantId = "6f1c1f7e-2a53-4a8e-9a43-0c6b1f1f2a11";

describe("session tokens", () => {
  it("round-trips tenant, organization and expiry", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    const { token, expiresAt } = signSession(secret, { tenantId, organizationId: "org-1" }, now);
    expect(expiresAt.getTime()).toBe(now.getTime() + SESSION_TTL_SEC * 1000);
    const r = verifySession(secret, token, new Date(now.getTime() + 60_000));
    expect(r).toEqual({
      ok: true,
      session: {
        tenantId,
        organizationId: "org-1",
        exp: expiresAt.getTime() / 1000,
        kind: "page",
        generation: 0,
      },
    });
    const g = signSession(secret, { tenantId, organizationId: "org-1", generation: 7 }, now).token;
    const r7 = verifySession(secret, g, now);
    expect(r7.ok && r7.session.generation).toBe(7);
  });

  it("a launch code and a page session never verify as each other (own signing domain and kind)", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    const launch = signSession(secret, { tenantId, organizationId: "o", kind: "launch" }, now).token;
    const page = signSession(secret, { tenantId, organizationId: "o" }, now).token;
    expect(verifySession(secret, launch, now, "launch").ok).toBe(true);
    expect(verifySession(secret, page, now, "page").ok).toBe(true);
    expect(verifySession(secret, launch, now, "page")).toEqual({ ok: false, reason: "bad_signature" });
    expect(verifySession(secret, page, now, "launch")).toEqual({ ok: false, reason: "bad_signature" });
    // Same bytes relabelled: a page body signed under the launch domain is still refused by its `k`.
    const body = page.split(".")[0] as string;
    const mac = createHmac("sha256", secret).update(`zb-launch.v1.${body}`).digest("base64url");
    expect(verifySession(secret, `${body}.${mac}`, now, "launch").ok).toBe(false);
  });

  it("refuses an expired token", () => {
    const now = new Date("2026-01-01T12:00:00Z");
    const { token } = signSession(secret, { tenantId, organizationId: "o", ttlSec: 10 }, now);
    expect(verifySession(secret, token, new Date(now.getTime() + 10_000))).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("refuses a token signed with another secret or with a swapped payload", () => {
    const { token } = signSession(secret, { tenantId, organizationId: "o" });
    expect(verifySession(`${secret}x`, token)).toEqual({ ok: false, reason: "bad_signature" });
    const other = signSession(secret, {
      tenantId: "0d9a3c55-4f0e-4a4c-9c1e-9b2f7d0e1a22",
      organizationId: "o2",
    }).token;
    // Body of one token with the signature of another: the tenant cannot be swapped.
    const forged = `${other.split(".")[0]}.${token.split(".")[1]}`;
    expect(verifySession(secret, forged)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses garbage without throwing", () => {
    for (const t of [undefined, "", "abc", "a.b.c", ".", "x".repeat(5_000)]) {
      expect(verifySession(secret, t).ok).toBe(false);
    }
  });

  it("reads bearer tokens", () => {
    expect(bearerToken("Bearer abc.def")).toBe("abc.def");
    expect(bearerToken("bearer abc")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
