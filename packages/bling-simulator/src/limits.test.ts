import { describe, expect, it } from "vitest";
import { createManualClock } from "./clock.js";
import { createTestSim, tokenRequest } from "./test-support.js";

describe("rate limits", () => {
  it("10 requests within one second → 3 accepted, 7 × 429 period second; accepted again after the window", async () => {
    const t = createTestSim();
    const results = [];
    for (let i = 0; i < 10; i++) {
      results.push(await t.call("GET", "/depositos"));
      t.clock.advance(50);
    }
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(7);
    expect(limited[0]?.json.error).toMatchObject({ type: "TOO_MANY_REQUESTS", limit: 3, period: "second" });
    t.clock.advance(1000);
    expect((await t.call("GET", "/depositos")).status).toBe(200);
    const stats = t.sim.control.stats(t.accountId);
    expect(stats.tooManyRequests).toBe(7);
    expect(stats.maxPerSecond).toBe(10);
    expect(stats.byEndpoint["GET /depositos"]).toBe(11);
  });

  it("the window slides: a request is accepted once the oldest of the last 3 is 1 s old", async () => {
    const t = createTestSim();
    for (const gap of [0, 400, 400]) {
      t.clock.advance(gap);
      expect((await t.call("GET", "/depositos")).status).toBe(200);
    }
    t.clock.advance(199); // 999 ms after the first
    expect((await t.call("GET", "/depositos")).status).toBe(429);
    t.clock.advance(1); // exactly 1 s after the first
    expect((await t.call("GET", "/depositos")).status).toBe(200);
  });

  it("a 429 is not processed", async () => {
    const t = createTestSim();
    for (let i = 0; i < 3; i++) await t.call("GET", "/depositos");
    const res = await t.call("POST", "/contatos", { body: { nome: "Cliente Novo", tipo: "F" } });
    expect(res.status).toBe(429);
    expect(t.sim.control.getAccount(t.accountId).contacts).toHaveLength(0);
  });

  it("daily quota → 429 period day, reset on the next São Paulo day", async () => {
    // 2026-01-15 20:00 in São Paulo (23:00 UTC).
    const t = createTestSim({
      limits: { perDay: 5 },
      clock: createManualClock(Date.UTC(2026, 0, 15, 23, 0, 0)),
    });
    for (let i = 0; i < 5; i++) {
      expect((await t.call("GET", "/depositos")).status).toBe(200);
      t.clock.advance(1000);
    }
    const over = await t.call("GET", "/depositos");
    expect(over.status).toBe(429);
    expect(over.json.error).toMatchObject({ type: "TOO_MANY_REQUESTS", limit: 5, period: "day" });
    t.clock.set(Date.UTC(2026, 0, 16, 2, 59, 0)); // still the 15th in São Paulo
    expect((await t.call("GET", "/depositos")).status).toBe(429);
    t.clock.set(Date.UTC(2026, 0, 16, 3, 0, 1)); // 00:00:01 on the 16th in São Paulo
    expect((await t.call("GET", "/depositos")).status).toBe(200);
  });

  it("more than 20 token calls per minute from one IP → IP blocked (403 FORBIDDEN) for 60 min", async () => {
    const t = createTestSim();
    let refresh = t.refreshToken;
    for (let i = 0; i < 20; i++) {
      const r = await tokenRequest(
        t.sim,
        { grant_type: "refresh_token", refresh_token: refresh },
        { ip: "10.9.9.9" },
      );
      expect(r.status).toBe(200);
      refresh = r.json.refresh_token;
      t.clock.advance(1000);
    }
    const blocked = await tokenRequest(
      t.sim,
      { grant_type: "refresh_token", refresh_token: refresh },
      { ip: "10.9.9.9" },
    );
    expect(blocked.status).toBe(403);
    expect(blocked.json.error.type).toBe("FORBIDDEN");
    // The block covers the whole IP, API calls included; other IPs are unaffected.
    t.clock.advance(2000);
    expect((await t.call("GET", "/depositos", { ip: "10.9.9.9" })).status).toBe(403);
    expect((await t.call("GET", "/depositos", { ip: "10.1.1.1" })).status).toBe(200);
    t.clock.advance(59 * 60_000);
    expect((await t.call("GET", "/depositos", { ip: "10.9.9.9" })).status).toBe(403);
    t.clock.advance(60_000);
    expect(
      (await tokenRequest(t.sim, { grant_type: "refresh_token", refresh_token: refresh }, { ip: "10.9.9.9" }))
        .status,
    ).toBe(200);
  });

  it("request flood and error flood per IP → blocked 10 min (thresholds configurable, status switchable)", async () => {
    const flood = createTestSim({ limits: { ipRequestsPer10s: 12, perSecond: 1000, blockedStatus: 429 } });
    for (let i = 0; i < 12; i++) expect((await flood.call("GET", "/depositos")).status).toBe(200);
    const r = await flood.call("GET", "/depositos");
    expect(r.status).toBe(429);
    expect(r.json.error.type).toBe("TOO_MANY_REQUESTS");
    flood.clock.advance(10 * 60_000 + 1);
    expect((await flood.call("GET", "/depositos")).status).toBe(200);

    const errors = createTestSim({ limits: { ipErrorsPer10s: 5, perSecond: 1000 } });
    for (let i = 0; i < 6; i++) expect((await errors.call("GET", "/produtos/1")).status).toBe(404);
    expect((await errors.call("GET", "/depositos")).status).toBe(403);
  });

  it("enforce:false disables every limit", async () => {
    const t = createTestSim({ limits: { enforce: false, perDay: 1 } });
    for (let i = 0; i < 30; i++) expect((await t.call("GET", "/depositos")).status).toBe(200);
  });
});
