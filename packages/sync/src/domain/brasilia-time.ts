/**
 * Dates and times as the merchant reads them and as Bling means them: Brasília time (America/Sao_Paulo).
 * Bling's dates carry no zone; ledger reasons and alerts name the merchant's clock. One formatter each,
 * built once.
 */
const ZONE = "America/Sao_Paulo";

const ISO_DATE = new Intl.DateTimeFormat("en-CA", {
  timeZone: ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});
const HOUR = new Intl.DateTimeFormat("en-US", { timeZone: ZONE, hour: "numeric", hourCycle: "h23" });
const TIME = new Intl.DateTimeFormat("pt-BR", {
  timeZone: ZONE,
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});
const DATE = new Intl.DateTimeFormat("pt-BR", {
  timeZone: ZONE,
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
});
const DATE_TIME = new Intl.DateTimeFormat("pt-BR", {
  timeZone: ZONE,
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** YYYY-MM-DD in Brasília (Bling's date fields; the daily summary's date). */
export function saoPauloDate(d: Date): string {
  return ISO_DATE.format(d);
}

/** The hour of the day (0–23) in Brasília. */
export function saoPauloHour(d: Date): number {
  return Number(HOUR.format(d));
}

/** "14:03 de 10/03/2026", Brasília time. */
export function brasiliaTime(d: Date): string {
  return `${TIME.format(d)} de ${DATE.format(d)}`;
}

/** "10/03/2026, 14:03", Brasília time (the alerts' timestamps). */
export function brasiliaDateTime(d: Date): string {
  return DATE_TIME.format(d);
}
