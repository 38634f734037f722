import { formatBlingDateTime, round2 } from "./http-util.js";
import type { Account, BlingInvoice, BlingProduct, OrderRecord, ProductRecord } from "./store.js";

/** The `/produtos` list row: a summary; the full record is only on `GET /produtos/{id}`. */
export function productSummary(acc: Account, rec: ProductRecord): Record<string, unknown> {
  const p = rec.data;
  return {
    id: p.id,
    ...(p.idProdutoPai !== undefined ? { idProdutoPai: p.idProdutoPai } : {}),
    nome: p.nome,
    codigo: p.codigo,
    preco: p.preco,
    precoCusto: p.precoCusto ?? 0,
    estoque: { saldoVirtualTotal: acc.totals(p.id).virtual },
    tipo: p.tipo,
    situacao: p.situacao,
    formato: p.formato,
    descricaoCurta: p.descricaoCurta,
    imagemURL: firstImage(p),
  };
}

function firstImage(p: BlingProduct): string {
  return p.midia?.imagens?.internas?.[0]?.linkMiniatura ?? p.midia?.imagens?.externas?.[0]?.link ?? "";
}

const DETAIL_OMIT = new Set(["idProdutoPai", "variacao", "precoCusto"]);

function productBody(acc: Account, rec: ProductRecord): Record<string, unknown> {
  const p = rec.data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!DETAIL_OMIT.has(k) && v !== undefined) out[k] = v;
  out.imagemURL = firstImage(p);
  out.estoque = {
    minimo: p.estoque?.minimo ?? 0,
    maximo: p.estoque?.maximo ?? 0,
    crossdocking: p.estoque?.crossdocking ?? 0,
    localizacao: p.estoque?.localizacao ?? "",
    saldoVirtualTotal: acc.totals(p.id).virtual,
  };
  out.midia = {
    video: { url: p.midia?.video?.url ?? "" },
    imagens: { externas: p.midia?.imagens?.externas ?? [], internas: p.midia?.imagens?.internas ?? [] },
  };
  if (p.idProdutoPai !== undefined) {
    out.variacao = {
      nome: p.variacao?.nome ?? "",
      ordem: p.variacao?.ordem ?? 0,
      produtoPai: { id: p.idProdutoPai, cloneInfo: false },
    };
  }
  return out;
}

/** `GET /produtos/{id}`: full record; a formato V parent carries its children in `variacoes[]`. */
export function productDetail(acc: Account, rec: ProductRecord): Record<string, unknown> {
  const out = productBody(acc, rec);
  if (rec.data.formato === "V") out.variacoes = acc.children(rec.data.id).map((c) => productBody(acc, c));
  return out;
}

export function contactSummary(c: Account["contacts"] extends Map<number, infer R> ? R : never) {
  const d = c.data;
  return {
    id: d.id,
    nome: d.nome,
    codigo: d.codigo ?? "",
    situacao: d.situacao,
    numeroDocumento: d.numeroDocumento ?? "",
    telefone: d.telefone ?? "",
    celular: d.celular ?? "",
  };
}

export interface OrderTotals {
  totalProdutos: number;
  total: number;
}

/** Bling computes totals itself: items (with % discount) − order discount + freight + other expenses. */
export function orderTotals(o: {
  itens: Array<{ quantidade: number; valor: number; desconto?: number }>;
  desconto?: { valor: number; unidade?: string } | undefined;
  transporte?: { frete?: number } | undefined;
  outrasDespesas?: number | undefined;
}): OrderTotals {
  const totalProdutos = round2(
    o.itens.reduce((s, i) => s + round2(i.quantidade * i.valor * (1 - (i.desconto ?? 0) / 100)), 0),
  );
  const d = o.desconto;
  const desconto = d ? (d.unidade === "PERCENTUAL" ? round2((totalProdutos * d.valor) / 100) : d.valor) : 0;
  const total = round2(totalProdutos - desconto + (o.transporte?.frete ?? 0) + (o.outrasDespesas ?? 0));
  return { totalProdutos, total };
}

function orderContact(acc: Account, id: number) {
  const c = acc.contacts.get(id)?.data;
  return { id, nome: c?.nome ?? "", tipoPessoa: c?.tipo ?? "F", numeroDocumento: c?.numeroDocumento ?? "" };
}

export function orderSummary(acc: Account, rec: OrderRecord): Record<string, unknown> {
  const o = rec.data;
  const t = orderTotals(o);
  return {
    id: o.id,
    numero: o.numero,
    numeroLoja: o.numeroLoja ?? "",
    data: o.data,
    dataSaida: o.dataSaida,
    dataPrevista: o.dataPrevista,
    totalProdutos: t.totalProdutos,
    total: t.total,
    contato: orderContact(acc, o.contato.id),
    situacao: { id: o.situacao.id, valor: acc.situacaoValor(o.situacao.id) },
    loja: { id: o.loja.id },
  };
}

export function orderDetail(acc: Account, rec: OrderRecord): Record<string, unknown> {
  const o = rec.data;
  return {
    ...o,
    ...orderSummary(acc, rec),
    desconto: o.desconto ?? { valor: 0, unidade: "REAL" },
    outrasDespesas: o.outrasDespesas ?? 0,
    notaFiscal: o.notaFiscal ?? { id: 0 },
    itens: o.itens.map((i) => ({ aliquotaIPI: 0, unidade: "UN", codigo: "", descricaoDetalhada: "", ...i })),
    parcelas: o.parcelas.map((p) => ({ observacoes: "", caut: "", ...p })),
  };
}

// --- webhook payloads: the slim shapes of the reference §7 ---

export function productWebhookData(p: BlingProduct): Record<string, unknown> {
  return {
    id: p.id,
    nome: p.nome,
    codigo: p.codigo,
    tipo: p.tipo,
    situacao: p.situacao,
    preco: p.preco,
    unidade: p.unidade ?? "UN",
    formato: p.formato,
    idProdutoPai: p.idProdutoPai ?? 0,
    categoria: { id: p.categoria?.id ?? 0 },
    descricaoCurta: p.descricaoCurta,
    descricaoComplementar: p.descricaoComplementar ?? "",
  };
}

export function orderWebhookData(acc: Account, rec: OrderRecord): Record<string, unknown> {
  const o = rec.data;
  return {
    id: o.id,
    data: o.data,
    numero: o.numero,
    numeroLoja: o.numeroLoja ?? "",
    total: orderTotals(o).total,
    contato: { id: o.contato.id },
    vendedor: {
      id: typeof o.vendedor === "object" && o.vendedor ? ((o.vendedor as { id?: number }).id ?? 0) : 0,
    },
    loja: { id: o.loja.id },
    situacao: { id: o.situacao.id, valor: acc.situacaoValor(o.situacao.id) },
  };
}

export function invoiceWebhookData(inv: BlingInvoice): Record<string, unknown> {
  return {
    id: inv.id,
    tipo: inv.tipo,
    situacao: inv.situacao,
    numero: inv.numero,
    dataEmissao: inv.dataEmissao,
    dataOperacao: inv.dataOperacao,
    contato: { id: inv.contatoId },
    naturezaOperacao: { id: inv.naturezaOperacaoId },
    loja: { id: inv.lojaId },
  };
}

/**
 * Public document links of an authorized note, as Bling serves them (no bearer token; the `accessKey` query
 * parameter is the credential). `docBaseUrl` is where the simulator itself answers them.
 */
export function invoiceLinks(
  inv: BlingInvoice,
  docBaseUrl: string,
): { xml: string; linkDanfe: string; linkPDF: string } {
  if (inv.situacao !== 5 && inv.situacao !== 6) return { xml: "", linkDanfe: "", linkPDF: "" };
  const q = `chaveAcesso=${inv.chaveAcesso}&accessKey=${inv.accessKey}`;
  return {
    xml: `${docBaseUrl}/relatorios/nfe.xml.php?${q}`,
    linkDanfe: `${docBaseUrl}/doc.view.php?${q}`,
    linkPDF: `${docBaseUrl}/doc.view.php?PDF=true&${q}`,
  };
}

export function invoiceDetail(
  acc: Account,
  inv: BlingInvoice,
  docBaseUrl = "https://www.bling.com.br",
): Record<string, unknown> {
  const c = acc.contacts.get(inv.contatoId)?.data;
  const g = c?.endereco?.geral ?? {};
  const order = acc.orders.get(inv.orderId);
  return {
    id: inv.id,
    tipo: inv.tipo,
    situacao: inv.situacao,
    numero: inv.numero,
    serie: inv.serie,
    dataEmissao: inv.dataEmissao,
    dataOperacao: inv.dataOperacao,
    chaveAcesso: inv.chaveAcesso,
    contato: {
      id: inv.contatoId,
      nome: c?.nome ?? "",
      tipoPessoa: c?.tipo ?? "F",
      numeroDocumento: c?.numeroDocumento ?? "",
      ie: c?.ie ?? "",
      rg: c?.rg ?? "",
      contribuinte: c?.indicadorIe ?? 9,
      telefone: c?.telefone ?? "",
      email: c?.email ?? "",
      endereco: {
        endereco: g.endereco ?? "",
        numero: g.numero ?? "",
        complemento: g.complemento ?? "",
        bairro: g.bairro ?? "",
        cep: g.cep ?? "",
        municipio: g.municipio ?? "",
        uf: g.uf ?? "",
        pais: "",
      },
    },
    naturezaOperacao: { id: inv.naturezaOperacaoId },
    loja: { id: inv.lojaId },
    valorNota: inv.valorNota,
    valorFrete: order?.data.transporte?.frete ?? 0,
    ...invoiceLinks(inv, docBaseUrl),
    numeroPedidoLoja: order?.data.numeroLoja ?? "",
    itens: (order?.data.itens ?? []).map((i) => ({
      codigo: i.codigo ?? "",
      descricao: i.descricao,
      unidade: i.unidade ?? "UN",
      quantidade: i.quantidade,
      valor: i.valor,
      valorTotal: round2(i.quantidade * i.valor * (1 - i.desconto / 100)),
      tipo: "P",
    })),
    parcelas: (order?.data.parcelas ?? []).map((p) => ({
      data: p.dataVencimento,
      valor: p.valor,
      observacoes: p.observacoes ?? "",
      formaPagamento: { id: p.formaPagamento.id },
    })),
  };
}

export function nowDateTime(ms: number): string {
  return formatBlingDateTime(ms);
}
