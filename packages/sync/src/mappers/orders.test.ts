import { describe, expect, it } from "vitest";
import { toCents } from "../domain/money.js";
import type { PortalOrder } from "../ports/zydon-port.js";
import { zydonOrder } from "../test-support/fake-zydon.js";
import { mapOrder, OrderMappingError, saoPauloDate } from "./orders.js";

const refs = (over: Partial<Parameters<typeof mapOrder>[1]> = {}) => ({
  contactId: "700",
  productIdBySku: new Map([
    ["PAR-1", "101"],
    ["POR-1", "102"],
  ]),
  paymentMethodIdByZydonId: new Map([
    ["pm-boleto", "900"],
    ["pm-pix", "901"],
  ]),
  today: new Date("2026-03-10T15:00:00Z"),
  ...over,
});

function order(over: Partial<PortalOrder> = {}): PortalOrder {
  return zydonOrder({
    id: "Z-1",
    partnerId: "partner-1",
    items: [{ sku: "PAR-1", productId: null, variationId: null, quantity: 3, unitValue: 33.33, discount: 0 }],
    payments: [{ paymentMethodId: "pm-boleto", amount: 99.99, installments: 1 }],
    ...over,
  });
}

const sumCents = (parcelas: Array<{ valor: number }>) => parcelas.reduce((a, p) => a + toCents(p.valor), 0);

function mappingError(fn: () => unknown): OrderMappingError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OrderMappingError) return err;
    throw err;
  }
  throw new Error("expected an OrderMappingError");
}

describe("mapOrder", () => {
  it("puts the Zydon order id in numeroLoja and resolves contact, products and payment by link", () => {
    const input = mapOrder(order({ observation: "Entregar pela manhã" }), refs());
    expect(input).toMatchObject({
      numeroLoja: "Z-1",
      data: "2026-03-10",
      contato: { id: 700 },
      itens: [{ codigo: "PAR-1", quantidade: 3, valor: 33.33, produto: { id: 101 } }],
      parcelas: [{ dataVencimento: "2026-03-10", valor: 99.99, formaPagamento: { id: 900 } }],
      observacoes: "Entregar pela manhã",
      observacoesInternas: "Pedido Zydon Z-1",
    });
    expect(input.transporte).toBeUndefined();
    expect(input.desconto).toBeUndefined();
  });

  it("installments add up to the order total to the cent, the remainder in the last one, 30 days apart", () => {
    const input = mapOrder(
      order({
        items: [
          { sku: "PAR-1", productId: null, variationId: null, quantity: 1, unitValue: 100, discount: 0 },
        ],
        payments: [{ paymentMethodId: "pm-boleto", amount: 100, installments: 3 }],
      }),
      refs(),
    );
    expect(input.parcelas.map((p) => p.valor)).toEqual([33.33, 33.33, 33.34]);
    expect(input.parcelas.map((p) => p.dataVencimento)).toEqual(["2026-03-10", "2026-04-09", "2026-05-09"]);
  });

  it("freight and order discount change the total the installments add up to", () => {
    const input = mapOrder(
      order({
        items: [
          { sku: "PAR-1", productId: null, variationId: null, quantity: 3, unitValue: 0.1, discount: 0 },
          { sku: "POR-1", productId: null, variationId: null, quantity: 7, unitValue: 0.7, discount: 0 },
        ],
        freightValue: 12.5,
        discountValue: 0.2,
        payments: [
          { paymentMethodId: "pm-boleto", amount: 10, installments: 2 },
          { paymentMethodId: "pm-pix", amount: 7.4, installments: 1 },
        ],
      }),
      refs(),
    );
    // 3 × 0.10 + 7 × 0.70 + 12.50 − 0.20 = 17.50 (floats would say 17.499999…)
    expect(sumCents(input.parcelas)).toBe(1750);
    expect(input.transporte).toEqual({ frete: 12.5 });
    expect(input.desconto).toEqual({ valor: 0.2, unidade: "REAL" });
    expect(input.parcelas.map((p) => p.formaPagamento.id)).toEqual([900, 900, 901]);
  });

  it("payments that disagree with the total are scaled to it, keeping proportions", () => {
    const input = mapOrder(
      order({
        items: [
          { sku: "PAR-1", productId: null, variationId: null, quantity: 1, unitValue: 100, discount: 0 },
        ],
        freightValue: 10,
        payments: [
          { paymentMethodId: "pm-boleto", amount: 50, installments: 1 },
          { paymentMethodId: "pm-pix", amount: 50, installments: 1 },
        ],
      }),
      refs(),
    );
    expect(input.parcelas.map((p) => p.valor)).toEqual([55, 55]);
  });

  it("an item discount becomes Bling's percentage and lowers the total", () => {
    const input = mapOrder(
      order({
        items: [
          { sku: "PAR-1", productId: null, variationId: null, quantity: 4, unitValue: 25, discount: 10 },
        ],
        payments: [{ paymentMethodId: "pm-boleto", amount: 90, installments: 1 }],
      }),
      refs(),
    );
    expect(input.itens[0]?.desconto).toBe(10);
    expect(sumCents(input.parcelas)).toBe(9000);
  });

  it("dates are São Paulo dates: 01:00 UTC is still the previous day in Brasília", () => {
    const input = mapOrder(order({ createdAt: "2026-03-11T01:00:00.000Z" }), refs());
    expect(input.data).toBe("2026-03-10");
    expect(saoPauloDate(new Date("2026-03-11T03:00:00.000Z"))).toBe("2026-03-11");
  });

  it("items without a SKU link fail with the SKUs listed, in pt-BR", () => {
    const err = mappingError(() =>
      mapOrder(
        order({
          items: [
            { sku: "PAR-1", productId: null, variationId: null, quantity: 1, unitValue: 1, discount: 0 },
            { sku: "NOVO-9", productId: null, variationId: null, quantity: 1, unitValue: 1, discount: 0 },
          ],
        }),
        refs(),
      ),
    );
    expect(err.missingSkus).toEqual(["NOVO-9"]);
    expect(err.reasonPtBr).toContain("NOVO-9");
  });

  it("an order without items, without payments or with an unlinked payment method is refused", () => {
    expect(mappingError(() => mapOrder(order({ items: [] }), refs())).reasonPtBr).toBe("Pedido sem itens.");
    expect(mappingError(() => mapOrder(order({ payments: [] }), refs())).reasonPtBr).toBe(
      "Pedido sem forma de pagamento.",
    );
    expect(
      mappingError(() =>
        mapOrder(order({ payments: [{ paymentMethodId: "pm-x", amount: 99.99, installments: 1 }] }), refs()),
      ).reasonPtBr,
    ).toContain("pm-x");
  });
});
