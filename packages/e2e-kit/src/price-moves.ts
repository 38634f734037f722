import type { BlingSimulator } from "@zb/bling-simulator";

/**
 * A new Bling price for product `productId` that the app's price-jump guard lets through with its default
 * settings (a move above 50% is held for the merchant, packages/sync pipelines/price-hold.ts): `step` hundredths
 * above the current price (1 → +1%), capped at +40%, rounded to the cent. Distinct steps give distinct
 * prices, so a test or the bench can wait for exactly the value it set.
 */
export function nudgedPrice(sim: BlingSimulator, accountId: string, productId: number, step: number): number {
  const product = sim.control
    .getAccount(accountId)
    .products.find((p) => Number((p as { id: unknown }).id) === productId) as { preco?: number } | undefined;
  const current = product?.preco;
  if (!current || !(current > 0))
    throw new Error(`product ${productId} has no price in account ${accountId}`);
  const factor = 1 + Math.min(40, Math.max(1, step)) / 100;
  return Math.round(current * factor * 100) / 100;
}
