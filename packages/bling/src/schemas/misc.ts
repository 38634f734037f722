import { z } from "zod";
import {
  blingId,
  blingRef,
  dataEnvelope,
  listEnvelope,
  looseBool,
  looseInt,
  looseString,
  optionalDecimal,
} from "./common.js";

/** `GET /situacoes/modulos` item. */
export const situacaoModuloSchema = z.looseObject({
  id: blingId,
  nome: looseString,
  descricao: looseString,
  criarSituacoes: looseBool,
});
export type BlingSituacaoModulo = z.output<typeof situacaoModuloSchema>;
export const situacaoModuloListSchema = listEnvelope(situacaoModuloSchema);

/** `GET /situacoes/modulos/{id}` item. Ids are account-specific: resolve by name, never hard-code. */
export const situacaoSchema = z.looseObject({
  id: blingId,
  nome: looseString,
  idHerdado: z
    .union([blingId, z.null()])
    .optional()
    .transform((v) => v ?? null),
  cor: looseString,
});
export type BlingSituacao = z.output<typeof situacaoSchema>;
export const situacaoListSchema = listEnvelope(situacaoSchema);

/** `GET /empresas/me/dados-basicos`. `id` is the hex string webhooks carry as `companyId`. */
export const companySchema = z.looseObject({
  id: z.string().min(1),
  nome: looseString,
  cnpj: looseString,
  email: looseString,
  dataContrato: looseString,
});
export type BlingCompany = z.output<typeof companySchema>;
export const companyResponseSchema = dataEnvelope(companySchema);

/** `GET /nfe/{id}`. `situacao`: 1 pending … 5 authorized, 6 DANFE issued (see reference §6.10). */
export const nfeSchema = z.looseObject({
  id: blingId,
  tipo: looseInt,
  situacao: looseInt,
  numero: looseString,
  serie: looseString,
  dataEmissao: looseString,
  dataOperacao: looseString,
  chaveAcesso: looseString,
  valorNota: optionalDecimal,
  xml: looseString,
  linkDanfe: looseString,
  linkPDF: looseString,
  contato: blingRef,
  loja: blingRef,
});
export type BlingNfe = z.output<typeof nfeSchema>;
export const nfeResponseSchema = dataEnvelope(nfeSchema);
/** `GET /nfe` rows (`NotasFiscaisDadosBaseDTO`: no links, no XML). */
export const nfeListSchema = listEnvelope(nfeSchema);

/** `POST /nfe/{id}/enviar` 200: `{data:{xml}}` (body shape varies; everything optional). */
export const nfeSendResponseSchema = z
  .looseObject({ data: z.looseObject({ xml: looseString }).nullish() })
  .nullish()
  .transform((v) => ({ xml: v?.data?.xml ?? null }));
