/** In-memory entities, stored in Bling's own JSON shapes so projections stay close to the wire format. */

export interface IdRef {
  id: number;
}

export interface BlingImageInterna {
  link: string;
  linkMiniatura: string;
  validade: string;
  ordem: number;
  anexo: IdRef;
  anexoVinculo: IdRef;
}

/** A product as `GET /produtos/{id}` shows it (minus computed stock and variations). */
export interface BlingProductFields {
  id: number;
  nome: string;
  codigo: string;
  preco: number;
  precoCusto?: number;
  tipo: "P" | "S" | "N";
  situacao: "A" | "I" | "E";
  formato: "S" | "V" | "E";
  descricaoCurta: string;
  descricaoComplementar?: string;
  unidade?: string;
  pesoLiquido?: number;
  pesoBruto?: number;
  volumes?: number;
  itensPorCaixa?: number;
  gtin?: string;
  gtinEmbalagem?: string;
  marca?: string;
  categoria?: IdRef;
  dimensoes?: { largura?: number; altura?: number; profundidade?: number; unidadeMedida?: number };
  estoque?: { minimo?: number; maximo?: number; crossdocking?: number; localizacao?: string };
  tributacao?: Record<string, unknown>;
  midia?: {
    video?: { url: string };
    imagens?: { externas?: Array<{ link: string }>; internas?: BlingImageInterna[] };
  };
  estrutura?: {
    tipoEstoque: "F" | "V";
    lancamentoEstoque: "A" | "M" | "P";
    componentes: Array<{ produto: IdRef; quantidade: number }>;
  };
  idProdutoPai?: number;
  variacao?: { nome: string; ordem: number };
}

/** Unknown extra fields sent by clients are kept, as Bling keeps what it understands and ignores the rest. */
export type BlingProduct = BlingProductFields & { [extra: string]: unknown };

export interface ProductRecord {
  data: BlingProduct;
  createdAt: number;
  updatedAt: number;
}

export interface BlingAddress {
  endereco?: string;
  numero?: string;
  complemento?: string;
  bairro?: string;
  cep?: string;
  municipio?: string;
  uf?: string;
}

export interface BlingContact {
  id: number;
  nome: string;
  codigo?: string;
  situacao: "A" | "E" | "I" | "S";
  numeroDocumento?: string;
  telefone?: string;
  celular?: string;
  fantasia?: string;
  tipo: "F" | "J" | "E";
  indicadorIe?: 1 | 2 | 9;
  ie?: string;
  rg?: string;
  inscricaoMunicipal?: string;
  email?: string;
  emailNotaFiscal?: string;
  endereco?: { geral?: BlingAddress; cobranca?: BlingAddress };
  [extra: string]: unknown;
}

export interface ContactRecord {
  data: BlingContact;
  createdAt: number;
  updatedAt: number;
}

export interface BlingPaymentMethod {
  id: number;
  descricao: string;
  tipoPagamento: number;
  situacao: 0 | 1;
  fixa: boolean;
  padrao: 0 | 1 | 2;
  finalidade: 1 | 2 | 3;
  juros?: number;
  multa?: number;
  condicao?: string;
  destino: 1 | 2 | 3;
  utilizaDiasUteis?: boolean;
  taxas?: { aliquota?: number; valor?: number; prazo?: number };
}

export interface BlingDeposit {
  id: number;
  descricao: string;
  situacao: 0 | 1;
  padrao: boolean;
  desconsiderarSaldo: boolean;
}

export interface BlingSituacao {
  id: number;
  nome: string;
  idHerdado: number;
  cor: string;
}

export interface BlingStore {
  id: number;
  descricao: string;
  tipo: string;
  situacao: 1 | 2;
}

export interface BlingStoreLink {
  id: number;
  codigo: string;
  preco: number;
  precoPromocional: number;
  produto: IdRef;
  loja: IdRef;
  updatedAt: number;
}

export interface BlingCategory {
  id: number;
  descricao: string;
  categoriaPai?: IdRef;
}

export interface BlingOrderItem {
  id: number;
  codigo?: string;
  unidade?: string;
  quantidade: number;
  desconto: number;
  valor: number;
  aliquotaIPI?: number;
  descricao: string;
  descricaoDetalhada?: string;
  produto?: IdRef;
  [extra: string]: unknown;
}

export interface BlingOrderParcela {
  id: number;
  dataVencimento: string;
  valor: number;
  observacoes?: string;
  caut?: string;
  formaPagamento: IdRef;
}

export interface BlingOrder {
  id: number;
  numero: number;
  numeroLoja?: string;
  data: string;
  dataSaida: string;
  dataPrevista: string;
  contato: { id: number };
  situacao: { id: number };
  loja: { id: number };
  itens: BlingOrderItem[];
  parcelas: BlingOrderParcela[];
  desconto?: { valor: number; unidade: "REAL" | "PERCENTUAL" };
  outrasDespesas?: number;
  transporte?: { frete?: number; volumes?: BlingOrderVolume[]; [k: string]: unknown };
  notaFiscal?: IdRef;
  [extra: string]: unknown;
}

/** `VendasTransporteVolumeDTO`: one shipped volume and its tracking code (reference §6.8). */
export interface BlingOrderVolume {
  id: number;
  servico: string;
  codigoRastreamento: string;
}

export interface OrderRecord {
  data: BlingOrder;
  createdAt: number;
  updatedAt: number;
}

export interface BlingInvoice {
  id: number;
  tipo: 0 | 1;
  situacao: number;
  numero: string;
  serie: number;
  dataEmissao: string;
  dataOperacao: string;
  chaveAcesso: string;
  orderId: number;
  contatoId: number;
  lojaId: number;
  naturezaOperacaoId: number;
  valorNota: number;
  xml: string;
  /** Token carried by the public XML/DANFE links (`accessKey` query parameter, as Bling does since v338). */
  accessKey: string;
  /** SEFAZ's reason for a rejection (4) or denial (9); not part of the API's NF-e body. */
  motivo: string;
  /** Transmissions answered so far (`POST /nfe/{id}/enviar` that reached SEFAZ). */
  transmissions: number;
  /** A transmission awaiting SEFAZ (situação 8): the outcome applied once the clock reaches `settleAt`. */
  pending: { outcome: NfeOutcome; settleAt: number } | null;
}

/**
 * What SEFAZ answers to the next transmission. `delayMs` > 0 leaves the note in 8 ("aguardando protocolo")
 * until the clock reaches it; rejections and denials carry SEFAZ's code and reason (pt-BR).
 */
export type NfeOutcome =
  | { result: "authorized"; delayMs?: number }
  | { result: "rejected"; reason: string; code?: number; delayMs?: number }
  | { result: "denied"; reason: string; code?: number; delayMs?: number };

export interface StockCell {
  fisico: number;
  virtual: number;
}

export const VENDAS_MODULE = {
  id: 98310,
  nome: "Vendas",
  descricao: "Pedidos de Venda",
  criarSituacoes: true,
};

/** Default Vendas situations measured on real accounts (see the reference §6.9) and their `valor`. */
export const BASE_SITUACOES: Array<BlingSituacao & { valor: number }> = [
  { id: 6, nome: "Em aberto", idHerdado: 0, cor: "#E9DC40", valor: 0 },
  { id: 9, nome: "Atendido", idHerdado: 0, cor: "#3FB57A", valor: 1 },
  { id: 12, nome: "Cancelado", idHerdado: 0, cor: "#CACACA", valor: 2 },
  { id: 15, nome: "Em andamento", idHerdado: 0, cor: "#4DA5F0", valor: 3 },
];

export class Account {
  readonly accountId: string;
  readonly companyId: string;
  companyName: string;
  cnpj: string;
  email: string;
  dataContrato: string;
  active = true;
  /** Indexed: every write of a product replaces its record through `set`. */
  readonly products = new ProductMap();
  /** productId → depositId → balance. */
  readonly stock = new Map<number, Map<number, StockCell>>();
  readonly contacts = new Map<number, ContactRecord>();
  readonly paymentMethods = new Map<number, BlingPaymentMethod>();
  readonly deposits = new Map<number, BlingDeposit>();
  readonly orders = new Map<number, OrderRecord>();
  readonly situacoes = new Map<number, BlingSituacao>();
  readonly stores = new Map<number, BlingStore>();
  readonly storeLinks = new Map<number, BlingStoreLink>();
  /** `${storeId}:${productId}` → link id (links are only added, by Domain.setStoreProductPrice). */
  readonly storeLinkIds = new Map<string, number>();
  readonly categories = new Map<number, BlingCategory>();
  readonly invoices = new Map<number, BlingInvoice>();
  nextOrderNumero = 1;
  nextInvoiceNumero = 1;
  /** SEFAZ outcomes for the next transmissions, in order; when empty `nfeDefaultOutcome` applies. */
  nfeOutcomes: NfeOutcome[] = [];
  nfeDefaultOutcome: NfeOutcome = { result: "authorized" };
  /** Day number and count for the 120k/day quota; timestamps of accepted requests for the 3/s window. */
  dayNumber = -1;
  dayCount = 0;
  recentAccepted: number[] = [];
  /** Bumped on every balance or deposit write (with `products.version`, it tells a list cursor it is stale). */
  stockVersion = 0;
  /** Where the last page of a product list ended, per query (without `pagina`): the next page resumes there. */
  readonly listCursors = new Map<string, ListCursor>();

  constructor(init: {
    accountId: string;
    companyId: string;
    companyName: string;
    cnpj: string;
    email: string;
    dataContrato: string;
  }) {
    this.accountId = init.accountId;
    this.companyId = init.companyId;
    this.companyName = init.companyName;
    this.cnpj = init.cnpj;
    this.email = init.email;
    this.dataContrato = init.dataContrato;
    for (const s of BASE_SITUACOES) {
      this.situacoes.set(s.id, { id: s.id, nome: s.nome, idHerdado: s.idHerdado, cor: s.cor });
    }
  }

  defaultDeposit(): BlingDeposit | undefined {
    for (const d of this.deposits.values()) if (d.padrao) return d;
    return this.deposits.values().next().value;
  }

  children(parentId: number): ProductRecord[] {
    return this.products.children(parentId);
  }

  /** Products with this code (any situação), in insertion order. */
  productsWithCode(code: string): ProductRecord[] {
    return this.products.withCode(code);
  }

  /** Kits with virtual stock (formato E, tipoEstoque V) that use this product as a component. */
  kitsUsing(productId: number): number[] {
    return this.products.kitsUsing(productId);
  }

  /** Insertion position of a product (the order `products` iterates in). */
  position(productId: number): number {
    return this.products.position(productId);
  }

  /** Own balances per deposit; kits with virtual stock derive theirs from components, parents from children. */
  balances(productId: number, depth = 0): Map<number, StockCell> {
    const rec = this.products.get(productId);
    const out = new Map<number, StockCell>();
    if (!rec || depth > 4) return out;
    const p = rec.data;
    if (p.formato === "V") {
      for (const child of this.children(p.id)) {
        for (const [dep, cell] of this.balances(child.data.id, depth + 1)) {
          const acc = out.get(dep) ?? { fisico: 0, virtual: 0 };
          out.set(dep, { fisico: acc.fisico + cell.fisico, virtual: acc.virtual + cell.virtual });
        }
      }
      return out;
    }
    if (p.formato === "E" && p.estrutura?.tipoEstoque === "V" && p.estrutura.componentes.length > 0) {
      for (const dep of this.deposits.keys()) {
        let fis = Number.POSITIVE_INFINITY;
        let vir = Number.POSITIVE_INFINITY;
        for (const c of p.estrutura.componentes) {
          const cell = this.balances(c.produto.id, depth + 1).get(dep) ?? { fisico: 0, virtual: 0 };
          const q = c.quantidade > 0 ? c.quantidade : 1;
          fis = Math.min(fis, Math.floor(cell.fisico / q));
          vir = Math.min(vir, Math.floor(cell.virtual / q));
        }
        out.set(dep, { fisico: Math.max(0, fis), virtual: Math.max(0, vir) });
      }
      return out;
    }
    for (const [dep, cell] of this.stock.get(productId) ?? []) out.set(dep, { ...cell });
    return out;
  }

  totals(productId: number, onlyDeposit?: number): { fisico: number; virtual: number } {
    let fisico = 0;
    let virtual = 0;
    for (const [dep, cell] of this.balances(productId)) {
      if (onlyDeposit !== undefined && dep !== onlyDeposit) continue;
      const d = this.deposits.get(dep);
      // Deposits flagged "desconsiderarSaldo" are kept out of the totals, as in Bling.
      if (d?.desconsiderarSaldo && onlyDeposit === undefined) continue;
      fisico += cell.fisico;
      virtual += cell.virtual;
    }
    return { fisico: round4(fisico), virtual: round4(virtual) };
  }

  situacaoValor(id: number): number {
    const seen = new Set<number>();
    let cur = this.situacoes.get(id);
    while (cur && !seen.has(cur.id)) {
      const base = BASE_SITUACOES.find((b) => b.id === cur?.id);
      if (base) return base.valor;
      seen.add(cur.id);
      cur = this.situacoes.get(cur.idHerdado);
    }
    return 0;
  }
}

export interface ListCursor {
  productsVersion: number;
  stockVersion: number;
  /** Rows matched before `scanPos` in `products.idsDesc()`. */
  matched: number;
  scanPos: number;
}

/**
 * The account's products with the lookups Bling's reads need kept up to date on every `set`/`delete` (a
 * product write replaces its record through `set`; a soft delete only changes `situacao`, which no index
 * holds), so reads never scan the catalog: at 50,000 products the lists, balances and variations were
 * quadratic (every list page recomputed every parent's children by a full scan).
 */
export class ProductMap extends Map<number, ProductRecord> {
  /** Bumped on every `set`/`delete`/`clear`. */
  version = 0;
  private readonly childIds = new Map<number, Set<number>>();
  private readonly codeIds = new Map<string, Set<number>>();
  private readonly kitIds = new Map<number, Set<number>>();
  private readonly seq = new Map<number, number>();
  private nextSeq = 0;
  /** Ids newest first; rebuilt on the first read after an id was added or removed. */
  private sortedIds: number[] | undefined;

  override set(id: number, rec: ProductRecord): this {
    this.version++;
    const old = super.get(id);
    if (old) this.unindex(old.data);
    else {
      this.seq.set(id, this.nextSeq++);
      this.sortedIds = undefined;
    }
    super.set(id, rec);
    this.index(rec.data);
    return this;
  }

  override delete(id: number): boolean {
    this.version++;
    const old = super.get(id);
    if (!old) return false;
    this.unindex(old.data);
    this.seq.delete(id);
    this.sortedIds = undefined;
    return super.delete(id);
  }

  override clear(): void {
    this.version++;
    for (const m of [this.childIds, this.codeIds, this.kitIds, this.seq]) m.clear();
    this.sortedIds = undefined;
    super.clear();
  }

  children(parentId: number): ProductRecord[] {
    return this.records(this.childIds.get(parentId)).sort(
      (a, b) => (a.data.variacao?.ordem ?? 0) - (b.data.variacao?.ordem ?? 0) || a.data.id - b.data.id,
    );
  }

  withCode(code: string): ProductRecord[] {
    return this.records(this.codeIds.get(code)).sort(
      (a, b) => this.position(a.data.id) - this.position(b.data.id),
    );
  }

  kitsUsing(productId: number): number[] {
    return [...(this.kitIds.get(productId) ?? [])];
  }

  position(id: number): number {
    return this.seq.get(id) ?? Number.POSITIVE_INFINITY;
  }

  /** Every id, newest first (the order of Bling's lists). Shared: do not mutate. */
  idsDesc(): readonly number[] {
    if (!this.sortedIds) this.sortedIds = [...super.keys()].sort((a, b) => b - a);
    return this.sortedIds;
  }

  private records(ids: Set<number> | undefined): ProductRecord[] {
    const out: ProductRecord[] = [];
    for (const id of ids ?? []) {
      const rec = super.get(id);
      if (rec) out.push(rec);
    }
    return out;
  }

  private index(p: BlingProduct): void {
    if (p.idProdutoPai !== undefined && p.idProdutoPai !== null) add(this.childIds, p.idProdutoPai, p.id);
    if (typeof p.codigo === "string") add(this.codeIds, p.codigo, p.id);
    if (p.formato === "E" && p.estrutura?.tipoEstoque === "V")
      for (const c of p.estrutura.componentes) add(this.kitIds, c.produto.id, p.id);
  }

  private unindex(p: BlingProduct): void {
    if (p.idProdutoPai !== undefined && p.idProdutoPai !== null) remove(this.childIds, p.idProdutoPai, p.id);
    if (typeof p.codigo === "string") remove(this.codeIds, p.codigo, p.id);
    if (p.formato === "E" && p.estrutura?.tipoEstoque === "V")
      for (const c of p.estrutura.componentes) remove(this.kitIds, c.produto.id, p.id);
  }
}

function add<K>(m: Map<K, Set<number>>, key: K, id: number): void {
  const set = m.get(key);
  if (set) set.add(id);
  else m.set(key, new Set([id]));
}

function remove<K>(m: Map<K, Set<number>>, key: K, id: number): void {
  const set = m.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) m.delete(key);
}

const round4 = (n: number): number => Math.round(n * 10_000) / 10_000;
