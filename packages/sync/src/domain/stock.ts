export interface DepositBalance {
  id: string;
  saldoFisico: number;
  saldoVirtual: number;
}

/**
 * The quantity Zydon shows: the sum over the merchant's chosen deposits (default: Bling's default deposit),
 * available ("virtual") balance unless they chose physical. Negative balances become 0.
 */
export function stockQuantity(
  deposits: DepositBalance[],
  opts: { depositIds: string[]; defaultDepositId: string | null; balance: "virtual" | "physical" },
): number {
  const wanted =
    opts.depositIds.length > 0
      ? new Set(opts.depositIds)
      : new Set(opts.defaultDepositId ? [opts.defaultDepositId] : []);
  let total = 0;
  for (const d of deposits) {
    if (wanted.size > 0 && !wanted.has(d.id)) continue;
    total += opts.balance === "physical" ? d.saldoFisico : d.saldoVirtual;
  }
  return Math.max(0, Math.round(total * 1000) / 1000);
}
