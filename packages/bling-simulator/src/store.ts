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
  transporte?: { frete?: number; [k: string]: unknown };
  notaFiscal?: IdRef;
  [extra: string]: unknown;
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
  readonly products = new Map<number, ProductRecord>();
  /** productId → depositId → balance. */
  readonly stock = new Map<number, Map<number, StockCell>>();
  readonly contacts = new Map<number, ContactRecord>();
  readonly paymentMethods = new Map<number, BlingPaymentMethod>();
  readonly deposits = new Map<number, BlingDeposit>();
  readonly orders = new Map<number, OrderRecord>();
  readonly situacoes = new Map<number, BlingSituacao>();
  readonly stores = new Map<number, BlingStore>();
  readonly storeLinks = new Map<number, BlingStoreLink>();
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
    const out: ProductRecord[] = [];
    for (const p of this.products.values()) if (p.data.idProdutoPai === parentId) out.push(p);
    return out.sort(
      (a, b) => (a.data.variacao?.ordem ?? 0) - (b.data.variacao?.ordem ?? 0) || a.data.id - b.data.id,
    );
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

const round4 = (n: number): number => Math.round(n * 10_000) / 10_000;
