import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ZydonClient } from "./client.js";
import { ZydonNetworkError, ZydonRateLimitedError, ZydonServerError } from "./errors.js";
import { ZYDON_MAX_ATTEMPTS } from "./retry.js";

type Mode = "503" | "drop" | "429";

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A Zydon that always fails the same way, counting the requests it receives. */
async function alwaysFailing(mode: Mode): Promise<{ url: string; requests: () => number }> {
  let count = 0;
  server = createServer((req, res) => {
    count++;
    if (mode === "drop") {
      req.socket.destroy();
      return;
    }
    if (mode === "429") {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "1" });
      res.end(JSON.stringify({ message: "Too Many Requests" }));
      return;
    }
    res.writeHead(503, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "Service Unavailable" }));
  });
  await new Promise<void>((r) => server?.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => count };
}

function client(url: string) {
  return new ZydonClient({
    baseUrl: url,
    accessKey: { code: "c", token: "t" },
    timeoutMs: 2_000,
    // The production policy with the waits skipped.
    retry: { sleep: async () => {} },
  });
}

describe(`Zydon retry cap: at most ${ZYDON_MAX_ATTEMPTS} HTTP requests per logical call`, () => {
  it("a read against an API that always answers 503", async () => {
    const z = await alwaysFailing("503");
    await expect(client(z.url).products.get("p-1")).rejects.toBeInstanceOf(ZydonServerError);
    expect(z.requests()).toBe(ZYDON_MAX_ATTEMPTS);
  });

  it("a read against an API that always drops the connection", async () => {
    const z = await alwaysFailing("drop");
    await expect(client(z.url).products.get("p-1")).rejects.toBeInstanceOf(ZydonNetworkError);
    expect(z.requests()).toBeGreaterThan(1);
    expect(z.requests()).toBeLessThanOrEqual(ZYDON_MAX_ATTEMPTS);
  });

  it("a write against an API that always answers 429 with a short Retry-After", async () => {
    const z = await alwaysFailing("429");
    await expect(client(z.url).products.create({ name: "x" })).rejects.toBeInstanceOf(ZydonRateLimitedError);
    expect(z.requests()).toBe(ZYDON_MAX_ATTEMPTS);
  });

  it("a write's 503 is sent once (it may have been processed)", async () => {
    const z = await alwaysFailing("503");
    await expect(client(z.url).products.create({ name: "x" })).rejects.toBeInstanceOf(ZydonServerError);
    expect(z.requests()).toBe(1);
  });
});
