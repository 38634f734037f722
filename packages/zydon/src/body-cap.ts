import { readCappedText } from "@zb/http-kit";
import { ZydonResponseTooLargeError } from "./errors.js";

/** The most a Zydon answer (API JSON) may weigh; pages of 100 products stay far below. */
export const ZYDON_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** A Zydon body as text, refused with ZydonResponseTooLargeError past `maxBytes` (see @zb/http-kit). */
export function readZydonText(
  res: Response,
  maxBytes: number,
  ctx: { method: string; path: string },
): Promise<string> {
  return readCappedText(
    res,
    maxBytes,
    () =>
      new ZydonResponseTooLargeError(
        { status: res.status, method: ctx.method, path: ctx.path },
        `response exceeds ${maxBytes} bytes`,
      ),
  );
}
