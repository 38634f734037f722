import { fireEvent, screen, waitFor } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { mergeLastSuccess } from "./api/client.js";
import { App } from "./app.js";
import { plural } from "./labels.js";
import { renderWithApi } from "./test/render.js";
import { server, url } from "./test/server.js";

const attention = {
  state: "attention",
  title: "Atenção",
  detail: "Uma configuração não pôde ser aplicada; nada foi enviado a partir dela.",
  waiting: 0,
  canSync: true,
  canPause: true,
  attention: [
    {
      setting: "stock.zeroGuard",
      reason: "Atualização de estoque retida: ela zeraria o estoque de 30 produtos de 40 (75%).",
      since: "2026-03-01T12:00:00.000Z",
      guard: "stock",
    },
  ],
};

describe("plain words", () => {
  it("one plural helper: 1 produto, 2 produtos, 1.234 variações", () => {
    expect(plural(1, "produto", "produtos")).toBe("1 produto");
    expect(plural(0, "produto", "produtos")).toBe("0 produtos");
    expect(plural(1234, "variação", "variações")).toBe("1.234 variações");
  });

  it("the health lists each kind once (Produto and Produtos are one row, the latest time)", () => {
    expect(
      mergeLastSuccess({
        product: "2026-03-01T12:00:00.000Z",
        products: "2026-03-01T11:00:00.000Z",
        customers: null,
        customer: "2026-03-01T10:00:00.000Z",
        payment_method: null,
        payment_methods: null,
      }),
    ).toEqual([
      { entity: "products", lastSuccessAt: "2026-03-01T12:00:00.000Z" },
      { entity: "customers", lastSuccessAt: "2026-03-01T10:00:00.000Z" },
      { entity: "payment_methods", lastSuccessAt: null },
    ]);
  });
});

describe("the state banner on top of every tab", () => {
  it("shows the API's one state, and 'Aplicar mesmo assim' releases a held pass after a confirmation", async () => {
    let held = true;
    const released: string[] = [];
    server.use(
      http.get(url("/api/settings/state"), () =>
        HttpResponse.json(
          held
            ? attention
            : { ...attention, state: "active", title: "Ativa", detail: "Tudo em dia.", attention: [] },
        ),
      ),
      http.post(url("/api/settings/guards/:guard/release"), ({ params }) => {
        released.push(String(params.guard));
        held = false;
        return HttpResponse.json({ released: true, message: "Atualização de estoque liberada." });
      }),
      http.get(url("/api/settings/connection"), () =>
        HttpResponse.json({
          bling: { state: "connected", companyName: "ACME" },
          token: { state: "valid" },
          tenant: { state: "active" },
        }),
      ),
    );
    renderWithApi(<App />);
    const banner = await screen.findByTestId("state-banner");
    expect(banner.dataset.state).toBe("attention");
    expect(banner.textContent).toContain("zeraria o estoque de 30 produtos");
    fireEvent.click(screen.getByTestId("release-stock"));
    // Nothing is released before the merchant confirms.
    expect(released).toEqual([]);
    fireEvent.click(screen.getByTestId("release-stock-confirm"));
    await waitFor(() => expect(screen.getByTestId("state-banner").dataset.state).toBe("active"));
    expect(released).toEqual(["stock"]);
    expect(screen.getByTestId("state-banner").textContent).toContain("Atualização de estoque liberada.");
  });

  it("paused: the banner says what waits, and the resync buttons cannot be clicked", async () => {
    server.use(
      http.get(url("/api/settings/state"), () =>
        HttpResponse.json({
          state: "paused",
          title: "Pausada",
          detail:
            "Nada é enviado ao Bling nem ao Zydon. 3 alterações recebidas do Bling aguardam a retomada.",
          waiting: 3,
          canSync: false,
          canPause: true,
          attention: [],
        }),
      ),
      http.get(url("/api/settings/progress"), () =>
        HttpResponse.json({
          running: false,
          initialSyncDoneAt: "2026-03-01T12:00:00.000Z",
          entities: [{ entity: "products", status: "done", done: 10, total: 10, failed: 0, skipped: 0 }],
        }),
      ),
      http.get(url("/api/settings/health"), () =>
        HttpResponse.json({ paused: true, token: { state: "valid" }, lastSuccess: {}, webhooks: {} }),
      ),
    );
    renderWithApi(<App initialTab="sync" />);
    const banner = await screen.findByTestId("state-banner");
    expect(banner.textContent).toContain("3 alterações recebidas do Bling aguardam");
    const resync = await screen.findByRole("button", { name: /Sincronizar produtos de novo/ });
    await waitFor(() => expect((resync as HTMLButtonElement).disabled).toBe(true));
  });
});
