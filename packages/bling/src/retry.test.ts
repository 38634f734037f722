import { describe, expect, it } from "vitest";
import { BlingClient } from "./client.js";
import { BlingRateLimitedError, BlingServerError, BlingTokenError, BlingValidationError } from "./errors.js";
import type { BlingBudgetRequest, BlingClientOptions, FetchLike } from "./http.js";

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | "down";

const perSecond429: Answer = {
  status: 429,
  body: { error: { type: "TOO_MANY_REQUESTS", message: "x", description: "y", limit: 3, period: "second" } },
};
const daily429: Answer = {
  status: 429,
  body: {
    error: { type: "TOO_MANY_REQUESTS", message: "x", description: "y", limit: 120000, period: "day" },
  },
};
const server500: Answer = { status: 500, body: { error: { type: "SERVER_ERROR", message: "x" } } };
const validation400: Answer = { status: 400, body: { error: { type: "VALIDATION_ERROR", message: "x" } } };
const ok: Answer = { status: 200, body: { data: [] } };
const created: Answer = { status: 201, body: { data: { id: 1 } } };

/** A Bling answering the given responses in turn (then `fallback`), recording each method. */
function scripted(answers: Answer[], fallback: Answer = ok, over: Partial<BlingClientOptions> = {}) {
  const seen: string[] = [];
  const budget: BlingBudgetRequest[] = [];
  const waits: number[] = [];
  const fetch: FetchLike = async (_input, init) => {
    seen.push(init?.method ?? "GET");
    const a = answers.shift() ?? fallback;
    if (a === "down") throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), {
      status: a.status,
      headers: { "content-type": "application/json", ...(a.headers ?? {}) },
    });
  };
  const client = new BlingClient({
    baseUrl: "http://bling.test/Api/v3",
    getAccessToken: async () => "t",
    timeoutMs: 2_000,
    fetch,
    budget: async (req) => void budget.push(req),
    retry: { sleep: async (ms) => void waits.push(ms) },
    ...over,
  });
  return { client, seen, budget, waits };
}

const contact = { nome: "A", tipo: "F" as const, situacao: "A" as const };

describe("Bling's retry layer (BlingHttp.request)", () => {
  it("repeats any request after a per-second 429 (not processed), through the budget hook each time", async () => {
    const s = scripted([perSecond429, perSecond429], created);
    await s.client.contatos.create(contact);
    expect(s.seen).toEqual(["POST", "POST", "POST"]);
    expect(s.budget).toHaveLength(3);
  });

  it("repeats GETs after a 5xx or a dropped connection, but hands a write's 5xx to the job", async () => {
    const reads = scripted([server500, "down"]);
    await reads.client.depositos.list();
    expect(reads.seen).toEqual(["GET", "GET", "GET"]);
    const writes = scripted([server500], created);
    await expect(writes.client.contatos.create(contact)).rejects.toBeInstanceOf(BlingServerError);
    expect(writes.seen).toEqual(["POST"]);
  });

  it("gives up after `retries`, and never repeats daily 429s, long waits or validation errors", async () => {
    const many = scripted([], perSecond429, { retry: { retries: 2, sleep: async () => {} } });
    await expect(many.client.depositos.list()).rejects.toBeInstanceOf(BlingRateLimitedError);
    expect(many.seen).toHaveLength(3);
    const longWait: Answer = { ...perSecond429, headers: { "retry-after": "30" } };
    for (const answer of [daily429, longWait, validation400]) {
      const s = scripted([answer]);
      await expect(s.client.depositos.list()).rejects.toBeInstanceOf(
        answer === validation400 ? BlingValidationError : BlingRateLimitedError,
      );
      expect(s.seen).toHaveLength(1);
    }
  });

  it("waits the server's Retry-After before repeating", async () => {
    const s = scripted([{ ...perSecond429, headers: { "retry-after": "1" } }]);
    await s.client.depositos.list();
    expect(s.waits).toHaveLength(1);
    expect(s.waits[0]).toBeGreaterThanOrEqual(1_000);
    expect(s.waits[0]).toBeLessThan(1_300);
  });

  it("force-refreshes the token at most once per logical request", async () => {
    let refreshes = 0;
    const s = scripted(
      [{ status: 401 }, server500],
      { status: 401 },
      {
        onUnauthorized: async () => {
          refreshes++;
          return "t2";
        },
      },
    );
    await expect(s.client.depositos.list()).rejects.toBeInstanceOf(BlingTokenError);
    expect(refreshes).toBe(1);
    // 401, re-send after the refresh (500), repeat (401 again: the token really is unusable).
    expect(s.seen).toEqual(["GET", "GET", "GET"]);
  });

  it("is off unless asked for: each request is sent once", async () => {
    const s = scripted([perSecond429], ok, { retry: false });
    await expect(s.client.depositos.list()).rejects.toBeInstanceOf(BlingRateLimitedError);
    expect(s.seen).toHaveLength(1);
  });
});
