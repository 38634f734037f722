import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BlingClient } from "./client.js";
import { BlingNetworkError, BlingRateLimitedError, BlingServerError } from "./errors.js";
import { BLING_MAX_ATTEMPTS, BLING_MAX_REQUESTS_PER_CALL } from "./retry.js";

type Mode = "503" | "drop" | "429";

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A Bling that always fails the same way, counting the requests it receives. */
async function alwaysFailing(mode: Mode): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  server = createServer((req, res) => {
    count++;
    if (mode === "drop") {
      req.socket.destroy();
      return;
    }
    if (mode === "429") {
      res.writeHead(429, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: {
            type: "TOO_MANY_REQUESTS",
            message: "limite",
            description: "x",
            limit: 3,
            period: "second",
          },
        }),
      );
      return;
    }
    res.writeHead(503, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { type: "SERVER_ERROR", message: "indisponível" } }));
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/Api/v3`, requests: () => count };
}

function client(url: string) {
  let budgetCalls = 0;
  const c = new BlingClient({
    baseUrl: url,
    getAccessToken: async () => "token",
    // A 401 is never answered here, so the token re-send never happens: the transient cap applies.
    onUnauthorized: async () => "token-2",
    timeoutMs: 2_000,
    budget: async () => {
      budgetCalls++;
    },
    // The production policy with the waits skipped.
    retry: { sleep: async () => {} },
  });
  return { c, budgetCalls: () => budgetCalls };
}

describe(`Bling retry cap: at most ${BLING_MAX_REQUESTS_PER_CALL} HTTP requests per logical call`, () => {
  it("a read against an API that always answers 503", async () => {
    const b = await alwaysFailing("503");
    const { c, budgetCalls } = client(b.url);
    await expect(c.depositos.list()).rejects.toBeInstanceOf(BlingServerError);
    expect(b.requests()).toBe(BLING_MAX_ATTEMPTS);
    expect(b.requests()).toBeLessThanOrEqual(BLING_MAX_REQUESTS_PER_CALL);
    expect(budgetCalls()).toBe(b.requests());
  });

  it("a read against an API that always drops the connection", async () => {
    const b = await alwaysFailing("drop");
    const { c } = client(b.url);
    await expect(c.depositos.list()).rejects.toBeInstanceOf(BlingNetworkError);
    expect(b.requests()).toBeGreaterThan(1);
    expect(b.requests()).toBeLessThanOrEqual(BLING_MAX_ATTEMPTS);
  });

  it("a write against an API that always answers a per-second 429", async () => {
    const b = await alwaysFailing("429");
    const { c, budgetCalls } = client(b.url);
    await expect(c.contatos.create({ nome: "A", tipo: "F", situacao: "A" })).rejects.toBeInstanceOf(
      BlingRateLimitedError,
    );
    expect(b.requests()).toBe(BLING_MAX_ATTEMPTS);
    expect(budgetCalls()).toBe(b.requests());
  });

  it("a write's 503 is sent once (it may have been processed)", async () => {
    const b = await alwaysFailing("503");
    const { c } = client(b.url);
    await expect(c.contatos.create({ nome: "A", tipo: "F", situacao: "A" })).rejects.toBeInstanceOf(
      BlingServerError,
    );
    expect(b.requests()).toBe(1);
  });
});
