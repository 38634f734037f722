import { readCappedText } from "@zb/http-kit";
import { BlingResponseTooLargeError } from "./errors.js";

/** The most a Bling answer (API JSON or OAuth) may weigh; the largest real page of 100 products is ~1 MiB. */
export const BLING_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** A Bling body as text, refused with BlingResponseTooLargeError past `maxBytes` (see @zb/http-kit). */
export function readBlingText(
  res: Response,
  maxBytes: number,
  ctx: { method: string; path: string },
): Promise<string> {
  return readCappedText(
    res,
    maxBytes,
    () =>
      new BlingResponseTooLargeError(maxBytes, { status: res.status, method: ctx.method, path: ctx.path }),
  );
}
