import { describe, expect, it } from "vitest";
import { retryingFetch } from "./retry.js";

/** A fetch answering the given statuses in turn (a thrown Error for "down"), recording each method. */
function fake(answers: Array<number | "down" | "dns">, headers: Record<string, string> = {}) {
  const seen: string[] = [];
  const fetch = async (_input: string | URL | Request, init?: RequestInit) => {
    seen.push(init?.method ?? "GET");
    const a = answers.shift() ?? 200;
    if (a === "down") throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
    if (a === "dns") throw new TypeError("fetch failed", { cause: { code: "ENOTFOUND" } });
    return new Response(a === 204 ? null : "{}", { status: a, headers });
  };
  return { seen, fetch };
}
const noSleep = async () => {};

describe("retryingFetch (Zydon's retry layer)", () => {
  it("repeats an idempotent request after 5xx and refused connections", async () => {
    const f = fake([500, "down", 503, 200]);
    const res = await retryingFetch(f.fetch, { sleep: noSleep })("http://z/x", { method: "PUT" });
    expect(res.status).toBe(200);
    expect(f.seen).toEqual(["PUT", "PUT", "PUT", "PUT"]);
  });

  it("does not repeat a DNS failure (an unknown image host stays unknown)", async () => {
    const f = fake(["dns"]);
    await expect(retryingFetch(f.fetch, { sleep: noSleep })("http://z/x")).rejects.toThrow(/fetch failed/);
    expect(f.seen).toHaveLength(1);
  });

  it("hands a POST's 5xx to the caller at once (it may have been processed)", async () => {
    const f = fake([500]);
    const res = await retryingFetch(f.fetch, { sleep: noSleep })("http://z/x", { method: "POST" });
    expect(res.status).toBe(500);
    expect(f.seen).toHaveLength(1);
  });

  it("repeats any request after a 429 with a short Retry-After, waiting that long; not a long or absent one", async () => {
    const waits: number[] = [];
    const short = fake([429, 201], { "retry-after": "1" });
    const res = await retryingFetch(short.fetch, { sleep: async (ms) => void waits.push(ms) })("http://z/x", {
      method: "POST",
    });
    expect(res.status).toBe(201);
    expect(waits[0]).toBeGreaterThanOrEqual(1_000);
    for (const h of [{ "retry-after": "60" }, {}]) {
      const f = fake([429], h);
      expect((await retryingFetch(f.fetch, { sleep: noSleep })("http://z/x")).status).toBe(429);
      expect(f.seen).toHaveLength(1);
    }
  });

  it("stops after `retries` and returns the last answer; never more than 10 requests", async () => {
    const f = fake([500, 500, 500, 500]);
    const res = await retryingFetch(f.fetch, { sleep: noSleep, retries: 2 })("http://z/x");
    expect(res.status).toBe(500);
    expect(f.seen).toHaveLength(3);
    const many = fake(Array.from({ length: 50 }, () => 503));
    await retryingFetch(many.fetch, { sleep: noSleep, retries: 40, baseDelayMs: 1 })("http://z/x");
    expect(many.seen).toHaveLength(10);
  });
});
