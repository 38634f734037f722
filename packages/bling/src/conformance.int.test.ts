import { blingSpecPath, loadBlingSpec, validateRequestBody } from "@zb/bling-simulator/openapi";
import { describe, expect, it } from "vitest";
import { BlingClient } from "./client.js";
import type { FetchLike } from "./http.js";

const spec = loadBlingSpec();

/** Runs a client call against a fake fetch and returns the JSON body the client sent. */
async function sentBody(call: (c: BlingClient) => Promise<unknown>, reply: unknown): Promise<unknown> {
  let body: unknown;
  const fetch: FetchLike = async (_input, init) => {
    body = JSON.parse(String(init?.body));
    return Response.json(reply, { status: 201 });
  };
  const c = new BlingClient({
    baseUrl: "http://bling.test/Api/v3",
    getAccessToken: async () => "t",
    timeoutMs: 1000,
    fetch,
  });
  await call(c);
  return body;
}

(spec ? describe : describe.skip)(
  `request bodies conform to Bling's OpenAPI (${spec ? blingSpecPath() : `missing: set BLING_OPENAPI_PATH (looked in ${blingSpecPath()})`})`,
  () => {
    const created = { data: { id: 16842381880 } };

    it("POST /pedidos/vendas (full order)", async () => {
      const body = await sentBody(
        (c) =>
          c.pedidosVenda.create({
            numeroLoja: "ZYD-000123",
            data: "2025-01-10",
            contato: { id: 16842381880, tipoPessoa: "J", numeroDocumento: "11222333000181" },
            loja: { id: 204567 },
            situacao: { id: 6 },
            observacoes: "Pedido do portal B2B",
            observacoesInternas: "Origem: Zydon",
            desconto: { valor: 5, unidade: "REAL" },
            itens: [
              {
                codigo: "SKU-1",
                descricao: "Produto 1",
                unidade: "UN",
                quantidade: 2,
                valor: 10.5,
                desconto: 0,
                produto: { id: 111 },
              },
              { descricao: "Item avulso", quantidade: 1, valor: 3 },
            ],
            parcelas: [
              { dataVencimento: "2025-02-10", valor: 10, formaPagamento: { id: 9 } },
              { dataVencimento: "2025-03-10", valor: 9, formaPagamento: { id: 9 }, observacoes: "2/2" },
            ],
            transporte: {
              fretePorConta: 0,
              frete: 0,
              etiqueta: { nome: "Cliente", cep: "95702-000", uf: "RS" },
            },
          }),
        created,
      );
      const r = validateRequestBody("POST", "/pedidos/vendas", body);
      expect(r.errors).toEqual([]);
      expect(r.ok).toBe(true);
    });

    it("POST /pedidos/vendas (minimal order)", async () => {
      const body = await sentBody(
        (c) =>
          c.pedidosVenda.create({
            data: "2025-01-10",
            contato: { id: 1 },
            itens: [{ descricao: "X", quantidade: 1, valor: 1 }],
            parcelas: [{ dataVencimento: "2025-01-10", valor: 1, formaPagamento: { id: 2 } }],
          }),
        created,
      );
      expect(validateRequestBody("POST", "/pedidos/vendas", body).errors).toEqual([]);
    });

    it("POST /contatos", async () => {
      const body = await sentBody(
        (c) =>
          c.contatos.create({
            nome: "Cliente Modelo Ltda.",
            tipo: "J",
            situacao: "A",
            numeroDocumento: "11222333000181",
            indicadorIe: 9,
            ie: "",
            email: "compras@cliente.test",
            telefone: "(54) 3333-4444",
            endereco: {
              geral: {
                endereco: "R. A",
                numero: "10",
                bairro: "Centro",
                cep: "95702-000",
                municipio: "Bento Gonçalves",
                uf: "RS",
              },
            },
          }),
        created,
      );
      expect(validateRequestBody("POST", "/contatos", body).errors).toEqual([]);
    });

    it("POST /formas-pagamentos", async () => {
      const body = await sentBody(
        (c) =>
          c.formasPagamento.create({
            descricao: "Boleto (Zydon)",
            tipoPagamento: 15,
            finalidade: 2,
            destino: 1,
            situacao: 1,
          }),
        created,
      );
      expect(validateRequestBody("POST", "/formas-pagamentos", body).errors).toEqual([]);
    });

    it("the validator does reject non-conforming bodies (sanity)", () => {
      expect(validateRequestBody("POST", "/pedidos/vendas", { data: "2025-01-10", itens: [] }).ok).toBe(
        false,
      );
      expect(validateRequestBody("POST", "/formas-pagamentos", { descricao: "x", tipoPagamento: 7 }).ok).toBe(
        false,
      );
      expect(validateRequestBody("POST", "/contatos", { nome: "x", tipo: "Z" }).ok).toBe(false);
    });
  },
);
