import { describe, expect, it } from "vitest";
import { createTestSim } from "./test-support.js";

function seed() {
  const t = createTestSim({ limits: { enforce: false } });
  const c = t.sim.control;
  const contato = c.upsertContact(t.accountId, {
    nome: "Mercado Silva Ltda",
    tipo: "J",
    numeroDocumento: "11222333000181",
  });
  const pix = c.upsertPaymentMethod(t.accountId, { descricao: "PIX", tipoPagamento: 17 });
  const produto = c.upsertProduct(t.accountId, { nome: "Caneca", codigo: "CAN", preco: 20 });
  const store = c.upsertStore(t.accountId, { descricao: "Portal B2B" });
  return { t, contato, pix, produto, store };
}

describe("POST /pedidos/vendas", () => {
  it("creates with computed totals, assigned numero and stored numeroLoja; findable by numerosLojas[]", async () => {
    const { t, contato, pix, produto, store } = seed();
    const body = {
      numeroLoja: "Z-1001",
      data: "2026-01-15",
      contato: { id: contato.id },
      loja: { id: store.id },
      itens: [
        { produto: { id: produto.id }, quantidade: 3, valor: 20, desconto: 10 },
        { descricao: "Frete especial", quantidade: 1, valor: 5.5 },
      ],
      transporte: { frete: 10 },
      parcelas: [
        { dataVencimento: "2026-02-15", valor: 35.5, formaPagamento: { id: pix.id } },
        { dataVencimento: "2026-03-15", valor: 34, formaPagamento: { id: pix.id } },
      ],
    };
    const res = await t.call("POST", "/pedidos/vendas", { body });
    expect(res.status).toBe(201);
    expect(res.json.data).toMatchObject({ id: expect.any(Number), alertas: [] });
    const detail = (await t.call("GET", `/pedidos/vendas/${res.json.data.id}`)).json.data;
    expect(detail).toMatchObject({
      numero: 1,
      numeroLoja: "Z-1001",
      totalProdutos: 59.5,
      total: 69.5,
      situacao: { id: 6, valor: 0 },
      contato: { id: contato.id, nome: "Mercado Silva Ltda", numeroDocumento: "11222333000181" },
      loja: { id: store.id },
    });
    expect(detail.itens[0]).toMatchObject({
      descricao: "Caneca",
      codigo: "CAN",
      quantidade: 3,
      valor: 20,
      desconto: 10,
    });
    const second = await t.call("POST", "/pedidos/vendas", { body: { ...body, numeroLoja: "Z-1002" } });
    expect((await t.call("GET", `/pedidos/vendas/${second.json.data.id}`)).json.data.numero).toBe(2);
    const found = await t.call("GET", "/pedidos/vendas?numerosLojas[]=Z-1001");
    expect(found.json.data.map((o: { id: number }) => o.id)).toEqual([res.json.data.id]);
    expect(Object.keys(found.json.data[0])).not.toContain("itens");
  });

  it("parcelas that do not sum to the total → 400 VALIDATION_ERROR with a pt-BR field under parcelas/VENDAS", async () => {
    const { t, contato, pix, produto } = seed();
    const res = await t.call("POST", "/pedidos/vendas", {
      body: {
        contato: { id: contato.id },
        itens: [{ produto: { id: produto.id }, quantidade: 2, valor: 20 }],
        parcelas: [{ dataVencimento: "2026-02-01", valor: 39.99, formaPagamento: { id: pix.id } }],
      },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.type).toBe("VALIDATION_ERROR");
    expect(res.json.error.fields).toEqual([
      expect.objectContaining({
        element: "parcelas",
        namespace: "VENDAS",
        code: expect.any(Number),
        collection: [],
      }),
    ]);
    expect(res.json.error.fields[0].msg).toContain("soma das parcelas");
    expect(t.sim.control.listOrders(t.accountId)).toHaveLength(0);
  });

  it("unknown contato, empty itens and unknown formaPagamento are all reported", async () => {
    const { t } = seed();
    const res = await t.call("POST", "/pedidos/vendas", {
      body: { contato: { id: 1 }, itens: [], parcelas: [{ valor: 1, formaPagamento: { id: 999 } }] },
    });
    expect(res.status).toBe(400);
    const byElement = Object.fromEntries(
      res.json.error.fields.map((f: { element: string }) => [f.element, f]),
    );
    expect(Object.keys(byElement).sort()).toEqual(["contato", "itens", "parcelas"]);
    expect(byElement.parcelas.collection).toEqual([
      {
        index: 1,
        code: 12,
        msg: "Id da forma de pagamento inválido.",
        element: "formaPagamento",
        namespace: "VENDAS",
      },
    ]);
    expect((await t.call("POST", "/pedidos/vendas", { raw: "" })).json.error.type).toBe(
      "MISSING_REQUIRED_FIELD_ERROR",
    );
  });

  it("PATCH situação → 204 and the new status; unknown situação → 400", async () => {
    const { t, contato, produto } = seed();
    const custom = t.sim.control.upsertSituacao(t.accountId, { nome: "Em separação", idHerdado: 15 });
    const { id } = t.sim.control.createOrder(t.accountId, {
      contato: { id: contato.id },
      itens: [{ produto: { id: produto.id }, quantidade: 1, valor: 20 }],
    });
    const res = await t.call("PATCH", `/pedidos/vendas/${id}/situacoes/${custom.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe("");
    expect((await t.call("GET", `/pedidos/vendas/${id}`)).json.data.situacao).toEqual({
      id: custom.id,
      valor: 3,
    });
    expect((await t.call("GET", `/pedidos/vendas?idsSituacoes[]=${custom.id}`)).json.data).toHaveLength(1);
    expect((await t.call("PATCH", `/pedidos/vendas/${id}/situacoes/424242`)).status).toBe(400);
    expect((await t.call("PATCH", `/pedidos/vendas/1/situacoes/9`)).status).toBe(404);
    const mods = await t.call("GET", "/situacoes/modulos");
    const vendas = mods.json.data.find((m: { nome: string }) => m.nome === "Vendas");
    const sits = (await t.call("GET", `/situacoes/modulos/${vendas.id}`)).json.data;
    expect(sits.map((s: { id: number }) => s.id)).toEqual(expect.arrayContaining([6, 9, 12, 15, custom.id]));
    expect(sits.find((s: { id: number }) => s.id === custom.id)).toMatchObject({
      nome: "Em separação",
      idHerdado: 15,
    });
  });

  it("gerar-nfe → 201 top-level {idNotaFiscal} (or data-wrapped when configured); enviar → 200 {data:{xml}}", async () => {
    const { t, contato, produto } = seed();
    const { id } = t.sim.control.createOrder(t.accountId, {
      contato: { id: contato.id },
      itens: [{ produto: { id: produto.id }, quantidade: 1, valor: 20 }],
    });
    const gen = await t.call("POST", `/pedidos/vendas/${id}/gerar-nfe`);
    expect(gen.status).toBe(201);
    expect(gen.json).toEqual({ idNotaFiscal: expect.any(Number) });
    const sent = await t.call("POST", `/nfe/${gen.json.idNotaFiscal}/enviar`);
    expect(sent.status).toBe(200);
    expect(sent.json.data.xml).toContain("<nfeProc");
    const nfe = (await t.call("GET", `/nfe/${gen.json.idNotaFiscal}`)).json.data;
    expect(nfe).toMatchObject({ situacao: 5, numeroPedidoLoja: "", valorNota: 20 });
    expect(nfe.chaveAcesso).toMatch(/^\d{44}$/);
    expect((await t.call("POST", `/pedidos/vendas/${id}/gerar-nfe`)).status).toBe(400);

    const wrapped = createTestSim({ limits: { enforce: false }, nfeCreateShape: "data" });
    const c2 = wrapped.sim.control.upsertContact(wrapped.accountId, { nome: "X", tipo: "F" });
    const o2 = wrapped.sim.control.createOrder(wrapped.accountId, {
      contato: { id: c2.id },
      itens: [{ descricao: "Serviço", quantidade: 1, valor: 5 }],
    });
    expect((await wrapped.call("POST", `/pedidos/vendas/${o2.id}/gerar-nfe`)).json).toEqual({
      data: { idNotaFiscal: expect.any(Number) },
    });
  });
});

describe("contacts and payment methods", () => {
  it("find by numeroDocumento (digits only), summary vs detail, CPF/CNPJ check digits, PUT 204", async () => {
    const { t, contato } = seed();
    t.sim.control.upsertContact(t.accountId, { nome: "Sem documento", tipo: "F" });
    const found = await t.call("GET", "/contatos?numeroDocumento=11222333000181&criterio=1");
    expect(found.json.data).toEqual([
      {
        id: contato.id,
        nome: "Mercado Silva Ltda",
        codigo: "",
        situacao: "A",
        numeroDocumento: "11222333000181",
        telefone: "",
        celular: "",
      },
    ]);
    const detail = (await t.call("GET", `/contatos/${contato.id}`)).json.data;
    expect(detail).toMatchObject({ tipo: "J", ie: "", endereco: { geral: { uf: "" } } });
    const bad = await t.call("POST", "/contatos", {
      body: { nome: "Fulano", tipo: "F", numeroDocumento: "123.456.789-10" },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.fields[0]).toMatchObject({ element: "numeroDocumento", msg: "CPF inválido." });
    const ok = await t.call("POST", "/contatos", {
      body: { nome: "Fulano", tipo: "F", numeroDocumento: "529.982.247-25" },
    });
    expect(ok.status).toBe(201);
    const put = await t.call("PUT", `/contatos/${ok.json.data.id}`, {
      body: { nome: "Fulano de Tal", tipo: "F", situacao: "I" },
    });
    expect(put.status).toBe(204);
    expect((await t.call("GET", `/contatos/${ok.json.data.id}`)).json.data).toMatchObject({
      nome: "Fulano de Tal",
      situacao: "I",
      numeroDocumento: "",
    });
  });

  it("formas-pagamentos list/detail/create", async () => {
    const { t, pix } = seed();
    const created = await t.call("POST", "/formas-pagamentos", {
      body: { descricao: "Boleto", tipoPagamento: 15, finalidade: 3, destino: 1 },
    });
    expect(created.status).toBe(201);
    const list = await t.call("GET", "/formas-pagamentos?tiposPagamentos[]=17");
    expect(list.json.data.map((p: { id: number }) => p.id)).toEqual([pix.id]);
    expect((await t.call("GET", `/formas-pagamentos/${created.json.data.id}`)).json.data).toMatchObject({
      descricao: "Boleto",
      tipoPagamento: 15,
      destino: 1,
    });
    expect(
      (
        await t.call("POST", "/formas-pagamentos", {
          body: { descricao: "X", tipoPagamento: 6, finalidade: 3 },
        })
      ).status,
    ).toBe(400);
  });
});
