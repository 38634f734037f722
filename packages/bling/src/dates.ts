import { BlingRequestError } from "./errors.js";
import { localParts } from "./time-zone.js";

/**
 * Bling answers 400 to a date-range filter spanning more than one year. We refuse anything over 365 days
 * (a leap year's 366 would be "one year" too, but the cheaper mistake is a split window, not a 400).
 */
export const MAX_DATE_WINDOW_MS = 365 * 24 * 60 * 60 * 1000;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Brasília wall-clock parts of `date` (Bling has no time zone on its date-times), zero-padded. */
function parts(date: Date): Record<"year" | "month" | "day" | "hour" | "minute" | "second", string> {
  if (Number.isNaN(date.getTime())) throw new BlingRequestError("Invalid date for a Bling filter");
  const p = localParts(date.getTime());
  return {
    year: pad(p.year, 4),
    month: pad(p.month),
    day: pad(p.day),
    hour: pad(p.hour),
    minute: pad(p.minute),
    second: pad(p.second),
  };
}

/** `YYYY-MM-DD HH:MM:SS` in Brasília time, zero-padded. */
export function formatBlingDateTime(date: Date): string {
  const p = parts(date);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** `YYYY-MM-DD` in Brasília time. */
export function formatBlingDate(date: Date): string {
  const p = parts(date);
  return `${p.year}-${p.month}-${p.day}`;
}

/**
 * Throws before sending when a `...Inicial`/`...Final` pair spans more than one year, or is reversed.
 * With only a start, the window is measured to `now` (we assume Bling then ends it at the present).
 */
export function assertDateWindow(
  name: string,
  start: Date | undefined,
  end: Date | undefined,
  now: () => Date = () => new Date(),
): void {
  if (!start) return;
  const until = end ?? now();
  const span = until.getTime() - start.getTime();
  if (end && span < 0) {
    throw new BlingRequestError(`Bling filter ${name}: the start is after the end`);
  }
  if (span > MAX_DATE_WINDOW_MS) {
    throw new BlingRequestError(
      `Bling filter ${name}: window of ${Math.ceil(span / 86_400_000)} days exceeds Bling's one-year limit`,
    );
  }
}
