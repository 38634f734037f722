import { createHash } from "node:crypto";
import type { SimClock } from "./clock.js";
import {
  type BlingErrorField,
  BlingHttpError,
  formatBlingDate,
  formatBlingDateTime,
  onlyDigits,
  round2,
  validationError,
} from "./http-util.js";
import { invoiceWebhookData, orderTotals, orderWebhookData, productWebhookData } from "./projections.js";
import type { IdSequence, Rng } from "./random.js";
import {
  type Account,
  type BlingCategory,
  type BlingContact,
  type BlingDeposit,
  type BlingInvoice,
  type BlingOrder,
  type BlingOrderItem,
  type BlingOrderParcela,
  type BlingOrderVolume,
  type BlingPaymentMethod,
  type BlingProduct,
  type BlingProductFields,
  type BlingSituacao,
  type BlingStore,
  type BlingStoreLink,
  type ContactRecord,
  type NfeOutcome,
  type OrderRecord,
  type ProductRecord,
  VENDAS_MODULE,
} from "./store.js";
import type { WebhookResource } from "./webhooks.js";

/** Input for creating/updating a product: any subset of the detail fields, plus children for formato V. */
export type ProductInput = Partial<Omit<BlingProductFields, "variacao" | "midia">> & {
  variacao?: { nome: string; ordem?: number; produtoPai?: { id?: number; cloneInfo?: boolean } };
  variacoes?: ProductInput[];
  midia?: {
    video?: { url: string };
    imagens?: {
      imagensURL?: Array<{ link: string }>;
      externas?: Array<{ link: string }>;
      internas?: NonNullable<NonNullable<BlingProduct["midia"]>["imagens"]>["internas"];
    };
  };
};

export type Emit = (acc: Account, resource: WebhookResource, action: string, data: unknown) => void;

export interface ProductWriteResult {
  id: number;
  variations: { saved: number[]; updated: number[]; deleted: number[] };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

const PRODUCT_DEFAULTS = (): Omit<BlingProduct, "id"> => ({
  nome: "",
  codigo: "",
  preco: 0,
  tipo: "P",
  situacao: "A",
  formato: "S",
  descricaoCurta: "",
  descricaoComplementar: "",
  unidade: "UN",
  pesoLiquido: 0,
  pesoBruto: 0,
  volumes: 0,
  itensPorCaixa: 0,
  gtin: "",
  gtinEmbalagem: "",
  marca: "",
  categoria: { id: 0 },
  dimensoes: { largura: 0, altura: 0, profundidade: 0, unidadeMedida: 1 },
});

/** Every state change goes through here, so control calls and API calls fire the same webhooks. */
export class Domain {
  constructor(
    private readonly clock: SimClock,
    private readonly rng: Rng,
    private readonly ids: IdSequence,
    private readonly emit: Emit,
  ) {}

  nextId(): number {
    return this.ids.next();
  }

  // --- products ---

  /** Merge `input` into a product (create when `id` is absent/unknown); children in `variacoes` are upserted too. */
  upsertProduct(acc: Account, input: ProductInput, mode: "merge" | "replace" = "merge"): ProductWriteResult {
    const now = this.clock.now();
    const existing = input.id !== undefined ? acc.products.get(input.id) : undefined;
    const { variacoes, midia, variacao, ...fields } = input;
    const base: BlingProduct =
      existing && mode === "merge"
        ? { ...existing.data }
        : ({ ...PRODUCT_DEFAULTS(), id: existing?.data.id ?? input.id ?? this.ids.next() } as BlingProduct);
    if (existing && mode === "replace") {
      if (existing.data.idProdutoPai !== undefined) base.idProdutoPai = existing.data.idProdutoPai;
      if (existing.data.variacao) base.variacao = existing.data.variacao;
    }
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) (base as Obj)[k] = v;
    if (midia) base.midia = normalizeMidia(midia, base.midia, this.rng, now);
    if (variacao) base.variacao = { nome: variacao.nome, ordem: variacao.ordem ?? base.variacao?.ordem ?? 0 };
    if (variacao?.produtoPai?.id !== undefined) base.idProdutoPai = variacao.produtoPai.id;
    // Only kits (formato E) carry a structure.
    if (base.formato !== "E") delete (base as Obj).estrutura;
    const rec: ProductRecord = existing
      ? { ...existing, data: base, updatedAt: now }
      : { data: base, createdAt: now, updatedAt: now };
    acc.products.set(base.id, rec);
    this.emit(acc, "product", existing ? "updated" : "created", productWebhookData(base));

    const result: ProductWriteResult = { id: base.id, variations: { saved: [], updated: [], deleted: [] } };
    if (variacoes) {
      const keep = new Set<number>();
      variacoes.forEach((child, i) => {
        const childExisting =
          child.id !== undefined && acc.products.get(child.id)?.data.idProdutoPai === base.id;
        const clone = child.variacao?.produtoPai?.cloneInfo === true;
        const inherited: ProductInput = clone
          ? stripUndefined({
              unidade: base.unidade,
              marca: base.marca,
              categoria: base.categoria,
              pesoLiquido: base.pesoLiquido,
              pesoBruto: base.pesoBruto,
              descricaoCurta: base.descricaoCurta,
              tipo: base.tipo,
            } as ProductInput)
          : {};
        const r = this.upsertProduct(
          acc,
          {
            ...inherited,
            ...child,
            formato: child.formato === "E" ? "E" : "S",
            idProdutoPai: base.id,
            variacao: { nome: child.variacao?.nome ?? "", ordem: child.variacao?.ordem ?? i + 1 },
          },
          mode,
        );
        keep.add(r.id);
        (childExisting ? result.variations.updated : result.variations.saved).push(r.id);
      });
      if (mode === "replace") {
        for (const c of acc.children(base.id)) {
          if (!keep.has(c.data.id)) {
            this.deleteProduct(acc, c.data.id, true);
            result.variations.deleted.push(c.data.id);
          }
        }
      }
    }
    return result;
  }

  /** Soft delete moves to situação E (fires product.updated); hard delete removes it (fires product.deleted). */
  deleteProduct(acc: Account, id: number, hard: boolean): void {
    const rec = acc.products.get(id);
    if (!rec)
      throw new BlingHttpError(404, "RESOURCE_NOT_FOUND", "Produto não encontrado", "O produto não existe.");
    if (hard) {
      for (const c of acc.children(id)) this.deleteProduct(acc, c.data.id, true);
      acc.products.delete(id);
      acc.stock.delete(id);
      acc.stockVersion++;
      this.emit(acc, "product", "deleted", { id });
      return;
    }
    rec.data = { ...rec.data, situacao: "E" };
    rec.updatedAt = this.clock.now();
    this.emit(acc, "product", "updated", productWebhookData(rec.data));
  }

  setPrice(acc: Account, productId: number, preco: number): void {
    this.upsertProduct(acc, { id: this.requireProduct(acc, productId).data.id, preco });
  }

  requireProduct(acc: Account, id: number): ProductRecord {
    const rec = acc.products.get(id);
    if (!rec)
      throw new BlingHttpError(404, "RESOURCE_NOT_FOUND", "Produto não encontrado", "O produto não existe.");
    return rec;
  }

  // --- stock ---

  /**
   * Post a balance ("B"), entry ("E") or exit ("S") on one deposit. Physical changes fire stock.created/updated;
   * virtual changes fire virtual_stock.updated, also for virtual-stock kits that use the product.
   */
  postStock(
    acc: Account,
    productId: number,
    depositId: number,
    change: { operacao: "B" | "E" | "S"; quantidade: number; virtual?: number | undefined },
  ): StockSnapshot {
    this.requireProduct(acc, productId);
    if (!acc.deposits.has(depositId)) {
      throw validationError("O depósito informado não existe.", [
        { code: 1, msg: "Depósito inválido.", element: "deposito", namespace: "ESTOQUES" },
      ]);
    }
    const kitsBefore = this.kitsUsing(acc, productId).map((k) => [k, acc.totals(k).virtual] as const);
    const cells = acc.stock.get(productId) ?? new Map();
    acc.stock.set(productId, cells);
    acc.stockVersion++;
    const before = cells.get(depositId);
    const prevFis = before?.fisico ?? 0;
    const prevVir = before?.virtual ?? 0;
    const reserved = prevFis - prevVir;
    const fisico =
      change.operacao === "B"
        ? change.quantidade
        : change.operacao === "E"
          ? prevFis + change.quantidade
          : prevFis - change.quantidade;
    const virtual = change.virtual ?? fisico - reserved;
    cells.set(depositId, { fisico: round4(fisico), virtual: round4(virtual) });
    const snap = this.stockSnapshot(acc, productId, depositId);
    if (fisico !== prevFis || !before) {
      this.emit(acc, "stock", before ? "updated" : "created", {
        produto: { id: productId },
        deposito: { id: depositId, saldoFisico: snap.saldoFisico, saldoVirtual: snap.saldoVirtual },
        operacao: change.operacao,
        quantidade: change.quantidade,
        saldoFisicoTotal: snap.saldoFisicoTotal,
        saldoVirtualTotal: snap.saldoVirtualTotal,
      });
    }
    if (virtual !== prevVir) this.emitVirtual(acc, productId);
    for (const [kit, prev] of kitsBefore) if (acc.totals(kit).virtual !== prev) this.emitVirtual(acc, kit);
    return snap;
  }

  private kitsUsing(acc: Account, productId: number): number[] {
    return acc.kitsUsing(productId);
  }

  private emitVirtual(acc: Account, productId: number): void {
    const totals = acc.totals(productId);
    this.emit(acc, "virtual_stock", "updated", {
      produto: { id: productId },
      saldoFisicoTotal: totals.fisico,
      saldoVirtualTotal: totals.virtual,
      vinculoComplexo: false,
      depositos: [...acc.balances(productId)].map(([id, c]) => ({
        id,
        saldoFisico: c.fisico,
        saldoVirtual: c.virtual,
      })),
    });
  }

  stockSnapshot(acc: Account, productId: number, depositId: number): StockSnapshot {
    const cell = acc.balances(productId).get(depositId) ?? { fisico: 0, virtual: 0 };
    const t = acc.totals(productId);
    return {
      saldoFisico: cell.fisico,
      saldoVirtual: cell.virtual,
      saldoFisicoTotal: t.fisico,
      saldoVirtualTotal: t.virtual,
    };
  }

  // --- simple catalogs ---

  upsertContact(
    acc: Account,
    input: Partial<BlingContact>,
    mode: "merge" | "replace" = "merge",
  ): BlingContact {
    const now = this.clock.now();
    const existing = input.id !== undefined ? acc.contacts.get(input.id) : undefined;
    const base: BlingContact =
      existing && mode === "merge"
        ? { ...existing.data }
        : { id: existing?.data.id ?? input.id ?? this.ids.next(), nome: "", situacao: "A", tipo: "F" };
    for (const [k, v] of Object.entries(input)) if (v !== undefined) (base as Obj)[k] = v;
    const rec: ContactRecord = existing
      ? { ...existing, data: base, updatedAt: now }
      : { data: base, createdAt: now, updatedAt: now };
    acc.contacts.set(base.id, rec);
    return base;
  }

  upsertPaymentMethod(acc: Account, input: Partial<BlingPaymentMethod>): BlingPaymentMethod {
    const existing = input.id !== undefined ? acc.paymentMethods.get(input.id) : undefined;
    const pm: BlingPaymentMethod = {
      ...(existing ?? {
        id: input.id ?? this.ids.next(),
        descricao: "",
        tipoPagamento: 1,
        situacao: 1,
        fixa: false,
        padrao: 0,
        finalidade: 3,
        juros: 0,
        multa: 0,
        condicao: "1x",
        destino: 1,
        utilizaDiasUteis: false,
      }),
      ...stripUndefined(input),
    };
    acc.paymentMethods.set(pm.id, pm);
    return pm;
  }

  upsertDeposit(acc: Account, input: Partial<BlingDeposit>): BlingDeposit {
    const existing = input.id !== undefined ? acc.deposits.get(input.id) : undefined;
    const dep: BlingDeposit = {
      ...(existing ?? {
        id: input.id ?? this.ids.next(),
        descricao: "",
        situacao: 1,
        padrao: acc.deposits.size === 0,
        desconsiderarSaldo: false,
      }),
      ...stripUndefined(input),
    };
    // Exactly one default deposit per account.
    if (dep.padrao) for (const d of acc.deposits.values()) if (d.id !== dep.id) d.padrao = false;
    acc.deposits.set(dep.id, dep);
    acc.stockVersion++;
    return dep;
  }

  /**
   * A depósito removed in Bling's own screens (API v3 has no DELETE for it): gone from `GET /depositos` and
   * from every balance. The default one cannot be removed, as in Bling.
   */
  deleteDeposit(acc: Account, id: number): void {
    const dep = acc.deposits.get(id);
    if (!dep) throw new Error(`unknown deposit ${id}`);
    if (dep.padrao) throw new Error("the default deposit cannot be removed");
    acc.deposits.delete(id);
    for (const cells of acc.stock.values()) cells.delete(id);
    acc.stockVersion++;
  }

  upsertSituacao(acc: Account, input: Partial<BlingSituacao> & { nome: string }): BlingSituacao {
    const existing = input.id !== undefined ? acc.situacoes.get(input.id) : undefined;
    // Custom situations get large ids, as on real accounts.
    const s: BlingSituacao = {
      ...(existing ?? {
        id: input.id ?? 100_000 + this.rng.int(0, 899_999),
        nome: "",
        idHerdado: 6,
        cor: "#999999",
      }),
      ...stripUndefined(input),
    };
    acc.situacoes.set(s.id, s);
    return s;
  }

  upsertStore(acc: Account, input: Partial<BlingStore>): BlingStore {
    const existing = input.id !== undefined ? acc.stores.get(input.id) : undefined;
    const s: BlingStore = {
      ...(existing ?? { id: input.id ?? this.ids.next(), descricao: "", tipo: "Api", situacao: 1 }),
      ...stripUndefined(input),
    };
    acc.stores.set(s.id, s);
    return s;
  }

  setStoreProductPrice(
    acc: Account,
    storeId: number,
    productId: number,
    price: { preco: number; precoPromocional?: number; codigo?: string },
  ): BlingStoreLink {
    if (!acc.stores.has(storeId)) throw new Error(`unknown store ${storeId}`);
    const product = this.requireProduct(acc, productId);
    const key = `${storeId}:${productId}`;
    const known = acc.storeLinkIds.get(key);
    let link = known === undefined ? undefined : acc.storeLinks.get(known);
    if (!link) {
      link = {
        id: this.ids.next(),
        codigo: price.codigo ?? product.data.codigo,
        preco: 0,
        precoPromocional: 0,
        produto: { id: productId },
        loja: { id: storeId },
        updatedAt: 0,
      };
      acc.storeLinks.set(link.id, link);
      acc.storeLinkIds.set(key, link.id);
    }
    link.preco = price.preco;
    link.precoPromocional = price.precoPromocional ?? 0;
    if (price.codigo !== undefined) link.codigo = price.codigo;
    link.updatedAt = this.clock.now();
    return link;
  }

  upsertCategory(acc: Account, input: Partial<BlingCategory> & { descricao: string }): BlingCategory {
    const c: BlingCategory = { id: input.id ?? this.ids.next(), descricao: input.descricao };
    if (input.categoriaPai) c.categoriaPai = input.categoriaPai;
    acc.categories.set(c.id, c);
    return c;
  }

  // --- orders ---

  /** Validate and create a sales order the way `POST /pedidos/vendas` does (totals computed, numero assigned). */
  createOrder(acc: Account, body: unknown): { id: number } {
    if (!isObj(body) || Object.keys(body).length === 0) {
      throw new BlingHttpError(
        400,
        "MISSING_REQUIRED_FIELD_ERROR",
        "Não foi possível executar a operação",
        "Nenhum dado foi informado na requisição.",
      );
    }
    const fields: BlingErrorField[] = [];
    const contatoId = isObj(body.contato) ? num(body.contato.id) : undefined;
    if (
      contatoId === undefined ||
      !acc.contacts.has(contatoId) ||
      acc.contacts.get(contatoId)?.data.situacao === "E"
    ) {
      fields.push({
        code: 36,
        msg: "O contato informado não foi encontrado.",
        element: "contato",
        namespace: "VENDAS",
      });
    }
    const rawItems = Array.isArray(body.itens) ? body.itens : [];
    const items: BlingOrderItem[] = [];
    const itemErrors: NonNullable<BlingErrorField["collection"]> = [];
    if (rawItems.length === 0) {
      fields.push({
        code: 37,
        msg: "A venda deve possuir ao menos um item.",
        element: "itens",
        namespace: "VENDAS",
      });
    }
    rawItems.forEach((raw, i) => {
      const it = isObj(raw) ? raw : {};
      const quantidade = num(it.quantidade);
      const valor = num(it.valor);
      const produtoId = isObj(it.produto) ? num(it.produto.id) : undefined;
      const product = produtoId !== undefined ? acc.products.get(produtoId) : undefined;
      if (produtoId !== undefined && produtoId !== 0 && !product) {
        itemErrors.push({
          index: i + 1,
          code: 12,
          msg: "Id do produto inválido.",
          element: "produto",
          namespace: "VENDAS",
        });
      }
      if (quantidade === undefined || quantidade <= 0) {
        itemErrors.push({
          index: i + 1,
          code: 13,
          msg: "Quantidade inválida.",
          element: "quantidade",
          namespace: "VENDAS",
        });
      }
      if (valor === undefined || valor < 0) {
        itemErrors.push({
          index: i + 1,
          code: 14,
          msg: "Valor inválido.",
          element: "valor",
          namespace: "VENDAS",
        });
      }
      const descricao =
        typeof it.descricao === "string" && it.descricao !== "" ? it.descricao : product?.data.nome;
      if (!descricao) {
        itemErrors.push({
          index: i + 1,
          code: 15,
          msg: "A descrição do item deve ser informada.",
          element: "descricao",
          namespace: "VENDAS",
        });
      }
      const item: BlingOrderItem = {
        ...stripUndefined(it),
        id: this.ids.next(),
        codigo: typeof it.codigo === "string" ? it.codigo : (product?.data.codigo ?? ""),
        unidade: typeof it.unidade === "string" ? it.unidade : (product?.data.unidade ?? "UN"),
        quantidade: quantidade ?? 0,
        desconto: num(it.desconto) ?? 0,
        valor: valor ?? 0,
        descricao: descricao ?? "",
      };
      if (produtoId !== undefined && produtoId !== 0) item.produto = { id: produtoId };
      else delete item.produto;
      items.push(item);
    });
    if (itemErrors.length > 0) {
      fields.push({
        code: 48,
        msg: "Um ou mais itens da venda possuem erros de validação",
        element: "itens",
        namespace: "VENDAS",
        collection: itemErrors,
      });
    }
    const desconto = isObj(body.desconto)
      ? {
          valor: num(body.desconto.valor) ?? 0,
          unidade: body.desconto.unidade === "PERCENTUAL" ? ("PERCENTUAL" as const) : ("REAL" as const),
        }
      : undefined;
    // Volume ids are Bling's (ignored on POST, `VendasTransporteVolumeDTO`).
    const transporte = isObj(body.transporte)
      ? {
          ...body.transporte,
          frete: num(body.transporte.frete) ?? 0,
          ...(Array.isArray(body.transporte.volumes)
            ? {
                volumes: body.transporte.volumes.filter(isObj).map((v) => ({
                  id: this.ids.next(),
                  servico: typeof v.servico === "string" ? v.servico : "",
                  codigoRastreamento: typeof v.codigoRastreamento === "string" ? v.codigoRastreamento : "",
                })),
              }
            : {}),
        }
      : undefined;
    const outrasDespesas = num(body.outrasDespesas);
    const totals = orderTotals({ itens: items, desconto, transporte, outrasDespesas });

    const rawParcelas = Array.isArray(body.parcelas) ? body.parcelas : [];
    const parcelas: BlingOrderParcela[] = [];
    const parcelaErrors: NonNullable<BlingErrorField["collection"]> = [];
    const today = formatBlingDate(this.clock.now());
    rawParcelas.forEach((raw, i) => {
      const p = isObj(raw) ? raw : {};
      const fpId = isObj(p.formaPagamento) ? num(p.formaPagamento.id) : undefined;
      if (fpId === undefined || !acc.paymentMethods.has(fpId)) {
        parcelaErrors.push({
          index: i + 1,
          code: 12,
          msg: "Id da forma de pagamento inválido.",
          element: "formaPagamento",
          namespace: "VENDAS",
        });
      }
      const valor = num(p.valor);
      if (valor === undefined || valor < 0) {
        parcelaErrors.push({
          index: i + 1,
          code: 14,
          msg: "Valor da parcela inválido.",
          element: "valor",
          namespace: "VENDAS",
        });
      }
      parcelas.push({
        id: this.ids.next(),
        dataVencimento: typeof p.dataVencimento === "string" ? p.dataVencimento : today,
        valor: valor ?? 0,
        ...(typeof p.observacoes === "string" ? { observacoes: p.observacoes } : {}),
        ...(typeof p.caut === "string" ? { caut: p.caut } : {}),
        formaPagamento: { id: fpId ?? 0 },
      });
    });
    if (parcelaErrors.length > 0) {
      fields.push({
        code: 49,
        msg: "Uma ou mais parcelas da venda possuem erros de validação",
        element: "parcelas",
        namespace: "VENDAS",
        collection: parcelaErrors,
      });
    } else if (parcelas.length > 0) {
      const sum = round2(parcelas.reduce((s, p) => s + p.valor, 0));
      if (Math.abs(sum - totals.total) >= 0.005) {
        fields.push({
          code: 50,
          msg: `A soma das parcelas (R$ ${brl(sum)}) difere do total da venda (R$ ${brl(totals.total)}).`,
          element: "parcelas",
          namespace: "VENDAS",
          collection: [],
        });
      }
    }
    const numero = num(body.numero);
    if (numero !== undefined && [...acc.orders.values()].some((o) => o.data.numero === numero)) {
      fields.push({
        code: 51,
        msg: `Já existe uma venda com o número ${numero}.`,
        element: "numero",
        namespace: "VENDAS",
      });
    }
    const situacaoId = isObj(body.situacao) ? num(body.situacao.id) : undefined;
    if (situacaoId !== undefined && !acc.situacoes.has(situacaoId)) {
      fields.push({ code: 52, msg: "Situação inválida.", element: "situacao", namespace: "VENDAS" });
    }
    const lojaId = isObj(body.loja) ? (num(body.loja.id) ?? 0) : 0;
    if (lojaId !== 0 && !acc.stores.has(lojaId)) {
      fields.push({ code: 53, msg: "Loja inválida.", element: "loja", namespace: "VENDAS" });
    }
    if (fields.length > 0) {
      throw validationError(
        "A venda não pode ser salva, pois ocorreram problemas em sua validação.",
        fields,
        "Não foi possível salvar a venda",
      );
    }

    const now = this.clock.now();
    const data = typeof body.data === "string" && body.data !== "" ? body.data : today;
    const assigned = numero ?? acc.nextOrderNumero;
    acc.nextOrderNumero = Math.max(acc.nextOrderNumero, assigned + 1);
    const {
      contato: _c,
      itens: _i,
      parcelas: _p,
      situacao: _s,
      loja: _l,
      id: _id,
      total: _t,
      totalProdutos: _tp,
      ...rest
    } = body;
    const order: BlingOrder = {
      ...rest,
      id: this.ids.next(),
      numero: assigned,
      ...(typeof body.numeroLoja === "string" || typeof body.numeroLoja === "number"
        ? { numeroLoja: String(body.numeroLoja) }
        : {}),
      data,
      dataSaida: typeof body.dataSaida === "string" && body.dataSaida !== "" ? body.dataSaida : data,
      dataPrevista:
        typeof body.dataPrevista === "string" && body.dataPrevista !== "" ? body.dataPrevista : data,
      contato: { id: contatoId as number },
      situacao: { id: situacaoId ?? 6 },
      loja: { id: lojaId },
      itens: items,
      parcelas,
      ...(desconto ? { desconto } : {}),
      ...(outrasDespesas !== undefined ? { outrasDespesas } : {}),
      ...(transporte ? { transporte } : {}),
    };
    const rec: OrderRecord = { data: order, createdAt: now, updatedAt: now };
    acc.orders.set(order.id, rec);
    this.emit(acc, "order", "created", orderWebhookData(acc, rec));
    return { id: order.id };
  }

  setOrderSituacao(acc: Account, orderId: number, situacaoId: number): void {
    const rec = acc.orders.get(orderId);
    if (!rec)
      throw new BlingHttpError(
        404,
        "RESOURCE_NOT_FOUND",
        "Venda não encontrada",
        "O pedido de venda não existe.",
      );
    if (!acc.situacoes.has(situacaoId)) {
      throw validationError("A situação informada não existe no módulo de vendas.", [
        { code: 52, msg: "Situação inválida.", element: "situacao", namespace: "VENDAS" },
      ]);
    }
    if (rec.data.situacao.id === situacaoId) return;
    rec.data = { ...rec.data, situacao: { id: situacaoId } };
    rec.updatedAt = this.clock.now();
    this.emit(acc, "order", "updated", orderWebhookData(acc, rec));
  }

  /**
   * The merchant types (or Bling Logística fills in) a volume's tracking code on the order's transport tab and
   * saves: `transporte.volumes[].codigoRastreamento` changes and `order.updated` fires, as any save of the order
   * does. `volumeId` picks the volume; without it the first one is used, or a new one is added (with
   * `servico`) when the order has none. Saving the same code again changes nothing and fires nothing.
   */
  setOrderTracking(
    acc: Account,
    orderId: number,
    input: { codigoRastreamento: string; servico?: string; volumeId?: number },
  ): BlingOrderVolume {
    const rec = acc.orders.get(orderId);
    if (!rec)
      throw new BlingHttpError(
        404,
        "RESOURCE_NOT_FOUND",
        "Venda não encontrada",
        "O pedido de venda não existe.",
      );
    const volumes = [...(rec.data.transporte?.volumes ?? [])];
    let i = input.volumeId === undefined ? 0 : volumes.findIndex((v) => v.id === input.volumeId);
    if (i < 0)
      throw validationError("O volume informado não existe neste pedido.", [
        { code: 54, msg: "Volume inválido.", element: "transporte.volumes", namespace: "VENDAS" },
      ]);
    const current = volumes[i];
    if (!current) {
      volumes.push({ id: this.ids.next(), servico: input.servico ?? "", codigoRastreamento: "" });
      i = volumes.length - 1;
    }
    const before = volumes[i] as BlingOrderVolume;
    const next: BlingOrderVolume = {
      ...before,
      servico: input.servico ?? before.servico,
      codigoRastreamento: input.codigoRastreamento.trim(),
    };
    if (current && next.servico === current.servico && next.codigoRastreamento === current.codigoRastreamento)
      return { ...current };
    volumes[i] = next;
    rec.data = {
      ...rec.data,
      transporte: { ...(rec.data.transporte ?? { frete: 0 }), volumes },
    };
    rec.updatedAt = this.clock.now();
    this.emit(acc, "order", "updated", orderWebhookData(acc, rec));
    return { ...next };
  }

  // --- NF-e ---

  /** The note, its situação settled to now; 404 as Bling answers for one that does not exist. */
  private requireInvoice(acc: Account, invoiceId: number): BlingInvoice {
    this.settleInvoices(acc);
    const inv = acc.invoices.get(invoiceId);
    if (!inv)
      throw new BlingHttpError(
        404,
        "RESOURCE_NOT_FOUND",
        "Nota fiscal não encontrada",
        "A nota fiscal não existe.",
      );
    return inv;
  }

  /**
   * The merchant cancels an authorized note in Bling (Notas fiscais → Cancelar, a SEFAZ cancellation event;
   * the API has no cancel route): situação 2, `invoice.updated` fires, the note leaves `GET /nfe` unless
   * `situacao` is passed (reference §6.10). Only an authorized note (5/6) can be cancelled.
   */
  cancelInvoice(acc: Account, invoiceId: number): BlingInvoice {
    const inv = this.requireInvoice(acc, invoiceId);
    if (inv.situacao === 2) return inv;
    if (inv.situacao !== 5 && inv.situacao !== 6)
      throw validationError(
        "Somente uma nota fiscal autorizada pode ser cancelada.",
        undefined,
        "Não foi possível cancelar a nota fiscal",
      );
    inv.situacao = 2;
    this.emit(acc, "invoice", "updated", invoiceWebhookData(inv));
    return inv;
  }

  createInvoice(acc: Account, orderId: number): BlingInvoice {
    const rec = acc.orders.get(orderId);
    if (!rec)
      throw new BlingHttpError(
        404,
        "RESOURCE_NOT_FOUND",
        "Venda não encontrada",
        "O pedido de venda não existe.",
      );
    if (rec.data.notaFiscal?.id) {
      throw validationError(
        "Já existe uma nota fiscal gerada para este pedido de venda.",
        undefined,
        "Não foi possível gerar a nota fiscal",
      );
    }
    const now = this.clock.now();
    const inv: BlingInvoice = {
      id: this.ids.next(),
      tipo: 1,
      situacao: 1,
      numero: String(acc.nextInvoiceNumero++).padStart(6, "0"),
      serie: 1,
      dataEmissao: formatBlingDateTime(now),
      dataOperacao: formatBlingDateTime(now),
      chaveAcesso: "",
      orderId,
      contatoId: rec.data.contato.id,
      lojaId: rec.data.loja.id,
      naturezaOperacaoId: 0,
      valorNota: orderTotals(rec.data).total,
      xml: "",
      accessKey: "",
      motivo: "",
      transmissions: 0,
      pending: null,
    };
    inv.accessKey = createHash("sha256").update(`${acc.companyId}:nfe:${inv.id}`).digest("hex").slice(0, 32);
    acc.invoices.set(inv.id, inv);
    rec.data = { ...rec.data, notaFiscal: { id: inv.id } };
    rec.updatedAt = now;
    this.emit(acc, "invoice", "created", invoiceWebhookData(inv));
    return inv;
  }

  /**
   * "Transmit to SEFAZ". The outcome is the account's next queued one (else its default): authorized (5, XML
   * and links), rejected (4) or denied (9) with SEFAZ's reason, at once or after `delayMs` in 8 ("aguardando
   * protocolo"). A note already authorized answers 200 again without a new transmission; pending (8),
   * cancelled (2) and denied (9) notes cannot be sent. A rejection/denial at once answers 400 with the reason.
   */
  sendInvoice(acc: Account, invoiceId: number): BlingInvoice {
    const inv = this.requireInvoice(acc, invoiceId);
    if (inv.situacao === 5 || inv.situacao === 6) return inv;
    const refuse = (why: string) => validationError(why, undefined, "Não foi possível enviar a nota fiscal");
    if (inv.situacao === 8) throw refuse("A nota fiscal já foi transmitida e aguarda o retorno da SEFAZ.");
    if (inv.situacao === 2) throw refuse("A nota fiscal está cancelada e não pode ser transmitida.");
    if (inv.situacao === 9) throw refuse("A nota fiscal foi denegada e não pode ser transmitida.");
    if (!inv.chaveAcesso) inv.chaveAcesso = this.newAccessKey(acc, inv);
    inv.transmissions += 1;
    const outcome = acc.nfeOutcomes.shift() ?? acc.nfeDefaultOutcome;
    if (outcome.delayMs && outcome.delayMs > 0) {
      inv.situacao = 8;
      inv.motivo = "";
      inv.pending = { outcome, settleAt: this.clock.now() + outcome.delayMs };
      this.emit(acc, "invoice", "updated", invoiceWebhookData(inv));
      this.onSettleScheduled?.(outcome.delayMs);
      return inv;
    }
    this.applyOutcome(acc, inv, outcome);
    if (outcome.result !== "authorized") throw refuse(sefazText(inv, outcome));
    return inv;
  }

  /** Apply every delayed SEFAZ answer whose time has come (lazy: called before reads and by timers). */
  settleInvoices(acc: Account): void {
    const now = this.clock.now();
    for (const inv of acc.invoices.values()) {
      if (inv.pending && inv.pending.settleAt <= now) {
        const { outcome } = inv.pending;
        inv.pending = null;
        this.applyOutcome(acc, inv, outcome);
      }
    }
  }

  /** Set by the simulator: a delayed SEFAZ answer is due in `ms` (the simulator may settle on a timer). */
  onSettleScheduled: ((ms: number) => void) | undefined;

  private applyOutcome(acc: Account, inv: BlingInvoice, outcome: NfeOutcome): void {
    if (outcome.result === "authorized") {
      inv.situacao = 5;
      inv.motivo = "";
      inv.xml = `<?xml version="1.0" encoding="UTF-8"?><nfeProc versao="4.00"><NFe><infNFe Id="NFe${inv.chaveAcesso}"><ide><nNF>${Number(inv.numero)}</nNF><serie>${inv.serie}</serie></ide><total><ICMSTot><vNF>${inv.valorNota.toFixed(2)}</vNF></ICMSTot></total></infNFe></NFe><protNFe versao="4.00"><infProt><chNFe>${inv.chaveAcesso}</chNFe><cStat>100</cStat><xMotivo>Autorizado o uso da NF-e</xMotivo></infProt></protNFe></nfeProc>`;
    } else {
      inv.situacao = outcome.result === "rejected" ? 4 : 9;
      inv.motivo = sefazText(inv, outcome);
    }
    this.emit(acc, "invoice", "updated", invoiceWebhookData(inv));
  }

  private newAccessKey(acc: Account, inv: BlingInvoice): string {
    const cnpj = onlyDigits(acc.cnpj).padStart(14, "0");
    const key =
      `35${formatBlingDate(this.clock.now()).slice(2, 7).replace("-", "")}${cnpj}55001${inv.numero.padStart(9, "0")}1${String(this.rng.int(0, 99_999_999)).padStart(8, "0")}`.slice(
        0,
        43,
      );
    return key + String(this.rng.int(0, 9));
  }
}

/** "Rejeição 539: Duplicidade de NF-e…" as Bling shows SEFAZ's answer (code defaults to a generic one). */
function sefazText(_inv: BlingInvoice, outcome: Exclude<NfeOutcome, { result: "authorized" }>): string {
  const code = outcome.code ?? (outcome.result === "rejected" ? 999 : 301);
  return `${outcome.result === "rejected" ? "Rejeição" : "Denegação"} ${code}: ${outcome.reason}`;
}

export interface StockSnapshot {
  saldoFisico: number;
  saldoVirtual: number;
  saldoFisicoTotal: number;
  saldoVirtualTotal: number;
}

function normalizeMidia(
  midia: NonNullable<ProductInput["midia"]>,
  prev: BlingProduct["midia"],
  rng: Rng,
  now: number,
): NonNullable<BlingProduct["midia"]> {
  const externas = [...(midia.imagens?.externas ?? []), ...(midia.imagens?.imagensURL ?? [])].map((i) => ({
    link: i.link,
  }));
  return {
    video: midia.video ?? prev?.video ?? { url: "" },
    imagens: {
      externas: midia.imagens ? externas : (prev?.imagens?.externas ?? []),
      internas:
        midia.imagens?.internas?.map((i, n) => ({
          ...i,
          ordem: i.ordem ?? n + 1,
          validade: i.validade ?? formatBlingDateTime(now + 3600_000),
          anexo: i.anexo ?? { id: rng.int(1, 9_999_999) },
          anexoVinculo: i.anexoVinculo ?? { id: rng.int(1, 9_999_999) },
        })) ??
        prev?.imagens?.internas ??
        [],
    },
  };
}

function stripUndefined<T extends object>(o: T): T {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

const round4 = (n: number): number => Math.round(n * 10_000) / 10_000;
const brl = (n: number): string => n.toFixed(2).replace(".", ",");

export { VENDAS_MODULE };
