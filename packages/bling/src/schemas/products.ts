import { z } from "zod";
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

/** `GET /produtos` item: a summary, never the full record. */
export const productSummarySchema = z.looseObject({
  id: blingId,
  idProdutoPai: blingRefId,
  nome: looseString,
  codigo: looseString,
  preco: optionalDecimal,
  precoCusto: optionalDecimal,
  estoque: z
    .looseObject({ saldoVirtualTotal: optionalDecimal })
    .nullish()
    .transform((v) => v ?? null),
  tipo: looseCode,
  situacao: looseCode,
  formato: looseCode,
  descricaoCurta: looseString,
  imagemURL: looseString,
});
export type BlingProductSummary = z.output<typeof productSummarySchema>;
export const productListSchema = listEnvelope(productSummarySchema);

const imageLink = z.looseObject({ link: looseString, linkMiniatura: looseString, validade: looseString });

const dimensoesSchema = z
  .looseObject({
    largura: optionalDecimal,
    altura: optionalDecimal,
    profundidade: optionalDecimal,
    unidadeMedida: looseInt,
  })
  .nullish()
  .transform((v) => v ?? null);

const midiaSchema = z
  .looseObject({
    video: z.looseObject({ url: looseString }).nullish(),
    imagens: z
      .looseObject({
        externas: z.array(imageLink).nullish(),
        internas: z.array(imageLink).nullish(),
        imagensURL: z.array(imageLink).nullish(),
      })
      .nullish(),
  })
  .nullish()
  .transform((v) => v ?? null);

/** Fields shared by a product and each of its variations (variations are full products). */
const productBaseShape = {
  id: blingId,
  idProdutoPai: blingRefId,
  nome: looseString,
  codigo: looseString,
  preco: optionalDecimal,
  precoCusto: optionalDecimal,
  tipo: looseCode,
  situacao: looseCode,
  formato: looseCode,
  descricaoCurta: looseString,
  descricaoComplementar: looseString,
  unidade: looseString,
  gtin: looseString,
  gtinEmbalagem: looseString,
  marca: looseString,
  pesoLiquido: optionalDecimal,
  pesoBruto: optionalDecimal,
  volumes: optionalDecimal,
  itensPorCaixa: optionalDecimal,
  categoria: blingRef,
  dimensoes: dimensoesSchema,
  estoque: z
    .looseObject({
      minimo: optionalDecimal,
      maximo: optionalDecimal,
      crossdocking: optionalDecimal,
      localizacao: looseString,
      saldoVirtualTotal: optionalDecimal,
    })
    .nullish()
    .transform((v) => v ?? null),
  midia: midiaSchema,
  imagemURL: looseString,
};

/** `variacao.nome` is "Tamanho:G;Cor:Verde"; parsed into ordered axes. */
export function parseVariationAxes(nome: string | null): Array<{ name: string; value: string }> {
  if (!nome) return [];
  return nome
    .split(";")
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf(":");
      return at < 0
        ? { name: "", value: pair }
        : { name: pair.slice(0, at).trim(), value: pair.slice(at + 1).trim() };
    });
}

export const productVariationSchema = z
  .looseObject({
    ...productBaseShape,
    variacao: z
      .looseObject({
        nome: looseString,
        ordem: looseInt,
        produtoPai: z.looseObject({ id: blingRefId }).nullish(),
      })
      .nullish()
      .transform((v) => v ?? null),
  })
  .transform((v) => ({ ...v, axes: parseVariationAxes(v.variacao?.nome ?? null) }));
export type BlingProductVariation = z.output<typeof productVariationSchema>;

/** `GET /produtos/{id}`: full record; a `V` parent carries `variacoes[]`. */
export const productDetailSchema = z.looseObject({
  ...productBaseShape,
  tributacao: z
    .looseObject({ ncm: looseString, cest: looseString, origem: looseInt })
    .nullish()
    .transform((v) => v ?? null),
  variacoes: z
    .array(productVariationSchema)
    .nullish()
    .transform((v) => v ?? []),
});
export type BlingProductDetail = z.output<typeof productDetailSchema>;
export const productDetailResponseSchema = dataEnvelope(productDetailSchema);

export const categorySchema = z.looseObject({
  id: blingId,
  descricao: looseString,
  categoriaPai: blingRef,
});
export type BlingCategory = z.output<typeof categorySchema>;
export const categoryListSchema = listEnvelope(categorySchema);
/** `GET /categorias/produtos/{idCategoriaProduto}` (CategoriasProdutosDadosDTO + categoriaPai). */
export const categoryResponseSchema = dataEnvelope(categorySchema);

export const depositSchema = z.looseObject({
  id: blingId,
  descricao: looseString,
  situacao: looseInt,
  padrao: z
    .union([z.boolean(), z.number(), z.string()])
    .nullish()
    .transform((v) => v === true || v === 1 || v === "1" || v === "true"),
  desconsiderarSaldo: z
    .union([z.boolean(), z.number(), z.string()])
    .nullish()
    .transform((v) => v === true || v === 1 || v === "1" || v === "true"),
});
export type BlingDeposit = z.output<typeof depositSchema>;
export const depositListSchema = listEnvelope(depositSchema);

/** `GET /estoques/saldos`: per product, totals plus (optionally) per-deposit balances. */
export const stockBalanceSchema = z.looseObject({
  produto: z.looseObject({ id: blingId, codigo: looseString }),
  saldoFisicoTotal: blingDecimal,
  saldoVirtualTotal: blingDecimal,
  depositos: z
    .array(z.looseObject({ id: blingId, saldoFisico: blingDecimal, saldoVirtual: blingDecimal }))
    .nullish()
    .transform((v) => v ?? []),
});
export type BlingStockBalance = z.output<typeof stockBalanceSchema>;
export const stockBalanceListSchema = listEnvelope(stockBalanceSchema);

/** `GET /produtos/lojas` item: per-store code and price of a product. */
export const productStoreSchema = z.looseObject({
  id: blingId,
  codigo: looseString,
  preco: optionalDecimal,
  precoPromocional: optionalDecimal,
  produto: z.looseObject({ id: blingId }),
  loja: z.looseObject({ id: blingId }),
});
export type BlingProductStore = z.output<typeof productStoreSchema>;
export const productStoreListSchema = listEnvelope(productStoreSchema);
