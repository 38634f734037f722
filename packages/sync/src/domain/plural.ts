const integer = new Intl.NumberFormat("pt-BR");

/**
 * "1 produto", "3 produtos", "1.234 variações": what the merchant reads in ledger reasons and Prontidão, in
 * the right form (never "produto(s)"). The page has the same helper (apps/web labels.ts `plural`).
 */
export function plural(n: number, one: string, many: string): string {
  return `${integer.format(n)} ${n === 1 ? one : many}`;
}
