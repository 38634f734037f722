import { describe, expect, it } from "vitest";
import { createManualClock } from "./clock.js";
import { generateDemoAccount } from "./demo-data.js";
import { BlingSimulator } from "./simulator.js";

function build(seed: number) {
  const sim = new BlingSimulator({ clock: createManualClock(), seed: 5 });
  const { accountId } = sim.control.createAccount({ companyName: "Demo" });
  generateDemoAccount(sim, accountId, {
    products: 120,
    variationShare: 0.2,
    contacts: 60,
    paymentMethods: 5,
    seed,
  });
  return sim.control.getAccount(accountId);
}

function cpfOk(d: string): boolean {
  const calc = (len: number) => {
    let s = 0;
    for (let i = 0; i < len; i++) s += Number(d[i]) * (len + 1 - i);
    return ((s * 10) % 11) % 10;
  };
  return d.length === 11 && calc(9) === Number(d[9]) && calc(10) === Number(d[10]);
}

describe("generateDemoAccount", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    expect(JSON.stringify(build(1))).toBe(JSON.stringify(build(1)));
    expect(JSON.stringify(build(1).products)).not.toBe(JSON.stringify(build(2).products));
  });

  it("has the variety the sync and the readiness report need", () => {
    const a = build(9);
    const top = a.products.filter((p) => p.idProdutoPai === undefined);
    expect(top).toHaveLength(120);
    const parents = a.products.filter((p) => p.formato === "V");
    const children = a.products.filter((p) => p.idProdutoPai !== undefined);
    expect(parents.length).toBeGreaterThan(10);
    expect(children.length).toBeGreaterThan(parents.length);
    expect((children[0]?.variacao as { nome: string } | undefined)?.nome).toMatch(
      /^Cor:[^;]+;Tamanho:(P|M|G|GG)$/,
    );
    expect(a.products.some((p) => p.formato === "E")).toBe(true);
    expect(a.products.some((p) => p.situacao === "I")).toBe(true);
    expect(top.some((p) => p.codigo === "")).toBe(true);
    const codes = top.map((p) => p.codigo).filter((c) => c !== "");
    expect(new Set(codes).size).toBeLessThan(codes.length); // duplicates exist
    expect(
      a.products.some((p) => (p.midia as { imagens: { externas: unknown[] } }).imagens.externas.length > 0),
    ).toBe(true);
    expect(
      a.products.filter((p) => typeof p.gtin === "string" && /^789\d{10}$/.test(p.gtin)).length,
    ).toBeGreaterThan(50);
    expect(a.deposits).toHaveLength(2);
    expect(a.deposits.filter((d) => d.padrao)).toHaveLength(1);
    expect(a.stores.length).toBeGreaterThanOrEqual(1);
    expect(a.stock.some((s) => s.fisico === 0)).toBe(true);
    expect(a.paymentMethods.map((p) => p.tipoPagamento)).toEqual([1, 17, 15, 3, 4]);
    expect(a.situacoes.map((s) => s.id)).toEqual(expect.arrayContaining([6, 9, 12, 15]));
    expect(a.situacoes.some((s) => s.nome === "Em separação" && s.id > 1000 && s.idHerdado === 15)).toBe(
      true,
    );
    const cpfs = a.contacts.filter((c) => c.tipo === "F" && c.numeroDocumento);
    expect(cpfs.length).toBeGreaterThan(5);
    for (const c of cpfs) expect(cpfOk(c.numeroDocumento as string)).toBe(true);
    expect(a.contacts.some((c) => c.tipo === "J" && c.ie && c.ie !== "ISENTO")).toBe(true);
    expect(a.contacts.some((c) => !c.numeroDocumento)).toBe(true);
    expect(a.contacts.some((c) => c.situacao === "I")).toBe(true);
  });
});
