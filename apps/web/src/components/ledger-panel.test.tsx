import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { renderWithApi } from "../test/render.js";
import { appToken, server, url } from "../test/server.js";
import { LedgerPanel } from "./ledger-panel.js";

const items = [
  {
    id: 41,
    entity: "order",
    entityKey: "PED-1001",
    action: "export",
    outcome: "failed",
    reason: "O Bling recusou o pedido: cliente sem CPF/CNPJ.",
    attempts: 3,
    updatedAt: "2025-03-10T14:05:00.000Z",
    retryable: true,
  },
  {
    id: 42,
    entity: "product",
    entityKey: "SKU-77",
    action: "import",
    outcome: "skipped",
    reason: "Produto sem código (SKU) no Bling.",
    attempts: 1,
    updatedAt: "2025-03-10T14:00:00.000Z",
    retryable: false,
  },
  {
    id: 43,
    entity: "stock",
    entityKey: "SKU-78",
    action: "update",
    outcome: "synced",
    reason: null,
    attempts: 1,
    updatedAt: "2025-03-10T13:59:00.000Z",
    retryable: false,
  },
  {
    id: 44,
    entity: "customer",
    entityKey: "12.345.678/0001-95",
    action: "import",
    outcome: "failed",
    reason: "Zydon fora do ar.",
    attempts: 2,
    updatedAt: "2025-03-10T13:58:00.000Z",
    resolvedAt: "2025-03-10T14:10:00.000Z",
    retryable: true,
  },
];

let requests: URL[];
let authHeaders: (string | null)[];

function mockLedger(body: (u: URL) => unknown, status = 200) {
  server.use(
    http.get(url("/api/settings/ledger"), ({ request }) => {
      const u = new URL(request.url);
      requests.push(u);
      authHeaders.push(request.headers.get("authorization"));
      return HttpResponse.json(body(u) as Record<string, unknown>, { status });
    }),
  );
}

const page = (u: URL) => ({
  items,
  total: 45,
  page: Number(u.searchParams.get("page")),
  pageSize: Number(u.searchParams.get("pageSize")),
});

beforeEach(() => {
  requests = [];
  authHeaders = [];
});

describe("ledger", () => {
  it("lists rows with pt-BR labels and the reason", async () => {
    mockLedger(page);
    renderWithApi(<LedgerPanel refreshKey={0} />);
    const rows = await screen.findAllByTestId("ledger-row");
    expect(rows).toHaveLength(4);
    const first = within(rows[0] as HTMLElement);
    expect(first.getByText("PED-1001")).toBeTruthy();
    expect(first.getByText("Falhou")).toBeTruthy();
    expect(first.getByText("O Bling recusou o pedido: cliente sem CPF/CNPJ.")).toBeTruthy();
    expect(first.getByText(/3 tentativas/)).toBeTruthy();
    // Only open, retryable failures get a retry button (a later success resolved row 44).
    expect(screen.getAllByRole("button", { name: /^Tentar novamente:/ })).toHaveLength(1);
    // A failure a later success closed reads "Resolvido", not "Falhou · resolvido em".
    const closed = rows[3] as HTMLElement;
    expect(closed.dataset.outcome).toBe("resolved");
    expect(within(closed).getByText("Resolvido")).toBeTruthy();
    expect(closed.textContent).toContain("antes falhou, sincronizado em");
    expect(closed.textContent).not.toContain("Falhou");
    expect(screen.getByText("Página 1 de 3 · 45 registros")).toBeTruthy();
    expect(authHeaders[0]).toBe(`Bearer ${appToken}`);
  });

  it("builds the query from the filters, the search and the page", async () => {
    mockLedger(page);
    const user = userEvent.setup();
    renderWithApi(<LedgerPanel refreshKey={0} pageSize={15} />);
    await screen.findAllByTestId("ledger-row");
    // The API pages from 0; the merchant sees "Página 1".
    expect(Object.fromEntries(requests.at(-1)?.searchParams ?? [])).toEqual({ page: "0", pageSize: "15" });

    await user.click(screen.getByRole("button", { name: "Próxima" }));
    await waitFor(() => expect(requests.at(-1)?.searchParams.get("page")).toBe("1"));
    expect(await screen.findByText(/^Página 2 de 3/)).toBeTruthy();

    // A new filter goes back to page 1.
    await user.selectOptions(screen.getByLabelText("Tipo"), "order");
    await waitFor(() =>
      expect(Object.fromEntries(requests.at(-1)?.searchParams ?? [])).toEqual({
        entity: "order",
        page: "0",
        pageSize: "15",
      }),
    );
    await user.selectOptions(screen.getByLabelText("Resultado"), "failed");
    await user.type(screen.getByLabelText("Buscar"), "  PED-1001 ");
    const before = requests.length;
    await user.click(screen.getByRole("button", { name: "Buscar" }));
    await waitFor(() => expect(requests.length).toBeGreaterThan(before));
    expect(Object.fromEntries(requests.at(-1)?.searchParams ?? [])).toEqual({
      entity: "order",
      outcome: "failed",
      onlyOpen: "true",
      search: "PED-1001",
      page: "0",
      pageSize: "15",
    });
    // "Resolvido" asks for closed failures and skips, whatever their outcome.
    await user.selectOptions(screen.getByLabelText("Resultado"), "resolved");
    await waitFor(() => expect(requests.at(-1)?.searchParams.get("resolved")).toBe("true"));
    expect(requests.at(-1)?.searchParams.get("outcome")).toBeNull();
  });

  it("retries one row and all failures through the API, then reloads", async () => {
    mockLedger(page);
    const posts: string[] = [];
    server.use(
      http.post(url("/api/settings/ledger/:id/retry"), ({ params }) => {
        posts.push(`retry:${String(params.id)}`);
        return HttpResponse.json({ status: "enqueued" }, { status: 202 });
      }),
      http.post(url("/api/settings/ledger/retry-failed"), () => {
        posts.push("retry-failed");
        return HttpResponse.json({ enqueued: 7 });
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<LedgerPanel refreshKey={0} />);

    await user.click(await screen.findByRole("button", { name: "Tentar novamente: PED-1001" }));
    expect(await screen.findByText("Nova tentativa de PED-1001 colocada na fila.")).toBeTruthy();
    await waitFor(() => expect(requests).toHaveLength(2));

    await user.click(screen.getByTestId("ledger-retry-failed"));
    expect(await screen.findByText("7 falhas colocadas na fila para nova tentativa.")).toBeTruthy();
    expect(posts).toEqual(["retry:41", "retry-failed"]);
    await waitFor(() => expect(requests).toHaveLength(3));
  });

  it("Buscar again with the same text reads the ledger again (a row the merchant waits for shows up)", async () => {
    mockLedger(page);
    const user = userEvent.setup();
    renderWithApi(<LedgerPanel refreshKey={0} />);
    await screen.findAllByTestId("ledger-row");
    await user.type(screen.getByLabelText("Buscar"), "SKU-77");
    await user.click(screen.getByRole("button", { name: "Buscar" }));
    await waitFor(() => expect(requests.at(-1)?.searchParams.get("search")).toBe("SKU-77"));
    const reads = requests.length;
    await user.click(screen.getByRole("button", { name: "Buscar" }));
    await waitFor(() => expect(requests.length).toBe(reads + 1));
    expect(requests.at(-1)?.searchParams.get("search")).toBe("SKU-77");
  });

  it("offers Aplicar and Descartar on an open held price only, and posts the choice", async () => {
    const held = {
      id: 51,
      entity: "price",
      entityKey: "CAM-P",
      action: "jump",
      outcome: "skipped",
      reason: "Preço retido: +150% de uma vez, acima do limite de 50% (Configurações › Preço).",
      attempts: 1,
      updatedAt: "2025-03-10T14:20:00.000Z",
      retryable: false,
      item: "CAM-P",
      change: { from: "R$ 40,00", to: "R$ 100,00" },
    };
    const decided = {
      ...held,
      id: 52,
      entityKey: "CAM-M",
      item: "CAM-M",
      resolvedAt: "2025-03-10T14:30:00.000Z",
    };
    mockLedger((u) => ({
      items: [held, decided],
      total: 2,
      page: Number(u.searchParams.get("page")),
      pageSize: 20,
    }));
    const posts: unknown[] = [];
    server.use(
      http.post(url("/api/settings/ledger/:id/price-hold"), async ({ params, request }) => {
        posts.push({ id: String(params.id), body: await request.json() });
        return HttpResponse.json({ status: "enqueued" }, { status: 202 });
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<LedgerPanel refreshKey={0} />);

    const rows = await screen.findAllByTestId("ledger-row");
    expect(within(rows[0] as HTMLElement).getByTestId("ledger-change").textContent).toContain(
      "De R$ 40,00 para R$ 100,00",
    );
    expect(screen.getAllByTestId("price-hold-actions")).toHaveLength(1);
    expect(within(rows[0] as HTMLElement).getByText("Retido")).toBeTruthy();
    expect(within(rows[1] as HTMLElement).queryByRole("button", { name: /Aplicar/ })).toBeNull();

    await user.click(screen.getByRole("button", { name: "Aplicar o novo preço: CAM-P" }));
    expect(await screen.findByText(/Aplicando R\$ 100,00 em CAM-P/)).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Descartar o novo preço: CAM-P" }));
    expect(await screen.findByText(/Novo preço de CAM-P descartado/)).toBeTruthy();
    expect(posts).toEqual([
      { id: "51", body: { decision: "apply" } },
      { id: "51", body: { decision: "discard" } },
    ]);
  });

  it("shows the API's message when a retry is refused", async () => {
    mockLedger(page);
    server.use(
      http.post(url("/api/settings/ledger/:id/retry"), () =>
        HttpResponse.json(
          { error: "paused", message: "A integração está pausada. Retome para tentar novamente." },
          { status: 409 },
        ),
      ),
    );
    const user = userEvent.setup();
    renderWithApi(<LedgerPanel refreshKey={0} />);
    await user.click(await screen.findByRole("button", { name: "Tentar novamente: PED-1001" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "A integração está pausada. Retome para tentar novamente.",
    );
  });

  it("has distinct empty states with and without filters", async () => {
    mockLedger((u) => ({ items: [], total: 0, page: Number(u.searchParams.get("page")), pageSize: 20 }));
    const user = userEvent.setup();
    renderWithApi(<LedgerPanel refreshKey={0} />);
    expect(await screen.findByText("Nada foi sincronizado ainda.")).toBeTruthy();
    expect(screen.queryByTestId("ledger-table")).toBeNull();
    await user.selectOptions(screen.getByLabelText("Resultado"), "skipped");
    expect(await screen.findByText("Nenhum registro encontrado com esses filtros.")).toBeTruthy();
  });

  it("shows the error state and recovers on retry", async () => {
    let fail = true;
    server.use(
      http.get(url("/api/settings/ledger"), ({ request }) =>
        fail
          ? HttpResponse.json({ error: "db_down", message: "Histórico indisponível agora." }, { status: 500 })
          : HttpResponse.json(page(new URL(request.url))),
      ),
    );
    const user = userEvent.setup();
    renderWithApi(<LedgerPanel refreshKey={0} />);
    expect((await screen.findByRole("alert")).textContent).toContain("Histórico indisponível agora.");
    fail = false;
    await user.click(screen.getByRole("button", { name: "Tentar de novo" }));
    expect(await screen.findAllByTestId("ledger-row")).toHaveLength(4);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("reports a malformed response instead of rendering garbage", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    mockLedger(() => ({ items: [{ id: 1 }], total: 1 }));
    renderWithApi(<LedgerPanel refreshKey={0} />);
    expect((await screen.findByRole("alert")).textContent).toContain("formato inesperado");
    expect(logged).toHaveBeenCalled();
    logged.mockRestore();
  });

  it("shows the item as the merchant knows it, its name, old → new, and 'Preço' finds price changes", async () => {
    const shown = [
      {
        id: 51,
        entity: "price",
        entityKey: "CAN-1",
        item: "CAN-1",
        name: "Caneca azul",
        change: { from: "R$ 10,00", to: "R$ 12,50" },
        action: "update",
        outcome: "synced",
        reason: "Preço atualizado no Zydon.",
        attempts: 1,
        updatedAt: "2025-03-10T14:05:00.000Z",
        retryable: false,
      },
      {
        id: 52,
        entity: "customer",
        entityKey: "52998224725",
        item: "529.982.247-25",
        name: "Maria Souza",
        action: "import",
        outcome: "skipped",
        reason: "Cliente inativo no Bling.",
        attempts: 4,
        updatedAt: "2025-03-10T14:00:00.000Z",
        retryable: false,
      },
    ];
    mockLedger((u) => ({
      items: u.searchParams.get("entity") === "price" ? shown.slice(0, 1) : shown,
      total: 2,
      page: 0,
      pageSize: 20,
    }));
    const user = userEvent.setup();
    renderWithApi(<LedgerPanel refreshKey={0} />);
    const rows = await screen.findAllByTestId("ledger-row");
    expect(rows[0]?.textContent).toContain("CAN-1 Caneca azul");
    expect(within(rows[0] as HTMLElement).getByTestId("ledger-change").textContent).toBe(
      "De R$ 10,00 para R$ 12,50 · ",
    );
    expect(rows[0]?.textContent).toContain("Preço");
    expect(rows[1]?.textContent).toContain("529.982.247-25 Maria Souza");
    expect(rows[1]?.textContent).not.toContain("52998224725");
    expect(rows[1]?.textContent).toContain("4 vezes");
    await user.selectOptions(screen.getByLabelText("Tipo"), "price");
    await waitFor(() => expect(screen.getAllByTestId("ledger-row")).toHaveLength(1));
    expect(requests.at(-1)?.searchParams.get("entity")).toBe("price");
  });

  it("downloads the filtered rows as a CSV", async () => {
    mockLedger(page);
    const csvRequests: URL[] = [];
    server.use(
      http.get(url("/api/settings/ledger/export.csv"), ({ request }) => {
        csvRequests.push(new URL(request.url));
        return new HttpResponse("\uFEFFQuando;Tipo\r\n", {
          headers: { "content-type": "text/csv; charset=utf-8" },
        });
      }),
    );
    const created: Blob[] = [];
    const createObjectURL = vi.fn((b: Blob) => {
      created.push(b);
      return "blob:historico";
    });
    const revokeObjectURL = vi.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const clicks: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicks.push(this.download);
    });
    const user = userEvent.setup();
    renderWithApi(<LedgerPanel refreshKey={0} />);
    await screen.findAllByTestId("ledger-row");
    await user.selectOptions(screen.getByLabelText("Tipo"), "stock");
    await user.click(screen.getByTestId("ledger-export"));
    expect(await screen.findByText(/Planilha do histórico baixada/)).toBeTruthy();
    expect(Object.fromEntries(csvRequests[0]?.searchParams ?? [])).toEqual({ entity: "stock" });
    expect(await created[0]?.text()).toContain("Quando;Tipo");
    expect(clicks[0]).toMatch(/^historico-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(revokeObjectURL).toHaveBeenCalledWith("blob:historico");
    click.mockRestore();
  });
});
