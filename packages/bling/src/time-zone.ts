/**
 * São Paulo (Brasília) time, the one helper for it: Bling's date-times carry no zone and are Brasília local
 * time, and Bling's day (the 120,000/day counter) turns at midnight there.
 */
export const BLING_TIME_ZONE = "America/Sao_Paulo";

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Wall-clock parts of the instant `ms` in `timeZone` (default São Paulo). */
export function localParts(ms: number, timeZone = BLING_TIME_ZONE): LocalParts {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  return {
    year: p.year ?? 0,
    month: p.month ?? 1,
    day: p.day ?? 1,
    hour: p.hour ?? 0,
    minute: p.minute ?? 0,
    second: p.second ?? 0,
  };
}

/** UTC offset of `timeZone` at the instant `ms`, in ms (São Paulo today: -3 h). */
export function timeZoneOffsetMs(ms: number, timeZone = BLING_TIME_ZONE): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

function localDateNumber(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day);
}

/**
 * The first instant of the next local day in `timeZone` (default São Paulo). Offsets come from the tz
 * database, so this stays right if Brazil ever brings DST back (a DST start at midnight makes the day
 * begin at 01:00, which this returns).
 */
export function nextMidnight(now: Date, timeZone = BLING_TIME_ZONE): Date {
  const ms = now.getTime();
  const p = localParts(ms, timeZone);
  const target = Date.UTC(p.year, p.month - 1, p.day + 1);
  // Local midnight of `target` seen as UTC, shifted by the offset on either side of a possible transition.
  const candidates = [target - timeZoneOffsetMs(target, timeZone)];
  candidates.push(target - timeZoneOffsetMs(candidates[0] as number, timeZone));
  const valid = candidates.filter((c) => c > ms && localDateNumber(c, timeZone) >= target);
  if (valid.length > 0) return new Date(Math.min(...valid));
  // Midnight skipped by a DST jump: the day starts at the first instant after the gap.
  let c = Math.max(...candidates);
  while (localDateNumber(c, timeZone) < target) c += 60_000;
  return new Date(c);
}

export function nextSaoPauloMidnight(now: Date): Date {
  return nextMidnight(now, BLING_TIME_ZONE);
}
