/** Deterministic pseudo-random generator (mulberry32) so fixtures and demo data are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function digits(rng: () => number, n: number): number[] {
  return Array.from({ length: n }, () => Math.floor(rng() * 10));
}

function checkDigit(nums: number[], weights: number[]): number {
  const sum = nums.reduce((acc, d, i) => acc + d * (weights[i] as number), 0);
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

/** A valid CPF (11 digits, no punctuation). */
export function generateCpf(rng: () => number = Math.random): string {
  let base = digits(rng, 9);
  while (base.every((d) => d === base[0])) base = digits(rng, 9);
  const d1 = checkDigit(base, [10, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = checkDigit([...base, d1], [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
  return [...base, d1, d2].join("");
}

/** A valid CNPJ (14 digits, no punctuation), branch 0001. */
export function generateCnpj(rng: () => number = Math.random): string {
  const base = [...digits(rng, 8), 0, 0, 0, 1];
  const d1 = checkDigit(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const d2 = checkDigit([...base, d1], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  return [...base, d1, d2].join("");
}
