import { describe, expect, it } from "vitest";
import { BlingInvalidClientError, BlingInvalidGrantError, BlingUnexpectedResponseError } from "./errors.js";
import type { BlingBudgetRequest, FetchLike } from "./http.js";
import { BlingOAuth, DEFAULT_REFRESH_TOKEN_TTL_MS } from "./oauth.js";

interface Captured {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

function fakeFetch(respond: (req: Captured) => Response): { fetch: FetchLike; calls: Captured[] } {
  const calls: Captured[] = [];
  const fetch: FetchLike = async (input, init) => {
    const req: Captured = {
      url: String(input),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: String(init?.body ?? ""),
    };
    calls.push(req);
    return respond(req);
  };
  return { fetch, calls };
}

const NOW = new Date("2025-05-01T12:00:00Z");
const secret = "client-secret-xyz";

function oauth(
  fetch: FetchLike,
  extra: { enableJwt?: boolean; budget?: (r: BlingBudgetRequest) => Promise<void> } = {},
) {
  return new BlingOAuth({
    clientId: "cid",
    clientSecret: secret,
    tokenUrl: "https://api.bling.test/Api/v3/oauth/token",
    authorizeUrl: "https://www.bling.test/Api/v3/oauth/authorize",
    revokeUrl: "https://api.bling.test/Api/v3/oauth/revoke",
    now: () => NOW,
    fetch,
    ...extra,
  });
}

const tokenJson = {
  access_token: "at-1",
  expires_in: 21600,
  token_type: "Bearer",
  scope: "98309 318257570",
  refresh_token: "rt-1",
};

describe("BlingOAuth", () => {
  it("builds the consent URL with response_type, client_id and state", () => {
    const { fetch } = fakeFetch(() => new Response());
    const url = new URL(oauth(fetch).authorizeUrl("st ate/1"));
    expect(url.origin + url.pathname).toBe("https://www.bling.test/Api/v3/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "cid",
      state: "st ate/1",
    });
    expect(() => oauth(fetch).authorizeUrl("")).toThrow();
  });

  it("exchanges a code with Basic auth, a form body without credentials, and computes expiries from now()", async () => {
    const { fetch, calls } = fakeFetch(() => Response.json(tokenJson));
    const budget: BlingBudgetRequest[] = [];
    const tokens = await oauth(fetch, {
      enableJwt: true,
      budget: async (r) => {
        budget.push(r);
      },
    }).exchangeCode("code-1");
    expect(tokens).toEqual({
      accessToken: "at-1",
      refreshToken: "rt-1",
      accessExpiresAt: new Date(NOW.getTime() + 21600 * 1000),
      refreshExpiresAt: new Date(NOW.getTime() + DEFAULT_REFRESH_TOKEN_TTL_MS),
      scope: "98309 318257570",
    });
    const call = calls[0] as Captured;
    expect(call.method).toBe("POST");
    expect(call.headers.get("authorization")).toBe(
      `Basic ${Buffer.from(`cid:${secret}`).toString("base64")}`,
    );
    expect(call.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    expect(call.headers.get("enable-jwt")).toBe("1");
    expect(Object.fromEntries(new URLSearchParams(call.body))).toEqual({
      grant_type: "authorization_code",
      code: "code-1",
    });
    expect(call.body).not.toContain(secret);
    expect(call.body).not.toContain("client_id");
    expect(budget).toEqual([{ method: "POST", path: "/Api/v3/oauth/token" }]);
  });

  it("refreshes (rotating) and honours an explicit refresh TTL when one is sent", async () => {
    const { fetch, calls } = fakeFetch(() =>
      Response.json({
        ...tokenJson,
        access_token: "at-2",
        refresh_token: "rt-2",
        expires_in: "3600",
        refresh_token_expires_in: 86400,
      }),
    );
    const t = await oauth(fetch).refresh("rt-1");
    expect(t.refreshToken).toBe("rt-2");
    expect(t.accessExpiresAt.getTime() - NOW.getTime()).toBe(3600_000);
    expect(t.refreshExpiresAt.getTime() - NOW.getTime()).toBe(86_400_000);
    expect(Object.fromEntries(new URLSearchParams(calls[0]?.body))).toEqual({
      grant_type: "refresh_token",
      refresh_token: "rt-1",
    });
    expect(calls[0]?.headers.get("enable-jwt")).toBeNull();
  });

  it("maps a refused refresh to BlingInvalidGrantError (nested and flat error forms)", async () => {
    const nested = fakeFetch(() =>
      Response.json(
        { error: { type: "invalid_grant", message: "invalid_grant", description: "expired" } },
        { status: 400 },
      ),
    );
    await expect(oauth(nested.fetch).refresh("old")).rejects.toBeInstanceOf(BlingInvalidGrantError);
    const flat = fakeFetch(() =>
      Response.json({ error: "invalid_grant", error_description: "x" }, { status: 400 }),
    );
    const e = await oauth(flat.fetch)
      .refresh("old")
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BlingInvalidGrantError);
    expect((e as BlingInvalidGrantError).action).toBe("reconnect");
    const inactive = fakeFetch(() =>
      Response.json(
        { error: { type: "UNAUTHORIZED_ERROR", message: "Empresa inativa", description: "" } },
        { status: 401 },
      ),
    );
    await expect(oauth(inactive.fetch).refresh("rt")).rejects.toBeInstanceOf(BlingInvalidGrantError);
    const client = fakeFetch(() => Response.json({ error: { type: "invalid_client" } }, { status: 401 }));
    await expect(oauth(client.fetch).exchangeCode("c")).rejects.toBeInstanceOf(BlingInvalidClientError);
  });

  it("never puts token values into the error of a malformed token response", async () => {
    const { fetch } = fakeFetch(() => Response.json({ access_token: "leaky-token", expires_in: 10 }));
    const e = await oauth(fetch)
      .refresh("rt")
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BlingUnexpectedResponseError);
    expect((e as Error).message).toContain("refresh_token");
    expect((e as Error).message).not.toContain("leaky-token");
  });

  it("revokes with token, hint and optional wider scope", async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 200 }));
    await oauth(fetch).revoke("rt-9", "refresh_token", {
      revokeAction: "uninstall",
      revokeTarget: "company",
    });
    expect(calls[0]?.url).toBe("https://api.bling.test/Api/v3/oauth/revoke");
    expect(Object.fromEntries(new URLSearchParams(calls[0]?.body))).toEqual({
      token: "rt-9",
      token_type_hint: "refresh_token",
      revoke_action: "uninstall",
      revoke_target: "company",
    });
  });
});
