import { z } from "zod";
import type { BlingFieldError } from "../errors.js";
import {
  blingDecimal,
  blingId,
  blingRef,
  blingRefId,
  dataEnvelope,
  listEnvelope,
  looseCode,
  looseInt,
  looseString,
  optionalDecimal,
} from "./common.js";

const situacaoRef = z
  .looseObject({ id: blingRefId, valor: looseInt })
  .nullish()
  .transform((v) => v ?? null);

const contatoRef = z
  .looseObject({
    id: blingRefId,
    nome: looseString,
    tipoPessoa: looseCode,
    numeroDocumento: looseString,
  })
  .nullish()
  .transform((v) => v ?? null);

/** `GET /pedidos/vendas` item (summary). */
export const orderSummarySchema = z.looseObject({
  id: blingId,
  numero: looseInt,
  numeroLoja: looseString,
  data: looseString,
  dataSaida: looseString,
  dataPrevista: looseString,
  totalProdutos: optionalDecimal,
  total: optionalDecimal,
  contato: contatoRef,
  situacao: situacaoRef,
  loja: blingRef,
});
export type BlingOrderSummary = z.output<typeof orderSummarySchema>;
export const orderListSchema = listEnvelope(orderSummarySchema);

/** `GET /pedidos/vendas/{id}`. Items/installments are strict on quantities and amounts. */
export const orderDetailSchema = z.looseObject({
  ...orderSummarySchema.shape,
  observacoes: looseString,
  observacoesInternas: looseString,
  numeroPedidoCompra: looseString,
  outrasDespesas: optionalDecimal,
  desconto: z
    .looseObject({ valor: optionalDecimal, unidade: looseCode })
    .nullish()
    .transform((v) => v ?? null),
  notaFiscal: blingRef,
  itens: z
    .array(
      z.looseObject({
        id: blingRefId,
        codigo: looseString,
        unidade: looseString,
        quantidade: blingDecimal,
        desconto: optionalDecimal,
        valor: blingDecimal,
        descricao: looseString,
        produto: blingRef,
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
  parcelas: z
    .array(
      z.looseObject({
        id: blingRefId,
        dataVencimento: looseString,
        valor: blingDecimal,
        observacoes: looseString,
        formaPagamento: blingRef,
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
  transporte: z
    .looseObject({
      frete: optionalDecimal,
      volumes: z
        .array(z.looseObject({ codigoRastreamento: looseString, servico: looseString }))
        .nullish()
        .transform((v) => v ?? []),
    })
    .nullish()
    .transform((v) => v ?? null),
});
export type BlingOrderDetail = z.output<typeof orderDetailSchema>;
export const orderDetailResponseSchema = dataEnvelope(orderDetailSchema);

const fieldErrorSchema: z.ZodType<BlingFieldError> = z.lazy(() =>
  z.looseObject({
    code: z.coerce.number().optional().catch(undefined),
    msg: z.string().optional().catch(undefined),
    element: z.string().optional().catch(undefined),
    namespace: z.string().optional().catch(undefined),
    index: z.coerce.number().optional().catch(undefined),
    collection: z.array(fieldErrorSchema).optional().catch(undefined),
  }),
);

/** `POST /pedidos/vendas` 201: the new id, plus non-fatal `alertas[]` (same shape as error `fields[]`). */
export const orderCreateResponseSchema = dataEnvelope(
  z.looseObject({
    id: blingId,
    alertas: z
      .array(fieldErrorSchema)
      .nullish()
      .transform((v) => v ?? []),
  }),
);
export type BlingOrderCreateResult = z.output<typeof orderCreateResponseSchema>;

/**
 * `POST /pedidos/vendas/{id}/gerar-nfe` 201. The spec shows top-level `{idNotaFiscal}`; clients in the wild also
 * see `{data:{idNotaFiscal}}` or `{data:{id}}`. Reads `data.idNotaFiscal ?? idNotaFiscal ?? data.id`.
 */
export const generateNfeResponseSchema = z
  .looseObject({
    idNotaFiscal: blingId.optional(),
    data: z.looseObject({ idNotaFiscal: blingId.optional(), id: blingId.optional() }).nullish(),
  })
  .transform((v, ctx) => {
    const id = v.data?.idNotaFiscal ?? v.idNotaFiscal ?? v.data?.id;
    if (id === undefined) {
      ctx.addIssue({ code: "custom", message: "no NF-e id in data.idNotaFiscal, idNotaFiscal or data.id" });
      return z.NEVER;
    }
    return id;
  });

/** 200 bulk responses: `data.alertas[]` of `{id, error:{type,message,description,fields?}}` for failed ids. */
export const batchAlertsResponseSchema = dataEnvelope(
  z.looseObject({
    alertas: z
      .array(
        z.looseObject({
          id: blingId,
          error: z
            .looseObject({
              type: z.string().optional(),
              message: z.string().optional(),
              description: z.string().optional(),
              fields: z.array(fieldErrorSchema).optional().catch(undefined),
            })
            .optional(),
        }),
      )
      .nullish()
      .transform((v) => v ?? []),
  }),
);

export interface BlingOrderItemBody {
  codigo?: string;
  descricao: string;
  unidade?: string;
  quantidade: number;
  /** Unit price. */
  valor: number;
  /** Percentage (not an amount). */
  desconto?: number;
  descricaoDetalhada?: string;
  aliquotaIPI?: number;
  /** Omit for a free-text line (it will not move stock). */
  produto?: { id: number };
}

export interface BlingOrderInstallmentBody {
  /** `YYYY-MM-DD`. */
  dataVencimento: string;
  valor: number;
  observacoes?: string;
  formaPagamento: { id: number };
}

/** `POST /pedidos/vendas` body. `total`/`totalProdutos` are computed by Bling and cannot be sent. */
export interface BlingOrderCreateBody {
  /** Omit to let Bling assign the next number; keep our own id in `numeroLoja`. */
  numero?: number;
  numeroLoja?: string;
  /** `YYYY-MM-DD`; `dataSaida`/`dataPrevista` default to it (the spec lists them as required). */
  data: string;
  dataSaida?: string;
  dataPrevista?: string;
  contato: { id: number; tipoPessoa?: "F" | "J" | "E"; numeroDocumento?: string };
  situacao?: { id: number };
  loja?: { id: number };
  numeroPedidoCompra?: string;
  outrasDespesas?: number;
  observacoes?: string;
  observacoesInternas?: string;
  desconto?: { valor: number; unidade: "REAL" | "PERCENTUAL" };
  categoria?: { id: number };
  vendedor?: { id: number };
  itens: BlingOrderItemBody[];
  parcelas: BlingOrderInstallmentBody[];
  transporte?: {
    fretePorConta?: 0 | 1 | 2 | 3 | 4 | 9;
    frete?: number;
    quantidadeVolumes?: number;
    pesoBruto?: number;
    prazoEntrega?: number;
    etiqueta?: {
      nome?: string;
      endereco?: string;
      numero?: string;
      complemento?: string;
      municipio?: string;
      uf?: string;
      cep?: string;
      bairro?: string;
      nomePais?: string;
    };
  };
  intermediador?: { cnpj?: string; nomeUsuario?: string };
}

/**
 * Lenient reader of order-create bodies from elsewhere (samples, logged requests): strict on ids, quantities
 * and amounts; read-only fields (`id` inside items/installments, `contato.nome`) are tolerated.
 */
export const orderCreateBodySchema = z.looseObject({
  numero: looseInt,
  numeroLoja: looseString,
  data: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  dataSaida: looseString,
  dataPrevista: looseString,
  contato: z.looseObject({ id: blingId }),
  itens: z
    .array(
      z.looseObject({
        descricao: looseString,
        quantidade: blingDecimal,
        valor: blingDecimal,
        desconto: optionalDecimal,
        produto: z.looseObject({ id: blingId }).optional(),
      }),
    )
    .min(1),
  parcelas: z
    .array(
      z.looseObject({
        dataVencimento: z.string(),
        valor: blingDecimal,
        formaPagamento: z.looseObject({ id: blingId }),
      }),
    )
    .optional(),
});
