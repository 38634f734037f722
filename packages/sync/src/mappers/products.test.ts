import { describe, expect, it } from "vitest";
import { toCents } from "../domain/money.js";
import { blingProduct, blingVariation } from "../test-support/fake-bling.js";
import { mapProduct } from "./products.js";

describe("mapProduct", () => {
  it("maps every cadastral attribute both sides have, trimmed, blanks as null", () => {
    const m = mapProduct(
      blingProduct({
        id: "1",
        codigo: "  PAR-1 ",
        nome: " Parafuso sextavado ",
        preco: 0.35,
        gtin: "7891234567895",
        unidade: "UN",
        marca: " Gerdau ",
        descricaoCurta: "Aço inox",
        descricaoComplementar: "   ",
        pesoLiquido: 0.01,
        pesoBruto: 0.012,
        dimensoes: { largura: 1, altura: 2, profundidade: 3 },
        imageUrls: ["https://img/1.jpg"],
      }),
    );
    expect(m.product).toEqual({
      sku: "PAR-1",
      name: "Parafuso sextavado",
      active: true,
      price: 0.35,
      short_description: "Aço inox",
      long_description: null,
      ean_gtin: "7891234567895",
      brand_name: "Gerdau",
      unit: "UN",
      product_weight: 0.01,
      packaging_weight: 0.012,
      product_width: 1,
      product_height: 2,
      product_depth: 3,
      variations: [],
    });
    expect(m.imageUrls).toEqual(["https://img/1.jpg"]);
    expect(m.skippedVariations).toEqual([]);
  });

  it("keeps prices in reais (Zydon and Bling both speak reais; cents only for arithmetic)", () => {
    const m = mapProduct(blingProduct({ codigo: "X", preco: 19.9 }));
    expect(m.product.price).toBe(19.9);
    expect(toCents(m.product.price)).toBe(1990);
    expect(toCents("19,90")).toBe(1990);
    expect(toCents(1.005)).toBe(101);
  });

  it("an inactive product maps as inactive", () => {
    expect(mapProduct(blingProduct({ codigo: "X", situacao: "I" })).product.active).toBe(false);
    expect(mapProduct(blingProduct({ codigo: "X", situacao: "E" })).product.active).toBe(false);
  });

  it("a kit (formato E) is one sellable product without variations", () => {
    const m = mapProduct(blingProduct({ codigo: "KIT-1", formato: "E", preco: 50 }));
    expect(m.product).toMatchObject({ sku: "KIT-1", price: 50, variations: [] });
    expect(m.variationSkus).toEqual([]);
  });

  it("variations become Zydon variations with their axes, own price or the parent's, weight, GTIN, state", () => {
    const m = mapProduct(
      blingProduct({
        id: "10",
        codigo: "CAM",
        preco: 59.9,
        variacoes: [
          blingVariation({
            id: "11",
            codigo: "CAM-AZ-M",
            preco: 0,
            axes: [
              { name: "Cor", value: "Azul" },
              { name: "Tamanho", value: "M" },
            ],
            pesoLiquido: 0.2,
            gtin: " ",
          }),
          blingVariation({
            id: "12",
            codigo: "CAM-AZ-G",
            preco: 64.9,
            situacao: "I",
            pesoLiquido: 0.2,
            pesoBruto: 0.25,
            gtin: "7890000000017",
          }),
        ],
      }),
    );
    expect(m.product.variations).toEqual([
      {
        sku: "CAM-AZ-M",
        price: 59.9,
        ean_gtin: null,
        values: [
          { name: "Cor", value: "Azul" },
          { name: "Tamanho", value: "M" },
        ],
        active: true,
        weight: 0.2,
      },
      { sku: "CAM-AZ-G", price: 64.9, ean_gtin: "7890000000017", values: [], active: false, weight: 0.25 },
    ]);
    expect(m.variationSkus).toEqual([
      { blingId: "11", sku: "CAM-AZ-M" },
      { blingId: "12", sku: "CAM-AZ-G" },
    ]);
  });

  it("a variation with a blank SKU is left out with a pt-BR reason", () => {
    const m = mapProduct(
      blingProduct({
        codigo: "CAM",
        variacoes: [
          blingVariation({ id: "21", codigo: "  ", nome: "Cor:Verde" }),
          blingVariation({ id: "22", codigo: "CAM-VM" }),
        ],
      }),
    );
    expect(m.product.variations.map((v) => v.sku)).toEqual(["CAM-VM"]);
    expect(m.skippedVariations).toEqual([
      {
        blingId: "21",
        key: "CAM / Cor:Verde",
        reason: expect.stringContaining("sem código (SKU)"),
      },
    ]);
  });

  it("duplicate variation SKUs (between variations, or equal to the parent's) keep the first and report the rest", () => {
    const m = mapProduct(
      blingProduct({
        codigo: "CAM",
        variacoes: [
          blingVariation({ id: "31", codigo: "CAM-1" }),
          blingVariation({ id: "32", codigo: " CAM-1 " }),
          blingVariation({ id: "33", codigo: "CAM" }),
        ],
      }),
    );
    expect(m.variationSkus).toEqual([{ blingId: "31", sku: "CAM-1" }]);
    expect(m.skippedVariations.map((s) => [s.blingId, s.key])).toEqual([
      ["32", "CAM-1"],
      ["33", "CAM"],
    ]);
    for (const s of m.skippedVariations) expect(s.reason).toMatch(/repetido/);
  });
});
