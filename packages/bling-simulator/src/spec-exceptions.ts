/**
 * Where Bling's official OpenAPI file is wrong or self-contradictory, and how the validator patches it.
 * Two general OpenAPI 3.0 rules are applied on top (see openapi-validator.ts): a `readOnly` property is never
 * required in a request body, and a `writeOnly` property is never required in a response.
 */
type Schema = Record<string, unknown>;

export interface SpecException {
  schema: string;
  reason: string;
  patch(schema: Schema): void;
}

const dropRequired =
  (...names: string[]) =>
  (s: Schema): void => {
    if (Array.isArray(s.required)) s.required = (s.required as string[]).filter((r) => !names.includes(r));
  };

const prop = (s: Schema, name: string): Schema => (s.properties as Record<string, Schema>)[name] as Schema;

export const specExceptions: SpecException[] = [
  {
    schema: "ErrorResponse",
    reason:
      'required lists "error.type", "message", "description" at the top level, but every documented error nests them under "error" (reference §5).',
    patch: (s) => {
      s.required = ["error"];
    },
  },
  {
    schema: "Error",
    reason:
      "type enum lacks the OAuth-style types Bling documents for auth failures (invalid_token, invalid_request, insufficient_scope, invalid_client, invalid_grant) and UNAUTHORIZED_ERROR (reference §2.2/§2.3, samples error-401-*, error-oauth-*).",
    patch: (s) => {
      const t = prop(s, "type");
      t.enum = [
        ...(t.enum as string[]),
        "invalid_token",
        "invalid_request",
        "insufficient_scope",
        "invalid_client",
        "invalid_grant",
        "unsupported_grant_type",
        "UNAUTHORIZED_ERROR",
      ];
    },
  },
  {
    schema: "VendasItemDTO",
    reason:
      '"valorLista" is required but not a declared property; neither requests nor responses (samples order-detail-2, order-create-request-*) carry it (reference §8.17).',
    patch: dropRequired("valorLista"),
  },
  {
    schema: "VendasParcelaDTO",
    reason: '"id" is required, but new installments have no id yet (sample order-create-request-2 has none).',
    patch: dropRequired("id"),
  },
  {
    schema: "VendasDadosDTO",
    reason:
      '"parcelas" is required, yet orders without installments are accepted (sample order-create-request-2).',
    patch: dropRequired("parcelas"),
  },
  {
    schema: "ProdutosVariacaoDTO",
    reason:
      '"atributos" is required but is not a declared property; real variations only carry nome/ordem/produtoPai.',
    patch: dropRequired("atributos"),
  },
  {
    schema: "ProdutosDimensoesDTO",
    reason: 'unidadeMedida is "type: integer" with a string enum ["0","1","2"]; no integer can satisfy both.',
    patch: (s) => {
      prop(s, "unidadeMedida").enum = [0, 1, 2];
    },
  },
  {
    schema: "ProdutosMidiaDTO",
    reason: 'requires both "video" and "imagens"; a write may send only imagens.imagensURL (reference §6.1).',
    patch: dropRequired("video", "imagens"),
  },
  {
    schema: "ProdutosDadosBaseDTO",
    reason:
      'situacao enum is [A, I], but deleted products (criterio=4) are listed with situacao "E" (reference §6.1).',
    patch: (s) => {
      prop(s, "situacao").enum = ["A", "I", "E"];
    },
  },
  {
    schema: "ProdutosDadosBaseDTO_GetByID",
    reason: 'situacao enum is [A, I], but a deleted product read by id has situacao "E".',
    patch: (s) => {
      prop(s, "situacao").enum = ["A", "I", "E"];
    },
  },
  {
    schema: "ProdutosLojasDadosBaseDTO",
    reason:
      "categoriasProdutos is an object here while ProdutosLojasDadosDTO (allOf with this one) declares an array; nothing validates both, so either shape is accepted (reference §6.4).",
    patch: (s) => {
      (s.properties as Record<string, Schema>).categoriasProdutos = {
        anyOf: [{ $ref: "#/components/schemas/ProdutosLojasCategoriaDTO" }, { type: "array" }],
      };
    },
  },
  {
    schema: "NotasFiscaisDadosGetDTO",
    reason:
      '"data" and "valor" are required but are not declared properties (the note has dataEmissao/valorNota).',
    patch: dropRequired("data", "valor"),
  },
];
