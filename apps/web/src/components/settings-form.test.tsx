import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { beforeEach, describe, expect, it } from "vitest";
import type { Settings } from "../api/client.js";
import { renderWithApi } from "../test/render.js";
import { server, url } from "../test/server.js";
import { SettingsPanel } from "./settings-form.js";

const stored: Settings = {
  stock: { depositIds: [], balance: "virtual" },
  price: { source: "base", jumpGuardPercent: 50 },
  orders: { trigger: "all" },
  nfe: { enabled: false },
  ownership: {
    content: "bling",
    images: "bling",
    dimensions: "bling",
    price: "bling",
    stock: "bling",
    active: "bling",
    taxonomy: "bling",
  },
  paused: false,
};

// Wire shape as apps/api's optionsView sends it (Bling stores have no list yet: free text).
const options = {
  bling: {
    deposits: [
      { id: "14886873196", name: "Geral", isDefault: true, active: true },
      { id: "14886873197", name: "Loja física", isDefault: false, active: true },
      { id: "14886873198", name: "Antigo", isDefault: false, active: false },
    ],
  },
  zydon: {
    statuses: [
      { id: "st-aprovado", name: "Aprovado" },
      { id: "st-faturar", name: "Faturar" },
    ],
    priceTables: [{ id: "pt-1", name: "Atacado" }],
    warehouses: [],
  },
  unavailable: {},
};

let puts: unknown[];

function mockSettings(opts: { withOptions: boolean }) {
  server.use(
    http.get(url("/api/settings"), () => HttpResponse.json(stored)),
    http.get(url("/api/settings/options"), () =>
      opts.withOptions
        ? HttpResponse.json(options)
        : HttpResponse.json({ error: "not_found", message: "Rota não encontrada." }, { status: 404 }),
    ),
    http.put(url("/api/settings"), async ({ request }) => {
      const body = await request.json();
      puts.push(body);
      return HttpResponse.json(body);
    }),
  );
}

/** The field's visible error is the element its aria-describedby points at. */
function errorOf(field: HTMLElement): string {
  const ids = (field.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean);
  return ids
    .map((id) => document.getElementById(id))
    .filter((el) => el?.classList.contains("zb-field-error"))
    .map((el) => el?.textContent ?? "")
    .join(" ");
}

beforeEach(() => {
  puts = [];
});

describe("settings form", () => {
  it("saves the whole settings object and confirms", async () => {
    mockSettings({ withOptions: true });
    const user = userEvent.setup();
    renderWithApi(<SettingsPanel refreshKey={0} />);

    await user.click(await screen.findByLabelText("Saldo físico"));
    await user.click(screen.getByLabelText("Loja física"));
    await user.click(screen.getByLabelText("Preço de uma loja do Bling (multiloja)"));
    expect(screen.queryByLabelText("Antigo")).toBeNull();
    await user.type(screen.getByLabelText(/Loja do Bling/), "204000111");
    await user.click(screen.getByLabelText(/Emitir a NF-e/));
    await user.selectOptions(screen.getByLabelText(/pedido aprovado/), "st-aprovado");
    // Field ownership: the merchant keeps names, descriptions and images in Zydon.
    await user.selectOptions(screen.getByLabelText("Nome e descrições"), "zydon");
    await user.selectOptions(screen.getByLabelText("Imagens"), "zydon");
    // …and curates categories and brands there.
    await user.selectOptions(screen.getByLabelText("Categoria e marca"), "zydon");
    await user.click(screen.getByTestId("settings-save"));

    expect(await screen.findByText("Configurações salvas.")).toBeTruthy();
    expect(puts).toEqual([
      {
        stock: { depositIds: ["14886873197"], balance: "physical" },
        price: { source: "store", blingStoreId: "204000111", jumpGuardPercent: 50 },
        orders: { trigger: "all" },
        nfe: { enabled: true, approvedZydonStatusId: "st-aprovado" },
        ownership: { ...stored.ownership, content: "zydon", images: "zydon", taxonomy: "zydon" },
        paused: false,
      },
    ]);
  });

  it("sets the price-jump guard's percentage, refuses a bad one before sending, and switches it off", async () => {
    mockSettings({ withOptions: true });
    const user = userEvent.setup();
    renderWithApi(<SettingsPanel refreshKey={0} />);

    const pct = await screen.findByLabelText(/Reter quando o preço mudar mais de/);
    expect((pct as HTMLInputElement).value).toBe("50");
    await user.clear(pct);
    await user.type(pct, "2");
    await user.click(screen.getByTestId("settings-save"));
    expect(errorOf(pct)).toContain("entre 5% e 1000%");
    expect(puts).toEqual([]);

    await user.clear(pct);
    await user.type(pct, "30");
    await user.click(screen.getByTestId("settings-save"));
    expect(await screen.findByText("Configurações salvas.")).toBeTruthy();
    expect((puts[0] as Settings).price).toEqual({ source: "base", jumpGuardPercent: 30 });

    await user.click(screen.getByLabelText(/Reter mudanças grandes de preço/));
    expect(screen.queryByLabelText(/Reter quando o preço mudar mais de/)).toBeNull();
    await user.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(puts).toHaveLength(2));
    expect((puts[1] as Settings).price).toEqual({ source: "base", jumpGuardPercent: null });
  });

  it("shows the API's validation errors next to the fields, and nothing is reported saved", async () => {
    mockSettings({ withOptions: false });
    server.use(
      http.put(url("/api/settings"), async ({ request }) => {
        puts.push(await request.json());
        return HttpResponse.json(
          {
            errors: {
              "price.blingStoreId": "Loja 999 não existe no Bling.",
              "stock.depositIds.0": "Depósito 1 não existe no Bling.",
              "misc.unknown": "Outro problema.",
            },
          },
          { status: 400 },
        );
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<SettingsPanel refreshKey={0} />);

    // Without /options the selects become free-text inputs, with a note saying so.
    expect(await screen.findByTestId("options-fallback")).toBeTruthy();
    await user.type(screen.getByLabelText(/Depósitos do Bling/), "1");
    await user.click(screen.getByLabelText("Preço de uma loja do Bling (multiloja)"));
    await user.type(screen.getByLabelText(/Loja do Bling/), "999");
    await user.click(screen.getByTestId("settings-save"));

    const store = screen.getByLabelText(/Loja do Bling/);
    await waitFor(() => expect(errorOf(store)).toBe("Loja 999 não existe no Bling."));
    expect(store.getAttribute("aria-invalid")).toBe("true");
    expect(errorOf(screen.getByLabelText(/Depósitos do Bling/))).toBe("Depósito 1 não existe no Bling.");
    expect(screen.getByTestId("settings-other-errors").textContent).toContain("Outro problema.");
    expect(screen.getByRole("alert").textContent).toContain("Nada foi salvo");
    expect(screen.queryByText("Configurações salvas.")).toBeNull();
    expect(puts).toHaveLength(1);
    // The merchant's input stays in place to be corrected.
    expect((store as HTMLInputElement).value).toBe("999");
  });

  it("refuses malformed depósito and loja ids before sending, keeping what was typed", async () => {
    mockSettings({ withOptions: false });
    const user = userEvent.setup();
    renderWithApi(<SettingsPanel refreshKey={0} />);

    const deposits = await screen.findByLabelText(/Depósitos do Bling/);
    await user.type(deposits, "abc, -1");
    await user.click(screen.getByLabelText("Preço de uma loja do Bling (multiloja)"));
    const store = screen.getByLabelText(/Loja do Bling/);
    await user.type(store, "-5");
    await user.click(screen.getByTestId("settings-save"));

    expect(errorOf(deposits)).toBe(
      'Depósito "abc" inválido: use o número do depósito no Bling (só algarismos, como 14886873).',
    );
    expect(errorOf(store)).toBe(
      'Loja "-5" inválida: use o número da loja no Bling (só algarismos, como 203950523).',
    );
    expect(puts).toHaveLength(0);
    expect((deposits as HTMLInputElement).value).toBe("abc, -1");
    expect((store as HTMLInputElement).value).toBe("-5");

    await user.clear(deposits);
    await user.type(deposits, "12;34");
    await user.clear(store);
    await user.type(store, "99999999");
    await user.click(screen.getByTestId("settings-save"));
    expect(errorOf(deposits)).toContain('Depósito "12;34" inválido');
    expect(errorOf(store)).toBe("");
    expect(puts).toHaveLength(0);
  });

  it("sends nothing when a conditionally required field is empty", async () => {
    mockSettings({ withOptions: true });
    const user = userEvent.setup();
    renderWithApi(<SettingsPanel refreshKey={0} />);

    await user.click(await screen.findByLabelText("Somente quando o pedido chega a um status"));
    await user.click(screen.getByLabelText(/Emitir a NF-e/));
    await user.click(screen.getByTestId("settings-save"));

    const orderStatus = screen.getByLabelText(/libera o envio/);
    expect(errorOf(orderStatus)).toBe("Escolha o status a partir do qual o pedido é enviado.");
    expect(errorOf(screen.getByLabelText(/pedido aprovado/))).toBe(
      "Escolha o status do Zydon que indica pedido aprovado para emitir a NF-e.",
    );
    await waitFor(() => expect(document.activeElement).toBe(orderStatus));
    expect(puts).toHaveLength(0);

    // Fixing the fields lets the save through.
    await user.selectOptions(orderStatus, "st-faturar");
    await user.selectOptions(screen.getByLabelText(/pedido aprovado/), "st-aprovado");
    await user.click(screen.getByTestId("settings-save"));
    await screen.findByText("Configurações salvas.");
    expect(puts).toHaveLength(1);
    expect(errorOf(orderStatus)).toBe("");
  });

  it("uses the lists one side offers and explains the side that is missing", async () => {
    server.use(
      http.get(url("/api/settings"), () => HttpResponse.json(stored)),
      http.get(url("/api/settings/options"), () =>
        HttpResponse.json({
          bling: null,
          zydon: options.zydon,
          unavailable: { bling: "Conecte o Bling para ver os depósitos." },
        }),
      ),
    );
    const user = userEvent.setup();
    renderWithApi(<SettingsPanel refreshKey={0} />);
    expect((await screen.findByTestId("options-fallback")).textContent).toContain(
      "Conecte o Bling para ver os depósitos.",
    );
    // Deposits: free text; Zydon statuses: a select with the Zydon list.
    expect(screen.getByLabelText(/Depósitos do Bling/).tagName).toBe("INPUT");
    await user.click(screen.getByLabelText("Somente quando o pedido chega a um status"));
    const status = screen.getByLabelText(/libera o envio/);
    expect(status.tagName).toBe("SELECT");
    expect([...(status as HTMLSelectElement).options].map((o) => o.textContent)).toEqual([
      "Selecione…",
      "Aprovado",
      "Faturar",
    ]);
  });

  it("pauses and resumes through the API and keeps the state for the next save", async () => {
    mockSettings({ withOptions: true });
    const calls: string[] = [];
    server.use(
      http.post(url("/api/settings/pause"), () => {
        calls.push("pause");
        return HttpResponse.json({ paused: true });
      }),
      http.post(url("/api/settings/resume"), () => {
        calls.push("resume");
        return HttpResponse.json({ paused: false });
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<SettingsPanel refreshKey={0} />);

    await user.click(await screen.findByRole("button", { name: "Pausar sincronização" }));
    await screen.findByText(/Sincronização pausada/);
    expect(screen.getByTestId("pause-state").dataset.paused).toBe("true");
    await user.click(screen.getByTestId("settings-save"));
    await screen.findByText("Configurações salvas.");
    expect((puts[0] as Settings).paused).toBe(true);

    await user.click(screen.getByRole("button", { name: "Retomar sincronização" }));
    await screen.findByText(
      /Sincronização retomada: o que mudou no Bling durante a pausa está sendo aplicado/,
    );
    expect(calls).toEqual(["pause", "resume"]);
  });

  it("shows an error with a retry when settings cannot be loaded", async () => {
    let fail = true;
    server.use(
      http.get(url("/api/settings"), () =>
        fail
          ? HttpResponse.json(
              { error: "internal", message: "Serviço indisponível no momento." },
              { status: 503 },
            )
          : HttpResponse.json(stored),
      ),
      http.get(url("/api/settings/options"), () => HttpResponse.json(options)),
    );
    const user = userEvent.setup();
    renderWithApi(<SettingsPanel refreshKey={0} />);
    expect((await screen.findByRole("alert")).textContent).toContain("Serviço indisponível no momento.");
    fail = false;
    await user.click(screen.getByRole("button", { name: "Tentar de novo" }));
    expect(await screen.findByTestId("settings-save")).toBeTruthy();
  });
});
