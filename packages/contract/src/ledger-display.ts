/**
 * How a Histórico row reads, shared by the page and the CSV export so both say the same thing: the item as
 * the merchant knows it (SKU, formatted CPF/CNPJ, order number; never "bling:<id>"), the name beside it, and
 * old → new for stock and price. Plain functions over the stored row: no zod, nothing else imported.
 */

/** 12345678909 → 123.456.789-09; 12345678000195 → 12.345.678/0001-95; anything else unchanged. */
export function formatDocument(value: string): string {
  const d = value.replace(/\D/g, "");
  if (d.length !== value.replace(/[.\-/\s]/g, "").length) return value;
  if (d.length === 11) return `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6, 9)}-${d.slice(9)}`;
  if (d.length === 14)
    return `${d.slice(0, 2)}.${d.slice(2, 5)}.${d.slice(5, 8)}/${d.slice(8, 12)}-${d.slice(12)}`;
  return value;
}

const money = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });
const quantity = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 3 });

export interface LedgerRowLike {
  entity: string;
  entityKey: string;
  details?: Record<string, unknown> | null | undefined;
}

export interface LedgerDisplay {
  /** The item as the merchant knows it. */
  item: string;
  /** The record's name, when the sync knew it. */
  name: string | null;
  /** Old → new (stock and price), formatted. */
  change: { from: string | null; to: string } | null;
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() ? v.trim() : null;
}

export function describeLedgerRow(row: LedgerRowLike): LedgerDisplay {
  const d = row.details ?? {};
  const name = str(d.name);
  let item = row.entityKey;
  if (/^bling:/.test(item)) item = "sem código (SKU)";
  else if (row.entity === "customer") item = formatDocument(item);
  else if (/^tabela:/.test(item)) item = `tabela de preços ${str(d.priceTableName) ?? item.slice(7)}`;
  let change: LedgerDisplay["change"] = null;
  const to = num(d.to);
  if (to !== null && (row.entity === "stock" || row.entity === "price")) {
    const from = num(d.from);
    const fmt = row.entity === "price" ? money.format : quantity.format;
    change = { from: from === null ? null : fmt(from), to: fmt(to) };
  }
  return { item, name, change };
}

/** The merchant's words for each ledger code (pt-BR); the page and the CSV both use them. */
export const ledgerEntityLabels: Record<string, string> = {
  product: "Produto",
  variation: "Variação",
  image: "Imagem",
  stock: "Estoque",
  price: "Preço",
  customer: "Cliente",
  payment_method: "Forma de pagamento",
  order: "Pedido",
  order_status: "Status do pedido",
  nfe: "NF-e",
  settings: "Configuração",
  category: "Categoria",
  brand: "Marca",
};

export const ledgerOutcomeLabels: Record<string, string> = {
  synced: "Sincronizado",
  skipped: "Ignorado",
  failed: "Falhou",
  /** A failure or skip a later success closed. */
  resolved: "Resolvido",
};

export const ledgerActionLabels: Record<string, string> = {
  import: "Importação",
  duplicate: "SKU repetido",
  jump: "Trava de preço",
  export: "Envio ao Bling",
  update: "Atualização",
  upload: "Envio de arquivo",
  status: "Mudança de status",
  create: "Criação",
  link: "Vínculo",
  emit: "Emissão",
  attach: "Anexo",
  apply: "Aplicação",
  audit: "Auditoria",
  purge: "Exclusão",
  /** A Zydon-side status change started the export or the NF-e (issue 19 #3). */
  zydon_status: "Status no Zydon",
  tracking: "Código de rastreio",
  delivered: "Entrega",
  cancel: "Cancelamento",
};
