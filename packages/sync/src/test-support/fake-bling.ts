import type {
  BlingPort,
  ErpCategory,
  ErpContact,
  ErpContactInput,
  ErpNfe,
  ErpOrderInput,
  ErpOrderSummary,
  ErpPaymentMethod,
  ErpProductDetail,
  ErpProductSummary,
  ErpSituacao,
  ErpStockBalance,
  ErpVariation,
} from "../ports/bling-port.js";
import { CallLog } from "./call-log.js";

export type BlingMethod = {
  [K in keyof BlingPort]: BlingPort[K] extends (...args: never[]) => unknown ? K : never;
}[keyof BlingPort];

type Deposit = { id: string; descricao: string; padrao: boolean; situacao: number | null };
/** `changedAt`: when the merchant last saved it (the `dataAlteracao` filter); absent = long ago. */
type StorePrice = { productId: string; preco: number; precoPromocional: number | null; changedAt?: Date };

const PAGE = 100;

function page<T>(rows: T[], n: number): T[] {
  return rows.slice((n - 1) * PAGE, n * PAGE);
}

/** A Bling product detail with every optional field empty; override what the test is about. */
export function blingProduct(p: Partial<ErpProductDetail> & { codigo: string }): ErpProductDetail {
  return {
    id: "",
    idProdutoPai: null,
    nome: `Produto ${p.codigo}`,
    preco: 10,
    situacao: "A",
    formato: (p.variacoes?.length ?? 0) > 0 ? "V" : "S",
    tipo: "P",
    gtin: null,
    unidade: "UN",
    marca: null,
    categoriaId: null,
    descricaoCurta: null,
    descricaoComplementar: null,
    pesoLiquido: null,
    pesoBruto: null,
    dimensoes: null,
    imageUrls: [],
    variacoes: [],
    ...p,
  };
}

export function blingVariation(v: Partial<ErpVariation> & { codigo: string }): ErpVariation {
  return {
    id: "",
    nome: `Variação ${v.codigo}`,
    preco: 0,
    gtin: null,
    situacao: "A",
    axes: [],
    pesoLiquido: null,
    pesoBruto: null,
    dimensoes: null,
    imageUrls: [],
    ...v,
  };
}

export function blingContact(c: Partial<ErpContact> & { nome: string }): ErpContact {
  return {
    id: "",
    codigo: null,
    situacao: "A",
    numeroDocumento: null,
    tipo: "F",
    ie: null,
    rg: null,
    email: null,
    telefone: null,
    celular: null,
    endereco: null,
    ...c,
  };
}

/**
 * In-memory Bling behind the `BlingPort` the pipelines use: records live in maps, every call is recorded
 * in `log` (count Bling requests with `log.count()`), and `log.fail(method, err, { timing })` makes a call
 * fail before or after its write lands. Listing follows Bling's rules the pipelines rely on: pages of 100,
 * `criterio` 2 = active only / 5 = all, `filtroSaldoEstoque` 1 positive / 0 zero / 2 negative physical stock,
 * variations listed as their own rows with `idProdutoPai`.
 */
export class FakeBling implements BlingPort {
  readonly log = new CallLog<BlingMethod>();
  maxBalanceBatch = 100;
  readonly products = new Map<string, ErpProductDetail>();
  /** When each product last changed (for `dataAlteracao` windows). */
  readonly changedAt = new Map<string, Date>();
  readonly balances = new Map<string, ErpStockBalance>();
  deposits: Deposit[] = [{ id: "dep-geral", descricao: "Geral", padrao: true, situacao: 1 }];
  readonly paymentMethods = new Map<string, ErpPaymentMethod>();
  readonly contacts = new Map<string, ErpContact>();
  readonly orders = new Map<string, { summary: ErpOrderSummary; input: ErpOrderInput }>();
  /** When each order last changed in Bling (for `dataAlteracao` windows). */
  readonly orderChangedAt = new Map<string, Date>();
  situacoes: ErpSituacao[] = [];
  readonly storePrices = new Map<string, StorePrice[]>();
  readonly nfes = new Map<string, ErpNfe>();
  /** Product categories (`putCategory`), listed newest first as the simulator does. */
  readonly categories = new Map<string, ErpCategory>();
  private nextId = 16_000_000_001;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  newId(): string {
    return String(this.nextId++);
  }

  // ── seeding (not part of the port, not recorded) ─────────────────────────────────────────────────────

  /** Add or replace a product; ids are assigned to the product and its variations when blank. */
  putProduct(p: ErpProductDetail): ErpProductDetail {
    const id = p.id || this.newId();
    const stored: ErpProductDetail = {
      ...p,
      id,
      variacoes: p.variacoes.map((v) => ({ ...v, id: v.id || this.newId() })),
    };
    this.products.set(id, stored);
    this.changedAt.set(id, this.clock());
    return stored;
  }

  /** Add or rename a category (no webhook: Bling sends none for categories). */
  putCategory(c: { id?: string; descricao: string; parentId?: string | null }): ErpCategory {
    const stored = { id: c.id || this.newId(), descricao: c.descricao, parentId: c.parentId ?? null };
    this.categories.set(stored.id, stored);
    return stored;
  }

  /** Change a stored product (e.g. `{ situacao: "I" }`), marking it as changed now. */
  editProduct(id: string, patch: Partial<ErpProductDetail>): ErpProductDetail {
    const current = this.products.get(id);
    if (!current) throw new Error(`fake bling: no product ${id}`);
    return this.putProduct({ ...current, ...patch, id });
  }

  /** Per-deposit balances of a product or variation id. */
  setBalance(productId: string, depositos: ErpStockBalance["depositos"]): void {
    this.balances.set(productId, {
      productId,
      saldoFisicoTotal: depositos.reduce((a, d) => a + d.saldoFisico, 0),
      saldoVirtualTotal: depositos.reduce((a, d) => a + d.saldoVirtual, 0),
      depositos,
    });
  }

  putPaymentMethod(m: Omit<ErpPaymentMethod, "id"> & { id?: string }): ErpPaymentMethod {
    const stored = { ...m, id: m.id ?? this.newId() };
    this.paymentMethods.set(stored.id, stored);
    return stored;
  }

  putContact(c: ErpContact): ErpContact {
    const stored = { ...c, id: c.id || this.newId() };
    this.contacts.set(stored.id, stored);
    return stored;
  }

  /** An order as Bling holds it (e.g. one created before a crash), keyed by `numeroLoja`. */
  putOrder(numeroLoja: string, situacaoId: string | null = null): ErpOrderSummary {
    const id = this.newId();
    const summary = { id, numero: String(this.orders.size + 1), numeroLoja, situacaoId };
    this.orders.set(id, { summary, input: { numeroLoja } as ErpOrderInput });
    this.orderChangedAt.set(id, this.clock());
    return summary;
  }

  setOrderSituacao(orderId: string, situacaoId: string): void {
    const o = this.orders.get(orderId);
    if (!o) throw new Error(`fake bling: no order ${orderId}`);
    o.summary = { ...o.summary, situacaoId };
    this.orderChangedAt.set(orderId, this.clock());
  }

  /** The order detail's tracking codes (`transporte.volumes`), as the merchant saved them in Bling. */
  setOrderTracking(orderId: string, trackingCodes: Array<{ servico: string | null; codigo: string }>): void {
    const o = this.orders.get(orderId);
    if (!o) throw new Error(`fake bling: no order ${orderId}`);
    o.summary = { ...o.summary, trackingCodes: trackingCodes.map((t) => ({ ...t })) };
    this.orderChangedAt.set(orderId, this.clock());
  }

  /** The merchant cancelled the note in Bling (situação 2). */
  cancelNfe(nfeId: string): void {
    const n = this.nfes.get(nfeId);
    if (!n) throw new Error(`fake bling: no NF-e ${nfeId}`);
    this.nfes.set(nfeId, { ...n, situacao: 2 });
  }

  // ── BlingPort ─────────────────────────────────────────────────────────────────────────────────────────

  listProducts(q: Parameters<BlingPort["listProducts"]>[0]): Promise<ErpProductSummary[]> {
    return this.log.run("listProducts", [q], () => {
      const rows: ErpProductSummary[] = [];
      for (const p of this.products.values()) {
        const changed = this.changedAt.get(p.id) ?? new Date(0);
        if (q.dataAlteracaoInicial && changed < q.dataAlteracaoInicial) continue;
        if (q.dataAlteracaoFinal && changed > q.dataAlteracaoFinal) continue;
        if (q.idsProdutos && !q.idsProdutos.includes(p.id)) continue;
        const listed = [this.summary(p, null)];
        for (const v of p.variacoes)
          listed.push({ ...this.summary(p, p.id), id: v.id, nome: v.nome, codigo: v.codigo, preco: v.preco });
        for (const r of listed) {
          if (q.criterio === 2 && r.situacao !== "A") continue;
          if (q.criterio === 3 && r.situacao !== "I") continue;
          if (q.criterio === 4 && r.situacao !== "E") continue;
          if (q.codigos && !q.codigos.includes(r.codigo)) continue;
          const stock = this.balances.get(r.id)?.saldoFisicoTotal ?? 0;
          const filtro = stock > 0 ? 1 : stock < 0 ? 2 : 0;
          if (filtro !== q.filtroSaldoEstoque) continue;
          rows.push(r);
        }
      }
      return page(rows, q.page);
    });
  }

  getProduct(id: string): Promise<ErpProductDetail | null> {
    return this.log.run("getProduct", [id], () => {
      const p = this.products.get(id);
      if (p) return structuredClone(p);
      // A variation id: Bling answers with the variation, pointing at its parent.
      for (const parent of this.products.values()) {
        const v = parent.variacoes.find((x) => x.id === id);
        if (v)
          return blingProduct({
            id: v.id,
            idProdutoPai: parent.id,
            codigo: v.codigo,
            nome: v.nome,
            preco: v.preco,
            situacao: v.situacao,
            formato: "S",
          });
      }
      return null;
    });
  }

  getBalances(productIds: string[]): Promise<ErpStockBalance[]> {
    return this.log.run("getBalances", [productIds], () => {
      if (productIds.length > this.maxBalanceBatch)
        throw new Error(`fake bling: ${productIds.length} ids over the batch of ${this.maxBalanceBatch}`);
      return productIds.flatMap((id) => {
        const b = this.balances.get(id);
        return b ? [structuredClone(b)] : [];
      });
    });
  }

  listDeposits(): Promise<Deposit[]> {
    return this.log.run("listDeposits", [], () => this.deposits.map((d) => ({ ...d })));
  }

  listPaymentMethods(n: number): Promise<ErpPaymentMethod[]> {
    return this.log.run("listPaymentMethods", [n], () => page([...this.paymentMethods.values()], n));
  }

  createPaymentMethod(input: { descricao: string; tipoPagamento: number }): Promise<string> {
    return this.log.run(
      "createPaymentMethod",
      [input],
      () => this.putPaymentMethod({ ...input, situacao: 1 }).id,
    );
  }

  listContacts(q: { page: number; criterio: 1 | 2 | 3 | 4 }): Promise<ErpContact[]> {
    return this.log.run("listContacts", [q], () =>
      // The list row carries no IE/RG (the pipeline reads the detail when it needs them).
      page([...this.contacts.values()], q.page).map((c) => ({ ...c, ie: null, rg: null })),
    );
  }

  getContact(id: string): Promise<ErpContact | null> {
    return this.log.run("getContact", [id], () => {
      const c = this.contacts.get(id);
      return c ? { ...c } : null;
    });
  }

  findContactsByDocument(digits: string): Promise<ErpContact[]> {
    return this.log.run("findContactsByDocument", [digits], () =>
      [...this.contacts.values()].filter((c) => (c.numeroDocumento ?? "").replace(/\D/g, "") === digits),
    );
  }

  createContact(input: ErpContactInput): Promise<string> {
    return this.log.run("createContact", [input], () => {
      const g = input.endereco?.geral;
      return this.putContact(
        blingContact({
          nome: input.nome,
          tipo: input.tipo,
          numeroDocumento: input.numeroDocumento ?? null,
          ie: input.ie ?? null,
          rg: input.rg ?? null,
          email: input.email ?? null,
          telefone: input.telefone ?? null,
          celular: input.celular ?? null,
          endereco: g
            ? {
                endereco: g.endereco ?? null,
                numero: g.numero ?? null,
                complemento: g.complemento ?? null,
                bairro: g.bairro ?? null,
                cep: g.cep ?? null,
                municipio: g.municipio ?? null,
                uf: g.uf ?? null,
              }
            : null,
        }),
      ).id;
    });
  }

  findOrdersByNumeroLoja(numeroLoja: string): Promise<ErpOrderSummary[]> {
    return this.log.run("findOrdersByNumeroLoja", [numeroLoja], () =>
      [...this.orders.values()].filter((o) => o.summary.numeroLoja === numeroLoja).map((o) => o.summary),
    );
  }

  listOrdersChanged(q: {
    page: number;
    dataAlteracaoInicial: Date;
    dataAlteracaoFinal: Date;
  }): Promise<ErpOrderSummary[]> {
    return this.log.run("listOrdersChanged", [q], () => {
      const rows = [...this.orders.entries()]
        .filter(([id]) => {
          const at = this.orderChangedAt.get(id)?.getTime() ?? 0;
          return at >= q.dataAlteracaoInicial.getTime() && at <= q.dataAlteracaoFinal.getTime();
        })
        .map(([, o]) => {
          const { trackingCodes: _t, notaFiscalId: _n, ...row } = o.summary;
          return row;
        });
      return page(rows, q.page);
    });
  }

  createOrder(input: ErpOrderInput): Promise<{ id: string; numero: string | null }> {
    return this.log.run("createOrder", [input], () => {
      const id = this.newId();
      const summary = {
        id,
        numero: String(this.orders.size + 1),
        numeroLoja: input.numeroLoja,
        situacaoId: null,
      };
      this.orders.set(id, { summary, input: structuredClone(input) });
      this.orderChangedAt.set(id, this.clock());
      return { id, numero: summary.numero };
    });
  }

  getOrder(id: string): Promise<ErpOrderSummary | null> {
    return this.log.run("getOrder", [id], () => {
      const o = this.orders.get(id)?.summary;
      // The detail read always carries the volumes (none: an empty list), as the adapter maps it.
      return o ? { ...o, trackingCodes: (o.trackingCodes ?? []).map((t) => ({ ...t })) } : null;
    });
  }

  listSalesSituacoes(): Promise<ErpSituacao[]> {
    return this.log.run("listSalesSituacoes", [], () => this.situacoes.map((s) => ({ ...s })));
  }

  listStorePrices(q: {
    page: number;
    idLoja: string;
    dataAlteracaoInicial?: Date;
    dataAlteracaoFinal?: Date;
  }): Promise<StorePrice[]> {
    return this.log.run("listStorePrices", [q], () => {
      const at = (r: StorePrice) => r.changedAt?.getTime() ?? 0;
      const rows = (this.storePrices.get(q.idLoja) ?? []).filter(
        (r) =>
          (!q.dataAlteracaoInicial || at(r) >= q.dataAlteracaoInicial.getTime()) &&
          (!q.dataAlteracaoFinal || at(r) <= q.dataAlteracaoFinal.getTime()),
      );
      return page(rows, q.page).map(({ changedAt: _c, ...r }) => r);
    });
  }

  generateNfe(orderId: string): Promise<string> {
    return this.log.run("generateNfe", [orderId], () => {
      const id = this.newId();
      this.nfes.set(id, { id, situacao: 1, numero: null, chaveAcesso: null, xmlUrl: null, danfeUrl: null });
      return id;
    });
  }

  sendNfe(nfeId: string): Promise<void> {
    return this.log.run("sendNfe", [nfeId], () => {
      const n = this.nfes.get(nfeId);
      if (n) this.nfes.set(nfeId, { ...n, situacao: 5, numero: "1", chaveAcesso: `chave-${nfeId}` });
    });
  }

  getNfe(nfeId: string): Promise<ErpNfe | null> {
    return this.log.run("getNfe", [nfeId], () => this.nfes.get(nfeId) ?? null);
  }

  listCancelledNfes(q: { since: Date; page: number }): Promise<ErpNfe[]> {
    return this.log.run("listCancelledNfes", [q], () =>
      page(
        [...this.nfes.values()].filter((n) => n.situacao === 2),
        q.page,
      ),
    );
  }

  listCategories(n: number): Promise<ErpCategory[]> {
    return this.log.run("listCategories", [n], () =>
      page([...this.categories.values()].reverse(), n).map((c) => ({ ...c })),
    );
  }

  getCategory(id: string): Promise<ErpCategory | null> {
    return this.log.run("getCategory", [id], () => {
      const c = this.categories.get(id);
      return c ? { ...c } : null;
    });
  }

  private summary(p: ErpProductDetail, parentId: string | null): ErpProductSummary {
    return {
      id: p.id,
      idProdutoPai: parentId,
      nome: p.nome,
      codigo: p.codigo,
      preco: p.preco,
      situacao: p.situacao,
      formato: parentId ? "S" : p.formato,
      tipo: p.tipo,
    };
  }
}
