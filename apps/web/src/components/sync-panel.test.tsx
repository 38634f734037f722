import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import type { progressSchema } from "../api/client.js";

/** Wire shape (defaults not yet applied). */
type Progress = z.input<typeof progressSchema>;

import { App } from "../app.js";
import { PageStateProvider } from "../page-state.js";
import { wireProgress } from "../test/progress.js";
import { renderWithApi } from "../test/render.js";
import { server, url } from "../test/server.js";
import { ReadinessPanel } from "./readiness-panel.js";
import { SyncPanel } from "./sync-panel.js";

// Wire shape as apps/api's healthView sends it.
const health = {
  tenantState: "active",
  paused: false,
  blingPausedUntil: null as string | null,
  lastSuccess: { products: "2025-03-10T14:00:00.000Z", customers: null },
  webhooks: {
    bling: { last24h: 40, lastReceivedAt: "2025-03-10T14:00:00.000Z", lastLagMs: 12_000, p95LagMs: 45_000 },
  },
  requests: { today: 1234, dailyLimit: 120000, lastSecond: 1 },
  token: { state: "valid", label: "Acesso ao Bling em dia." },
};

function progress(productsDone: number, running: boolean): Progress {
  return wireProgress({
    running,
    initialSyncDoneAt: running ? null : "2025-03-10T14:00:00.000Z",
    entities: [
      {
        entity: "payment_methods",
        status: "done",
        done: 20,
        total: 20,
        failed: 0,
        skipped: 0,
        etaSeconds: null,
      },
      {
        entity: "products",
        status: running ? "running" : "done",
        done: productsDone,
        total: 10000,
        failed: 3,
        skipped: 0,
        etaSeconds: running ? 750 : null,
      },
      running
        ? { entity: "stock", status: "queued", done: 0, total: null, failed: 0, skipped: 0, etaSeconds: null }
        : { entity: "stock", status: "done", done: 10000, total: 10000, failed: 0, skipped: 0 },
    ],
  });
}

describe("sync panel", () => {
  it("shows progress per entity with ETA and refreshes while the sync runs", async () => {
    let calls = 0;
    server.use(
      http.get(url("/api/settings/progress"), () => {
        calls++;
        return HttpResponse.json(calls === 1 ? progress(2500, true) : progress(5000, true));
      }),
      http.get(url("/api/settings/health"), () => HttpResponse.json(health)),
    );
    renderWithApi(<SyncPanel refreshKey={0} pollMs={100} />);

    const rows = await screen.findAllByTestId("progress-row");
    expect(rows.map((r) => r.dataset.entity)).toEqual(["payment_methods", "products", "stock"]);
    const products = within(rows[1] as HTMLElement);
    // Handled = synced + failed + skipped.
    expect(products.getByText(/2\.503 de 10\.000/)).toBeTruthy();
    expect(products.getByText(/3 com falha/)).toBeTruthy();
    expect(products.getByText(/tempo restante: cerca de 13 min/)).toBeTruthy();
    expect(products.getByText("Em andamento")).toBeTruthy();
    // A queued step: no bar, no "0 processados".
    const stock = rows[2] as HTMLElement;
    expect(within(stock).getByText("Na fila")).toBeTruthy();
    expect(stock.textContent).toContain("Aguardando as etapas anteriores");
    expect(stock.textContent).not.toContain("processados");
    expect(stock.querySelector("progress")).toBeNull();

    // The poll brings new numbers without a reload by the merchant.
    await waitFor(() => expect(screen.getByText(/5\.003 de 10\.000/)).toBeTruthy(), { timeout: 2000 });

    const h = screen.getByTestId("health");
    expect(h.textContent).toContain("1.234 consultas de 120.000 permitidas hoje");
    expect(h.textContent).not.toMatch(/token|webhook|p95/i);
    expect(screen.getByTestId("health-webhook").textContent).toContain(
      "Bling: 40 avisos · o último chegou em 12 s · 95% em até 45 s",
    );
    expect(h.textContent).toContain("Acesso ao Bling em dia.");
    expect(screen.getByTestId("health-state").dataset.paused).toBe("false");
    const lastSuccess = screen.getAllByTestId("health-entity");
    expect(lastSuccess.map((r) => r.dataset.entity)).toEqual(["products", "customers"]);
    expect(lastSuccess[1]?.textContent).toContain("ainda não");
  });

  it("does not poll fast when nothing runs; resync asks the API and reloads", async () => {
    let progressCalls = 0;
    const resyncs: string[] = [];
    server.use(
      http.get(url("/api/settings/progress"), () => {
        progressCalls++;
        return HttpResponse.json(progress(10000, false));
      }),
      http.get(url("/api/settings/health"), () =>
        HttpResponse.json({
          ...health,
          blingPausedUntil: "2025-03-11T03:00:00.000Z",
          requests: null,
          webhooks: {},
        }),
      ),
      http.post(url("/api/settings/resync/:entity"), ({ params }) => {
        resyncs.push(String(params.entity));
        return HttpResponse.json({ queued: 1 });
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<SyncPanel refreshKey={0} pollMs={100} idlePollMs={60_000} />);
    await screen.findAllByTestId("progress-row");
    await new Promise((r) => setTimeout(r, 400));
    expect(progressCalls).toBe(1);
    const state = screen.getByTestId("health-state");
    expect(state.dataset.paused).toBe("true");
    expect(state.textContent).toContain("Limite diário de requisições do Bling atingido; retoma em");
    expect(screen.getByTestId("health").textContent).toContain("sem dados");
    expect(screen.getByTestId("health").textContent).toContain("nenhum recebido");

    await user.click(screen.getByRole("button", { name: "Sincronizar produtos de novo" }));
    expect(await screen.findByText("Produtos: nova sincronização colocada na fila.")).toBeTruthy();
    expect(resyncs).toEqual(["products"]);
    expect(progressCalls).toBe(2);
  });

  it("shows Atenção with the reason while a setting cannot be applied", async () => {
    const reason =
      "Estoque não atualizado: o depósito 99999999999 escolhido em Configurações não existe no Bling.";
    server.use(
      http.get(url("/api/settings/progress"), () => HttpResponse.json(progress(10000, false))),
      http.get(url("/api/settings/health"), () =>
        HttpResponse.json({
          ...health,
          attention: [{ setting: "stock.depositIds", reason, since: "2025-03-10T12:00:00.000Z" }],
        }),
      ),
    );
    renderWithApi(<SyncPanel refreshKey={0} />);
    expect((await screen.findByTestId("health-attention")).textContent).toBe("Atenção");
    expect(screen.getByTestId("health-state").textContent).not.toContain("Ativa");
    expect(screen.getByTestId("health-attention-reasons").textContent).toBe(reason);
  });

  it("has an empty state before the first sync and an error state", async () => {
    server.use(
      http.get(url("/api/settings/progress"), () => HttpResponse.json({ running: false, entities: [] })),
      http.get(url("/api/settings/health"), () =>
        HttpResponse.json({ error: "internal", message: "Saúde indisponível." }, { status: 500 }),
      ),
    );
    renderWithApi(<SyncPanel refreshKey={0} />);
    expect(await screen.findByText(/ainda não começou/)).toBeTruthy();
    expect((await screen.findByRole("alert")).textContent).toContain("Saúde indisponível.");
  });
});

describe("sync panel right after connecting", () => {
  it("while the banner says the first sync is starting, the panel says so too (never 'ainda não começou')", async () => {
    server.use(
      http.get(url("/api/settings/progress"), () => HttpResponse.json({ running: false, entities: [] })),
      http.get(url("/api/settings/health"), () => HttpResponse.json(health)),
      http.get(url("/api/settings/state"), () =>
        HttpResponse.json({
          state: "first_sync",
          title: "Primeira sincronização",
          detail: "A primeira sincronização está em andamento; acompanhe em Sincronização.",
          waiting: 0,
          canSync: false,
          canPause: true,
          attention: [],
        }),
      ),
    );
    renderWithApi(
      <PageStateProvider refreshKey={0}>
        <SyncPanel refreshKey={0} />
      </PageStateProvider>,
    );
    expect(await screen.findByText(/A primeira sincronização está começando/)).toBeTruthy();
    expect(screen.queryByText(/ainda não começou/)).toBeNull();
  });
});

describe("sync panel: progress from the budget", () => {
  it("shows whole-sync progress, estimated totals, prices with products and both finish times", async () => {
    const body: Progress = wireProgress({
      running: true,
      etaSeconds: 118,
      overall: { processed: 96, total: 341 },
      initialSyncDoneAt: "2025-03-10T14:00:00.000Z",
      lastResyncDoneAt: null,
      entities: [
        {
          entity: "products",
          status: "running",
          done: 90,
          total: 120,
          failed: 0,
          skipped: 0,
          etaSeconds: 16,
        },
        {
          entity: "prices",
          status: "done",
          done: 0,
          total: null,
          failed: 0,
          skipped: 0,
          withProducts: true,
        },
        {
          entity: "customers",
          status: "running",
          done: 6,
          total: 80,
          totalEstimated: true,
          failed: 0,
          skipped: 1,
          etaSeconds: 40,
        },
      ],
    });
    server.use(
      http.get(url("/api/settings/progress"), () => HttpResponse.json(body)),
      http.get(url("/api/settings/health"), () => HttpResponse.json(health)),
    );
    renderWithApi(<SyncPanel refreshKey={0} />);
    const rows = await screen.findAllByTestId("progress-row");
    expect(screen.getByTestId("progress-summary").textContent).toContain(
      "Tempo restante total: cerca de 2 min",
    );
    expect(screen.getByTestId("progress-summary").textContent).toContain(
      "A sincronização inicial foi concluída em",
    );
    const overall = screen.getByTestId("progress-overall");
    expect(overall.textContent).toContain("No total: 96 de 341 registros");
    expect(overall.querySelector("progress")?.getAttribute("max")).toBe("341");
    const prices = rows[1] as HTMLElement;
    expect(prices.textContent).toContain("Os preços vão junto com cada produto");
    expect(prices.textContent).not.toMatch(/0 de 0|Concluído/);
    expect(prices.querySelector("progress")).toBeNull();
    expect(within(prices).queryByRole("button")).toBeNull();
    const customers = rows[2] as HTMLElement;
    expect(customers.textContent).toContain("7 de cerca de 80");
    expect(customers.textContent).toContain("1 ignorado");
    expect(customers.textContent).not.toContain("ignorados");
  });

  it("keeps the first sync's finish apart from the latest resync", async () => {
    server.use(
      http.get(url("/api/settings/progress"), () =>
        HttpResponse.json({
          ...progress(10000, false),
          initialSyncDoneAt: "2025-03-10T14:00:00.000Z",
          lastResyncDoneAt: "2025-03-12T09:30:00.000Z",
        }),
      ),
      http.get(url("/api/settings/health"), () => HttpResponse.json(health)),
    );
    renderWithApi(<SyncPanel refreshKey={0} />);
    const summary = await screen.findByTestId("progress-summary");
    expect(summary.textContent).toMatch(/Sincronização inicial concluída em 10\/03\/2025/);
    expect(summary.textContent).toMatch(/Última ressincronização concluída em 12\/03\/2025/);
  });
});

describe("sync panel: one outcome per run", () => {
  const T0 = "2025-03-10T14:00:00.000Z";
  const stopped = {
    reason: "O Zydon respondeu com erro (HTTP 500) em 8 tentativas seguidas.",
    nextStep: "Clique em “Tentar de novo”: a sincronização continua de onde parou.",
  };

  function serve(body: Progress) {
    const calls = { retries: [] as string[] };
    server.use(
      http.get(url("/api/settings/progress"), () => HttpResponse.json(body)),
      http.get(url("/api/settings/health"), () => HttpResponse.json(health)),
      http.post(url("/api/settings/resync/:entity/retry"), ({ params }) => {
        calls.retries.push(String(params.entity));
        return HttpResponse.json({ status: "enqueued" }, { status: 202 });
      }),
    );
    return calls;
  }

  const rowOf = (entity: string) =>
    screen.getAllByTestId("progress-row").find((r) => r.dataset.entity === entity) as HTMLElement;
  const badgeOf = (row: HTMLElement) => row.querySelector(".zb-badge")?.textContent;

  it("a clean step, one with skips and one with failures: each badge agrees with its sentence", async () => {
    serve(
      wireProgress({
        running: false,
        initialSyncDoneAt: T0,
        entities: [
          { entity: "payment_methods", status: "done", done: 6, total: 6, startedAt: T0 },
          { entity: "products", status: "done", done: 106, total: 115, skipped: 9, startedAt: T0 },
          { entity: "customers", status: "done", done: 62, total: 65, failed: 2, skipped: 1, startedAt: T0 },
        ],
      }),
    );
    renderWithApi(<SyncPanel refreshKey={0} />);
    await screen.findAllByTestId("progress-row");

    const overall = screen.getByTestId("progress-outcome");
    expect(overall.dataset.kind).toBe("partial");
    expect(overall.textContent).toContain("Com falhas");
    expect(overall.textContent).toContain("Concluída com 2 falhas e 10 itens ignorados.");

    const pm = rowOf("payment_methods");
    expect(badgeOf(pm)).toBe("Concluída");
    expect(within(pm).getByTestId("outcome-sentence").textContent).toBe("Concluída sem falhas.");

    const products = rowOf("products");
    expect(badgeOf(products)).toBe("Concluída com avisos");
    expect(within(products).getByTestId("outcome-sentence").textContent).toBe(
      "Concluída com 9 itens ignorados.",
    );
    // Rendered alone there is no Histórico to open: no dead link.
    expect(within(products).queryByTestId("outcome-review")).toBeNull();

    const customers = rowOf("customers");
    expect(badgeOf(customers)).toBe("Com falhas");
    expect(within(customers).getByTestId("outcome-sentence").textContent).toBe(
      "Concluída com 2 falhas e 1 item ignorado.",
    );
    expect(within(customers).getByTestId("outcome-next-step").textContent).toContain("Histórico");
    // The counts are said once, in the sentence: no "· 2 com falha" beside it.
    expect(customers.querySelector(".zb-progress-numbers")?.textContent).toBe("65 de 65");
    expect(within(customers).getByRole("button", { name: "Sincronizar clientes de novo" })).toBeTruthy();

    for (const row of screen.getAllByTestId("progress-row")) {
      if (/\d falhas?\b/.test(row.textContent ?? "")) expect(badgeOf(row)).not.toMatch(/^Concluída/);
    }
  });

  it("a stopped first sync: the pass and the step say why and what to do; 'Tentar de novo' continues it", async () => {
    const calls = serve(
      wireProgress({
        running: false,
        entities: [
          { entity: "payment_methods", status: "done", done: 6, total: 6, startedAt: T0 },
          {
            entity: "products",
            status: "failed",
            done: 40,
            total: 115,
            failed: 1,
            startedAt: T0,
            failure: stopped,
          },
          { entity: "stock", status: "cancelled", done: 0, total: null },
        ],
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<SyncPanel refreshKey={0} />);
    await screen.findAllByTestId("progress-row");

    const overall = screen.getByTestId("progress-outcome");
    expect(overall.dataset.kind).toBe("failed");
    expect(within(overall).getByTestId("outcome-sentence").textContent).toBe(
      "A sincronização parou na etapa Produtos; até então, 1 falha.",
    );
    expect(within(overall).getByTestId("outcome-reason").textContent).toBe(stopped.reason);
    expect(within(overall).getByTestId("outcome-next-step").textContent).toBe(stopped.nextStep);
    expect(screen.getByTestId("progress-summary").textContent).not.toMatch(/concluída|Nenhuma/);
    expect(document.body.textContent).not.toMatch(/desconhecido/i);

    const products = rowOf("products");
    expect(badgeOf(products)).toBe("Falhou");
    expect(within(products).getByTestId("outcome-reason").textContent).toBe(stopped.reason);
    const stock = rowOf("stock");
    expect(badgeOf(stock)).toBe("Não iniciada");
    expect(stock.textContent).toContain("Não começou porque a etapa Produtos parou antes.");
    expect(within(stock).queryByRole("button")).toBeNull();
    // During the first sync a done step offers no fresh pass (it would replace the first sync's checkpoint).
    expect(within(rowOf("payment_methods")).queryByRole("button")).toBeNull();

    await user.click(within(products).getByRole("button", { name: "Tentar de novo: Produtos" }));
    expect(calls.retries).toEqual(["products"]);
    expect(await screen.findByText("Produtos: a sincronização continua de onde parou.")).toBeTruthy();
  });

  it("'ver quais' opens Histórico filtered to exactly those records: that type, Ignorado, since the run began", async () => {
    serve(
      wireProgress({
        running: false,
        initialSyncDoneAt: T0,
        entities: [
          { entity: "payment_methods", status: "done", done: 6, total: 6, startedAt: T0 },
          { entity: "products", status: "done", done: 106, total: 115, skipped: 9, startedAt: T0 },
        ],
      }),
    );
    const ledgerQueries: URLSearchParams[] = [];
    server.use(
      http.get(url("/api/settings/ledger"), ({ request }) => {
        const q = new URL(request.url).searchParams;
        ledgerQueries.push(q);
        const skipped = q.get("outcome") === "skipped";
        return HttpResponse.json({
          items: skipped
            ? [
                {
                  id: 7,
                  entity: "product",
                  entityKey: "bling:9001",
                  action: "import",
                  outcome: "skipped",
                  reason: "Produto sem código (SKU) no Bling.",
                  attempts: 1,
                  updatedAt: "2025-03-10T14:02:00.000Z",
                  retryable: false,
                },
              ]
            : [],
          total: skipped ? 1 : 0,
          page: 0,
          pageSize: 20,
        });
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<App initialTab="sync" />);
    const overall = await screen.findByTestId("progress-outcome");
    expect(overall.textContent).toContain("Concluída com 9 itens ignorados.");
    await user.click(
      within(overall).getByRole("button", { name: "ver quais: 9 itens ignorados no Histórico" }),
    );

    expect(screen.getByTestId("tab-ledger").getAttribute("aria-selected")).toBe("true");
    const rows = await screen.findAllByTestId("ledger-row");
    expect(rows.map((r) => r.dataset.outcome)).toEqual(["skipped"]);
    expect(rows[0]?.textContent).toContain("Produto sem código (SKU) no Bling.");
    expect((screen.getByLabelText("Tipo") as HTMLSelectElement).value).toBe("product");
    expect((screen.getByLabelText("Resultado") as HTMLSelectElement).value).toBe("skipped");
    expect(screen.getByTestId("ledger-since").textContent).toContain("10/03/2025");
    const q = ledgerQueries.at(-1);
    expect(Object.fromEntries(q ?? [])).toMatchObject({
      entity: "product",
      outcome: "skipped",
      onlyOpen: "true",
      since: T0,
    });

    // The run's window can be dropped; the other filters stay.
    await user.click(screen.getByRole("button", { name: "Ver de qualquer data" }));
    await waitFor(() => expect(ledgerQueries.at(-1)?.has("since")).toBe(false));
    expect(ledgerQueries.at(-1)?.get("entity")).toBe("product");
    // Histórico opened by its own tab later: unfiltered.
    await user.click(screen.getByTestId("tab-sync"));
    await user.click(screen.getByTestId("tab-ledger"));
    await waitFor(() => expect(ledgerQueries.at(-1)?.has("outcome")).toBe(false));
    expect((screen.getByLabelText("Tipo") as HTMLSelectElement).value).toBe("");
  });
});

describe("readiness panel", () => {
  it("lists each problem with count, examples and what to do, blockers first", async () => {
    server.use(
      http.get(url("/api/settings/readiness"), () =>
        HttpResponse.json({
          generatedAt: "2025-03-10T14:00:00.000Z",
          sampled: false,
          counts: { products: 10 },
          problems: [
            {
              code: "missing_statuses",
              severity: "warning",
              title:
                "3 situação(ões) do Bling sem status de mesmo nome no Zydon: Em separação, Faturado, Enviado",
              count: 3,
              examples: ["Em separação", "Faturado", "Enviado"],
              action: "Crie no Zydon status com nomes idênticos aos do Bling.",
            },
            {
              code: "unknown_deposits",
              severity: "blocker",
              title: "1 depósito(s) escolhido(s) não existem no Bling",
              count: 1,
              examples: ["999"],
              action: "Revise a escolha de depósitos em Configurações.",
            },
          ],
        }),
      ),
    );
    renderWithApi(<ReadinessPanel refreshKey={0} />);
    const problems = await screen.findAllByTestId("readiness-problem");
    expect(problems.map((p) => p.dataset.code)).toEqual(["unknown_deposits", "missing_statuses"]);
    const statuses = problems[1] as HTMLElement;
    expect(statuses.textContent).toContain("sem status de mesmo nome no Zydon: Em separação");
    expect(statuses.textContent).toContain("(3)");
    expect(statuses.textContent).toContain("Exemplos: Em separação, Faturado, Enviado");
    expect(statuses.textContent).toContain("O que fazer: Crie no Zydon status");
    expect(problems[0]?.textContent).toContain("Impede a sincronização");
  });

  it("says the report is not there yet when the API has none (404)", async () => {
    server.use(
      http.get(url("/api/settings/readiness"), () =>
        HttpResponse.json(
          { error: "readiness_not_available", message: "O relatório de prontidão ainda não foi gerado." },
          { status: 404 },
        ),
      ),
    );
    renderWithApi(<ReadinessPanel refreshKey={0} />);
    expect(await screen.findByText(/ainda não foi gerado/)).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("says so when there is nothing to fix", async () => {
    server.use(
      http.get(url("/api/settings/readiness"), () =>
        HttpResponse.json({ generatedAt: null, problems: [], sampled: true }),
      ),
    );
    renderWithApi(<ReadinessPanel refreshKey={0} />);
    expect(await screen.findByText(/Nenhum problema encontrado/)).toBeTruthy();
    expect(screen.getByText(/Catálogo grande/)).toBeTruthy();
  });

  it("'Atualizar' asks the API to recompute and shows the new report once it is there", async () => {
    let generation = 1;
    const posts: string[] = [];
    const reportOf = (n: number) => ({
      generatedAt: `2025-03-10T14:0${n}:00.000Z`,
      sampled: false,
      problems:
        n === 1
          ? [
              {
                code: "default_deposit",
                severity: "info",
                title: "Estoque virá do depósito padrão do Bling (Geral)",
                count: 1,
                examples: [],
                action: "Para somar outros depósitos, escolha-os em Configurações.",
              },
            ]
          : [
              {
                code: "chosen_deposits",
                severity: "info",
                title: "Estoque virá da soma dos depósitos Geral e Loja Centro",
                count: 1,
                examples: [],
                action: "Para mudar, escolha outros depósitos em Configurações.",
              },
            ],
    });
    let reads = 0;
    server.use(
      http.get(url("/api/settings/readiness"), () => {
        reads++;
        // The engine finishes after a couple of reads.
        if (posts.length > 0 && reads > 3) generation = 2;
        return HttpResponse.json(reportOf(generation));
      }),
      http.post(url("/api/settings/readiness/refresh"), () => {
        posts.push("refresh");
        return HttpResponse.json({ status: "enqueued" }, { status: 202 });
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<ReadinessPanel refreshKey={0} pollMs={60_000} checkPollMs={20} />);
    expect(await screen.findByText(/depósito padrão do Bling \(Geral\)/)).toBeTruthy();
    await user.click(screen.getByTestId("readiness-refresh"));
    expect(posts).toEqual(["refresh"]);
    expect(await screen.findByText("Estoque virá da soma dos depósitos Geral e Loja Centro")).toBeTruthy();
    expect(screen.queryByText(/depósito padrão/)).toBeNull();
    expect(await screen.findByText("Prontidão verificada agora.")).toBeTruthy();
    expect(screen.getByTestId("readiness-refresh").textContent).toBe("Atualizar");
  });
});
