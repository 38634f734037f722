import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BlingClient, MAX_IDS_PER_BALANCE_REQUEST } from "./client.js";
import {
  BlingNetworkError,
  BlingNotFoundError,
  BlingRateLimitedError,
  BlingRequestError,
  BlingTokenError,
  BlingUnexpectedResponseError,
  BlingValidationError,
} from "./errors.js";
import type { BlingBudgetRequest, BlingClientOptions } from "./http.js";

const BASE = "http://bling.test/Api/v3";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function client(over: Partial<BlingClientOptions> = {}) {
  const budgetCalls: BlingBudgetRequest[] = [];
  const logs: Array<{ level: string; obj: object; msg?: string }> = [];
  const c = new BlingClient({
    baseUrl: `${BASE}/`,
    getAccessToken: async () => "access-secret-1",
    timeoutMs: 2000,
    budget: async (req) => {
      budgetCalls.push(req);
    },
    logger: {
      info: (obj, msg) => logs.push({ level: "info", obj, ...(msg ? { msg } : {}) }),
      warn: (obj, msg) => logs.push({ level: "warn", obj, ...(msg ? { msg } : {}) }),
    },
    ...over,
  });
  return { c, budgetCalls, logs };
}

const product = (id: number) => ({
  id,
  nome: `P${id}`,
  codigo: `SKU-${id}`,
  preco: 10,
  tipo: "P",
  situacao: "A",
  formato: "S",
});

describe("BlingClient requests", () => {
  it("sends Bearer auth, array params as key[], explicit criterio/filtroSaldoEstoque, and calls the budget first", async () => {
    let seen: URL | undefined;
    let auth: string | null = null;
    let jwt: string | null = null;
    server.use(
      http.get(`${BASE}/produtos`, ({ request }) => {
        seen = new URL(request.url);
        auth = request.headers.get("authorization");
        jwt = request.headers.get("enable-jwt");
        return HttpResponse.json({ data: [product(1)] });
      }),
    );
    const { c, budgetCalls } = client({ enableJwt: true });
    const page = await c.produtos.list(
      { criterio: 5, filtroSaldoEstoque: 0, idsProdutos: [1, 2], pagina: 3 },
      { priority: "catalog" },
    );
    expect(page.map((p) => p.id)).toEqual([1]);
    expect(auth).toBe("Bearer access-secret-1");
    expect(jwt).toBe("1");
    expect(seen?.searchParams.getAll("idsProdutos[]")).toEqual(["1", "2"]);
    expect(seen?.searchParams.get("criterio")).toBe("5");
    expect(seen?.searchParams.get("filtroSaldoEstoque")).toBe("0");
    expect(seen?.searchParams.get("pagina")).toBe("3");
    expect(seen?.searchParams.get("limite")).toBe("100");
    expect(budgetCalls).toEqual([{ method: "GET", path: "/produtos", priority: "catalog" }]);
  });

  it("formats date filters in Brasília time and refuses a >1-year window without sending", async () => {
    let seen: URL | undefined;
    let calls = 0;
    server.use(
      http.get(`${BASE}/produtos`, ({ request }) => {
        calls++;
        seen = new URL(request.url);
        return HttpResponse.json({ data: [] });
      }),
    );
    const { c, budgetCalls } = client();
    await c.produtos.list({
      criterio: 5,
      filtroSaldoEstoque: 1,
      dataAlteracaoInicial: new Date("2025-01-01T03:00:00Z"),
      dataAlteracaoFinal: new Date("2025-02-01T02:59:59Z"),
    });
    expect(seen?.searchParams.get("dataAlteracaoInicial")).toBe("2025-01-01 00:00:00");
    expect(seen?.searchParams.get("dataAlteracaoFinal")).toBe("2025-01-31 23:59:59");
    await expect(
      c.produtos.list({
        criterio: 5,
        filtroSaldoEstoque: 1,
        dataAlteracaoInicial: new Date("2023-01-01T00:00:00Z"),
        dataAlteracaoFinal: new Date("2025-01-01T00:00:00Z"),
      }),
    ).rejects.toBeInstanceOf(BlingRequestError);
    await expect(
      c.pedidosVenda.list({
        dataInicial: new Date("2023-01-01T12:00:00Z"),
        dataFinal: new Date("2024-06-01T12:00:00Z"),
      }),
    ).rejects.toBeInstanceOf(BlingRequestError);
    expect(calls).toBe(1);
    expect(budgetCalls).toHaveLength(1);
  });

  it("refuses listings without criterio/filtroSaldoEstoque even from untyped callers", async () => {
    const { c, budgetCalls } = client();
    const untyped = c.produtos.list as (f: object) => Promise<unknown>;
    await expect(untyped({ criterio: 5 })).rejects.toThrow(/filtroSaldoEstoque/);
    await expect(untyped({ filtroSaldoEstoque: 0 })).rejects.toThrow(/criterio/);
    const contacts = c.contatos.list as (f: object) => Promise<unknown>;
    await expect(contacts({})).rejects.toThrow(/criterio/);
    const saldos = c.estoques.saldos as (ids: number[], o: object) => Promise<unknown>;
    await expect(saldos([1], {})).rejects.toThrow(/filtroSaldoEstoque/);
    expect(budgetCalls).toHaveLength(0);
  });

  it("on 401 force-refreshes once and retries once, calling the budget before each attempt", async () => {
    const tokens: Array<string | null> = [];
    server.use(
      http.get(`${BASE}/empresas/me/dados-basicos`, ({ request }) => {
        const a = request.headers.get("authorization");
        tokens.push(a);
        if (a === "Bearer fresh")
          return HttpResponse.json({ data: { id: "abc123", nome: "Empresa", cnpj: "1", email: "e" } });
        return HttpResponse.json(
          { error: { type: "invalid_token", message: "", description: "" } },
          { status: 401 },
        );
      }),
    );
    let refreshed = 0;
    const { c, budgetCalls } = client({
      onUnauthorized: async () => {
        refreshed++;
        return "fresh";
      },
    });
    const company = await c.empresa.dadosBasicos();
    expect(company.id).toBe("abc123");
    expect(refreshed).toBe(1);
    expect(tokens).toEqual(["Bearer access-secret-1", "Bearer fresh"]);
    expect(budgetCalls).toHaveLength(2);
  });

  it("throws BlingTokenError when the retried request is still 401", async () => {
    let hits = 0;
    server.use(
      http.get(`${BASE}/depositos`, () => {
        hits++;
        return HttpResponse.json({ error: { type: "invalid_token" } }, { status: 401 });
      }),
    );
    const { c } = client({ onUnauthorized: async () => "still-bad" });
    await expect(c.depositos.list()).rejects.toBeInstanceOf(BlingTokenError);
    expect(hits).toBe(2);
  });

  it("maps 429 and validation errors with fields; logs carry no secrets", async () => {
    server.use(
      http.get(`${BASE}/contatos/:id`, () =>
        HttpResponse.json(
          {
            error: { type: "TOO_MANY_REQUESTS", message: "x", description: "y", limit: 3, period: "second" },
          },
          { status: 429 },
        ),
      ),
      http.post(`${BASE}/pedidos/vendas`, () =>
        HttpResponse.json(
          {
            error: {
              type: "VALIDATION_ERROR",
              message: "Não foi possível salvar a venda",
              description: "A venda não pode ser salva",
              fields: [
                {
                  code: 49,
                  msg: "Uma ou mais parcelas",
                  element: "parcelas",
                  collection: [
                    {
                      index: 1,
                      code: 12,
                      msg: "Id da forma de pagamento inválido.",
                      element: "formaPagamento",
                    },
                  ],
                },
              ],
            },
          },
          { status: 400 },
        ),
      ),
    );
    const { c, logs } = client();
    const rl = await c.contatos.get(5).catch((e: unknown) => e);
    expect(rl).toBeInstanceOf(BlingRateLimitedError);
    expect((rl as BlingRateLimitedError).period).toBe("second");
    const v = await c.pedidosVenda
      .create({
        data: "2025-01-10",
        contato: { id: 1 },
        itens: [{ descricao: "X", quantidade: 1, valor: 1 }],
        parcelas: [{ dataVencimento: "2025-01-10", valor: 1, formaPagamento: { id: 9 } }],
      })
      .catch((e: unknown) => e);
    expect(v).toBeInstanceOf(BlingValidationError);
    expect((v as BlingValidationError).fieldLines()).toEqual([
      "parcelas[1].formaPagamento: Id da forma de pagamento inválido.",
    ]);
    expect(logs.map((l) => l.obj)).toEqual([
      { method: "GET", path: "/contatos/{idContato}", status: 429, durationMs: expect.any(Number) },
      { method: "POST", path: "/pedidos/vendas", status: 400, durationMs: expect.any(Number) },
    ]);
    expect(JSON.stringify(logs)).not.toContain("access-secret-1");
    expect(String((v as Error).message)).not.toContain("access-secret-1");
  });

  it("times out as BlingNetworkError (mayHaveBeenProcessed for POST)", async () => {
    server.use(
      http.get(`${BASE}/nfe/:id`, async () => {
        await new Promise((r) => setTimeout(r, 500));
        return HttpResponse.json({ data: { id: 1 } });
      }),
      http.post(`${BASE}/contatos`, async () => {
        await new Promise((r) => setTimeout(r, 500));
        return HttpResponse.json({ data: { id: 1 } }, { status: 201 });
      }),
    );
    const { c } = client({ timeoutMs: 50 });
    const e = await c.nfe.get(1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BlingNetworkError);
    expect((e as BlingNetworkError).timedOut).toBe(true);
    expect((e as BlingNetworkError).mayHaveBeenProcessed).toBe(false);
    expect((e as BlingNetworkError).action).toBe("retry");
    const p = await c.contatos.create({ nome: "A", tipo: "F", situacao: "A" }).catch((x: unknown) => x);
    expect((p as BlingNetworkError).mayHaveBeenProcessed).toBe(true);
  });

  it("reports a 2xx with malformed ids/amounts as BlingUnexpectedResponseError", async () => {
    server.use(
      http.get(`${BASE}/estoques/saldos`, () =>
        HttpResponse.json({
          data: [{ produto: { id: "abc" }, saldoFisicoTotal: "1,5", saldoVirtualTotal: 1 }],
        }),
      ),
    );
    const { c } = client();
    const e = await c.estoques.saldos([1], { filtroSaldoEstoque: 0 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BlingUnexpectedResponseError);
    expect((e as BlingUnexpectedResponseError).issues.join(" ")).toMatch(/produto\.id/);
  });
});

describe("resources", () => {
  it("splits balances into batches of MAX_IDS_PER_BALANCE_REQUEST and dedupes ids", async () => {
    const batches: string[][] = [];
    server.use(
      http.get(`${BASE}/estoques/saldos/:idDeposito`, ({ request, params }) => {
        expect(params.idDeposito).toBe("7");
        const ids = new URL(request.url).searchParams.getAll("idsProdutos[]");
        batches.push(ids);
        return HttpResponse.json({
          data: ids.map((id) => ({
            produto: { id: Number(id) },
            saldoFisicoTotal: "2.5",
            saldoVirtualTotal: 2,
          })),
        });
      }),
    );
    const { c } = client();
    const ids = Array.from({ length: 250 }, (_, i) => 10_000_000_000 + i);
    const result = await c.estoques.saldos([...ids, ids[0] as number], {
      filtroSaldoEstoque: 0,
      idDeposito: 7,
    });
    expect(batches.map((b) => b.length)).toEqual([
      MAX_IDS_PER_BALANCE_REQUEST,
      MAX_IDS_PER_BALANCE_REQUEST,
      50,
    ]);
    expect(result).toHaveLength(250);
    expect(result[0]?.saldoFisicoTotal).toBe(2.5);
    expect(result[0]?.depositos).toEqual([]);
  });

  it("refuses a URL over the safe length before sending", async () => {
    const { c, budgetCalls } = client();
    const codes = Array.from({ length: 200 }, (_, i) => `A-VERY-LONG-PRODUCT-CODE-${i}`);
    await expect(c.produtos.list({ criterio: 5, filtroSaldoEstoque: 0, codigos: codes })).rejects.toThrow(
      /characters/,
    );
    expect(budgetCalls).toHaveLength(0);
  });

  it("paginates until a short page, resuming from startPage", async () => {
    const pagesAsked: number[] = [];
    server.use(
      http.get(`${BASE}/produtos`, ({ request }) => {
        const pagina = Number(new URL(request.url).searchParams.get("pagina"));
        pagesAsked.push(pagina);
        const total = 250;
        const from = (pagina - 1) * 100;
        const count = Math.max(0, Math.min(100, total - from));
        return HttpResponse.json({ data: Array.from({ length: count }, (_, i) => product(from + i + 1)) });
      }),
    );
    const { c } = client();
    const sizes: number[] = [];
    for await (const page of c.produtos.paginate({ criterio: 5, filtroSaldoEstoque: 0 }))
      sizes.push(page.length);
    expect(sizes).toEqual([100, 100, 50]);
    expect(pagesAsked).toEqual([1, 2, 3]);

    pagesAsked.length = 0;
    const resumed: number[] = [];
    for await (const page of c.produtos.paginate({ criterio: 5, filtroSaldoEstoque: 0 }, { startPage: 2 })) {
      resumed.push(page[0]?.id ?? -1);
    }
    expect(resumed).toEqual([101, 201]);
    expect(pagesAsked).toEqual([2, 3]);
  });

  it("stops on an empty page when the total is a multiple of 100", async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/formas-pagamentos`, ({ request }) => {
        calls++;
        const pagina = Number(new URL(request.url).searchParams.get("pagina"));
        const data =
          pagina === 1 ? Array.from({ length: 100 }, (_, i) => ({ id: i + 1, descricao: "x" })) : [];
        return HttpResponse.json({ data });
      }),
    );
    const { c } = client();
    const pages: number[] = [];
    for await (const page of c.formasPagamento.paginate()) pages.push(page.length);
    expect(pages).toEqual([100]);
    expect(calls).toBe(2);
  });

  it("reads the NF-e id from data.idNotaFiscal, idNotaFiscal or data.id", async () => {
    const bodies = [
      { data: { idNotaFiscal: 11 } },
      { idNotaFiscal: "12" },
      { data: { id: 13 } },
      { data: {} },
    ];
    let i = 0;
    server.use(
      http.post(`${BASE}/pedidos/vendas/:id/gerar-nfe`, () =>
        HttpResponse.json(bodies[i++], { status: 201 }),
      ),
    );
    const { c } = client();
    expect(await c.pedidosVenda.gerarNfe(1)).toBe(11);
    expect(await c.pedidosVenda.gerarNfe(1)).toBe(12);
    expect(await c.pedidosVenda.gerarNfe(1)).toBe(13);
    await expect(c.pedidosVenda.gerarNfe(1)).rejects.toBeInstanceOf(BlingUnexpectedResponseError);
  });

  it("creates orders with dataSaida/dataPrevista defaulted and returns alertas", async () => {
    let body: Record<string, unknown> | undefined;
    server.use(
      http.post(`${BASE}/pedidos/vendas`, async ({ request }) => {
        body = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json(
          {
            data: { id: "16842381880", alertas: [{ code: 1, msg: "aviso", element: "x" }], rastreamento: {} },
          },
          { status: 201 },
        );
      }),
    );
    const { c } = client();
    const res = await c.pedidosVenda.create({
      numeroLoja: "Z-1",
      data: "2025-01-10",
      contato: { id: 5 },
      itens: [{ codigo: "A", descricao: "A", quantidade: 2, valor: 3.5, produto: { id: 9 } }],
      parcelas: [{ dataVencimento: "2025-02-10", valor: 7, formaPagamento: { id: 3 } }],
    });
    expect(res.id).toBe(16842381880);
    expect(res.alertas).toHaveLength(1);
    expect(body).toMatchObject({ dataSaida: "2025-01-10", dataPrevista: "2025-01-10", numeroLoja: "Z-1" });
  });

  it("finds orders by numerosLojas[] and changes situação via PATCH (204)", async () => {
    let patched = "";
    server.use(
      http.get(`${BASE}/pedidos/vendas`, ({ request }) => {
        const u = new URL(request.url);
        expect(u.searchParams.getAll("numerosLojas[]")).toEqual(["Z-1"]);
        return HttpResponse.json({
          data: [{ id: 1, numero: 10, numeroLoja: "Z-1", situacao: { id: 6, valor: 0 } }],
        });
      }),
      http.patch(`${BASE}/pedidos/vendas/:id/situacoes/:sit`, ({ params }) => {
        patched = `${params.id}/${params.sit}`;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { c } = client();
    const found = await c.pedidosVenda.findByNumeroLoja("Z-1");
    expect(found.map((o) => [o.id, o.situacao?.id])).toEqual([[1, 6]]);
    await c.pedidosVenda.changeSituacao(1, 9);
    expect(patched).toBe("1/9");
  });

  it("searches contacts by document digits with criterio=1", async () => {
    let seen: URL | undefined;
    server.use(
      http.get(`${BASE}/contatos`, ({ request }) => {
        seen = new URL(request.url);
        return HttpResponse.json({ data: [{ id: 3, nome: "C", numeroDocumento: "11.222.333/0001-81" }] });
      }),
    );
    const { c } = client();
    const found = await c.contatos.findByDocumento("11.222.333/0001-81");
    expect(found[0]?.id).toBe(3);
    expect(seen?.searchParams.get("numeroDocumento")).toBe("11222333000181");
    expect(seen?.searchParams.get("criterio")).toBe("1");
  });

  it("getMany maps 404s to null and keeps other ids", async () => {
    server.use(
      http.get(`${BASE}/produtos/:id`, ({ params }) =>
        params.id === "2"
          ? HttpResponse.json({ error: { type: "RESOURCE_NOT_FOUND" } }, { status: 404 })
          : HttpResponse.json({ data: { ...product(Number(params.id)), variacoes: [] } }),
      ),
    );
    const { c } = client();
    const map = await c.produtos.getMany([1, 2, 3, 1], { concurrency: 2 });
    expect([...map.keys()]).toEqual([1, 2, 3]);
    expect(map.get(2)).toBeNull();
    expect(map.get(3)?.codigo).toBe("SKU-3");
    await expect(c.produtos.get(2)).rejects.toBeInstanceOf(BlingNotFoundError);
  });

  it("resolves the sales module's situações by name", async () => {
    server.use(
      http.get(`${BASE}/situacoes/modulos`, () =>
        HttpResponse.json({
          data: [
            { id: 1, nome: "Compras" },
            { id: 98310, nome: "Vendas", descricao: "Pedidos de Venda" },
          ],
        }),
      ),
      http.get(`${BASE}/situacoes/modulos/:id`, ({ params }) =>
        HttpResponse.json({
          data:
            params.id === "98310"
              ? [
                  { id: 6, nome: "Em aberto" },
                  { id: 9, nome: "Atendido" },
                ]
              : [],
        }),
      ),
    );
    const { c } = client();
    expect((await c.situacoes.vendas()).map((s) => s.nome)).toEqual(["Em aberto", "Atendido"]);
  });
});
