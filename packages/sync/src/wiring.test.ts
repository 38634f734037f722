import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BlingServerError } from "@zb/bling";
import { ZydonServerError } from "@zb/zydon";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { wireBlingClient, wireBlingOAuth, wireBudget, wireZydonApp } from "./wiring.js";

const bling = {
  BLING_CLIENT_ID: "cid",
  BLING_CLIENT_SECRET: "secret",
  BLING_API_BASE_URL: "http://bling.test/Api/v3//",
  BLING_ENABLE_JWT: false,
  BLING_REQUEST_TIMEOUT_MS: 2_000,
};

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** Answers 503 to everything, counting requests. */
async function always503(): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  server = createServer((_req, res) => {
    count++;
    res.writeHead(503, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => count };
}

describe("wiring", () => {
  it("Bling OAuth: authorize URL under the trimmed API base unless the API's own is given", () => {
    expect(wireBlingOAuth(bling).authorizeUrl("s")).toMatch(
      /^http:\/\/bling\.test\/Api\/v3\/oauth\/authorize\?/,
    );
    expect(
      wireBlingOAuth(bling, { authorizeUrl: "http://www.bling.test/authorize" }).authorizeUrl("s"),
    ).toMatch(/^http:\/\/www\.bling\.test\/authorize\?.*client_id=cid/);
  });

  it("budget: BLING_RATE_SHARE unless a test overrides it", () => {
    const redis = new Redis({ lazyConnect: true });
    const config = { REDIS_PREFIX: "t", BLING_RATE_SHARE: 2, BLING_DAILY_LIMIT: 1000 };
    expect(wireBudget(config, redis).budget.share).toBe(2);
    expect(wireBudget(config, redis, { rateShare: 30 }).budget.share).toBe(30);
    redis.disconnect();
  });

  it("Bling client: the retry layer only when asked for", async () => {
    const b = await always503();
    const config = { ...bling, BLING_API_BASE_URL: b.url };
    await expect(
      wireBlingClient(config, { getAccessToken: async () => "t" }).depositos.list(),
    ).rejects.toBeInstanceOf(BlingServerError);
    expect(b.requests()).toBe(1);
  });

  it("Zydon app: the retry layer only when asked for", async () => {
    const calls: string[] = [];
    const fetch = async (input: string | URL | Request) => {
      calls.push(String(input));
      return new Response("{}", { status: calls.length === 1 ? 503 : 500 });
    };
    const config = {
      ZYDON_PLUGIN_ID: "p",
      ZYDON_ACCESS_KEY: "k",
      ZYDON_API_BASE_URL: "http://zydon.test",
      ZYDON_ADMIN_URL: "http://admin.zydon.test",
      ZYDON_REQUEST_TIMEOUT_MS: 2_000,
    };
    const once = wireZydonApp(config, { fetch }).client({ code: "c", token: "t" });
    await expect(once.products.get("1")).rejects.toBeInstanceOf(ZydonServerError);
    expect(calls).toHaveLength(1);
  });
});
