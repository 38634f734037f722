import { z } from "zod";
import {
  blingId,
  dataEnvelope,
  listEnvelope,
  looseBool,
  looseInt,
  looseString,
  optionalDecimal,
} from "./common.js";

export const paymentMethodSchema = z.looseObject({
  id: blingId,
  descricao: looseString,
  tipoPagamento: looseInt,
  situacao: looseInt,
  fixa: looseBool,
  padrao: looseInt,
  finalidade: looseInt,
  juros: optionalDecimal,
  multa: optionalDecimal,
});
export type BlingPaymentMethod = z.output<typeof paymentMethodSchema>;
export const paymentMethodListSchema = listEnvelope(paymentMethodSchema);
export const paymentMethodDetailResponseSchema = dataEnvelope(paymentMethodSchema);

/** Bling `tipoPagamento` codes accepted on write. */
export type BlingTipoPagamento =
  | 1
  | 2
  | 3
  | 4
  | 5
  | 10
  | 11
  | 12
  | 13
  | 14
  | 15
  | 16
  | 17
  | 18
  | 19
  | 20
  | 21
  | 22
  | 90
  | 99;

/** `POST /formas-pagamentos` body (the spec requires `finalidade` and `destino`). */
export interface BlingPaymentMethodCreateBody {
  descricao: string;
  tipoPagamento: BlingTipoPagamento;
  /** 1 payments · 2 receipts · 3 both. */
  finalidade: 1 | 2 | 3;
  /** 1 accounts receivable/payable · 2 financial record · 3 cash/bank. */
  destino: 1 | 2 | 3;
  situacao?: 0 | 1;
  padrao?: 0 | 1 | 2;
  juros?: number;
  multa?: number;
  condicao?: string;
  utilizaDiasUteis?: boolean;
}
