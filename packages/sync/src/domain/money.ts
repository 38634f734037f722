/** Money in integer cents: never add floats that represent reais. */

export function toCents(value: number | string): number {
  const text = typeof value === "string" ? value.trim().replace(",", ".") : String(value);
  const n = Number(text);
  if (text === "" || !Number.isFinite(n)) throw new Error(`not a money value: ${value}`);
  // Shift the decimal point in the text, not by multiplying (1.005 * 100 = 100.49999…).
  return /e/i.test(text) ? Math.round(n * 100) : Math.round(Number(`${text}e2`));
}

export function fromCents(cents: number): number {
  return Math.round(cents) / 100;
}

/**
 * Split `totalCents` across payments so installments add up to the total exactly: each payment's share is
 * divided into its installments, rounded down to the cent, and the remainder goes to the last installment
 * (the rounding problem peers' users complained about).
 */
export function splitInstallments(
  payments: Array<{ amountCents: number; installments: number }>,
  totalCents: number,
): Array<{ paymentIndex: number; sequence: number; cents: number }> {
  if (payments.length === 0) throw new Error("an order needs at least one payment");
  const declared = payments.reduce((a, p) => a + p.amountCents, 0);
  // Scale payment amounts to the order total when they disagree (e.g. freight added after payment), keeping proportions.
  const shares = payments.map((p) =>
    declared === 0 ? 0 : Math.floor((p.amountCents * totalCents) / declared),
  );
  if (declared === 0) shares[0] = totalCents;
  const shareRemainder = totalCents - shares.reduce((a, b) => a + b, 0);
  shares[shares.length - 1] = (shares[shares.length - 1] as number) + shareRemainder;
  const out: Array<{ paymentIndex: number; sequence: number; cents: number }> = [];
  payments.forEach((p, idx) => {
    const n = Math.max(1, Math.floor(p.installments || 1));
    const share = shares[idx] as number;
    const each = Math.floor(share / n);
    for (let i = 0; i < n; i++) {
      const cents = i === n - 1 ? share - each * (n - 1) : each;
      out.push({ paymentIndex: idx, sequence: i + 1, cents });
    }
  });
  return out;
}
