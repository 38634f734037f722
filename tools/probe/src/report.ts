/** One row of the probe's table: an assumption the product makes, the request that checks it, the verdict. */
export interface ProbeRow {
  system: "zydon" | "bling";
  /** The adapter entry or client method the row holds to the real API. */
  assumption: string;
  /** Method and path sent (no query values, no credentials). */
  request: string;
  result: "confirmed" | "contradicted" | "unreachable" | "not_checked";
  /** What came back when it is not a plain confirmation. */
  detail: string;
  /** What to change when contradicted: the contract setting or the adapter line. */
  fix: string;
}

export interface ProbeReport {
  startedAt: string;
  target: { zydon: string | null; bling: string | null };
  write: boolean;
  rows: ProbeRow[];
  counts: Record<ProbeRow["result"], number>;
}

export function summarize(rows: ProbeRow[], meta: Omit<ProbeReport, "rows" | "counts">): ProbeReport {
  const counts = { confirmed: 0, contradicted: 0, unreachable: 0, not_checked: 0 };
  for (const r of rows) counts[r.result]++;
  return { ...meta, rows, counts };
}

function cell(s: string, w: number): string {
  return s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w);
}

/** The table an operator reads: assumption | request | result (with what came back / what to change). */
export function renderTable(report: ProbeReport): string {
  const head = ["assumption", "request", "result"];
  const body = report.rows.map((r) => [
    `${r.system}: ${r.assumption}`,
    r.request,
    r.result === "confirmed" || r.detail === "" ? r.result : `${r.result}: ${r.detail}`,
  ]);
  const widths = head.map((h, i) =>
    Math.min(Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)), 70),
  );
  const line = (cols: string[]) => `| ${cols.map((c, i) => cell(c, widths[i] ?? 10)).join(" | ")} |`;
  const out = [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)];
  const fixes = report.rows.filter((r) => r.result === "contradicted");
  if (fixes.length) {
    out.push("", "To correct a contradicted row:");
    for (const r of fixes) out.push(`- ${r.system}: ${r.assumption} → ${r.fix}`);
  }
  const c = report.counts;
  out.push(
    "",
    `${c.confirmed} confirmed, ${c.contradicted} contradicted, ${c.unreachable} unreachable, ${c.not_checked} not checked`,
  );
  return out.join("\n");
}
