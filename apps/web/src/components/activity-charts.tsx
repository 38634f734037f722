import type { Activity } from "../api/client.js";
import { formatNumber, plural } from "../labels.js";

/**
 * Sincronização's two pictures, plain SVG (no chart library): records per hour over the last day (stacked
 * synced / skipped / failed) and the day's Bling requests against the daily limit. Each picture carries a
 * text equivalent for screen readers and a visible legend.
 */

const series = [
  { key: "synced", label: "Sincronizados", color: "var(--zb-ok, #1c7c3c)" },
  { key: "skipped", label: "Ignorados", color: "var(--zb-warn, #8a5a00)" },
  { key: "failed", label: "Com falha", color: "var(--zb-error, #b3261e)" },
] as const;

const hourFmt = new Intl.DateTimeFormat("pt-BR", { hour: "2-digit", minute: "2-digit" });

const W = 480;
const H = 140;
const PAD_LEFT = 28;
const PAD_BOTTOM = 18;

export function HourlyChart({ hours }: { hours: Activity["hours"] }) {
  const totals = hours.map((h) => h.synced + h.skipped + h.failed);
  const max = Math.max(1, ...totals);
  const sum = (k: "synced" | "skipped" | "failed") => hours.reduce((n, h) => n + h[k], 0);
  const plotW = W - PAD_LEFT;
  const plotH = H - PAD_BOTTOM;
  const slot = plotW / Math.max(1, hours.length);
  const barW = Math.max(2, slot * 0.7);
  const summary = `Últimas 24 horas: ${plural(sum("synced"), "registro sincronizado", "registros sincronizados")}, ${plural(sum("skipped"), "ignorado", "ignorados")}, ${plural(sum("failed"), "com falha", "com falha")}.`;
  return (
    <figure className="zb-chart-figure" data-testid="hourly-chart">
      <svg
        className="zb-chart"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={summary}
        preserveAspectRatio="xMidYMid meet"
      >
        <line x1={PAD_LEFT} y1={plotH} x2={W} y2={plotH} stroke="var(--zb-border, #d7dce5)" />
        <text x={PAD_LEFT - 4} y={10} textAnchor="end" fontSize="10" fill="var(--zb-muted, #5b6475)">
          {formatNumber(max)}
        </text>
        <text x={PAD_LEFT - 4} y={plotH} textAnchor="end" fontSize="10" fill="var(--zb-muted, #5b6475)">
          0
        </text>
        {hours.map((h, i) => {
          const x = PAD_LEFT + i * slot + (slot - barW) / 2;
          let y = plotH;
          const start = new Date(h.start);
          return (
            <g key={h.start} data-testid="hourly-bar" data-total={totals[i]}>
              <title>{`${hourFmt.format(start)}: ${h.synced} sincronizados, ${h.skipped} ignorados, ${h.failed} com falha`}</title>
              {series.map((s) => {
                const v = h[s.key];
                if (v === 0) return null;
                const bh = (v / max) * (plotH - 12);
                y -= bh;
                return <rect key={s.key} x={x} y={y} width={barW} height={bh} fill={s.color} />;
              })}
              {i % 6 === 0 || i === hours.length - 1 ? (
                <text
                  x={x + barW / 2}
                  y={H - 4}
                  textAnchor="middle"
                  fontSize="10"
                  fill="var(--zb-muted, #5b6475)"
                >
                  {hourFmt.format(start)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="zb-chart-legend">
          {series.map((s) => (
            <li key={s.key}>
              <span aria-hidden="true" style={{ background: s.color }} />
              {s.label}: {formatNumber(sum(s.key))}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

export function RequestsChart({ requests }: { requests: NonNullable<Activity["requests"]> }) {
  const share = requests.dailyLimit > 0 ? Math.min(1, requests.today / requests.dailyLimit) : 0;
  const pct = share * 100;
  const color =
    share >= 0.9
      ? "var(--zb-error, #b3261e)"
      : share >= 0.7
        ? "var(--zb-warn, #8a5a00)"
        : "var(--zb-ok, #1c7c3c)";
  const pctText = new Intl.NumberFormat("pt-BR", {
    maximumFractionDigits: pct < 1 && pct > 0 ? 1 : 0,
  }).format(pct);
  const text = `${formatNumber(requests.today)} de ${formatNumber(requests.dailyLimit)} requisições hoje (${pctText}% do limite diário)`;
  return (
    <figure className="zb-chart-figure" data-testid="requests-chart">
      <svg className="zb-chart" viewBox="0 0 480 24" role="img" aria-label={text}>
        <rect
          x={0}
          y={4}
          width={480}
          height={16}
          rx={3}
          fill="var(--zb-bg-soft, #f5f7fa)"
          stroke="var(--zb-border, #d7dce5)"
        />
        <rect
          data-testid="requests-bar"
          x={0}
          y={4}
          width={Math.max(share > 0 ? 2 : 0, 480 * share)}
          height={16}
          rx={3}
          fill={color}
        />
      </svg>
      <figcaption>{text}</figcaption>
    </figure>
  );
}
