import type { ErpProductDetail } from "../ports/bling-port.js";
import type { PortalProductWrite, PortalVariationWrite } from "../ports/zydon-port.js";

export interface ProductMapping {
  product: PortalProductWrite;
  /** Variations left out, each with a pt-BR reason for the ledger. */
  skippedVariations: Array<{ blingId: string; key: string; reason: string }>;
  /** Bling variation id → SKU, for linking after the write. */
  variationSkus: Array<{ blingId: string; sku: string }>;
  imageUrls: string[];
}

const blank = (s: string | null | undefined) => !s || s.trim() === "";
const clean = (s: string | null | undefined) => (blank(s) ? null : (s as string).trim());

/**
 * Bling product (detail) → Zydon product. Every cadastral attribute both sides have: SKU, name,
 * descriptions, GTIN, brand, unit, weights, dimensions, price, variations with their axes.
 * Stock is not here: it has its own pipeline (deposit choice, virtual/physical).
 */
export function mapProduct(p: ErpProductDetail): ProductMapping {
  const skippedVariations: ProductMapping["skippedVariations"] = [];
  const variationSkus: ProductMapping["variationSkus"] = [];
  const seen = new Set<string>();
  const variations: PortalVariationWrite[] = [];
  for (const v of p.variacoes) {
    const sku = clean(v.codigo);
    if (!sku) {
      skippedVariations.push({
        blingId: v.id,
        key: `${p.codigo} / ${v.nome}`,
        reason: `Variação "${v.nome}" do produto ${p.codigo} está sem código (SKU) no Bling; preencha o código para sincronizá-la.`,
      });
      continue;
    }
    if (seen.has(sku) || sku === p.codigo.trim()) {
      skippedVariations.push({
        blingId: v.id,
        key: sku,
        reason: `SKU ${sku} repetido entre as variações do produto ${p.codigo} no Bling; use um código único por variação.`,
      });
      continue;
    }
    seen.add(sku);
    variationSkus.push({ blingId: v.id, sku });
    variations.push({
      sku,
      price: v.preco > 0 ? v.preco : p.preco,
      ean_gtin: clean(v.gtin),
      values: v.axes,
      active: v.situacao !== "I",
      weight: v.pesoBruto ?? v.pesoLiquido ?? null,
    });
  }
  const dims = p.dimensoes;
  return {
    product: {
      sku: p.codigo.trim(),
      name: p.nome.trim(),
      active: p.situacao === "A",
      price: p.preco,
      short_description: clean(p.descricaoCurta),
      long_description: clean(p.descricaoComplementar),
      ean_gtin: clean(p.gtin),
      brand_name: clean(p.marca),
      unit: clean(p.unidade),
      product_weight: p.pesoLiquido,
      packaging_weight: p.pesoBruto,
      product_width: dims?.largura ?? null,
      product_height: dims?.altura ?? null,
      product_depth: dims?.profundidade ?? null,
      variations,
    },
    skippedVariations,
    variationSkus,
    imageUrls: p.imageUrls,
  };
}
