import {
  type DbOrTx,
  type EntityLink,
  LedgerRepository,
  type LinkData,
  LinksRepository,
  linkData,
} from "@zb/db";
import { z } from "zod";
import { zydonOwns } from "../settings/tenant-settings.js";
import type { SyncContext } from "./context.js";
import { withFreshOwnership } from "./ownership.js";

/**
 * The price-jump guard (issue 18 #3): one product at a time, where the mass-change breaker (stock-guard.ts)
 * counts a whole catalog.
 *
 * Every price about to be written to Zydon (a product's or variation's base price with the product, a store
 * price into the app's price table) is judged against the last price written for it (link data `price` /
 * `storePrice`), with the link's hold state for that source (`priceHold.base|store`):
 *   - nothing written before, or the same price → written (a hold still open for it is closed: Bling went back);
 *   - the merchant applied exactly this price → written once, the state cleared;
 *   - the merchant discarded exactly this price → the old one stays, silently, while Bling keeps it;
 *   - a move of more than the tenant's `price.jumpGuardPercent` (up or down) → the old price is written instead
 *     (so the rest of the product still goes through), the new one kept as `held`, and one open ledger row
 *     (entity price, action "jump", old → new) offers "Aplicar" / "Descartar"; the same held price seen again
 *     adds nothing;
 *   - any other move → written; a different price held before is closed as replaced.
 * A held product never blocks another: each price is judged alone. With the guard off (null) every price is
 * written, and the catalog breaker still counts big moves.
 *
 * The merchant's choice runs as a job (`decidePriceHold`) under the product's lease, so it never races a sync
 * of the same product: "Aplicar" records `approved` and syncs the product again (a store price is written
 * straight to the table), "Descartar" records `discarded`.
 */

export type PriceSource = "base" | "store";
export const PRICE_JUMP_ACTION = "jump";

export type PriceHoldState = NonNullable<NonNullable<LinkData["priceHold"]>["base"]>;

export interface PriceVerdict {
  /** The price to write to Zydon now. */
  write: number;
  /** The link's new hold state for the source; null clears it, undefined leaves it. */
  next: PriceHoldState | null | undefined;
  /** What the ledger should say: a new hold, a hold Bling went back on, one a later price replaced. */
  note: "hold" | "reverted" | "replaced" | null;
}

const same = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 0.005;

/** Whether the merchant or the guard already knows this price (held, applied or discarded as it is). */
export function isKnownPrice(state: PriceHoldState | undefined, incoming: number): boolean {
  return same(state?.held, incoming) || same(state?.approved, incoming) || same(state?.discarded, incoming);
}

/** The rules of the comment above, as a pure function (prices.test.ts walks each). */
export function judgePrice(
  limitPercent: number | null,
  last: number | undefined,
  incoming: number,
  state: PriceHoldState | undefined,
): PriceVerdict {
  const open = state?.held !== undefined;
  const hasState = state !== undefined && Object.values(state).some((v) => v !== undefined);
  const clear = hasState ? null : undefined;
  if (last === undefined || !(last > 0) || same(last, incoming))
    return { write: incoming, next: clear, note: open ? "reverted" : null };
  if (same(state?.approved, incoming)) return { write: incoming, next: null, note: null };
  // Kept states are written back (next: state): a product update rewrites a variation link's data whole.
  if (same(state?.discarded, incoming)) return { write: last, next: state, note: null };
  const jump = limitPercent !== null && (Math.abs(incoming - last) / last) * 100 > limitPercent;
  if (!jump) return { write: incoming, next: clear, note: open ? "replaced" : null };
  if (same(state?.held, incoming)) return { write: last, next: state, note: null };
  return { write: last, next: { held: incoming }, note: "hold" };
}

/** The tenant's limit (Configurações › Preço); null when the merchant switched the guard off. */
export function priceJumpLimit(ctx: Pick<SyncContext, "settings">): number | null {
  return ctx.settings.price.jumpGuardPercent;
}

/** One judged price, with what the ledger and the link need to record it. */
export interface JudgedPrice {
  linkId: number;
  /** The link's entity (the SKU is its natural key): where the merchant's decision finds it again. */
  linkEntity: "product" | "variation";
  sku: string;
  name: string | null;
  /** The Bling product to sync again on "Aplicar" (a variation's parent). */
  blingId: string;
  source: PriceSource;
  from: number;
  to: number;
  verdict: PriceVerdict;
}

const brl = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });

function heldReason(j: JudgedPrice, limit: number | null): string {
  const change = Math.round(((j.to - j.from) / j.from) * 100);
  const keeps = j.source === "store" ? "A tabela de preço da loja no Zydon continua" : "O Zydon continua";
  return `Preço retido: ${change > 0 ? "+" : ""}${change}% de uma vez, acima do limite de ${limit}% (Configurações › Preço). ${keeps} com ${brl.format(j.from)}. Confira o preço no Bling e escolha Aplicar ou Descartar.`;
}

/** Store each verdict's hold state on its link and its ledger row, inside the caller's transaction. */
export async function recordPriceVerdicts(
  db: DbOrTx,
  ctx: Pick<SyncContext, "tenantId" | "settings">,
  judged: JudgedPrice[],
): Promise<void> {
  const links = new LinksRepository(db);
  const ledger = new LedgerRepository(db);
  for (const j of judged) {
    const { next, note } = j.verdict;
    if (next !== undefined) await setHoldState(links, j.linkId, j.source, next);
    if (note === null) continue;
    const base = { tenantId: ctx.tenantId, entity: "price", entityKey: j.sku, action: PRICE_JUMP_ACTION };
    if (note === "hold")
      await ledger.record({
        ...base,
        outcome: "skipped",
        reason: heldReason(j, priceJumpLimit(ctx)),
        details: {
          name: j.name,
          from: j.from,
          to: j.to,
          source: j.source,
          linkEntity: j.linkEntity,
          blingId: j.blingId,
        },
      });
    else
      await ledger.record({
        ...base,
        outcome: "synced",
        reason:
          note === "reverted"
            ? "O Bling voltou ao preço anterior: nada a aplicar."
            : `O preço mudou de novo no Bling, para ${brl.format(j.to)}, dentro do limite: ele foi enviado e o preço retido antes foi deixado de lado.`,
        details: { name: j.name, from: j.from, to: j.to, source: j.source },
      });
  }
}

function setHoldState(
  links: LinksRepository,
  linkId: number,
  source: PriceSource,
  next: PriceHoldState | null,
): Promise<void> {
  // The other source's state stays: one level down, in one statement.
  return links.mergeDataIn(linkId, "priceHold", { [source]: next });
}

/** What a held row keeps for the decision (written by `recordPriceVerdicts`). */
export const heldDetails = z.object({
  from: z.number(),
  to: z.number(),
  source: z.enum(["base", "store"]),
  linkEntity: z.enum(["product", "variation"]),
  blingId: z.string().min(1),
  name: z.string().nullish(),
});

export type PriceHoldDecision = "apply" | "discard";
export type PriceHoldResult = "applied" | "discarded" | "not_held";

/** Whether a ledger row is an open hold the merchant can decide on. */
export function isOpenPriceHold(row: {
  entity: string;
  action: string;
  outcome: string;
  resolvedAt: Date | null;
}): boolean {
  return (
    row.entity === "price" &&
    row.action === PRICE_JUMP_ACTION &&
    row.outcome === "skipped" &&
    row.resolvedAt === null
  );
}

/**
 * The merchant's "Aplicar" / "Descartar" on a held price (see the comment at the top). Returns "not_held" when
 * the row is no longer an open hold (decided already, or Bling moved on), changing nothing.
 */
export async function decidePriceHold(
  ctx: SyncContext,
  ledgerId: number,
  decision: PriceHoldDecision,
  after: { resyncProduct(blingId: string): Promise<unknown> },
): Promise<PriceHoldResult> {
  const ledger = new LedgerRepository(ctx.db);
  const row = await ledger.get(ctx.tenantId, ledgerId);
  if (!row || !isOpenPriceHold(row)) return "not_held";
  const parsed = heldDetails.safeParse(row.details ?? {});
  if (!parsed.success) return "not_held";
  const d = parsed.data;
  const decide = async (): Promise<PriceHoldResult> => {
    const fresh = await ledger.get(ctx.tenantId, ledgerId);
    if (!fresh || !isOpenPriceHold(fresh)) return "not_held";
    const links = new LinksRepository(ctx.db);
    const link = await links.byNaturalKey(ctx.tenantId, d.linkEntity, row.entityKey);
    const state = link ? linkData(link).priceHold?.[d.source] : undefined;
    if (!link || !same(state?.held, d.to)) return "not_held";
    await ctx.db.transaction(async (tx) => {
      await setHoldState(
        new LinksRepository(tx),
        link.id,
        d.source,
        decision === "apply" ? { approved: d.to } : { discarded: d.to },
      );
      await new LedgerRepository(tx).record({
        tenantId: ctx.tenantId,
        entity: "price",
        entityKey: row.entityKey,
        action: PRICE_JUMP_ACTION,
        outcome: "synced",
        reason:
          decision === "apply"
            ? `Novo preço aplicado pelo lojista: ${brl.format(d.to)} (antes ${brl.format(d.from)}).`
            : `Novo preço descartado pelo lojista: o Zydon fica com ${brl.format(d.from)} enquanto o Bling mantiver ${brl.format(d.to)}.`,
        details: { name: d.name ?? null, from: d.from, to: d.to, source: d.source },
      });
    });
    return decision === "apply" ? "applied" : "discarded";
  };
  // Under the product's lease, as every sync of it runs: the state read above cannot go stale meanwhile.
  const key = `product:${d.blingId}`;
  const result = ctx.exclusive ? await ctx.exclusive(key, decide) : await decide();
  // Outside the lease (the product sync takes it itself): the approved price is written now.
  if (result === "applied") {
    if (d.source === "base") await after.resyncProduct(d.blingId);
    else await writeApprovedStorePrice(ctx, d.linkEntity, row.entityKey, d.to);
  }
  return result;
}

/** The Zydon product (and variation) a linked product's or variation's price-table row is for. */
export function priceTableTarget(link: EntityLink): { productId: string; variationId: string | null } {
  const d = linkData(link);
  return {
    productId: d.productZydonId ?? String(link.zydonId),
    variationId: link.entity === "variation" ? (d.variationZydonId ?? String(link.zydonId)) : null,
  };
}

/** A store price the merchant applied: straight into the app's table (Bling's value when it was held). */
async function writeApprovedStorePrice(
  ctx: SyncContext,
  linkEntity: "product" | "variation",
  sku: string,
  price: number,
): Promise<void> {
  const tableId = ctx.settings.price.source === "store" ? ctx.settings.price.zydonPriceTableId : undefined;
  // The price source changed since: the next prices pass judges afresh (the approval waits on the link).
  if (!tableId) return;
  // The merchant made Zydon the owner of prices since the hold (field ownership, read as stored now): the app
  // writes no price at all; the approval stays on the link for when Bling owns prices again.
  if (zydonOwns((await withFreshOwnership(ctx)).settings, "price")) return;
  const links = new LinksRepository(ctx.db);
  const link = await links.byNaturalKey(ctx.tenantId, linkEntity, sku);
  if (!link?.zydonId) return;
  await ctx.zydon.setPriceTablePrices(tableId, [{ ...priceTableTarget(link), price }]);
  await ctx.db.transaction(async (tx) => {
    const l = new LinksRepository(tx);
    await l.mergeData(link.id, { storePrice: price });
    await setHoldState(l, link.id, "store", null);
  });
}
