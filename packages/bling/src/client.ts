import { assertDateWindow, formatBlingDate, formatBlingDateTime } from "./dates.js";
import { BlingNotFoundError, BlingRequestError } from "./errors.js";
import { type BlingClientOptions, BlingHttp, type QueryValue, type RequestOptions } from "./http.js";
import { BLING_PAGE_SIZE, type PaginateOptions, paginate } from "./paginate.js";
import { createdIdSchema } from "./schemas/common.js";
import {
  type BlingContactCreateBody,
  type BlingContactDetail,
  type BlingContactSummary,
  contactDetailResponseSchema,
  contactListSchema,
} from "./schemas/contacts.js";
import {
  type BlingCompany,
  type BlingNfe,
  type BlingSituacao,
  type BlingSituacaoModulo,
  companyResponseSchema,
  nfeListSchema,
  nfeResponseSchema,
  nfeSendResponseSchema,
  situacaoListSchema,
  situacaoModuloListSchema,
} from "./schemas/misc.js";
import {
  type BlingOrderCreateBody,
  type BlingOrderCreateResult,
  type BlingOrderDetail,
  type BlingOrderSummary,
  generateNfeResponseSchema,
  orderCreateResponseSchema,
  orderDetailResponseSchema,
  orderListSchema,
} from "./schemas/orders.js";
import {
  type BlingPaymentMethod,
  type BlingPaymentMethodCreateBody,
  paymentMethodDetailResponseSchema,
  paymentMethodListSchema,
} from "./schemas/payment-methods.js";
import {
  type BlingCategory,
  type BlingDeposit,
  type BlingProductDetail,
  type BlingProductStore,
  type BlingProductSummary,
  type BlingStockBalance,
  categoryListSchema,
  categoryResponseSchema,
  depositListSchema,
  productDetailResponseSchema,
  productListSchema,
  productStoreListSchema,
  stockBalanceListSchema,
} from "./schemas/products.js";

/**
 * Ids per `GET /estoques/saldos` (and per `idsProdutos[]` listing). The spec sets no maximum; community clients
 * batch ≤ 100 and so does the simulator. 100 ids of up to 11 digits as `idsProdutos%5B%5D=<id>&` is ~3,000
 * characters, safely under the 4 KB URL many proxies and servers accept.
 */
export const MAX_IDS_PER_REQUEST = 100;
export const MAX_IDS_PER_BALANCE_REQUEST = MAX_IDS_PER_REQUEST;

type Paging = { pagina?: number; limite?: number };

/** `criterio`: 1 last included (Bling's default!) · 2 active · 3 inactive · 4 deleted · 5 all. */
export type ProductCriterio = 1 | 2 | 3 | 4 | 5;
/** `filtroSaldoEstoque`: 0 zero · 1 positive (Bling's default!) · 2 negative. */
export type FiltroSaldoEstoque = 0 | 1 | 2;

export interface ProductListFilters {
  /** Required: Bling's default (1, "last included") silently hides most records. */
  criterio: ProductCriterio;
  /** Required: Bling's default (1) silently hides zero- and negative-stock products. */
  filtroSaldoEstoque: FiltroSaldoEstoque;
  tipo?: "T" | "P" | "S" | "E" | "PS" | "C" | "V";
  dataInclusaoInicial?: Date;
  dataInclusaoFinal?: Date;
  dataAlteracaoInicial?: Date;
  dataAlteracaoFinal?: Date;
  idCategoria?: number;
  idLoja?: number;
  nome?: string;
  idsProdutos?: readonly number[];
  codigos?: readonly string[];
  gtins?: readonly string[];
  filtroSaldoEstoqueDeposito?: number;
}

/** Contacts `criterio`: 1 all · 2 deleted · 3 last included (Bling's default!) · 4 no movement. */
export type ContactCriterio = 1 | 2 | 3 | 4;

export interface ContactListFilters {
  /** Required: Bling's default (3, "last included") silently hides most records. */
  criterio: ContactCriterio;
  pesquisa?: string;
  numeroDocumento?: string;
  tipoPessoa?: 1 | 2 | 3;
  uf?: string;
  idsContatos?: readonly number[];
  dataInclusaoInicial?: Date;
  dataInclusaoFinal?: Date;
  dataAlteracaoInicial?: Date;
  dataAlteracaoFinal?: Date;
}

export interface OrderListFilters {
  numerosLojas?: readonly string[];
  numero?: number;
  idLoja?: number;
  idContato?: number;
  idsSituacoes?: readonly number[];
  /** Order date (`YYYY-MM-DD`). */
  dataInicial?: Date;
  dataFinal?: Date;
  dataAlteracaoInicial?: Date;
  dataAlteracaoFinal?: Date;
  dataPrevistaInicial?: Date;
  dataPrevistaFinal?: Date;
}

export interface PaymentMethodListFilters {
  descricao?: string;
  situacao?: 0 | 1;
  tiposPagamentos?: readonly number[];
}

export interface ProductStoreListFilters {
  idLoja?: number;
  idProduto?: number;
  idCategoriaProduto?: number;
  dataAlteracaoInicial?: Date;
  dataAlteracaoFinal?: Date;
}

export interface StockBalanceOptions extends RequestOptions {
  /** Required: Bling's default (1) drops zero- and negative-stock products from the answer. */
  filtroSaldoEstoque: FiltroSaldoEstoque;
  /** Balances in one deposit only (`/estoques/saldos/{idDeposito}`). */
  idDeposito?: number;
}

function requireParam<T extends object>(filters: T, key: keyof T & string, what: string): void {
  if (filters[key] === undefined || filters[key] === null) {
    throw new BlingRequestError(`Bling listing needs an explicit ${key} (${what})`);
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function pagingQuery(p: Paging): Record<string, QueryValue> {
  return { pagina: p.pagina ?? 1, limite: p.limite ?? BLING_PAGE_SIZE };
}

function priorityOf(opts?: RequestOptions): { priority?: string } {
  return opts?.priority !== undefined ? { priority: opts.priority } : {};
}

/**
 * Typed Bling API v3 client. Every request goes through the `budget` hook first; 401 triggers one forced
 * refresh (`onUnauthorized`) and one retry; errors become classes with an `action` (see errors.ts).
 */
export class BlingClient {
  readonly http: BlingHttp;

  constructor(opts: BlingClientOptions) {
    this.http = new BlingHttp(opts);
  }

  private window(name: string, start: Date | undefined, end: Date | undefined): void {
    assertDateWindow(name, start, end, this.http.now);
  }

  private dateTimes(f: Record<string, unknown>, base: string): Record<string, QueryValue> {
    const start = f[`${base}Inicial`] as Date | undefined;
    const end = f[`${base}Final`] as Date | undefined;
    this.window(base, start, end);
    return {
      [`${base}Inicial`]: start ? formatBlingDateTime(start) : undefined,
      [`${base}Final`]: end ? formatBlingDateTime(end) : undefined,
    };
  }

  private dates(f: Record<string, unknown>, startKey: string, endKey: string): Record<string, QueryValue> {
    const start = f[startKey] as Date | undefined;
    const end = f[endKey] as Date | undefined;
    this.window(startKey, start, end);
    return {
      [startKey]: start ? formatBlingDate(start) : undefined,
      [endKey]: end ? formatBlingDate(end) : undefined,
    };
  }

  // ---------------------------------------------------------------- produtos
  readonly produtos = {
    /** One page of `GET /produtos` (summaries). */
    list: async (
      filters: ProductListFilters & Paging,
      opts?: RequestOptions,
    ): Promise<BlingProductSummary[]> => {
      requireParam(filters, "criterio", "Bling's default hides records");
      requireParam(filters, "filtroSaldoEstoque", "Bling's default hides zero-stock products");
      return this.http.request({
        method: "GET",
        path: "/produtos",
        query: {
          ...pagingQuery(filters),
          criterio: filters.criterio,
          filtroSaldoEstoque: filters.filtroSaldoEstoque,
          tipo: filters.tipo,
          ...this.dateTimes(filters as unknown as Record<string, unknown>, "dataInclusao"),
          ...this.dateTimes(filters as unknown as Record<string, unknown>, "dataAlteracao"),
          idCategoria: filters.idCategoria,
          idLoja: filters.idLoja,
          nome: filters.nome,
          "idsProdutos[]": filters.idsProdutos,
          "codigos[]": filters.codigos,
          "gtins[]": filters.gtins,
          filtroSaldoEstoqueDeposito: filters.filtroSaldoEstoqueDeposito,
        },
        schema: productListSchema,
        ...priorityOf(opts),
      });
    },
    /** Every page of `GET /produtos`, one yielded array per page. */
    paginate: (
      filters: ProductListFilters,
      opts?: PaginateOptions & RequestOptions,
    ): AsyncGenerator<BlingProductSummary[], void, undefined> =>
      paginate((pagina, limite) => this.produtos.list({ ...filters, pagina, limite }, opts), opts),
    /** Summaries of the given ids (batched `idsProdutos[]`). */
    listByIds: async (
      ids: readonly number[],
      filters: Omit<ProductListFilters, "idsProdutos">,
      opts?: RequestOptions,
    ): Promise<BlingProductSummary[]> => {
      const out: BlingProductSummary[] = [];
      for (const batch of chunk([...new Set(ids)], MAX_IDS_PER_REQUEST)) {
        for await (const page of this.produtos.paginate({ ...filters, idsProdutos: batch }, opts))
          out.push(...page);
      }
      return out;
    },
    /** `GET /produtos/{id}`: the full record, with `variacoes[]` for a `V` parent. */
    get: (id: number, opts?: RequestOptions): Promise<BlingProductDetail> =>
      this.http.request({
        method: "GET",
        path: "/produtos/{idProduto}",
        params: { idProduto: id },
        schema: productDetailResponseSchema,
        ...priorityOf(opts),
      }),
    /**
     * Full records for many ids (one request each: Bling has no batch detail). Ids that 404 map to null.
     * `concurrency` > 1 only helps if the budget hook allows it.
     */
    getMany: async (
      ids: readonly number[],
      opts?: RequestOptions & { concurrency?: number },
    ): Promise<Map<number, BlingProductDetail | null>> => {
      const unique = [...new Set(ids)];
      const out = new Map<number, BlingProductDetail | null>();
      let next = 0;
      const worker = async () => {
        while (next < unique.length) {
          const id = unique[next++] as number;
          try {
            out.set(id, await this.produtos.get(id, opts));
          } catch (err) {
            if (err instanceof BlingNotFoundError) out.set(id, null);
            else throw err;
          }
        }
      };
      const n = Math.max(1, Math.min(opts?.concurrency ?? 1, unique.length));
      await Promise.all(Array.from({ length: n }, worker));
      return new Map(unique.filter((id) => out.has(id)).map((id) => [id, out.get(id) ?? null]));
    },
  };

  // ---------------------------------------------------------------- categorias, depósitos
  readonly categorias = {
    list: async (paging: Paging = {}, opts?: RequestOptions): Promise<BlingCategory[]> =>
      this.http.request({
        method: "GET",
        path: "/categorias/produtos",
        query: pagingQuery(paging),
        schema: categoryListSchema,
        ...priorityOf(opts),
      }),
    paginate: (opts?: PaginateOptions & RequestOptions): AsyncGenerator<BlingCategory[], void, undefined> =>
      paginate((pagina, limite) => this.categorias.list({ pagina, limite }, opts), opts),
    /** One category (a product's `categoria.id` not seen in the list yet: Bling sends no category webhook). */
    get: (id: number, opts?: RequestOptions): Promise<BlingCategory> =>
      this.http.request({
        method: "GET",
        path: "/categorias/produtos/{idCategoriaProduto}",
        params: { idCategoriaProduto: id },
        schema: categoryResponseSchema,
        ...priorityOf(opts),
      }),
  };

  readonly depositos = {
    list: async (
      filters: Paging & { descricao?: string; situacao?: 0 | 1 } = {},
      opts?: RequestOptions,
    ): Promise<BlingDeposit[]> =>
      this.http.request({
        method: "GET",
        path: "/depositos",
        query: { ...pagingQuery(filters), descricao: filters.descricao, situacao: filters.situacao },
        schema: depositListSchema,
        ...priorityOf(opts),
      }),
  };

  // ---------------------------------------------------------------- estoques
  readonly estoques = {
    /**
     * Balances for many products: split into requests of at most MAX_IDS_PER_BALANCE_REQUEST ids.
     * Products Bling omits (e.g. filtered by `filtroSaldoEstoque`) are simply absent from the result.
     */
    saldos: async (ids: readonly number[], opts: StockBalanceOptions): Promise<BlingStockBalance[]> => {
      requireParam(opts, "filtroSaldoEstoque", "Bling's default hides zero-stock products");
      const out: BlingStockBalance[] = [];
      for (const batch of chunk([...new Set(ids)], MAX_IDS_PER_BALANCE_REQUEST)) {
        const page = await this.http.request({
          method: "GET",
          path: opts.idDeposito !== undefined ? "/estoques/saldos/{idDeposito}" : "/estoques/saldos",
          ...(opts.idDeposito !== undefined ? { params: { idDeposito: opts.idDeposito } } : {}),
          query: { "idsProdutos[]": batch, filtroSaldoEstoque: opts.filtroSaldoEstoque },
          schema: stockBalanceListSchema,
          ...priorityOf(opts),
        });
        out.push(...page);
      }
      return out;
    },
  };

  // ---------------------------------------------------------------- formas de pagamento
  readonly formasPagamento = {
    list: async (
      filters: PaymentMethodListFilters & Paging = {},
      opts?: RequestOptions,
    ): Promise<BlingPaymentMethod[]> =>
      this.http.request({
        method: "GET",
        path: "/formas-pagamentos",
        query: {
          ...pagingQuery(filters),
          descricao: filters.descricao,
          situacao: filters.situacao,
          "tiposPagamentos[]": filters.tiposPagamentos,
        },
        schema: paymentMethodListSchema,
        ...priorityOf(opts),
      }),
    paginate: (
      filters: PaymentMethodListFilters = {},
      opts?: PaginateOptions & RequestOptions,
    ): AsyncGenerator<BlingPaymentMethod[], void, undefined> =>
      paginate((pagina, limite) => this.formasPagamento.list({ ...filters, pagina, limite }, opts), opts),
    get: (id: number, opts?: RequestOptions): Promise<BlingPaymentMethod> =>
      this.http.request({
        method: "GET",
        path: "/formas-pagamentos/{idFormaPagamento}",
        params: { idFormaPagamento: id },
        schema: paymentMethodDetailResponseSchema,
        ...priorityOf(opts),
      }),
    /** Returns the new id. */
    create: async (body: BlingPaymentMethodCreateBody, opts?: RequestOptions): Promise<number> =>
      this.http.request({
        method: "POST",
        path: "/formas-pagamentos",
        body,
        schema: createdIdSchema,
        ...priorityOf(opts),
      }),
  };

  // ---------------------------------------------------------------- contatos
  readonly contatos = {
    list: async (
      filters: ContactListFilters & Paging,
      opts?: RequestOptions,
    ): Promise<BlingContactSummary[]> => {
      requireParam(filters, "criterio", "Bling's default hides records");
      return this.http.request({
        method: "GET",
        path: "/contatos",
        query: {
          ...pagingQuery(filters),
          criterio: filters.criterio,
          pesquisa: filters.pesquisa,
          numeroDocumento: filters.numeroDocumento,
          tipoPessoa: filters.tipoPessoa,
          uf: filters.uf,
          "idsContatos[]": filters.idsContatos,
          ...this.dateTimes(filters as unknown as Record<string, unknown>, "dataInclusao"),
          ...this.dateTimes(filters as unknown as Record<string, unknown>, "dataAlteracao"),
        },
        schema: contactListSchema,
        ...priorityOf(opts),
      });
    },
    paginate: (
      filters: ContactListFilters,
      opts?: PaginateOptions & RequestOptions,
    ): AsyncGenerator<BlingContactSummary[], void, undefined> =>
      paginate((pagina, limite) => this.contatos.list({ ...filters, pagina, limite }, opts), opts),
    get: (id: number, opts?: RequestOptions): Promise<BlingContactDetail> =>
      this.http.request({
        method: "GET",
        path: "/contatos/{idContato}",
        params: { idContato: id },
        schema: contactDetailResponseSchema,
        ...priorityOf(opts),
      }),
    /** Contacts with this CPF/CNPJ (digits only are sent; `criterio=1` so inactive ones are found too). */
    findByDocumento: async (documento: string, opts?: RequestOptions): Promise<BlingContactSummary[]> => {
      const digits = documento.replace(/\D/g, "");
      if (digits.length === 0) throw new BlingRequestError("numeroDocumento must contain digits");
      const out: BlingContactSummary[] = [];
      for await (const page of this.contatos.paginate({ criterio: 1, numeroDocumento: digits }, opts)) {
        out.push(...page);
      }
      return out;
    },
    /** Returns the new id. */
    create: async (body: BlingContactCreateBody, opts?: RequestOptions): Promise<number> =>
      this.http.request({
        method: "POST",
        path: "/contatos",
        body,
        schema: createdIdSchema,
        ...priorityOf(opts),
      }),
  };

  // ---------------------------------------------------------------- pedidos de venda
  readonly pedidosVenda = {
    /** `POST /pedidos/vendas`. `dataSaida`/`dataPrevista` default to `data`. Returns id + non-fatal alertas. */
    create: async (body: BlingOrderCreateBody, opts?: RequestOptions): Promise<BlingOrderCreateResult> =>
      this.http.request({
        method: "POST",
        path: "/pedidos/vendas",
        body: buildOrderCreateBody(body),
        schema: orderCreateResponseSchema,
        ...priorityOf(opts),
      }),
    get: (id: number, opts?: RequestOptions): Promise<BlingOrderDetail> =>
      this.http.request({
        method: "GET",
        path: "/pedidos/vendas/{idPedidoVenda}",
        params: { idPedidoVenda: id },
        schema: orderDetailResponseSchema,
        ...priorityOf(opts),
      }),
    list: async (
      filters: OrderListFilters & Paging = {},
      opts?: RequestOptions,
    ): Promise<BlingOrderSummary[]> => {
      const f = filters as unknown as Record<string, unknown>;
      return this.http.request({
        method: "GET",
        path: "/pedidos/vendas",
        query: {
          ...pagingQuery(filters),
          "numerosLojas[]": filters.numerosLojas,
          numero: filters.numero,
          idLoja: filters.idLoja,
          idContato: filters.idContato,
          "idsSituacoes[]": filters.idsSituacoes,
          ...this.dates(f, "dataInicial", "dataFinal"),
          ...this.dateTimes(f, "dataAlteracao"),
          ...this.dates(f, "dataPrevistaInicial", "dataPrevistaFinal"),
        },
        schema: orderListSchema,
        ...priorityOf(opts),
      });
    },
    paginate: (
      filters: OrderListFilters = {},
      opts?: PaginateOptions & RequestOptions,
    ): AsyncGenerator<BlingOrderSummary[], void, undefined> =>
      paginate((pagina, limite) => this.pedidosVenda.list({ ...filters, pagina, limite }, opts), opts),
    /** Orders carrying our platform's number in `numeroLoja` (dedupe before create). */
    findByNumeroLoja: async (
      numeroLoja: string,
      filters: { idLoja?: number } = {},
      opts?: RequestOptions,
    ): Promise<BlingOrderSummary[]> => {
      const out: BlingOrderSummary[] = [];
      for await (const page of this.pedidosVenda.paginate({ ...filters, numerosLojas: [numeroLoja] }, opts)) {
        out.push(...page);
      }
      // Guard against a server that ignores the filter.
      return out.filter((o) => o.numeroLoja === null || o.numeroLoja === numeroLoja);
    },
    findByNumero: async (numero: number, opts?: RequestOptions): Promise<BlingOrderSummary[]> => {
      const page = await this.pedidosVenda.list({ numero }, opts);
      return page.filter((o) => o.numero === null || o.numero === numero);
    },
    /** `PATCH /pedidos/vendas/{id}/situacoes/{idSituacao}` (204). May trigger the account's configured actions. */
    changeSituacao: (id: number, idSituacao: number, opts?: RequestOptions): Promise<void> =>
      this.http.request({
        method: "PATCH",
        path: "/pedidos/vendas/{idPedidoVenda}/situacoes/{idSituacao}",
        params: { idPedidoVenda: id, idSituacao },
        ...priorityOf(opts),
      }),
    /** `POST /pedidos/vendas/{id}/gerar-nfe` → the NF-e id (`data.idNotaFiscal ?? idNotaFiscal ?? data.id`). */
    gerarNfe: (id: number, opts?: RequestOptions): Promise<number> =>
      this.http.request({
        method: "POST",
        path: "/pedidos/vendas/{idPedidoVenda}/gerar-nfe",
        params: { idPedidoVenda: id },
        schema: generateNfeResponseSchema,
        ...priorityOf(opts),
      }),
  };

  // ---------------------------------------------------------------- situações
  readonly situacoes = {
    modulos: (opts?: RequestOptions): Promise<BlingSituacaoModulo[]> =>
      this.http.request({
        method: "GET",
        path: "/situacoes/modulos",
        schema: situacaoModuloListSchema,
        ...priorityOf(opts),
      }),
    doModulo: (idModuloSistema: number, opts?: RequestOptions): Promise<BlingSituacao[]> =>
      this.http.request({
        method: "GET",
        path: "/situacoes/modulos/{idModuloSistema}",
        params: { idModuloSistema },
        schema: situacaoListSchema,
        ...priorityOf(opts),
      }),
    /** Situações of the sales-order module (found by name "Vendas", since module ids are not documented). */
    vendas: async (opts?: RequestOptions): Promise<BlingSituacao[]> => {
      const modulos = await this.situacoes.modulos(opts);
      const vendas = modulos.find(
        (m) => normalize(m.nome) === "vendas" || normalize(m.descricao) === "pedidos de venda",
      );
      if (!vendas) throw new BlingNotFoundError({ method: "GET", path: "/situacoes/modulos" });
      return this.situacoes.doModulo(vendas.id, opts);
    },
  };

  // ---------------------------------------------------------------- produtos/lojas
  readonly produtosLojas = {
    list: async (
      filters: ProductStoreListFilters & Paging = {},
      opts?: RequestOptions,
    ): Promise<BlingProductStore[]> =>
      this.http.request({
        method: "GET",
        path: "/produtos/lojas",
        query: {
          ...pagingQuery(filters),
          idLoja: filters.idLoja,
          idProduto: filters.idProduto,
          idCategoriaProduto: filters.idCategoriaProduto,
          ...this.dateTimes(filters as unknown as Record<string, unknown>, "dataAlteracao"),
        },
        schema: productStoreListSchema,
        ...priorityOf(opts),
      }),
    paginate: (
      filters: ProductStoreListFilters = {},
      opts?: PaginateOptions & RequestOptions,
    ): AsyncGenerator<BlingProductStore[], void, undefined> =>
      paginate((pagina, limite) => this.produtosLojas.list({ ...filters, pagina, limite }, opts), opts),
  };

  // ---------------------------------------------------------------- empresa, NF-e
  readonly empresa = {
    /** `GET /empresas/me/dados-basicos`: `id` equals the webhooks' `companyId` (binds a token to a tenant). */
    dadosBasicos: (opts?: RequestOptions): Promise<BlingCompany> =>
      this.http.request({
        method: "GET",
        path: "/empresas/me/dados-basicos",
        schema: companyResponseSchema,
        ...priorityOf(opts),
      }),
  };

  readonly nfe = {
    get: (id: number, opts?: RequestOptions): Promise<BlingNfe> =>
      this.http.request({
        method: "GET",
        path: "/nfe/{idNotaFiscal}",
        params: { idNotaFiscal: id },
        schema: nfeResponseSchema,
        ...priorityOf(opts),
      }),
    /** Transmits the NF-e to SEFAZ. */
    enviar: (
      id: number,
      opts?: RequestOptions & { enviarEmail?: boolean },
    ): Promise<{ xml: string | null }> =>
      this.http.request({
        method: "POST",
        path: "/nfe/{idNotaFiscal}/enviar",
        params: { idNotaFiscal: id },
        query: { enviarEmail: opts?.enviarEmail },
        schema: nfeSendResponseSchema,
        ...priorityOf(opts),
      }),
    /**
     * One page of `GET /nfe`. Bling leaves cancelled notes (2) out unless `situacao` is passed (reference §6.10);
     * `dataEmissaoInicial`/`Final` bound the emission date-time.
     */
    list: (
      filters: {
        situacao?: number;
        tipo?: 0 | 1;
        dataEmissaoInicial?: Date;
        dataEmissaoFinal?: Date;
      } & Paging,
      opts?: RequestOptions,
    ): Promise<BlingNfe[]> =>
      this.http.request({
        method: "GET",
        path: "/nfe",
        query: {
          ...pagingQuery(filters),
          situacao: filters.situacao,
          tipo: filters.tipo,
          ...this.dateTimes(filters as unknown as Record<string, unknown>, "dataEmissao"),
        },
        schema: nfeListSchema,
        ...priorityOf(opts),
      }),
  };
}

function normalize(s: string | null): string {
  return (s ?? "").normalize("NFD").replace(/\p{M}/gu, "").trim().toLowerCase();
}

/** The exact JSON the client sends for `POST /pedidos/vendas` (exported for conformance tests). */
export function buildOrderCreateBody(body: BlingOrderCreateBody): BlingOrderCreateBody {
  if (body.itens.length === 0) throw new BlingRequestError("A Bling order needs at least one item");
  return {
    ...body,
    dataSaida: body.dataSaida ?? body.data,
    dataPrevista: body.dataPrevista ?? body.data,
  };
}
