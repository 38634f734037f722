import { describe, expect, it } from "vitest";
import { blingPaymentType, paymentNameKey, zydonPaymentType } from "./payment-methods.js";

describe("payment method mapping", () => {
  it("maps Bling tipoPagamento codes to Zydon types, unknown codes to OTHER", () => {
    expect(zydonPaymentType(1)).toBe("CASH");
    expect(zydonPaymentType(3)).toBe("CREDIT_CARD");
    expect(zydonPaymentType(4)).toBe("DEBIT_CARD");
    expect(zydonPaymentType(15)).toBe("BANK_SLIP");
    expect(zydonPaymentType(17)).toBe("PIX");
    expect(zydonPaymentType(99)).toBe("OTHER");
    expect(zydonPaymentType(12345)).toBe("OTHER");
  });

  it("maps Zydon types back to Bling codes (case-insensitive, BOLETO alias); unknown or missing → 99 Outros", () => {
    expect(blingPaymentType("PIX")).toBe(17);
    expect(blingPaymentType("credit_card")).toBe(3);
    expect(blingPaymentType("BOLETO")).toBe(15);
    expect(blingPaymentType("BANK_SLIP")).toBe(15);
    expect(blingPaymentType("CRYPTO")).toBe(99);
    expect(blingPaymentType(null)).toBe(99);
    expect(blingPaymentType(undefined)).toBe(99);
  });

  it("a Bling type survives the round trip through Zydon for the types both sides have", () => {
    for (const code of [1, 2, 3, 4, 15, 17, 18, 21])
      expect(blingPaymentType(zydonPaymentType(code))).toBe(code);
  });

  it("compares names ignoring case, accents and repeated spaces", () => {
    expect(paymentNameKey("  Cartão  de Crédito ")).toBe(paymentNameKey("cartao de credito"));
    expect(paymentNameKey("Boleto")).not.toBe(paymentNameKey("Boleto 30 dias"));
  });
});
