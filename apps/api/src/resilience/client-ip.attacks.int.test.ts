import { createLogger, loadConfig } from "@zb/config";
import { AttackTally } from "@zb/e2e-kit";
import { testEnv } from "@zb/testing";
import Fastify, { type FastifyBaseLogger } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiServerOptions } from "../app.js";
import { createHarness, type Harness } from "../test-support/harness.js";

/**
 * The client IP keys every per-IP rate limit. With `trustProxy: true` it was the leftmost X-Forwarded-For
 * value, which the client writes itself: a new made-up address per request escaped every limit. Now the
 * API believes only the proxies `API_TRUST_PROXY` names (default: none).
 */
const tally = new AttackTally("client-ip.attacks");
let h: Harness;

beforeAll(async () => {
  // Behind one load balancer (API_TRUST_PROXY=127.0.0.1: `inject` comes from there); 5 public requests a minute.
  h = await createHarness({ rateLimits: { public: 5 }, trustProxy: ["127.0.0.1"] });
});
afterAll(async () => {
  tally.flush();
  await h?.close();
});

describe("spoofed X-Forwarded-For", () => {
  it("does not change the client IP by default (API_TRUST_PROXY unset)", async () => {
    const server = Fastify(apiServerOptions(createLogger({ level: "silent" }) as FastifyBaseLogger));
    server.get("/ip", async (req) => ({ ip: req.ip }));
    try {
      for (const xff of ["203.0.113.9", "10.0.0.1, 203.0.113.9", "::1"]) {
        const res = await server.inject({ method: "GET", url: "/ip", headers: { "x-forwarded-for": xff } });
        const ip = (res.json() as { ip: string }).ip;
        tally.record(`default trust, X-Forwarded-For ${xff}`, ip === "127.0.0.1", `ip ${ip}`);
        expect(ip).toBe("127.0.0.1");
      }
    } finally {
      await server.close();
    }
  });

  it("behind one proxy, a made-up leftmost address per request does not escape the per-IP limit", async () => {
    // Warm-up from another peer: the limiter skips (fails open) while its Redis connection is still opening.
    await h.api.inject({
      method: "GET",
      url: "/zydon/install",
      headers: { "x-forwarded-for": "203.0.113.99" },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await h.api.inject({
        method: "GET",
        url: "/zydon/install",
        // The client's own invention first, then what our load balancer appended (the real peer).
        headers: { "x-forwarded-for": `198.51.100.${i + 1}, 203.0.113.50` },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses.slice(0, 5).every((s) => s === 302)).toBe(true);
    for (const [i, s] of statuses.slice(5).entries()) {
      tally.expectStatus(`spoofed X-Forwarded-For #${i + 6} past the limit`, { statusCode: s }, 429);
    }
    // Another real peer (as the balancer reports it) has its own budget.
    const other = await h.api.inject({
      method: "GET",
      url: "/zydon/install",
      headers: { "x-forwarded-for": "198.51.100.1, 203.0.113.51" },
    });
    expect(other.statusCode).toBe(302);
  });

  it("API_TRUST_PROXY accepts a hop count or proxy CIDRs, defaults to none, and refuses anything else", () => {
    const parse = (v: string | undefined) =>
      loadConfig(["API_TRUST_PROXY"], testEnv({ API_TRUST_PROXY: v })).API_TRUST_PROXY;
    expect(parse(undefined)).toBe(false);
    expect(parse("false")).toBe(false);
    expect(parse("loopback")).toEqual(["loopback"]);
    expect(parse("10.0.0.0/8, 192.168.1.5,fd00::/8")).toEqual(["10.0.0.0/8", "192.168.1.5", "fd00::/8"]);
    for (const bad of ["true", "1", "everyone", "10.0.0.0/8,*"]) {
      let refused = false;
      try {
        parse(bad);
      } catch {
        refused = true;
      }
      tally.record(`API_TRUST_PROXY=${bad}`, refused);
      expect(refused, bad).toBe(true);
    }
  });
});
