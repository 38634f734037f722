import { BlingRequestError } from "./errors.js";

/** Bling has no time zone on its date-times; they are Brasília local time. */
export const BLING_TIME_ZONE = "America/Sao_Paulo";

/**
 * Bling answers 400 to a date-range filter spanning more than one year. We refuse anything over 365 days
 * (a leap year's 366 would be "one year" too, but the cheaper mistake is a split window, not a 400).
 */
export const MAX_DATE_WINDOW_MS = 365 * 24 * 60 * 60 * 1000;

const formatter = new Intl.DateTimeFormat("en-US", {
  timeZone: BLING_TIME_ZONE,
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

function parts(date: Date): Record<string, string> {
  if (Number.isNaN(date.getTime())) throw new BlingRequestError("Invalid date for a Bling filter");
  return Object.fromEntries(formatter.formatToParts(date).map((p) => [p.type, p.value]));
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
