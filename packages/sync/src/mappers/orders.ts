import { saoPauloDate } from "../domain/brasilia-time.js";
import { fromCents, splitInstallments, toCents } from "../domain/money.js";
import type { ErpOrderInput } from "../ports/bling-port.js";
import type { PortalOrder } from "../ports/zydon-port.js";

export { saoPauloDate };

export class OrderMappingError extends Error {
  constructor(
    readonly reasonPtBr: string,
    readonly missingSkus: string[] = [],
  ) {
    super(reasonPtBr);
    this.name = "OrderMappingError";
  }
}

/**
 * Zydon order → Bling sales order. Items resolve by SKU link (`productIdBySku`); the Zydon order id goes in
 * `numeroLoja` (the external key looked up before any create); installments add up to the order total to
 * the cent, the remainder in the last one.
 */
export function mapOrder(
  order: PortalOrder,
  refs: {
    contactId: string;
    productIdBySku: Map<string, string>;
    paymentMethodIdByZydonId: Map<string, string>;
    today: Date;
  },
): ErpOrderInput {
  const missing = order.items.filter((i) => !refs.productIdBySku.has(i.sku)).map((i) => i.sku);
  if (missing.length > 0) {
    throw new OrderMappingError(
      `Produto(s) sem vínculo com o Bling: ${missing.join(", ")}. Sincronize o catálogo ou cadastre o SKU no Bling e tente novamente.`,
      missing,
    );
  }
  if (order.items.length === 0) throw new OrderMappingError("Pedido sem itens.");
  if (order.payments.length === 0) throw new OrderMappingError("Pedido sem forma de pagamento.");
  const itens = order.items.map((i) => ({
    codigo: i.sku,
    descricao: i.sku,
    quantidade: i.quantity,
    valor: i.unitValue,
    // Bling's item discount is a percentage of the unit price.
    ...(i.discount > 0 && i.unitValue > 0
      ? { desconto: Math.round((i.discount / (i.unitValue * i.quantity)) * 10000) / 100 }
      : {}),
    produto: { id: Number(refs.productIdBySku.get(i.sku)) },
  }));
  const itemsCents = order.items.reduce(
    (a, i) => a + toCents(i.unitValue) * i.quantity - toCents(i.discount),
    0,
  );
  const freightCents = toCents(order.freightValue);
  const discountCents = toCents(order.discountValue);
  const totalCents = itemsCents + freightCents - discountCents;
  const parts = splitInstallments(
    order.payments.map((p) => ({ amountCents: toCents(p.amount), installments: p.installments })),
    totalCents,
  );
  const base = new Date(order.createdAt);
  const parcelas = parts.map((part) => {
    const pay = order.payments[part.paymentIndex] as PortalOrder["payments"][number];
    const formaId = refs.paymentMethodIdByZydonId.get(pay.paymentMethodId);
    if (!formaId)
      throw new OrderMappingError(`Forma de pagamento ${pay.paymentMethodId} sem vínculo com o Bling.`);
    const due = new Date(base.getTime() + (part.sequence - 1) * 30 * 86_400_000);
    return {
      dataVencimento: saoPauloDate(due),
      valor: fromCents(part.cents),
      formaPagamento: { id: Number(formaId) },
    };
  });
  const date = saoPauloDate(base);
  return {
    numeroLoja: order.id,
    data: date,
    dataSaida: date,
    dataPrevista: date,
    contato: { id: Number(refs.contactId) },
    itens,
    parcelas,
    ...(freightCents > 0 ? { transporte: { frete: fromCents(freightCents) } } : {}),
    ...(discountCents > 0 ? { desconto: { valor: fromCents(discountCents), unidade: "REAL" as const } } : {}),
    observacoesInternas: `Pedido Zydon ${order.id}`,
    ...(order.observation ? { observacoes: order.observation } : {}),
  };
}
