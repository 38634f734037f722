import { CursorsRepository, LinksRepository } from "@zb/db";
import { z } from "zod";
import { clearConfigError, recordConfigError, type SettingKey } from "./config-errors.js";
import type { SyncContext } from "./context.js";

/** Default share of the sellable catalog one hour of passes may zero (or re-price) before the breaker holds. */
export const DEFAULT_STOCK_ZERO_SHARE = 0.2;
export const DEFAULT_MASS_CHANGE_SHARE = DEFAULT_STOCK_ZERO_SHARE;
/** Default relative price move that counts as "beyond the guard" (0.5: up or down by more than 50%). */
export const DEFAULT_PRICE_GUARD_CHANGE = 0.5;
/**
 * Below this many products changed in the window the breaker never trips: a small catalog selling out a few
 * items is ordinary business, not a mass change.
 */
export const STOCK_ZERO_MIN_PRODUCTS = 10;
const WINDOW_MS = 60 * 60_000;

/** The two held mass changes ("Aplicar mesmo assim" releases one of them). */
export type MassChangeGuard = "stock" | "price";

const specs: Record<
  MassChangeGuard,
  { stream: string; key: SettingKey; held(n: number, of: string, share: string): string; released: string }
> = {
  stock: {
    stream: "guard:stock-zero",
    key: "stock.zeroGuard",
    held: (n, of, share) =>
      `Atualização de estoque retida: ela zeraria o estoque de ${n} produtos${of} em menos de uma hora, acima do limite de ${share} do catálogo. Nada foi enviado ao Zydon. Confira os depósitos e o tipo de saldo em Configurações e o estoque no Bling.`,
    released: "Atualização de estoque liberada pelo lojista (aplicar mesmo assim).",
  },
  price: {
    stream: "guard:price-change",
    key: "price.changeGuard",
    held: (n, of, share) =>
      `Atualização de preços retida: ela mudaria muito o preço de ${n} produtos${of} em menos de uma hora, acima do limite de ${share} do catálogo. Nada foi enviado ao Zydon. Confira a loja e a tabela de preço em Configurações e os preços no Bling.`,
    released: "Atualização de preços liberada pelo lojista (aplicar mesmo assim).",
  },
};

const guardState = z.object({
  windowStartedAt: z.string(),
  zeroed: z.number().int().min(0),
  held: z.object({ at: z.string(), wouldZero: z.number(), sellable: z.number() }).nullable(),
  /** Set by "Aplicar mesmo assim": until then every batch is written. */
  overrideUntil: z.string().nullable().default(null),
});
type GuardState = z.infer<typeof guardState>;

/** What the breaker needs of a context: the release runs from the API, which has no vendor ports. */
export type GuardContext = Pick<SyncContext, "db" | "tenantId" | "now" | "log">;

function pct(n: number): string {
  return `${Math.round(n * 100)}%`;
}

/** The configured share (SYNC_MASS_CHANGE_SHARE), else the default. */
export function massChangeShare(ctx: Pick<SyncContext, "guards">): number {
  return ctx.guards?.share ?? DEFAULT_MASS_CHANGE_SHARE;
}

/**
 * The mass-change breaker. Every batch that would zero products (from a positive stock) or move their price
 * beyond the guard asks first: products changed that way in the last hour plus this batch's, against `share`
 * of the sellable catalog (never fewer than STOCK_ZERO_MIN_PRODUCTS). Past it the batch is held — nothing
 * written, one "settings" ledger entry (so the page shows "Atenção" with "Aplicar mesmo assim"), and every
 * later batch that would change a product that way is held too until `releaseMassChangeGuard`. Batches that
 * change nothing that way still go through. Counts are per tenant in a cursor; two workers racing may
 * undercount by one batch, which the window's next batch sees.
 *
 * Returns true when the batch may be written.
 */
export async function allowMassChange(
  ctx: GuardContext,
  guard: MassChangeGuard,
  changing: number,
  share: number,
): Promise<boolean> {
  if (changing === 0) return true;
  const spec = specs[guard];
  const cursors = new CursorsRepository(ctx.db);
  const now = ctx.now();
  const stored = await storedGuard(ctx, guard);
  let state: GuardState =
    stored && now.getTime() - new Date(stored.windowStartedAt).getTime() < WINDOW_MS
      ? stored
      : {
          windowStartedAt: now.toISOString(),
          zeroed: 0,
          held: stored?.held ?? null,
          overrideUntil: stored?.overrideUntil ?? null,
        };
  if (overriding(state, now)) return true;
  if (state.held) return false;
  const sellable = await new LinksRepository(ctx.db).countSellable(ctx.tenantId);
  const limit = Math.max(STOCK_ZERO_MIN_PRODUCTS, Math.floor(share * sellable));
  const would = state.zeroed + changing;
  if (would <= limit) {
    await cursors.set(ctx.tenantId, spec.stream, { ...state, zeroed: would });
    return true;
  }
  state = { ...state, held: { at: now.toISOString(), wouldZero: would, sellable } };
  await cursors.set(ctx.tenantId, spec.stream, state);
  const of = sellable > 0 ? ` de ${sellable} (${pct(would / sellable)})` : "";
  await recordConfigError(ctx, spec.key, spec.held(would, of, pct(share)), {
    guard,
    wouldChange: would,
    sellable,
    share,
  });
  return false;
}

/** The stock breaker: `zeroing` products of this batch would go from a positive stock to 0. */
export function allowStockZeroing(ctx: GuardContext, zeroing: number, share: number): Promise<boolean> {
  return allowMassChange(ctx, "stock", zeroing, share);
}

/** Whether a price move from `before` to `after` is beyond the guard (a relative change above `limit`). */
export function isPriceJump(before: number | undefined, after: number, limit: number): boolean {
  if (before === undefined || !(before > 0)) return false;
  return Math.abs(after - before) / before > limit;
}

/** Whether a breaker is holding right now (nothing of that kind is written until it is released). */
export async function isMassChangeHeld(ctx: GuardContext, guard: MassChangeGuard): Promise<boolean> {
  return Boolean((await storedGuard(ctx, guard))?.held);
}

/** Whether the merchant's "Aplicar mesmo assim" is still letting every batch of that kind through. */
export async function isMassChangeOverridden(ctx: GuardContext, guard: MassChangeGuard): Promise<boolean> {
  const stored = await storedGuard(ctx, guard);
  return stored ? overriding(stored, ctx.now()) : false;
}

function storedGuard(ctx: GuardContext, guard: MassChangeGuard): Promise<GuardState | undefined> {
  return new CursorsRepository(ctx.db)
    .get(ctx.tenantId, specs[guard].stream, guardState)
    .catch(() => undefined);
}

function overriding(state: GuardState, now: Date): boolean {
  return Boolean(state.overrideUntil && new Date(state.overrideUntil).getTime() > now.getTime());
}

/**
 * "Aplicar mesmo assim": lift the hold, let every batch of that kind through for the next hour (the passes
 * write what they compute, zeros and big price moves included) and close the ledger entry with who released
 * it. Returns false (and changes nothing) when nothing was held.
 */
export async function releaseMassChangeGuard(ctx: GuardContext, guard: MassChangeGuard): Promise<boolean> {
  if (!(await isMassChangeHeld(ctx, guard))) return false;
  const spec = specs[guard];
  const now = ctx.now();
  await new CursorsRepository(ctx.db).set(ctx.tenantId, spec.stream, {
    windowStartedAt: now.toISOString(),
    zeroed: 0,
    held: null,
    overrideUntil: new Date(now.getTime() + WINDOW_MS).toISOString(),
  });
  await clearConfigError(ctx, spec.key, spec.released);
  ctx.log.info({ tenantId: ctx.tenantId, guard }, "mass-change hold released by the merchant");
  return true;
}

/** The stock breaker's release (kept for callers of the stock-only name). */
export async function releaseStockZeroGuard(ctx: GuardContext): Promise<void> {
  await releaseMassChangeGuard(ctx, "stock");
}
