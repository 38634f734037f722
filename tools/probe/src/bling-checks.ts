import type { BlingClient } from "@zb/bling";
import type { Check } from "./check.js";

export interface BlingProbeTarget {
  client: BlingClient;
  apiBaseUrl: string;
}

/** Read-only: each client method the product depends on, its answer validated by the client's own schema. */
export function blingChecks(t: BlingProbeTarget): Check[] {
  const b = (x: Omit<Check, "system">): Check => ({ system: "bling", ...x });
  const c = t.client;
  const state: { productId?: number | undefined; categoryId?: number | undefined } = {};
  return [
    b({
      assumption: "BlingClient.empresa.dadosBasicos (company id for webhooks)",
      request: "GET /empresas/me/dados-basicos",
      fix: "packages/bling schemas (company)",
      run: async () => `company ${(await c.empresa.dadosBasicos()).id}`,
    }),
    b({
      assumption: "BlingClient.produtos.list (criterio=2, the sync's three filtroSaldoEstoque passes)",
      request: "GET /produtos?criterio=2&filtroSaldoEstoque=1,0,2&limite=1",
      fix: "packages/bling schemas (productListSchema)",
      run: async () => {
        let n = 0;
        for (const filtroSaldoEstoque of [1, 0, 2] as const) {
          const list = await c.produtos.list({ criterio: 2, filtroSaldoEstoque, limite: 1 });
          n += list.length;
          state.productId ??= list[0]?.id;
        }
        return `${n} item(s) over the three passes`;
      },
    }),
    b({
      assumption: "BlingClient.produtos.get (product detail)",
      request: "GET /produtos/{id}",
      fix: "packages/bling schemas (productDetailSchema)",
      run: async () => {
        if (state.productId === undefined) return { notChecked: "the account has no product" };
        return `product ${(await c.produtos.get(state.productId)).id}`;
      },
    }),
    b({
      assumption: "BlingClient.estoques.saldos (stock balances)",
      request: "GET /estoques/saldos?idsProdutos[]=…",
      fix: "packages/bling schemas (stockBalanceListSchema)",
      run: async () => {
        if (state.productId === undefined) return { notChecked: "the account has no product" };
        const [positive, zero] = await Promise.all([
          c.estoques.saldos([state.productId], { filtroSaldoEstoque: 1 }),
          c.estoques.saldos([state.productId], { filtroSaldoEstoque: 0 }),
        ]);
        return `${positive.length + zero.length} balance(s)`;
      },
    }),
    b({
      assumption: "BlingClient.depositos.list",
      request: "GET /depositos?limite=1",
      fix: "packages/bling schemas (depositListSchema)",
      run: async () => `${(await c.depositos.list({ limite: 1 })).length} item(s)`,
    }),
    b({
      assumption: "BlingClient.formasPagamento.list",
      request: "GET /formas-pagamentos?limite=1",
      fix: "packages/bling schemas (paymentMethodListSchema)",
      run: async () => `${(await c.formasPagamento.list({ limite: 1 })).length} item(s)`,
    }),
    b({
      assumption: "BlingClient.contatos.list (criterio=1)",
      request: "GET /contatos?criterio=1&limite=1",
      fix: "packages/bling schemas (contactListSchema)",
      run: async () => `${(await c.contatos.list({ criterio: 1, limite: 1 })).length} item(s)`,
    }),
    b({
      assumption: "BlingClient.pedidosVenda.list",
      request: "GET /pedidos/vendas?limite=1",
      fix: "packages/bling schemas (orderListSchema)",
      run: async () => `${(await c.pedidosVenda.list({ limite: 1 })).length} item(s)`,
    }),
    b({
      assumption: "BlingClient.situacoes.modulos (status modules)",
      request: "GET /situacoes/modulos",
      fix: "packages/bling schemas (situacao modules)",
      run: async () => `${(await c.situacoes.modulos()).length} module(s)`,
    }),
    b({
      assumption: "BlingClient.categorias.list (the category tree, categoriaPai)",
      request: "GET /categorias/produtos?limite=100",
      fix: "packages/bling schemas (categoryListSchema)",
      run: async () => {
        const list = await c.categorias.list({ limite: 100 });
        state.categoryId = list[0]?.id;
        return `${list.length} item(s), ${list.filter((x) => !x.categoriaPai?.id).length} root(s)`;
      },
    }),
    b({
      assumption: "BlingClient.categorias.get (a category a product names before the list has it)",
      request: "GET /categorias/produtos/{id}",
      fix: "packages/bling schemas (categoryResponseSchema)",
      run: async () => {
        if (state.categoryId === undefined) return { notChecked: "the account has no category" };
        return `category ${(await c.categorias.get(state.categoryId)).id}`;
      },
    }),
  ];
}
