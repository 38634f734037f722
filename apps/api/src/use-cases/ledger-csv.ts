import { describeLedgerRow, ledgerActionLabels, ledgerEntityLabels, ledgerOutcomeLabels } from "@zb/contract";
import type { LedgerQuery, LedgerRow } from "@zb/db";

/**
 * Histórico as a CSV for Excel (pt-BR): UTF-8 with a BOM (Excel otherwise reads it as Latin-1), `;` as the
 * separator (Excel in pt-BR reads `,` as the decimal mark), São Paulo times, the same words as the page.
 * Only what the page shows: no details blob, no internal ids.
 */
export const CSV_BOM = "\uFEFF";

export const csvHeader = [
  "Quando",
  "Tipo",
  "Ação",
  "Item",
  "Nome",
  "Resultado",
  "Tentativas",
  "De",
  "Para",
  "Motivo",
] as const;

const when = new Intl.DateTimeFormat("pt-BR", {
  timeZone: "America/Sao_Paulo",
  dateStyle: "short",
  timeStyle: "medium",
});

/** One CSV field: quoted when it holds a separator, quote or line break; a leading =+-@ is defused. */
export function csvField(value: string | number | null | undefined): string {
  let v = value === null || value === undefined ? "" : String(value);
  // A cell starting with = + - @ is a formula to Excel (CSV injection): prefix it so it stays text.
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return /[;"\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function csvLine(fields: ReadonlyArray<string | number | null | undefined>): string {
  return `${fields.map(csvField).join(";")}\r\n`;
}

export function ledgerCsvRow(r: LedgerRow): string {
  const d = describeLedgerRow(r);
  const resolved = r.outcome !== "synced" && r.resolvedAt !== null;
  return csvLine([
    when.format(r.updatedAt),
    ledgerEntityLabels[r.entity] ?? r.entity,
    ledgerActionLabels[r.action] ?? r.action,
    d.item,
    d.name,
    resolved ? ledgerOutcomeLabels.resolved : (ledgerOutcomeLabels[r.outcome] ?? r.outcome),
    r.attempts,
    d.change?.from ?? null,
    d.change?.to ?? null,
    r.reason,
  ]);
}

/** The most rows one export holds (the page says so when a filter would return more). */
export const CSV_MAX_ROWS = 20_000;

/** The filtered rows, page by page, as CSV text chunks (header first). */
export async function* ledgerCsv(
  list: (q: LedgerQuery) => Promise<{ items: LedgerRow[]; total: number }>,
  query: Omit<LedgerQuery, "page" | "pageSize">,
): AsyncGenerator<string> {
  yield CSV_BOM + csvLine(csvHeader);
  const pageSize = 200;
  for (let page = 0; page * pageSize < CSV_MAX_ROWS; page++) {
    const r = await list({ ...query, page, pageSize });
    if (r.items.length === 0) return;
    yield r.items.map(ledgerCsvRow).join("");
    if (r.items.length < pageSize) return;
  }
}
