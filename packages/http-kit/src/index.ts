/**
 * Reads a response body as text, refusing past `maxBytes`: a `content-length` above it before reading, and
 * the stream cancelled the moment it crosses the cap (a runaway or hostile server cannot fill our memory).
 * Each vendor client passes its own typed error (`tooLarge`), so callers keep their error classes.
 */
export async function readCappedText(
  res: Response,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  const declared = Number(res.headers.get("content-length"));
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
