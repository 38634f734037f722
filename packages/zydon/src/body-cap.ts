import { ZydonResponseTooLargeError } from "./errors.js";

/** The most a Zydon answer (API JSON) may weigh; pages of 100 products stay far below. */
export const ZYDON_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * Reads a response body as text, refusing past `maxBytes`: a `content-length` above it before reading, and
 * the stream cancelled the moment it crosses the cap (a runaway or hostile server cannot fill our memory).
 */
export async function readCappedText(
  res: Response,
  maxBytes: number,
  ctx: { method: string; path: string },
): Promise<string> {
  const declared = Number(res.headers.get("content-length"));
  const tooLarge = () =>
    new ZydonResponseTooLargeError(
      { status: res.status, method: ctx.method, path: ctx.path },
      `response exceeds ${maxBytes} bytes`,
    );
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString("utf8");
}
