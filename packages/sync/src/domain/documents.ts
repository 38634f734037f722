/** Brazilian fiscal documents. Zydon requires CPF/CNPJ or IE/RG on a partner; Bling does not. */

export function onlyDigits(s: string | null | undefined): string {
  return (s ?? "").replace(/\D/g, "");
}

function allSame(d: string): boolean {
  return /^(\d)\1*$/.test(d);
}

export function isValidCpf(input: string | null | undefined): boolean {
  const d = onlyDigits(input);
  if (d.length !== 11 || allSame(d)) return false;
  const n = [...d].map(Number);
  for (const len of [9, 10]) {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += (n[i] as number) * (len + 1 - i);
    const check = ((sum * 10) % 11) % 10;
    if (check !== n[len]) return false;
  }
  return true;
}

export function isValidCnpj(input: string | null | undefined): boolean {
  const d = onlyDigits(input);
  if (d.length !== 14 || allSame(d)) return false;
  const n = [...d].map(Number);
  const calc = (len: number) => {
    const weights =
      len === 12 ? [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] : [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const sum = weights.reduce((acc, w, i) => acc + w * (n[i] as number), 0);
    const r = sum % 11;
    return r < 2 ? 0 : 11 - r;
  };
  return calc(12) === n[12] && calc(13) === n[13];
}

export type FiscalIdentity =
  | { kind: "cpf" | "cnpj"; document: string }
  | { kind: "ie" | "rg"; document: string }
  | { kind: "none"; reason: string };

/**
 * What identifies a customer fiscally, in Zydon's order of preference: a valid CPF/CNPJ, else an IE or RG.
 * "ISENTO" is not an IE number. The reason (pt-BR) goes to the ledger when nothing qualifies.
 */
export function fiscalIdentity(c: {
  numeroDocumento?: string | null;
  ie?: string | null;
  rg?: string | null;
}): FiscalIdentity {
  const doc = onlyDigits(c.numeroDocumento);
  if (doc.length === 11 && isValidCpf(doc)) return { kind: "cpf", document: doc };
  if (doc.length === 14 && isValidCnpj(doc)) return { kind: "cnpj", document: doc };
  const ie = (c.ie ?? "").trim();
  if (ie && !/^isento$/i.test(ie) && onlyDigits(ie).length >= 2) return { kind: "ie", document: ie };
  const rg = (c.rg ?? "").trim();
  if (rg && onlyDigits(rg).length >= 4) return { kind: "rg", document: rg };
  if (doc.length > 0) return { kind: "none", reason: `CPF/CNPJ inválido (${doc}) e sem IE/RG` };
  return { kind: "none", reason: "Cliente sem CPF/CNPJ nem IE/RG no Bling (obrigatório no Zydon)" };
}
