import { describe, expect, it } from "vitest";
import { NOT_FOUND_RETRY_WINDOW_MS, RATE_LIMIT_BACKOFF_MS } from "./adapter.js";
import { ZydonClient } from "./client.js";
import { DEFAULT_ZYDON_CONTRACT } from "./contract.js";
import {
  isWithinNotFoundRetryWindow,
  ZydonAuthError,
  ZydonNetworkError,
  ZydonNotFoundError,
  ZydonRateLimitedError,
  ZydonServerError,
  ZydonUnexpectedResponseError,
  ZydonValidationError,
} from "./errors.js";
import type { FetchLike } from "./http.js";

const SECRET = "super-secret-token";

function envelopeBody(status: number, exception: string, message: string) {
  return JSON.stringify({
    origin: "sales",
    timestamp: "2026-09-01 16:36:22.037100",
    status,
    statusMessage: "x",
    exception,
    message,
  });
}

function clientAnswering(
  status: number,
  body: string,
  headers: Record<string, string> = {},
  now?: () => Date,
) {
  const fetchImpl: FetchLike = async () => new Response(body, { status, headers });
  return new ZydonClient({
    baseUrl: "https://api.zydon.test",
    accessKey: { code: "kc", token: SECRET },
    fetch: fetchImpl,
    ...(now ? { now } : {}),
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("error mapping", () => {
  it("429 → ZydonRateLimitedError (wait) honouring Retry-After seconds", async () => {
    const err = await failure(clientAnswering(429, "", { "retry-after": "7" }).products.get("1"));
    expect(err).toBeInstanceOf(ZydonRateLimitedError);
    expect((err as ZydonRateLimitedError).action).toBe("wait");
    expect((err as ZydonRateLimitedError).retryAfterMs).toBe(7000);
  });

  it("429 without Retry-After → backoff ladder by attempt", async () => {
    const c = clientAnswering(429, envelopeBody(429, "TooManyRequests", "calma"));
    const first = (await failure(c.http.send({ method: "GET", path: "/x" }))) as ZydonRateLimitedError;
    const third = (await failure(
      c.http.send({ method: "GET", path: "/x", attempt: 2 }),
    )) as ZydonRateLimitedError;
    const beyond = (await failure(
      c.http.send({ method: "GET", path: "/x", attempt: 99 }),
    )) as ZydonRateLimitedError;
    expect(first.retryAfterMs).toBe(RATE_LIMIT_BACKOFF_MS[0]);
    expect(third.retryAfterMs).toBe(RATE_LIMIT_BACKOFF_MS[2]);
    expect(beyond.retryAfterMs).toBe(RATE_LIMIT_BACKOFF_MS[3]);
  });

  it("404 → ZydonNotFoundError give_up, with the envelope's fields", async () => {
    const err = (await failure(
      clientAnswering(
        404,
        envelopeBody(404, "NotFoundException", "Category com ID 450 não foi encontrado!"),
      ).categories.get("450"),
    )) as ZydonNotFoundError;
    expect(err).toBeInstanceOf(ZydonNotFoundError);
    expect(err.retryableWindow).toBe(false);
    expect(err.action).toBe("give_up");
    expect(err.exception).toBe("NotFoundException");
    expect(err.zydonMessage).toContain("450");
    expect(err.origin).toBe("sales");
    expect(err.path).toBe("/api/sales/categories/450");
  });

  it("404 on an id this client created moments ago → retryableWindow, action retry; later → give_up", async () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    let created = false;
    const fetchImpl: FetchLike = async (_url, init) => {
      if (init?.method === "POST") {
        created = true;
        return new Response(JSON.stringify({ id: 555, sku: "A", name: "A" }), { status: 201 });
      }
      return new Response(envelopeBody(404, "NotFoundException", "Product was not found"), { status: 404 });
    };
    const c = new ZydonClient({
      baseUrl: "https://api.zydon.test",
      accessKey: { code: "kc", token: "t" },
      fetch: fetchImpl,
      now: () => new Date(t),
    });
    const id = await c.products.create({ sku: "A", name: "A" });
    expect(created).toBe(true);
    expect(id).toBe("555");
    const soon = (await failure(c.products.get(id))) as ZydonNotFoundError;
    expect(soon.retryableWindow).toBe(true);
    expect(soon.action).toBe("retry");
    t += 10 * 60_000;
    const later = (await failure(c.products.get(id))) as ZydonNotFoundError;
    expect(later.retryableWindow).toBe(false);
    expect(later.action).toBe("give_up");
  });

  it("the configured window is honoured, not the default: 30 s configured → a 404 45 s after the create gives up", async () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const c = new ZydonClient({
      baseUrl: "https://api.zydon.test",
      accessKey: { code: "kc", token: "t" },
      contract: { ...DEFAULT_ZYDON_CONTRACT, notFoundRetryWindowMs: 30_000 },
      fetch: async (_url, init) =>
        init?.method === "POST"
          ? new Response(JSON.stringify({ id: 777 }), { status: 201 })
          : new Response(envelopeBody(404, "NotFoundException", "Product was not found"), { status: 404 }),
      now: () => new Date(t),
    });
    expect(c.http.notFoundRetryWindowMs).toBe(30_000);
    const id = await c.products.create({ sku: "B", name: "B" });
    t += 20_000;
    expect(((await failure(c.products.get(id))) as ZydonNotFoundError).retryableWindow).toBe(true);
    t += 25_000;
    // 45 s: inside the default window (5 min), outside the configured one.
    expect(45_000).toBeLessThan(NOT_FOUND_RETRY_WINDOW_MS);
    const late = (await failure(c.products.get(id))) as ZydonNotFoundError;
    expect(late.retryableWindow).toBe(false);
    expect(late.action).toBe("give_up");
  });

  it("isWithinNotFoundRetryWindow uses the window it is given", () => {
    const at = new Date("2026-01-01T00:00:00Z");
    const plus = (ms: number) => new Date(at.getTime() + ms);
    expect(isWithinNotFoundRetryWindow(at, 30_000, plus(29_000))).toBe(true);
    expect(isWithinNotFoundRetryWindow(at, 30_000, plus(31_000))).toBe(false);
    expect(isWithinNotFoundRetryWindow(at, 20 * 60_000, plus(10 * 60_000))).toBe(true);
    // A reference after "now" (clocks apart) counts as just now.
    expect(isWithinNotFoundRetryWindow(at, 30_000, plus(-5_000))).toBe(true);
  });

  it.each([400, 409, 422])("%i → ZydonValidationError give_up", async (status) => {
    const err = await failure(
      clientAnswering(
        status,
        envelopeBody(status, "ValidationException", "SKU já cadastrado"),
      ).products.create({}),
    );
    expect(err).toBeInstanceOf(ZydonValidationError);
    expect((err as ZydonValidationError).action).toBe("give_up");
    expect((err as Error).message).toContain("SKU já cadastrado");
  });

  it.each([401, 403])("%i → ZydonAuthError reconnect", async (status) => {
    const err = await failure(clientAnswering(status, "").statuses.list());
    expect(err).toBeInstanceOf(ZydonAuthError);
    expect((err as ZydonAuthError).action).toBe("reconnect");
  });

  it.each([500, 502, 503])("%i → ZydonServerError retry", async (status) => {
    const err = await failure(
      clientAnswering(status, envelopeBody(status, "InternalErrorException", "NPE")).statuses.list(),
    );
    expect(err).toBeInstanceOf(ZydonServerError);
    expect((err as ZydonServerError).action).toBe("retry");
  });

  it("fetch failure → ZydonNetworkError retry (not timed out)", async () => {
    const c = new ZydonClient({
      baseUrl: "https://api.zydon.test",
      accessKey: { code: "kc", token: SECRET },
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    const err = (await failure(c.warehouses.list())) as ZydonNetworkError;
    expect(err).toBeInstanceOf(ZydonNetworkError);
    expect(err.timedOut).toBe(false);
    expect(err.action).toBe("retry");
  });

  it("timeout → ZydonNetworkError with timedOut", async () => {
    const c = new ZydonClient({
      baseUrl: "https://api.zydon.test",
      accessKey: { code: "kc", token: SECRET },
      timeoutMs: 30,
      fetch: (_url, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        }),
    });
    const err = (await failure(c.warehouses.list())) as ZydonNetworkError;
    expect(err).toBeInstanceOf(ZydonNetworkError);
    expect(err.timedOut).toBe(true);
  });

  it("2xx with an unexpected body → ZydonUnexpectedResponseError give_up", async () => {
    const err = await failure(clientAnswering(200, JSON.stringify({ nope: true })).products.get("1"));
    expect(err).toBeInstanceOf(ZydonUnexpectedResponseError);
    expect((err as ZydonUnexpectedResponseError).action).toBe("give_up");
  });

  it("never puts the access key in an error message", async () => {
    for (const status of [400, 401, 404, 429, 500]) {
      const err = (await failure(clientAnswering(status, "").products.get("1"))) as Error;
      expect(err.message).not.toContain(SECRET);
      expect(JSON.stringify(err)).not.toContain(SECRET);
    }
  });
});
