import { describe, expect, it } from "vitest";
import { generateDemoAccount } from "./demo-data.js";
import { blingSpecPath, loadBlingSpec, validateRequestBody, validateResponse } from "./openapi-validator.js";
import { type CallOpts, createTestSim, type TestSim } from "./test-support.js";

const spec = loadBlingSpec();
const suite = spec ? describe : describe.skip;
const title = spec
  ? "conformance: every simulator response validates against the official Bling OpenAPI"
  : `conformance skipped: Bling OpenAPI not found at ${blingSpecPath()} (set BLING_OPENAPI_PATH)`;

suite(title, () => {
  const covered = new Set<string>();
  const failures: string[] = [];

  async function check(t: TestSim, method: string, path: string, expectStatus: number, opts: CallOpts = {}) {
    const res = await t.call(method, path, opts);
    const entry = t.sim.control.requestLog().at(-1);
    const template = entry?.endpoint.slice(method.length + 1) ?? path;
    expect(res.status, `${method} ${path}: ${res.text.slice(0, 300)}`).toBe(expectStatus);
    const v = validateResponse(method, template, res.status, res.json);
    if (!v.ok) failures.push(`${method} ${template} ${res.status}: ${v.errors.slice(0, 5).join("; ")}`);
    covered.add(`${method} ${template} ${res.status}`);
    return res;
  }

  it("catalog, stock, contacts, payment methods, orders, NF-e, situações, company, errors", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    generateDemoAccount(t.sim, t.accountId, {
      products: 40,
      variationShare: 0.3,
      contacts: 15,
      paymentMethods: 6,
      seed: 3,
    });
    const acc = t.sim.control.getAccount(t.accountId);
    const parent = acc.products.find((p) => p.formato === "V");
    const child = acc.products.find((p) => p.idProdutoPai !== undefined);
    const kit = acc.products.find((p) => p.formato === "E");
    const simple = acc.products.find((p) => p.formato === "S" && p.idProdutoPai === undefined);
    expect(parent && child && kit && simple).toBeTruthy();
    t.sim.control.deleteProduct(t.accountId, simple?.id as number);
    const dep = acc.deposits[0]?.id as number;
    const contact = acc.contacts.find((c) => c.numeroDocumento);
    const pm = acc.paymentMethods[0];
    const store = acc.stores[0];

    // products
    await check(t, "GET", "/produtos?criterio=5", 200);
    await check(t, "GET", "/produtos?criterio=4", 200);
    await check(t, "GET", "/produtos?tipo=V&filtroSaldoEstoque=0", 200);
    for (const p of [parent, child, kit, simple]) await check(t, "GET", `/produtos/${p?.id}`, 200);
    await check(t, "GET", "/produtos/1", 404);
    const created = await check(t, "POST", "/produtos", 201, {
      body: {
        nome: "Jaqueta",
        codigo: "JAQ-NEW",
        preco: 199.9,
        tipo: "P",
        situacao: "A",
        formato: "V",
        variacoes: [
          {
            nome: "Jaqueta P",
            codigo: "JAQ-NEW-P",
            tipo: "P",
            situacao: "A",
            formato: "S",
            variacao: { nome: "Tamanho:P", ordem: 1, produtoPai: { cloneInfo: true } },
          },
        ],
      },
    });
    await check(t, "POST", "/produtos", 400, { body: { codigo: "sem-nome" } });
    await check(t, "PUT", `/produtos/${created.json.data.id}`, 200, {
      body: {
        nome: "Jaqueta",
        formato: "V",
        variacoes: [{ nome: "Jaqueta M", codigo: "JAQ-NEW-M", variacao: { nome: "Tamanho:M" } }],
      },
    });
    await check(t, "PUT", `/produtos/${created.json.data.id}`, 400, {
      body: { nome: "Jaqueta", formato: "V" },
    });
    await check(t, "PATCH", `/produtos/${created.json.data.id}`, 200, { body: { preco: 189.9 } });
    await check(t, "DELETE", `/produtos/${created.json.data.id}`, 204);
    await check(t, "DELETE", `/produtos/${created.json.data.id}`, 404);
    await check(t, "GET", `/produtos/lojas?idLoja=${store?.id}`, 200);
    await check(t, "GET", "/categorias/produtos", 200);
    const root = acc.categories.find((c) => !c.categoriaPai);
    const sub = acc.categories.find((c) => c.categoriaPai);
    expect(root && sub).toBeTruthy();
    await check(t, "GET", `/categorias/produtos/${sub?.id}`, 200);
    await check(t, "GET", "/categorias/produtos/1", 404);
    const newCat = await check(t, "POST", "/categorias/produtos", 201, {
      body: { descricao: "Camisetas", categoriaPai: { id: sub?.id } },
    });
    await check(t, "POST", "/categorias/produtos", 400, { body: { descricao: "" } });
    await check(t, "POST", "/categorias/produtos", 400, {
      body: { descricao: "x", categoriaPai: { id: 1 } },
    });
    await check(t, "PUT", `/categorias/produtos/${newCat.json.data.id}`, 204, {
      body: { descricao: "Camisas" },
    });
    await check(t, "PUT", "/categorias/produtos/1", 404, { body: { descricao: "x" } });
    await check(t, "DELETE", `/categorias/produtos/${root?.id}`, 400);
    await check(t, "DELETE", `/categorias/produtos/${newCat.json.data.id}`, 204);
    await check(t, "DELETE", `/categorias/produtos/${newCat.json.data.id}`, 404);

    // deposits and stock
    await check(t, "GET", "/depositos", 200);
    const ids = acc.products
      .slice(0, 20)
      .map((p) => `idsProdutos[]=${p.id}`)
      .join("&");
    await check(t, "GET", `/estoques/saldos?${ids}`, 200);
    await check(t, "GET", `/estoques/saldos?${ids}&filtroSaldoEstoque=0`, 200);
    await check(t, "GET", "/estoques/saldos", 400);
    await check(t, "GET", `/estoques/saldos/${dep}?${ids}`, 200);
    await check(t, "GET", `/estoques/saldos/1?${ids}`, 404);
    await check(t, "POST", "/estoques", 201, {
      body: { produto: { id: child?.id }, deposito: { id: dep }, operacao: "B", quantidade: 7 },
    });
    await check(t, "POST", "/estoques", 400, { body: { produto: { id: 1 }, operacao: "X", quantidade: 1 } });

    // payment methods
    await check(t, "GET", "/formas-pagamentos", 200);
    await check(t, "GET", `/formas-pagamentos/${pm?.id}`, 200);
    await check(t, "GET", "/formas-pagamentos/1", 404);
    await check(t, "POST", "/formas-pagamentos", 201, {
      body: { descricao: "Vale", tipoPagamento: 12, finalidade: 3, destino: 1 },
    });
    await check(t, "POST", "/formas-pagamentos", 400, { body: { descricao: "" } });

    // contacts
    await check(t, "GET", "/contatos?criterio=1", 200);
    await check(t, "GET", `/contatos?numeroDocumento=${contact?.numeroDocumento}`, 200);
    for (const c of acc.contacts) await check(t, "GET", `/contatos/${c.id}`, 200);
    await check(t, "GET", "/contatos/1", 404);
    const newContact = await check(t, "POST", "/contatos", 201, {
      body: { nome: "Cliente Portal", tipo: "J", numeroDocumento: "11.222.333/0001-81" },
    });
    await check(t, "POST", "/contatos", 400, { body: { nome: "", tipo: "Q" } });
    await check(t, "PUT", `/contatos/${newContact.json.data.id}`, 204, {
      body: { nome: "Cliente Portal SA", tipo: "J" },
    });
    await check(t, "PUT", "/contatos/1", 404, { body: { nome: "x", tipo: "F" } });

    // orders
    const order = await check(t, "POST", "/pedidos/vendas", 201, {
      body: {
        numeroLoja: "Z-42",
        data: "2026-01-15",
        dataSaida: "2026-01-15",
        dataPrevista: "2026-01-20",
        contato: { id: newContact.json.data.id },
        loja: { id: store?.id },
        itens: [{ produto: { id: child?.id }, quantidade: 2, valor: 10, descricao: "Item" }],
        parcelas: [{ dataVencimento: "2026-02-15", valor: 20, formaPagamento: { id: pm?.id } }],
      },
    });
    await check(t, "POST", "/pedidos/vendas", 400, { body: { contato: { id: 1 }, itens: [] } });
    await check(t, "GET", "/pedidos/vendas?numerosLojas[]=Z-42", 200);
    await check(t, "GET", `/pedidos/vendas/${order.json.data.id}`, 200);
    await check(t, "GET", "/pedidos/vendas/1", 404);
    await check(t, "PATCH", `/pedidos/vendas/${order.json.data.id}/situacoes/9`, 204);
    await check(t, "PATCH", `/pedidos/vendas/${order.json.data.id}/situacoes/77`, 400);
    await check(t, "PATCH", "/pedidos/vendas/1/situacoes/9", 404);
    const nfe = await check(t, "POST", `/pedidos/vendas/${order.json.data.id}/gerar-nfe`, 201);
    await check(t, "POST", `/pedidos/vendas/${order.json.data.id}/gerar-nfe`, 400);
    await check(t, "POST", "/pedidos/vendas/1/gerar-nfe", 404);
    await check(t, "GET", `/nfe/${nfe.json.idNotaFiscal}`, 200);
    await check(t, "POST", `/nfe/${nfe.json.idNotaFiscal}/enviar`, 200);
    await check(t, "GET", `/nfe/${nfe.json.idNotaFiscal}`, 200);
    await check(t, "GET", "/nfe?numeroLoja=Z-42&situacao=5", 200);
    await check(t, "GET", "/nfe/1", 404);
    await check(t, "POST", "/nfe/1/enviar", 404);

    // post-sale: a tracking code on the order's volume (VendasTransporteVolumeDTO), a cancelled NF-e
    const shipped = await check(t, "POST", "/pedidos/vendas", 201, {
      body: {
        numeroLoja: "Z-43",
        contato: { id: newContact.json.data.id },
        itens: [{ produto: { id: child?.id }, quantidade: 1, valor: 10, descricao: "Item" }],
        parcelas: [{ dataVencimento: "2026-02-15", valor: 10, formaPagamento: { id: pm?.id } }],
        transporte: { frete: 0, volumes: [{ servico: "SEDEX", codigoRastreamento: "" }] },
      },
    });
    t.sim.control.setOrderTracking(t.accountId, shipped.json.data.id, {
      codigoRastreamento: "AA123456789BR",
    });
    const tracked = await check(t, "GET", `/pedidos/vendas/${shipped.json.data.id}`, 200);
    expect(tracked.json.data.transporte.volumes).toEqual([
      { id: expect.any(Number), servico: "SEDEX", codigoRastreamento: "AA123456789BR" },
    ]);
    t.sim.control.cancelInvoice(t.accountId, nfe.json.idNotaFiscal);
    const cancelled = await check(t, "GET", `/nfe/${nfe.json.idNotaFiscal}`, 200);
    expect(cancelled.json.data.situacao).toBe(2);
    const listed = await check(t, "GET", "/nfe?situacao=2", 200);
    expect(listed.json.data.map((n: { id: number }) => n.id)).toContain(nfe.json.idNotaFiscal);
    const hidden = await check(t, "GET", "/nfe", 200);
    expect(hidden.json.data.map((n: { id: number }) => n.id)).not.toContain(nfe.json.idNotaFiscal);

    // situações, stores, company
    const mods = await check(t, "GET", "/situacoes/modulos", 200);
    await check(t, "GET", `/situacoes/modulos/${mods.json.data[0].id}`, 200);
    await check(t, "GET", "/situacoes/modulos/1", 404);
    await check(t, "GET", "/canais-venda", 200);
    await check(t, "GET", "/empresas/me/dados-basicos", 200);

    // auth, limits and faults share the error envelope
    await check(t, "GET", "/produtos", 401, { token: null });
    await check(t, "GET", "/produtos", 400, { token: null, headers: { authorization: "Bearer" } });
    t.sim.control.setFaults({ errorRate5xx: 1 });
    await check(t, "GET", "/depositos", 500);
    t.sim.control.setFaults({});

    expect(failures, failures.join("\n")).toEqual([]);
    expect(covered.size).toBeGreaterThanOrEqual(50);
  });

  it("rate-limit and IP-block errors validate as ErrorResponse", async () => {
    const t = createTestSim({ limits: { tokenCallsPerMinute: 0 } });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await t.call("GET", "/depositos"));
    const limited = codes.at(-1);
    expect(limited?.status).toBe(429);
    expect(validateResponse("GET", "/depositos", 429, limited?.json)).toEqual({ ok: true, errors: [] });
    const blocked = await t.sim.handle({ method: "POST", url: "/Api/v3/oauth/token", headers: {}, body: "" });
    expect(blocked.status).toBe(403);
    expect(validateResponse("GET", "/depositos", 403, JSON.parse(blocked.body)).ok).toBe(true);
  });

  it("the validator is not vacuous: wrong shapes fail", () => {
    expect(validateResponse("GET", "/produtos", 200, { data: [{ id: "x", nome: 1 }] }).ok).toBe(false);
    expect(validateResponse("GET", "/produtos/{idProduto}", 200, { data: { nome: "X" } }).ok).toBe(false);
    expect(validateResponse("GET", "/produtos", 404, { message: "no envelope" }).ok).toBe(false);
    expect(
      validateResponse("PATCH", "/pedidos/vendas/{idPedidoVenda}/situacoes/{idSituacao}", 204, { data: {} })
        .ok,
    ).toBe(false);
    expect(validateResponse("GET", "/produtos", 201, { data: [] }).ok).toBe(false);
  });

  it("request bodies: a documented order create body validates; one without itens does not", async () => {
    const { readFileSync } = await import("node:fs");
    const { dirname, resolve } = await import("node:path");
    const sample = JSON.parse(
      readFileSync(resolve(dirname(blingSpecPath()), "../samples/bling/order-create-request-1.json"), "utf8"),
    );
    expect(validateRequestBody("POST", "/pedidos/vendas", sample)).toEqual({ ok: true, errors: [] });
    const { itens: _drop, ...withoutItems } = sample;
    expect(validateRequestBody("POST", "/pedidos/vendas", withoutItems).ok).toBe(false);
    expect(validateRequestBody("POST", "/contatos", { nome: "Fulano", situacao: "A", tipo: "F" }).ok).toBe(
      true,
    );
  });
});
