import { describe, expect, it } from "vitest";
import { readCappedText } from "./index.js";

class TooLarge extends Error {}
const tooLarge = () => new TooLarge("too large");

function streamed(chunks: number, size: number): Response {
  let sent = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (cancelled || sent >= chunks) return c.close();
      sent++;
      c.enqueue(new Uint8Array(size).fill(97));
    },
    cancel() {
      cancelled = true;
    },
  });
  const res = new Response(body);
  Object.defineProperty(res, "sentChunks", { get: () => sent });
  return res;
}

describe("readCappedText", () => {
  it("returns the text of a body within the cap", async () => {
    expect(await readCappedText(new Response("olá"), 16, tooLarge)).toBe("olá");
  });

  it("refuses a declared content-length above the cap before reading", async () => {
    const res = new Response("x".repeat(10), { headers: { "content-length": "1000" } });
    await expect(readCappedText(res, 100, tooLarge)).rejects.toBeInstanceOf(TooLarge);
  });

  it("stops reading a streamed body the moment it crosses the cap", async () => {
    const res = streamed(1_000, 1024);
    await expect(readCappedText(res, 4 * 1024, tooLarge)).rejects.toBeInstanceOf(TooLarge);
    expect((res as Response & { sentChunks: number }).sentChunks).toBeLessThan(10);
  });

  it("reads an empty body as an empty string", async () => {
    expect(await readCappedText(new Response(null), 16, tooLarge)).toBe("");
  });
});
