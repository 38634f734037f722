import { render, screen, within } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { renderWithApi } from "../test/render.js";
import { server, url } from "../test/server.js";
import { HourlyChart, RequestsChart } from "./activity-charts.js";
import { SyncPanel } from "./sync-panel.js";

function hours(fill: (i: number) => { synced: number; skipped: number; failed: number }) {
  const start = Date.parse("2025-03-10T00:00:00.000Z");
  return Array.from({ length: 24 }, (_, i) => ({
    start: new Date(start + i * 3_600_000).toISOString(),
    ...fill(i),
  }));
}

describe("activity charts", () => {
  it("draws one stacked bar per hour, scaled to the busiest hour, with a text equivalent", () => {
    const data = hours((i) =>
      i === 5
        ? { synced: 40, skipped: 6, failed: 4 }
        : i === 6
          ? { synced: 25, skipped: 0, failed: 0 }
          : { synced: 0, skipped: 0, failed: 0 },
    );
    const { container } = render(<HourlyChart hours={data} />);
    const bars = screen.getAllByTestId("hourly-bar");
    expect(bars).toHaveLength(24);
    expect(bars[5]?.dataset.total).toBe("50");
    const rects = (i: number) => [...(bars[i] as Element).querySelectorAll("rect")];
    // The busiest hour fills the plot; another hour at half its count is half as tall.
    const height = (i: number) => rects(i).reduce((n, r) => n + Number(r.getAttribute("height")), 0);
    expect(rects(5)).toHaveLength(3);
    expect(height(6) / height(5)).toBeCloseTo(0.5, 5);
    expect(rects(0)).toHaveLength(0);
    const svg = container.querySelector("svg") as SVGElement;
    expect(svg.getAttribute("aria-label")).toBe(
      "Últimas 24 horas: 65 registros sincronizados, 6 ignorados, 4 com falha.",
    );
    expect(screen.getByText("Sincronizados: 65")).toBeTruthy();
  });

  it("shows the day's requests against the daily limit, in words and as a bar", () => {
    render(<RequestsChart requests={{ today: 90_000, dailyLimit: 120_000 }} />);
    const chart = screen.getByTestId("requests-chart");
    expect(chart.textContent).toContain("90.000 de 120.000 requisições hoje (75% do limite diário)");
    expect(Number(screen.getByTestId("requests-bar").getAttribute("width"))).toBeCloseTo(360, 5);
  });

  it("appears on Sincronização when the API offers it, and says so when the day was quiet", async () => {
    server.use(
      http.get(url("/api/settings/progress"), () => HttpResponse.json({ running: false, entities: [] })),
      http.get(url("/api/settings/health"), () =>
        HttpResponse.json({
          paused: false,
          token: { state: "valid" },
          lastSuccess: {},
          webhooks: {},
          requests: null,
        }),
      ),
      http.get(url("/api/settings/activity"), () =>
        HttpResponse.json({
          hours: hours(() => ({ synced: 0, skipped: 0, failed: 0 })),
          requests: { today: 211, dailyLimit: 120_000 },
        }),
      ),
    );
    renderWithApi(<SyncPanel refreshKey={0} />);
    const card = (await screen.findByRole("heading", { name: "Últimas 24 horas" })).closest(
      "section",
    ) as HTMLElement;
    expect(await within(card).findByText("Nenhum registro sincronizado nas últimas 24 horas.")).toBeTruthy();
    expect(within(card).getByTestId("requests-chart").textContent).toContain(
      "211 de 120.000 requisições hoje (0,2% do limite diário)",
    );
  });
});
