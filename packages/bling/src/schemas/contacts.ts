import { z } from "zod";
import { blingId, blingRef, dataEnvelope, listEnvelope, looseCode, looseInt, looseString } from "./common.js";

/** `GET /contatos` item (summary). */
export const contactSummarySchema = z.looseObject({
  id: blingId,
  nome: looseString,
  codigo: looseString,
  situacao: looseCode,
  numeroDocumento: looseString,
  telefone: looseString,
  celular: looseString,
});
export type BlingContactSummary = z.output<typeof contactSummarySchema>;
export const contactListSchema = listEnvelope(contactSummarySchema);

const addressSchema = z
  .looseObject({
    endereco: looseString,
    numero: looseString,
    complemento: looseString,
    bairro: looseString,
    cep: looseString,
    municipio: looseString,
    uf: looseString,
  })
  .nullish()
  .transform((v) => v ?? null);

/** `GET /contatos/{id}`. Documents may be masked or digits-only; a contact may have none at all. */
export const contactDetailSchema = z.looseObject({
  ...contactSummarySchema.shape,
  fantasia: looseString,
  tipo: looseCode,
  indicadorIe: looseInt,
  ie: looseString,
  rg: looseString,
  email: looseString,
  emailNotaFiscal: looseString,
  endereco: z
    .looseObject({ geral: addressSchema, cobranca: addressSchema })
    .nullish()
    .transform((v) => v ?? null),
  vendedor: blingRef,
  tiposContato: z
    .array(z.looseObject({ id: blingId, descricao: looseString }))
    .nullish()
    .transform((v) => v ?? []),
});
export type BlingContactDetail = z.output<typeof contactDetailSchema>;
export const contactDetailResponseSchema = dataEnvelope(contactDetailSchema);

export interface BlingAddressInput {
  endereco?: string;
  numero?: string;
  complemento?: string;
  bairro?: string;
  cep?: string;
  municipio?: string;
  uf?: string;
}

/** `POST /contatos` body. */
export interface BlingContactCreateBody {
  nome: string;
  tipo: "F" | "J" | "E";
  situacao: "A" | "I" | "E" | "S";
  codigo?: string;
  fantasia?: string;
  numeroDocumento?: string;
  /** 1 ICMS taxpayer · 2 exempt · 9 non-taxpayer. */
  indicadorIe?: 1 | 2 | 9;
  ie?: string;
  rg?: string;
  email?: string;
  emailNotaFiscal?: string;
  telefone?: string;
  celular?: string;
  endereco?: { geral?: BlingAddressInput; cobranca?: BlingAddressInput };
  vendedor?: { id: number };
  tiposContato?: Array<{ id: number; descricao?: string }>;
}
