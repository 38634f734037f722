import { fireEvent, screen, waitFor } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { mergeLastSuccess } from "./api/client.js";
import { App } from "./app.js";
import { SettingsPanel } from "./components/settings-form.js";
import { plural } from "./labels.js";
import { wireProgress } from "./test/progress.js";
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
        HttpResponse.json(
          wireProgress({
            running: false,
            initialSyncDoneAt: "2026-03-01T12:00:00.000Z",
            entities: [{ entity: "products", status: "done", done: 10, total: 10, failed: 0, skipped: 0 }],
          }),
        ),
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

describe("the effect of a settings change, before saving", () => {
  it("shows 'Isto muda o estoque de … produtos' and saves only after the merchant confirms", async () => {
    const stored = {
      stock: { depositIds: [], balance: "virtual" },
      price: { source: "base" },
      orders: { trigger: "all" },
      nfe: { enabled: false },
      paused: false,
    };
    const puts: unknown[] = [];
    const previews: unknown[] = [];
    server.use(
      http.get(url("/api/settings"), () => HttpResponse.json(stored)),
      http.get(url("/api/settings/options"), () =>
        HttpResponse.json({
          bling: { deposits: [{ id: "14886873196", name: "Geral", isDefault: true, active: true }] },
          zydon: { statuses: [], priceTables: [] },
          unavailable: {},
        }),
      ),
      http.post(url("/api/settings/preview"), async ({ request }) => {
        previews.push(await request.json());
        return HttpResponse.json({
          effects: [
            {
              kind: "stock",
              affected: 106,
              message: "Isto muda o estoque de 106 produtos e variações à venda no Zydon.",
            },
          ],
        });
      }),
      http.put(url("/api/settings"), async ({ request }) => {
        const body = await request.json();
        puts.push(body);
        return HttpResponse.json(body);
      }),
    );
    renderWithApi(<SettingsPanel refreshKey={0} />);
    fireEvent.click(await screen.findByLabelText("Saldo físico"));
    fireEvent.click(screen.getByTestId("settings-save"));
    const effects = await screen.findByTestId("settings-effects");
    expect(effects.textContent).toContain("Isto muda o estoque de 106 produtos");
    expect(previews).toHaveLength(1);
    expect(puts).toEqual([]);
    fireEvent.click(screen.getByTestId("settings-confirm"));
    await screen.findByText("Configurações salvas.");
    expect(puts).toMatchObject([{ stock: { balance: "physical" } }]);
    expect(previews).toHaveLength(1);
  });
});
