import { describe, expect, it } from "vitest";
import { blingProduct, blingVariation } from "../test-support/fake-bling.js";
import { useSyncTestDatabase } from "../test-support/test-context.js";
import { buildReadinessReport } from "./readiness.js";

const t = useSyncTestDatabase();

describe("readiness report", () => {
  it("names a variation without SKU by its name and its parent's name and SKU, never a bare Bling id", async () => {
    const ctx = await t.context();
    const parent = ctx.bling.putProduct(
      blingProduct({
        codigo: "CAM-1",
        nome: "Camiseta Básica",
        variacoes: [blingVariation({ codigo: "", nome: "Camiseta Básica Tamanho:P" })],
      }),
    );
    ctx.bling.putProduct(blingProduct({ codigo: " ", nome: "Caneca sem código" }));
    const report = await buildReadinessReport(ctx);
    const blank = report.problems.find((p) => p.code === "blank_sku");
    expect(blank?.title).toBe("2 produtos ou variações sem código (SKU) no Bling");
    expect(blank?.examples.sort()).toEqual([
      "Caneca sem código",
      'variação "Camiseta Básica Tamanho:P" de "Camiseta Básica" (SKU CAM-1)',
    ]);
    expect(JSON.stringify(report.problems)).not.toContain(parent.id);
    expect(JSON.stringify(report.problems)).not.toMatch(/\(s\)|\(ões\)/);
  });

  it("says where stock comes from: the default depósito, or the sum of the chosen ones by name", async () => {
    const ctx = await t.context();
    ctx.bling.deposits.push({ id: "dep-loja", descricao: "Loja Centro", padrao: false, situacao: 1 });
    const byDefault = await buildReadinessReport(ctx);
    expect(byDefault.problems.find((p) => p.code === "default_deposit")?.title).toBe(
      "Estoque virá do depósito padrão do Bling (Geral)",
    );
    expect(byDefault.problems.some((p) => p.code === "chosen_deposits")).toBe(false);

    const two = await t.context({
      bling: ctx.bling,
      settings: { stock: { depositIds: ["dep-geral", "dep-loja"] } },
    });
    const report = await buildReadinessReport(two);
    expect(report.problems.some((p) => p.code === "default_deposit")).toBe(false);
    expect(report.problems.find((p) => p.code === "chosen_deposits")).toMatchObject({
      title: "Estoque virá da soma dos depósitos Geral e Loja Centro",
      severity: "info",
    });
  });
});
