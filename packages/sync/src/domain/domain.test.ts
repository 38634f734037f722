import { generateCnpj, generateCpf, seededRandom } from "@zb/testing";
import { describe, expect, it } from "vitest";
import { canonicalJson, contentHash } from "./content-hash.js";
import { fiscalIdentity, isValidCnpj, isValidCpf } from "./documents.js";
import { fromCents, splitInstallments, toCents } from "./money.js";
import { decideStatusMove, isAtOrPastStatus } from "./status-matching.js";
import { stockQuantity } from "./stock.js";

describe("documents", () => {
  it("validates CPF and CNPJ check digits", () => {
    const rng = seededRandom(1);
    for (let i = 0; i < 100; i++) {
      expect(isValidCpf(generateCpf(rng))).toBe(true);
      expect(isValidCnpj(generateCnpj(rng))).toBe(true);
    }
    expect(isValidCpf("529.982.247-25")).toBe(true);
    expect(isValidCpf("529.982.247-24")).toBe(false);
    expect(isValidCpf("111.111.111-11")).toBe(false);
    expect(isValidCnpj("11.222.333/0001-81")).toBe(true);
    expect(isValidCnpj("11.222.333/0001-82")).toBe(false);
  });

  it("picks CPF/CNPJ, then IE, then RG; says why when none qualifies", () => {
    expect(fiscalIdentity({ numeroDocumento: "529.982.247-25" })).toEqual({
      kind: "cpf",
      document: "52998224725",
    });
    expect(fiscalIdentity({ numeroDocumento: "", ie: "123.456.789.110" })).toEqual({
      kind: "ie",
      document: "123.456.789.110",
    });
    expect(fiscalIdentity({ numeroDocumento: "", ie: "ISENTO", rg: "12.345.678-9" }).kind).toBe("rg");
    const none = fiscalIdentity({ numeroDocumento: "", ie: "ISENTO" });
    expect(none).toEqual({
      kind: "none",
      reason: "Cliente sem CPF/CNPJ nem IE/RG no Bling (obrigatório no Zydon)",
    });
    expect(fiscalIdentity({ numeroDocumento: "123" })).toMatchObject({
      kind: "none",
      reason: expect.stringContaining("inválido"),
    });
  });
});

describe("money", () => {
  it("installments add up to the total to the cent", () => {
    const parts = splitInstallments([{ amountCents: 10000, installments: 3 }], 10000);
    expect(parts.map((p) => p.cents)).toEqual([3333, 3333, 3334]);
    const mixed = splitInstallments(
      [
        { amountCents: 3333, installments: 2 },
        { amountCents: 6667, installments: 3 },
      ],
      10001,
    );
    expect(mixed.reduce((a, p) => a + p.cents, 0)).toBe(10001);
    for (let t = 1; t < 500; t += 37) {
      const s = splitInstallments(
        [
          { amountCents: t * 7, installments: 7 },
          { amountCents: t, installments: 1 },
        ],
        t * 8 + 3,
      );
      expect(s.reduce((a, p) => a + p.cents, 0)).toBe(t * 8 + 3);
    }
    expect(toCents("1.005")).toBe(101);
    expect(toCents(219.9)).toBe(21990);
    expect(fromCents(21990)).toBe(219.9);
  });
});

describe("content hash", () => {
  it("ignores key order and undefined, sees real changes", () => {
    expect(canonicalJson({ b: 1, a: [2, { d: undefined, c: 3 }] })).toBe('{"a":[2,{"c":3}],"b":1}');
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
  });
});

describe("stock", () => {
  const deposits = [
    { id: "1", saldoFisico: 10, saldoVirtual: 7 },
    { id: "2", saldoFisico: 5, saldoVirtual: -3 },
  ];
  it("uses the default deposit and available balance by default; negatives become 0", () => {
    expect(stockQuantity(deposits, { depositIds: [], defaultDepositId: "1", balance: "virtual" })).toBe(7);
    expect(
      stockQuantity(deposits, { depositIds: ["1", "2"], defaultDepositId: "1", balance: "physical" }),
    ).toBe(15);
    expect(stockQuantity(deposits, { depositIds: ["2"], defaultDepositId: "1", balance: "virtual" })).toBe(0);
  });
});

describe("status matching", () => {
  const statuses = [
    { id: "a", name: "Em aberto", canEditByApi: true, nextIds: ["b", "c"] },
    { id: "b", name: "Em andamento", canEditByApi: true, nextIds: ["d"] },
    { id: "c", name: "Cancelado", canEditByApi: false, nextIds: [] },
    { id: "d", name: "Atendido", canEditByApi: true, nextIds: [] },
  ];
  it("moves along allowed transitions, by identical name (case/accents ignored)", () => {
    expect(decideStatusMove("EM ANDAMENTO", "a", statuses)).toEqual({ kind: "move", toId: "b" });
    expect(decideStatusMove("Em andamento", "b", statuses)).toEqual({ kind: "already", toId: "b" });
  });
  it("explains missing statuses and forbidden transitions in pt-BR", () => {
    expect(decideStatusMove("Em separação", "a", statuses)).toMatchObject({
      kind: "missing",
      reason: expect.stringContaining('"Em separação"'),
    });
    expect(decideStatusMove("Cancelado", "a", statuses)).toMatchObject({
      kind: "forbidden",
      reason: expect.stringContaining("can_edit_by_api"),
    });
    expect(decideStatusMove("Atendido", "a", statuses)).toMatchObject({
      kind: "forbidden",
      reason: expect.stringContaining('de "Em aberto" para "Atendido"'),
    });
  });
});

describe("isAtOrPastStatus (the 'export from status X on' trigger)", () => {
  const st = (id: string, next: string[], type: string | null = null) => ({
    id,
    name: id,
    canEditByApi: true,
    nextIds: next,
    type,
  });
  const flow = [
    st("aberto", ["aprovado", "cancelado"], "PENDING"),
    st("aprovado", ["faturado", "cancelado", "revisao"], "PAID"),
    st("revisao", ["aprovado"], "PENDING"),
    st("faturado", ["entregue"], "INVOICED"),
    st("entregue", [], "INVOICED"),
    st("cancelado", [], "CANCELLED"),
    st("solto", []),
  ];
  it("the status itself and every one after it count; those before it, unrelated or cancelled do not", () => {
    expect(isAtOrPastStatus(flow, "aprovado", "aprovado")).toBe(true);
    expect(isAtOrPastStatus(flow, "aprovado", "faturado")).toBe(true);
    expect(isAtOrPastStatus(flow, "aprovado", "entregue")).toBe(true);
    expect(isAtOrPastStatus(flow, "aprovado", "aberto")).toBe(false);
    expect(isAtOrPastStatus(flow, "aprovado", "cancelado")).toBe(false);
    expect(isAtOrPastStatus(flow, "aprovado", "solto")).toBe(false);
    expect(isAtOrPastStatus(flow, "aprovado", null)).toBe(false);
  });
  it("a status in a loop with the chosen one (sent back for review) is not after it", () => {
    expect(isAtOrPastStatus(flow, "aprovado", "revisao")).toBe(false);
  });
});
