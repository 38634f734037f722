import {
  type BlingClient,
  BlingNotFoundError,
  type BlingCategory as ClientCategory,
  type BlingContactSummary as ClientContactSummary,
  type BlingProductDetail as ClientProductDetail,
  type BlingProductVariation as ClientVariation,
  MAX_IDS_PER_BALANCE_REQUEST,
} from "@zb/bling";
import type {
  BlingPort,
  ErpCategory,
  ErpContact,
  ErpProductDetail,
  ErpVariation,
} from "../ports/bling-port.js";

const PAGE = 100;

/** Bling ids are digit strings in the port; the client speaks numbers (all ids fit in 2^53). */
function num(id: string): number {
  if (!/^\d+$/.test(id)) throw new TypeError(`not a Bling id: ${id}`);
  return Number(id);
}
const str = (id: number | null | undefined): string | null => (id ? String(id) : null);

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof BlingNotFoundError) return null;
    throw err;
  }
}

type Midia = ClientProductDetail["midia"];
function imageUrls(midia: Midia, imagemURL: string | null): string[] {
  const imgs = midia?.imagens;
  const links = [...(imgs?.externas ?? []), ...(imgs?.internas ?? []), ...(imgs?.imagensURL ?? [])]
    .map((l) => l.link)
    .filter((l): l is string => typeof l === "string" && l.length > 0);
  if (links.length === 0 && imagemURL) links.push(imagemURL);
  return [...new Set(links)];
}

function dims(d: ClientProductDetail["dimensoes"]) {
  return d ? { largura: d.largura, altura: d.altura, profundidade: d.profundidade } : null;
}

function variation(v: ClientVariation): ErpVariation {
  return {
    id: String(v.id),
    nome: v.nome ?? "",
    codigo: v.codigo ?? "",
    preco: v.preco ?? 0,
    gtin: v.gtin,
    situacao: v.situacao ?? "A",
    axes: v.axes,
    pesoLiquido: v.pesoLiquido,
    pesoBruto: v.pesoBruto,
    dimensoes: dims(v.dimensoes),
    imageUrls: imageUrls(v.midia, v.imagemURL),
  };
}

function category(c: ClientCategory): ErpCategory {
  return { id: String(c.id), descricao: (c.descricao ?? "").trim(), parentId: str(c.categoriaPai?.id) };
}

function product(p: ClientProductDetail): ErpProductDetail {
  return {
    id: String(p.id),
    idProdutoPai: str(p.idProdutoPai ?? p.variacoes[0]?.variacao?.produtoPai?.id ?? null),
    nome: p.nome ?? "",
    codigo: p.codigo ?? "",
    preco: p.preco ?? 0,
    situacao: p.situacao ?? "A",
    formato: p.formato ?? "S",
    tipo: p.tipo ?? "P",
    gtin: p.gtin,
    unidade: p.unidade,
    marca: p.marca,
    categoriaId: str(p.categoria?.id),
    descricaoCurta: p.descricaoCurta,
    descricaoComplementar: p.descricaoComplementar,
    pesoLiquido: p.pesoLiquido,
    pesoBruto: p.pesoBruto,
    dimensoes: dims(p.dimensoes),
    imageUrls: imageUrls(p.midia, p.imagemURL),
    variacoes: p.variacoes.map(variation),
  };
}

/** A contact list row: what the detail adds (type, IE/RG, e-mail, address) is unknown here, not empty. */
function contactSummary(r: ClientContactSummary): ErpContact {
  return {
    id: String(r.id),
    nome: r.nome ?? "",
    codigo: r.codigo,
    situacao: r.situacao ?? "A",
    numeroDocumento: r.numeroDocumento,
    tipo: null,
    ie: null,
    rg: null,
    email: null,
    telefone: r.telefone,
    celular: r.celular,
    endereco: null,
  };
}

export interface BlingPortAdapterOptions {
  /**
   * Finalidade/destino of payment methods we create in Bling for Zydon-only methods: a sale is money in,
   * so 2 (Recebimentos) into 1 (Conta a receber/pagar).
   */
  paymentMethodDefaults?: { finalidade: 1 | 2 | 3; destino: 1 | 2 | 3 };
}

/**
 * The sync engine's BlingPort over the typed @zb/bling client: string ids ↔ numbers, client shapes →
 * port shapes, 404 → null, and every implicit Bling default made explicit.
 */
export function createBlingPort(client: BlingClient, opts: BlingPortAdapterOptions = {}): BlingPort {
  const pm = opts.paymentMethodDefaults ?? { finalidade: 2, destino: 1 };
  return {
    maxBalanceBatch: MAX_IDS_PER_BALANCE_REQUEST,

    async listProducts(q) {
      const rows = await client.produtos.list({
        pagina: q.page,
        limite: PAGE,
        criterio: q.criterio,
        filtroSaldoEstoque: q.filtroSaldoEstoque,
        ...(q.dataAlteracaoInicial ? { dataAlteracaoInicial: q.dataAlteracaoInicial } : {}),
        ...(q.dataAlteracaoFinal ? { dataAlteracaoFinal: q.dataAlteracaoFinal } : {}),
        ...(q.idsProdutos ? { idsProdutos: q.idsProdutos.map(num) } : {}),
        ...(q.codigos ? { codigos: q.codigos } : {}),
      });
      return rows.map((r) => ({
        id: String(r.id),
        idProdutoPai: str(r.idProdutoPai),
        nome: r.nome ?? "",
        codigo: r.codigo ?? "",
        preco: r.preco ?? 0,
        situacao: r.situacao ?? "A",
        formato: r.formato ?? "S",
        tipo: r.tipo ?? "P",
      }));
    },

    async getProduct(id) {
      const p = await orNull(client.produtos.get(num(id)));
      return p ? product(p) : null;
    },

    async getBalances(productIds) {
      if (productIds.length === 0) return [];
      // filtroSaldoEstoque=1 (positive totals): products Bling leaves out have no positive balance, which
      // the stock pipeline reads as zero, so one request per batch is enough.
      const rows = await client.estoques.saldos(productIds.map(num), { filtroSaldoEstoque: 1 });
      return rows.map((b) => ({
        productId: String(b.produto.id),
        saldoFisicoTotal: b.saldoFisicoTotal,
        saldoVirtualTotal: b.saldoVirtualTotal,
        depositos: b.depositos.map((d) => ({
          id: String(d.id),
          saldoFisico: d.saldoFisico,
          saldoVirtual: d.saldoVirtual,
        })),
      }));
    },

    async listCategories(page) {
      const rows = await client.categorias.list({ pagina: page, limite: PAGE });
      return rows.map(category);
    },

    async getCategory(id) {
      const c = await orNull(client.categorias.get(num(id)));
      return c ? category(c) : null;
    },

    async listDeposits() {
      const rows = await client.depositos.list({ pagina: 1, limite: PAGE });
      return rows.map((d) => ({
        id: String(d.id),
        descricao: d.descricao ?? `Depósito ${d.id}`,
        padrao: d.padrao,
        situacao: d.situacao,
      }));
    },

    async listPaymentMethods(page) {
      const rows = await client.formasPagamento.list({ pagina: page, limite: PAGE });
      return rows.map((r) => ({
        id: String(r.id),
        descricao: r.descricao ?? `Forma ${r.id}`,
        tipoPagamento: r.tipoPagamento ?? 99,
        situacao: r.situacao,
      }));
    },

    async createPaymentMethod(input) {
      const id = await client.formasPagamento.create({
        descricao: input.descricao,
        tipoPagamento: input.tipoPagamento as Parameters<
          BlingClient["formasPagamento"]["create"]
        >[0]["tipoPagamento"],
        finalidade: pm.finalidade,
        destino: pm.destino,
        situacao: 1,
      });
      return String(id);
    },

    async listContacts(q) {
      const rows = await client.contatos.list({ pagina: q.page, limite: PAGE, criterio: q.criterio });
      return rows.map(contactSummary);
    },

    async getContact(id) {
      const c = await orNull(client.contatos.get(num(id)));
      if (!c) return null;
      const g = c.endereco?.geral ?? null;
      return {
        id: String(c.id),
        nome: c.nome ?? "",
        codigo: c.codigo,
        situacao: c.situacao ?? "A",
        numeroDocumento: c.numeroDocumento,
        tipo: c.tipo,
        ie: c.ie,
        rg: c.rg,
        email: c.email,
        telefone: c.telefone,
        celular: c.celular,
        endereco: g
          ? {
              endereco: g.endereco,
              numero: g.numero,
              complemento: g.complemento,
              bairro: g.bairro,
              cep: g.cep,
              municipio: g.municipio,
              uf: g.uf,
            }
          : null,
      };
    },

    async findContactsByDocument(digits) {
      const rows = await client.contatos.findByDocumento(digits);
      return rows.map(contactSummary);
    },

    async createContact(input) {
      return String(await client.contatos.create(input));
    },

    async findOrdersByNumeroLoja(numeroLoja) {
      const rows = await client.pedidosVenda.findByNumeroLoja(numeroLoja);
      return rows.map((o) => ({
        id: String(o.id),
        numero: o.numero !== null ? String(o.numero) : null,
        numeroLoja: o.numeroLoja,
        situacaoId: str(o.situacao?.id),
      }));
    },

    async listOrdersChanged(q) {
      const rows = await client.pedidosVenda.list({
        pagina: q.page,
        limite: PAGE,
        dataAlteracaoInicial: q.dataAlteracaoInicial,
        dataAlteracaoFinal: q.dataAlteracaoFinal,
      });
      return rows.map((o) => ({
        id: String(o.id),
        numero: o.numero !== null ? String(o.numero) : null,
        numeroLoja: o.numeroLoja,
        situacaoId: str(o.situacao?.id),
      }));
    },

    async createOrder(input) {
      const res = await client.pedidosVenda.create(input);
      return { id: String(res.id), numero: null };
    },

    async getOrder(id) {
      const o = await orNull(client.pedidosVenda.get(num(id)));
      if (!o) return null;
      return {
        id: String(o.id),
        numero: o.numero !== null ? String(o.numero) : null,
        numeroLoja: o.numeroLoja,
        situacaoId: str(o.situacao?.id),
        notaFiscalId: str(o.notaFiscal?.id),
        trackingCodes: (o.transporte?.volumes ?? []).flatMap((v) => {
          const codigo = (v.codigoRastreamento ?? "").trim();
          return codigo ? [{ servico: v.servico?.trim() || null, codigo }] : [];
        }),
      };
    },

    async listSalesSituacoes() {
      const rows = await client.situacoes.vendas();
      return rows.map((s) => ({ id: String(s.id), nome: s.nome ?? "" }));
    },

    async listStorePrices(q) {
      const rows = await client.produtosLojas.list({
        pagina: q.page,
        limite: PAGE,
        idLoja: num(q.idLoja),
        ...(q.dataAlteracaoInicial ? { dataAlteracaoInicial: q.dataAlteracaoInicial } : {}),
        ...(q.dataAlteracaoFinal ? { dataAlteracaoFinal: q.dataAlteracaoFinal } : {}),
      });
      return rows.map((r) => ({
        productId: String(r.produto.id),
        preco: r.preco ?? 0,
        precoPromocional: r.precoPromocional,
      }));
    },

    async generateNfe(orderId) {
      return String(await client.pedidosVenda.gerarNfe(num(orderId)));
    },

    async sendNfe(nfeId) {
      await client.nfe.enviar(num(nfeId));
    },

    async getNfe(nfeId) {
      const n = await orNull(client.nfe.get(num(nfeId)));
      if (!n) return null;
      return {
        id: String(n.id),
        situacao: n.situacao ?? 0,
        numero: n.numero,
        chaveAcesso: n.chaveAcesso,
        xmlUrl: n.xml,
        danfeUrl: n.linkDanfe ?? n.linkPDF,
      };
    },

    async listCancelledNfes(q) {
      const rows = await client.nfe.list({
        situacao: 2,
        tipo: 1,
        dataEmissaoInicial: q.since,
        pagina: q.page,
        limite: PAGE,
      });
      return rows.map((n) => ({
        id: String(n.id),
        situacao: n.situacao ?? 0,
        numero: n.numero,
        chaveAcesso: n.chaveAcesso,
        xmlUrl: null,
        danfeUrl: null,
      }));
    },
  };
}
