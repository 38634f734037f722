/**
 * What the sync engine needs from Bling, in Bling's own field names (API v3). The @zb/bling client
 * satisfies it through a thin adapter (src/adapters); tests may use the simulator through the same adapter.
 * Ids are strings here: Bling's exceed int32 and we never do arithmetic on them.
 *
 * Naming: these are the engine's own models, not @zb/bling's wire types (those are `Bling*` and keep that
 * name). The ERP side (Bling) is `Erp*` (`ErpProductDetail`, `ErpContact`, `ErpNfe`…), the portal side (Zydon,
 * ports/zydon-port.ts) is `Portal*`; only the port interface itself (`BlingPort`) and the budget lane name
 * the vendor. No type here may share a name with a vendor package export.
 */
export type BlingLane = "orders" | "status" | "stock_price" | "catalog" | "customers";

export interface ErpProductSummary {
  id: string;
  idProdutoPai: string | null;
  nome: string;
  codigo: string;
  preco: number;
  situacao: "A" | "I" | string;
  formato: "S" | "V" | "E" | string;
  tipo: string;
}

export interface ErpVariation {
  id: string;
  nome: string;
  codigo: string;
  preco: number;
  gtin: string | null;
  situacao: string;
  /** Axis values, from `variacao.nome` ("Cor:Azul;Tamanho:M"). */
  axes: Array<{ name: string; value: string }>;
  pesoLiquido: number | null;
  pesoBruto: number | null;
  dimensoes: { largura: number | null; altura: number | null; profundidade: number | null } | null;
  imageUrls: string[];
}

export interface ErpProductDetail {
  id: string;
  /** Set when this id is a variation: the sync works on the parent. */
  idProdutoPai: string | null;
  nome: string;
  codigo: string;
  preco: number;
  situacao: string;
  formato: string;
  tipo: string;
  gtin: string | null;
  unidade: string | null;
  marca: string | null;
  categoriaId: string | null;
  descricaoCurta: string | null;
  descricaoComplementar: string | null;
  pesoLiquido: number | null;
  pesoBruto: number | null;
  dimensoes: { largura: number | null; altura: number | null; profundidade: number | null } | null;
  imageUrls: string[];
  variacoes: ErpVariation[];
}

export interface ErpStockBalance {
  productId: string;
  saldoFisicoTotal: number;
  saldoVirtualTotal: number;
  depositos: Array<{ id: string; saldoFisico: number; saldoVirtual: number }>;
}

export interface ErpPaymentMethod {
  id: string;
  descricao: string;
  tipoPagamento: number;
  situacao: number | null;
}

export interface ErpContact {
  id: string;
  nome: string;
  codigo: string | null;
  situacao: string;
  numeroDocumento: string | null;
  tipo: string | null;
  ie: string | null;
  rg: string | null;
  email: string | null;
  telefone: string | null;
  celular: string | null;
  endereco: {
    endereco: string | null;
    numero: string | null;
    complemento: string | null;
    bairro: string | null;
    cep: string | null;
    municipio: string | null;
    uf: string | null;
  } | null;
}

export interface ErpOrderItemInput {
  codigo: string;
  descricao: string;
  unidade?: string;
  quantidade: number;
  valor: number;
  desconto?: number;
  produto?: { id: number };
}

export interface ErpOrderInput {
  numeroLoja: string;
  data: string;
  dataSaida?: string;
  dataPrevista?: string;
  contato: { id: number };
  itens: ErpOrderItemInput[];
  parcelas: Array<{
    dataVencimento: string;
    valor: number;
    observacoes?: string;
    formaPagamento: { id: number };
  }>;
  transporte?: { frete?: number };
  desconto?: { valor: number; unidade: "REAL" | "PERCENTUAL" };
  observacoes?: string;
  observacoesInternas?: string;
}

export interface ErpOrderSummary {
  id: string;
  numero: string | null;
  numeroLoja: string | null;
  situacaoId: string | null;
  /**
   * `notaFiscal.id` of the order detail (`GET /pedidos/vendas/{id}`; Bling sends 0 for none → null). Read by
   * the NF-e pipeline after a crash between `gerar-nfe` and saving its id. Optional: list rows don't carry it,
   * and `undefined` means "not read" — the pipeline then refuses to generate again instead of risking a second
   * NF-e.
   */
  notaFiscalId?: string | null;
  /**
   * Tracking codes of the order detail (`transporte.volumes[].codigoRastreamento`, `VendasTransporteVolumeDTO`),
   * volumes without a code left out. Optional like `notaFiscalId`: list rows don't carry it.
   */
  trackingCodes?: ErpTrackingCode[];
}

export interface ErpTrackingCode {
  /** The volume's logistics service (`servico`, e.g. a carrier alias); null when blank. */
  servico: string | null;
  codigo: string;
}

export interface ErpContactInput {
  nome: string;
  tipo: "F" | "J" | "E";
  numeroDocumento?: string;
  ie?: string;
  rg?: string;
  situacao: "A";
  email?: string;
  telefone?: string;
  celular?: string;
  endereco?: {
    geral: {
      endereco?: string;
      numero?: string;
      complemento?: string;
      bairro?: string;
      cep?: string;
      municipio?: string;
      uf?: string;
    };
  };
}

export interface ErpSituacao {
  id: string;
  nome: string;
}

export interface ErpNfe {
  id: string;
  situacao: number;
  numero: string | null;
  chaveAcesso: string | null;
  xmlUrl: string | null;
  danfeUrl: string | null;
}

/** A product category (`GET /categorias/produtos`): `parentId` null for a root (Bling sends `categoriaPai.id` 0). */
export interface ErpCategory {
  id: string;
  descricao: string;
  parentId: string | null;
}

export interface BlingPort {
  /** One page (limite 100) of products. `filtroSaldoEstoque` must be explicit: Bling's default hides zero stock. */
  listProducts(q: {
    page: number;
    criterio: 1 | 2 | 3 | 4 | 5;
    filtroSaldoEstoque: 0 | 1 | 2;
    dataAlteracaoInicial?: Date;
    dataAlteracaoFinal?: Date;
    idsProdutos?: string[];
    /** Products (and variations) by SKU (`codigos[]`). */
    codigos?: string[];
  }): Promise<ErpProductSummary[]>;
  getProduct(id: string): Promise<ErpProductDetail | null>;
  /** Balances for many products in one request (the client caps the batch). */
  getBalances(productIds: string[]): Promise<ErpStockBalance[]>;
  maxBalanceBatch: number;
  listDeposits(): Promise<Array<{ id: string; descricao: string; padrao: boolean; situacao: number | null }>>;
  listPaymentMethods(page: number): Promise<ErpPaymentMethod[]>;
  createPaymentMethod(input: { descricao: string; tipoPagamento: number }): Promise<string>;
  listContacts(q: { page: number; criterio: 1 | 2 | 3 | 4 }): Promise<ErpContact[]>;
  getContact(id: string): Promise<ErpContact | null>;
  findContactsByDocument(digits: string): Promise<ErpContact[]>;
  createContact(input: ErpContactInput): Promise<string>;
  findOrdersByNumeroLoja(numeroLoja: string): Promise<ErpOrderSummary[]>;
  createOrder(input: ErpOrderInput): Promise<{ id: string; numero: string | null }>;
  /**
   * One page (limite 100) of sales orders changed in a `dataAlteracao` window (list rows: no tracking codes,
   * no `notaFiscal`): the polling fallback for lost order webhooks.
   */
  listOrdersChanged(q: {
    page: number;
    dataAlteracaoInicial: Date;
    dataAlteracaoFinal: Date;
  }): Promise<ErpOrderSummary[]>;
  getOrder(id: string): Promise<ErpOrderSummary | null>;
  /** Situações of the sales module ("Vendas"). */
  listSalesSituacoes(): Promise<ErpSituacao[]>;
  /**
   * One page of a store's prices (`/produtos/lojas`). Bling sends no webhook for these links, so the poll reads
   * the ones changed in a `dataAlteracao` window.
   */
  listStorePrices(q: {
    page: number;
    idLoja: string;
    dataAlteracaoInicial?: Date;
    dataAlteracaoFinal?: Date;
  }): Promise<Array<{ productId: string; preco: number; precoPromocional: number | null }>>;
  generateNfe(orderId: string): Promise<string>;
  sendNfe(nfeId: string): Promise<void>;
  getNfe(nfeId: string): Promise<ErpNfe | null>;
  /** One page (limite 100) of exit NF-e cancelled in Bling (situação 2) emitted since `since`. */
  listCancelledNfes(q: { since: Date; page: number }): Promise<ErpNfe[]>;
  /** One page (limite 100) of product categories. */
  listCategories(page: number): Promise<ErpCategory[]>;
  /** One category; null when Bling answers 404. */
  getCategory(id: string): Promise<ErpCategory | null>;
}
