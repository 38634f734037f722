import { nextSaoPauloMidnight } from "@zb/bling";
import type { OpsRepository, OpsTenantRow } from "@zb/db";

/** One tenant on the ops page: the repository's ids, states, times and counts, plus today's Bling requests. */
export interface OpsTenantView {
  tenantId: string;
  state: string;
  blingStatus: string | null;
  installedAt: string;
  initialSyncDoneAt: string | null;
  blingPausedUntil: string | null;
  lastSuccess: Record<string, string>;
  backlog: { webhooks: number; orders: number };
  errors: { open: number; today: number };
  requestsToday: number | null;
}

/** Start of the current São Paulo day (Bling's day, the budget's day). */
export function startOfBlingDay(now: Date): Date {
  const next = nextSaoPauloMidnight(now);
  return new Date(next.getTime() - 24 * 3_600_000);
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Builds the view field by field (an allow-list): a column added to the repository row never leaks by default. */
export async function opsTenantsView(
  repo: Pick<OpsRepository, "tenantsOverview">,
  usageToday: (account: string) => Promise<number>,
  now: Date,
): Promise<OpsTenantView[]> {
  const rows: OpsTenantRow[] = await repo.tenantsOverview({ since: startOfBlingDay(now) });
  return Promise.all(
    rows.map(async (r) => ({
      tenantId: r.tenantId,
      state: r.state,
      blingStatus: r.blingStatus,
      installedAt: r.installedAt.toISOString(),
      initialSyncDoneAt: iso(r.initialSyncDoneAt),
      blingPausedUntil: iso(r.blingPausedUntil),
      lastSuccess: Object.fromEntries(Object.entries(r.lastSuccess).map(([k, v]) => [k, v.toISOString()])),
      backlog: { webhooks: r.backlog.webhooks, orders: r.backlog.orders },
      errors: { open: r.errors.open, today: r.errors.today },
      requestsToday: r.budgetAccount ? await usageToday(r.budgetAccount).catch(() => null) : null,
    })),
  );
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const entities = ["payment_methods", "products", "stock", "prices", "customers", "categories"] as const;

/** A plain HTML table of the same view (no script; the CSP of the ops scope allows none). */
export function opsTenantsHtml(view: OpsTenantView[], now: Date): string {
  const cell = (v: string | number | null) => `<td>${v === null ? "—" : esc(String(v))}</td>`;
  const ago = (at: string | undefined) => {
    if (!at) return "—";
    const min = Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 60_000));
    return min < 60 ? `${min} min ago` : `${Math.round(min / 60)} h ago`;
  };
  const rows = view
    .map(
      (t) =>
        `<tr class="${esc(t.state)}">${cell(t.tenantId)}${cell(t.state)}${cell(t.blingStatus)}${entities
          .map((e) => `<td>${esc(ago(t.lastSuccess[e]))}</td>`)
          .join("")}${cell(t.backlog.webhooks)}${cell(t.backlog.orders)}${cell(t.errors.open)}${cell(
          t.errors.today,
        )}${cell(t.requestsToday)}</tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tenants — zydon-bling ops</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#1d2430}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #d5dae1;padding:4px 8px;text-align:left}
th{background:#eef1f5}tr.needs_reauth td{background:#fff4e0}tr.paused td{background:#f1f1f1}
td:nth-child(n+4){font-variant-numeric:tabular-nums}
</style></head><body>
<h1>Tenants (${view.length})</h1>
<p>Generated ${esc(now.toISOString())}. JSON: <code>/ops/tenants?format=json</code>. Queues: <a href="/ops/queues">/ops/queues</a>.</p>
<table><thead><tr><th>tenant</th><th>state</th><th>Bling</th>${entities
    .map((e) => `<th>last ${esc(e)}</th>`)
    .join(
      "",
    )}<th>webhooks pending</th><th>orders pending</th><th>open errors</th><th>errors today</th><th>Bling requests today</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>`;
}
