import { describe, expect, it } from "vitest";
import { generateCnpj, generateCpf, seededRandom } from "./documents.js";

// Independent reference check (the textbook algorithm, written differently from the generator).
function validCpf(cpf: string): boolean {
  if (!/^\d{11}$/.test(cpf) || /^(\d)\1+$/.test(cpf)) return false;
  const n = cpf.split("").map(Number);
  for (const len of [9, 10]) {
    let s = 0;
    for (let i = 0; i < len; i++) s += (n[i] as number) * (len + 1 - i);
    const d = ((s * 10) % 11) % 10;
    if (d !== n[len]) return false;
  }
  return true;
}

describe("document generators", () => {
  it("generates valid CPFs, reproducibly from a seed", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let i = 0; i < 200; i++) {
      const cpf = generateCpf(a);
      expect(validCpf(cpf)).toBe(true);
      expect(generateCpf(b)).toBe(cpf);
    }
  });

  it("generates 14-digit CNPJs with correct check digits", () => {
    const rng = seededRandom(7);
    for (let i = 0; i < 50; i++) {
      const c = generateCnpj(rng);
      expect(c).toMatch(/^\d{14}$/);
      expect(c.slice(8, 12)).toBe("0001");
    }
    // Textbook example: 11.222.333/0001-81 has the same check digits the generator computes.
    let i = 0;
    const known = [1, 1, 2, 2, 2, 3, 3, 3].map((d) => d / 10 + 0.001);
    expect(generateCnpj(() => known[i++] as number)).toBe("11222333000181");
    expect(generateCnpj(() => 0)).toBe("00000000000191");
  });
});
