/**
 * Bling `tipoPagamento` codes (official spec, FormasPagamentosDadosBaseDTO) ↔ Zydon payment types.
 * Zydon documents only `CREDIT_CARD`; the other names are the most likely ones (zydon-api.md §7.3 marks the
 * enum UNKNOWN) and are kept in this one table so a correction is one edit.
 */
const blingToZydon: Record<number, string> = {
  1: "CASH",
  2: "CHECK",
  3: "CREDIT_CARD",
  4: "DEBIT_CARD",
  5: "CREDIT_CARD",
  14: "BANK_SLIP",
  15: "BANK_SLIP",
  16: "BANK_TRANSFER",
  17: "PIX",
  18: "BANK_TRANSFER",
  20: "PIX",
  21: "STORE_CREDIT",
};

const zydonToBling: Record<string, number> = {
  CASH: 1,
  CHECK: 2,
  CREDIT_CARD: 3,
  DEBIT_CARD: 4,
  BANK_SLIP: 15,
  BOLETO: 15,
  BANK_TRANSFER: 18,
  PIX: 17,
  STORE_CREDIT: 21,
};

export function zydonPaymentType(tipoPagamento: number): string {
  return blingToZydon[tipoPagamento] ?? "OTHER";
}

/** Unknown Zydon types become Bling's `99 Outros`, never a failed order. */
export function blingPaymentType(zydonType: string | null | undefined): number {
  return zydonToBling[(zydonType ?? "").toUpperCase()] ?? 99;
}

/** Names are the link between the two sides: compare them loosely (case, accents, spaces). */
export function paymentNameKey(name: string): string {
  return name
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .trim()
    .replace(/\s+/g, " ")
    .toLocaleLowerCase("pt-BR");
}
