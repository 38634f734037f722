import { CursorsRepository, LinksRepository } from "@zb/db";
import { z } from "zod";
import { clearConfigError, recordConfigError } from "./config-errors.js";
import type { SyncContext } from "./context.js";

/** Default share of the sellable catalog one hour of stock passes may zero before the breaker holds. */
export const DEFAULT_STOCK_ZERO_SHARE = 0.2;
/**
 * Below this many products zeroed in the window the breaker never trips: a small catalog selling out a few
 * items is ordinary business, not a mass change.
 */
export const STOCK_ZERO_MIN_PRODUCTS = 10;
const WINDOW_MS = 60 * 60_000;
const STREAM = "guard:stock-zero";

const guardState = z.object({
  windowStartedAt: z.string(),
  zeroed: z.number().int().min(0),
  held: z.object({ at: z.string(), wouldZero: z.number(), sellable: z.number() }).nullable(),
  /** Set by "Aplicar mesmo assim": until then every batch is written. */
  overrideUntil: z.string().nullable().default(null),
});
type GuardState = z.infer<typeof guardState>;

function pct(n: number): string {
  return `${Math.round(n * 100)}%`;
}

/**
 * The mass-change breaker for stock. Every batch that would set products to 0 (from a positive stock) asks
 * first: products zeroed in the last hour plus this batch's, against `share` of the sellable catalog (never
 * fewer than STOCK_ZERO_MIN_PRODUCTS). Past it the batch is held — nothing written, one "settings" ledger
 * entry (so the health shows "Atenção"), and every later batch that would zero a product is held too until
 * `releaseStockZeroGuard` (the "Aplicar mesmo assim" of the page; not wired to a button yet). Batches that
 * zero nothing still go through. Counts are per tenant in a cursor; two workers racing may undercount by one
 * batch, which the window's next batch sees.
 *
 * Returns true when the batch may be written.
 */
export async function allowStockZeroing(ctx: SyncContext, zeroing: number, share: number): Promise<boolean> {
  if (zeroing === 0) return true;
  const cursors = new CursorsRepository(ctx.db);
  const now = ctx.now();
  const stored = await cursors.get(ctx.tenantId, STREAM, guardState).catch(() => undefined);
  let state: GuardState =
    stored && now.getTime() - new Date(stored.windowStartedAt).getTime() < WINDOW_MS
      ? stored
      : {
          windowStartedAt: now.toISOString(),
          zeroed: 0,
          held: stored?.held ?? null,
          overrideUntil: stored?.overrideUntil ?? null,
        };
  if (state.overrideUntil && new Date(state.overrideUntil).getTime() > now.getTime()) return true;
  if (state.held) return false;
  const sellable = await new LinksRepository(ctx.db).countSellable(ctx.tenantId);
  const limit = Math.max(STOCK_ZERO_MIN_PRODUCTS, Math.floor(share * sellable));
  const wouldZero = state.zeroed + zeroing;
  if (wouldZero <= limit) {
    await cursors.set(ctx.tenantId, STREAM, { ...state, zeroed: wouldZero });
    return true;
  }
  state = { ...state, held: { at: now.toISOString(), wouldZero, sellable } };
  await cursors.set(ctx.tenantId, STREAM, state);
  const of = sellable > 0 ? ` de ${sellable} (${pct(wouldZero / sellable)})` : "";
  await recordConfigError(
    ctx,
    "stock.zeroGuard",
    `Atualização de estoque retida: ela zeraria o estoque de ${wouldZero} produtos${of} em menos de uma hora, acima do limite de ${pct(share)} do catálogo. Nada foi enviado ao Zydon. Confira os depósitos e o tipo de saldo em Configurações e o estoque no Bling.`,
    { wouldZero, sellable, share },
  );
  return false;
}

/**
 * "Aplicar mesmo assim": lift the hold, let every stock batch through for the next hour (the passes write
 * what they compute, zeros included) and close the ledger entry.
 */
export async function releaseStockZeroGuard(ctx: SyncContext): Promise<void> {
  const now = ctx.now();
  await new CursorsRepository(ctx.db).set(ctx.tenantId, STREAM, {
    windowStartedAt: now.toISOString(),
    zeroed: 0,
    held: null,
    overrideUntil: new Date(now.getTime() + WINDOW_MS).toISOString(),
  });
  await clearConfigError(
    ctx,
    "stock.zeroGuard",
    "Atualização de estoque liberada pelo lojista (aplicar mesmo assim).",
  );
}
