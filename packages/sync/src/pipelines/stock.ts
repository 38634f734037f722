import { CursorsRepository, type EntityLink, LedgerRepository, LinksRepository, linkData } from "@zb/db";
import { z } from "zod";
import { stockQuantity } from "../domain/stock.js";
import type { EntityPipeline } from "../engine/initial-sync.js";
import { forEachPooled, KeyedLock, PAGE_CONCURRENCY } from "../engine/page-pool.js";
import { zydonOwns } from "../settings/tenant-settings.js";
import { clearConfigError, recordConfigError } from "./config-errors.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";
import { withFreshOwnership } from "./ownership.js";
import { syncProduct } from "./products.js";
import { allowStockZeroing, massChangeShare } from "./stock-guard.js";
import { checkZydonNotFound } from "./zydon-not-found.js";

const DEPOSIT_TTL_MS = 60 * 60_000;
const depositListCache = z.object({
  at: z.string(),
  deposits: z.array(z.object({ id: z.string(), padrao: z.boolean() })),
});
type CachedDeposits = z.infer<typeof depositListCache>["deposits"];

/**
 * Bling's depósitos, read at most once an hour per tenant (cached like the situações), not once per stock
 * batch; `refresh` reads them again now. Both the default depósito and the check of the chosen ones come
 * from this one list.
 */
async function depositList(
  ctx: SyncContext,
  opts: { refresh?: boolean } = {},
): Promise<{ deposits: CachedDeposits; readNow: boolean }> {
  const cursors = new CursorsRepository(ctx.db);
  if (!opts.refresh) {
    const cached = await cursors.get(ctx.tenantId, "cache:deposits", depositListCache).catch(() => undefined);
    if (cached && ctx.now().getTime() - new Date(cached.at).getTime() < DEPOSIT_TTL_MS)
      return { deposits: cached.deposits, readNow: false };
  }
  const deposits = (await ctx.bling.listDeposits()).map((d) => ({ id: d.id, padrao: d.padrao }));
  await cursors.set(ctx.tenantId, "cache:deposits", { at: ctx.now().toISOString(), deposits });
  return { deposits, readNow: true };
}

/**
 * Of the chosen depósitos absent from a batch's balances, those Bling does not have. Bling leaves a depósito
 * out of a product's balances when it holds nothing there, so absence alone is not an error: the depósito
 * list decides. An id missing from the cached list is checked once more against a fresh read (the merchant
 * may have just created it) before it counts as missing.
 */
async function missingDeposits(ctx: SyncContext, absent: string[]): Promise<string[]> {
  if (absent.length === 0) return [];
  const first = await depositList(ctx);
  if (absent.every((id) => first.deposits.some((d) => d.id === id))) return [];
  const latest = first.readNow ? first : await depositList(ctx, { refresh: true });
  return absent.filter((id) => !latest.deposits.some((d) => d.id === id));
}

function missingDepositsReason(missing: string[]): string {
  const which =
    missing.length === 1
      ? `o depósito ${missing[0]} escolhido em Configurações não existe no Bling`
      : `os depósitos ${missing.join(", ")} escolhidos em Configurações não existem no Bling`;
  return `Estoque não atualizado: ${which}. Nada foi enviado ao Zydon; escolha os depósitos de novo em Configurações.`;
}

/** Bling's default depósito, only when the merchant chose none (from the hourly depósito list). */
async function defaultDepositId(ctx: SyncContext): Promise<string | null> {
  if (ctx.settings.stock.depositIds.length > 0) return null;
  const { deposits } = await depositList(ctx);
  return deposits.find((d) => d.padrao)?.id ?? deposits[0]?.id ?? null;
}

function target(link: EntityLink) {
  const d = linkData(link);
  return {
    productId: d.productZydonId ?? String(link.zydonId),
    variationId: link.entity === "variation" ? (d.variationZydonId ?? String(link.zydonId)) : null,
  };
}

/**
 * Write Bling balances for these linked records to Zydon, only where the quantity changed.
 * One Bling request per batch (`maxBalanceBatch` ids). Returns counts.
 */
export async function syncStockFor(
  jobCtx: SyncContext,
  given: EntityLink[],
  opts: { depositId?: string | null; absent?: EntityLink[] } = {},
) {
  const result = { synced: 0, skipped: 0, failed: 0, written: 0 };
  if (given.length === 0) return result;
  const ctx = await withFreshOwnership(jobCtx);
  const ledger = new LedgerRepository(ctx.db);
  // Stock kept in Zydon (field ownership): only a record that never had a stock written gets Bling's once.
  // (null: the drift audit re-linked the record, so nothing was written to this one yet).
  const links = zydonOwns(ctx.settings, "stock")
    ? given.filter((l) => (linkData(l).stockQty ?? null) === null)
    : given;
  if (links.length === 0) return result;
  const chosen = ctx.settings.stock.depositIds;
  const depositId = opts.depositId !== undefined ? opts.depositId : await defaultDepositId(ctx);
  // Two jobs writing one record's stock (duplicated webhooks, a refresh beside the reconciliation) both saw
  // the old `stockQty`, wrote the same value twice, or an older balance after a newer one. Each batch now
  // reads its balances and writes them under the tenant's stock lease, with its links re-read inside it:
  // the second job sees the first's write and skips it, and its balance is at least as new.
  const underLease = <T>(fn: () => Promise<T>) => (ctx.exclusive ? ctx.exclusive("stock-writes", fn) : fn());
  for (let i = 0; i < links.length; i += ctx.bling.maxBalanceBatch) {
    // Which of them have both ids is decided on the rows re-read under the lease (writeBatch).
    const stop = await underLease(() => writeBatch(links.slice(i, i + ctx.bling.maxBalanceBatch), i));
    if (stop) return result;
  }
  await clearConfigError(
    ctx,
    "stock.depositIds",
    "Depósitos confirmados no Bling; o estoque voltou a ser atualizado.",
  );
  return result;

  /** One balance request's worth; `true` when a configuration error stops the rest. */
  async function writeBatch(slice: EntityLink[], i: number): Promise<boolean> {
    const fresh = new Map(
      (
        await new LinksRepository(ctx.db).byIds(
          ctx.tenantId,
          slice.map((l) => l.id),
        )
      ).map((l) => [l.id, l]),
    );
    const batch = slice
      .map((l) => fresh.get(l.id))
      .filter((l): l is EntityLink => !!l?.blingId && !!l.zydonId);
    if (batch.length === 0) return false;
    const balances = await ctx.bling.getBalances(batch.map((l) => l.blingId as string));
    // A quantity summed over depósitos Bling does not have is 0 for every product: a configuration error,
    // recorded once (config-errors.ts), nothing written for this batch or the rest, never a stock of 0.
    const seen = new Set(balances.flatMap((b) => b.depositos.map((d) => d.id)));
    const missing = await missingDeposits(
      ctx,
      chosen.filter((id) => !seen.has(id)),
    );
    if (missing.length > 0) {
      await recordConfigError(ctx, "stock.depositIds", missingDepositsReason(missing), {
        missingDepositIds: missing,
      });
      result.failed += links.length - i;
      return true;
    }
    const byId = new Map(balances.map((b) => [b.productId, b]));
    // Links Bling returned no balance row for (zero, negative — or deleted: see `findGone`).
    if (opts.absent) for (const link of batch) if (!byId.has(link.blingId as string)) opts.absent.push(link);
    const planned = batch.map((link) => ({
      link,
      // Bling omits products without a balance row: that is zero stock, not "unknown".
      qty: stockQuantity(byId.get(link.blingId as string)?.depositos ?? [], {
        depositIds: ctx.settings.stock.depositIds,
        defaultDepositId: depositId,
        balance: ctx.settings.stock.balance,
      }),
    }));
    const zeroing = planned.filter(({ link, qty }) => qty === 0 && (linkData(link).stockQty ?? 0) > 0).length;
    if (!(await allowStockZeroing(ctx, zeroing, massChangeShare(ctx)))) {
      // Held by the mass-change breaker (stock-guard.ts): nothing of this batch is written.
      result.failed += batch.length;
      return false;
    }
    // Each write is one Zydon call (~0.3 s there, zydon-api.md §4): a few in flight, paced by the Zydon budget.
    // Variations of one Zydon product one at a time: whether Zydon merges concurrent variation writes is unknown.
    const sameProduct = new KeyedLock();
    await forEachPooled(planned, PAGE_CONCURRENCY, async ({ link, qty }) => {
      if (linkData(link).stockQty === qty) {
        result.synced++;
        return;
      }
      try {
        const to = target(link);
        await sameProduct.run([to.productId], () => ctx.zydon.setStock(to, qty));
      } catch (err) {
        const notFound = checkZydonNotFound(ctx, err, link, {
          label: `o produto ${link.naturalKey} (id ${link.zydonId})`,
        });
        if (isTransient(err)) throw err;
        result.failed++;
        await ledger.record({
          tenantId: ctx.tenantId,
          entity: "stock",
          entityKey: link.naturalKey ?? String(link.blingId),
          action: "update",
          outcome: "failed",
          reason:
            notFound ?? `Estoque do SKU ${link.naturalKey} não foi atualizado no Zydon: ${errorMessage(err)}`,
          retryable: true,
          details: { blingId: link.blingId, quantity: qty },
        });
        return;
      }
      await ctx.db.transaction(async (tx) => {
        await new LinksRepository(tx).mergeData(link.id, { stockQty: qty, stockAt: ctx.now().toISOString() });
        await new LedgerRepository(tx).record({
          tenantId: ctx.tenantId,
          entity: "stock",
          entityKey: link.naturalKey ?? String(link.blingId),
          action: "update",
          outcome: "synced",
          reason: `Estoque atualizado para ${qty}.`,
          // Histórico shows old → new (issue 15 #5).
          details: { from: linkData(link).stockQty ?? null, to: qty },
        });
      });
      result.synced++;
      result.written++;
    });
    return false;
  }
}

/** Initial stock: every linked sellable record, in batches of the balance endpoint's size. */
export const stockPipeline: EntityPipeline<SyncContext> = {
  entity: "stock",
  async runPage(ctx, page) {
    const links = new LinksRepository(ctx.db);
    const size = ctx.bling.maxBalanceBatch;
    const batch = await links.pageSellable(ctx.tenantId, page, size);
    const total = page === 1 ? await links.countSellable(ctx.tenantId) : undefined;
    const r = await syncStockFor(ctx, batch);
    return { hasMore: batch.length === size, synced: r.synced, skipped: r.skipped, failed: r.failed, total };
  },
};

const reconcileCursor = z.object({ page: z.number().int().min(1), rotationStartedAt: z.string() });

/** The rotation's default length: a change is in Zydon within one rotation plus one run interval (≤ 5 min). */
export const RECONCILE_ROTATION_MS = 4 * 60_000;
/**
 * Bling requests one reconciliation run may spend (balances, existence checks, re-reads): 60 per 60 s run is
 * half of our 2 req/s share, the other half left to orders, statuses, the products poll and webhooks.
 */
export const RECONCILE_MAX_REQUESTS_PER_RUN = 60;

/**
 * The reconciliation's bound for a catalog of `sellable` linked products+variations (one balance request per
 * 100, at most one existence check per batch with absent ids): how many requests per run, and how long one
 * rotation — hence the worst delay of a stock change with every webhook lost — takes. Up to
 * `RECONCILE_MAX_REQUESTS_PER_RUN × rotation ÷ interval ÷ 2` batches (12,000 sellable records at the
 * defaults, even if every batch needs its existence check; 24,000 when none does) the rotation holds; beyond
 * that it stretches linearly.
 */
export function reconcileBound(
  sellable: number,
  opts: { intervalMs: number; rotationMs?: number; maxRequestsPerRun?: number; batch?: number },
): { batches: number; requestsPerRun: number; rotationMs: number; worstDelayMs: number } {
  const batches = Math.ceil(sellable / (opts.batch ?? 100));
  const runsPerRotation = Math.max(
    1,
    Math.floor((opts.rotationMs ?? RECONCILE_ROTATION_MS) / opts.intervalMs),
  );
  const cap = opts.maxRequestsPerRun ?? RECONCILE_MAX_REQUESTS_PER_RUN;
  // Budget two requests per batch (balances + the existence check most batches need).
  const batchesPerRun = Math.max(1, Math.min(Math.floor(cap / 2), Math.ceil(batches / runsPerRotation)));
  const runs = Math.max(1, Math.ceil(batches / batchesPerRun));
  const rotationMs = runs * opts.intervalMs;
  return {
    batches,
    requestsPerRun: batchesPerRun * 2,
    rotationMs,
    worstDelayMs: rotationMs + opts.intervalMs,
  };
}

/**
 * Of the links Bling left out of a balance read, those it no longer has (hard-deleted, issue 17 #4): the
 * balance list only carries positive totals, so the product list is asked about those ids for zero and then
 * negative totals (`idsProdutos[]`, every situação, at most 100 ids a request); what neither lists is gone.
 * Returns the Bling ids to re-read (products themselves, a variation's parent) and the requests spent.
 */
async function findGone(
  ctx: SyncContext,
  absent: EntityLink[],
): Promise<{ reread: string[]; requests: number }> {
  let missing = new Set(absent.map((l) => l.blingId as string));
  let requests = 0;
  for (const filtro of [0, 2] as const) {
    if (missing.size === 0) break;
    const ids = [...missing];
    for (let i = 0; i < ids.length; i += 100) {
      const rows = await ctx.bling.listProducts({
        page: 1,
        criterio: 5,
        filtroSaldoEstoque: filtro,
        idsProdutos: ids.slice(i, i + 100),
      });
      requests++;
      const listed = new Set(rows.map((r) => r.id));
      missing = new Set([...missing].filter((id) => !listed.has(id)));
    }
  }
  const reread = new Set<string>();
  for (const l of absent) {
    if (!missing.has(l.blingId as string)) continue;
    const parent = l.entity === "variation" ? linkData(l).parentBlingId : undefined;
    reread.add(parent ?? (l.blingId as string));
  }
  return { reread: [...reread], requests };
}

/**
 * Rolling stock reconciliation, the fallback when webhooks are lost. Bling's balances have no "changed
 * since" filter (bling-api-v3.md §4), so balances are re-read in batches of 100 ids, sized so the whole
 * catalog is covered every `rotationMs` (default 4 min: with one run interval on top, a change is in Zydon
 * within 5 min) and never more than `maxRequestsPerRun` requests a run (see `reconcileBound` for the bound
 * per catalog size). Price changes travel with the products poll (`dataAlteracao`); this pass is stock only.
 * A product Bling left out of a batch's balances and lists under no stock filter is gone: it is re-read
 * (404 → inactivated in Zydon; a variation's parent is rewritten without it).
 */
export async function reconcileStock(
  ctx: SyncContext,
  opts: { intervalMs: number; rotationMs?: number; maxRequestsPerRun?: number },
): Promise<{ checked: number; written: number; requests: number; gone: number }> {
  const links = new LinksRepository(ctx.db);
  const cursors = new CursorsRepository(ctx.db);
  const total = await links.countSellable(ctx.tenantId);
  if (total === 0) return { checked: 0, written: 0, requests: 0, gone: 0 };
  const batch = ctx.bling.maxBalanceBatch;
  const bound = reconcileBound(total, { ...opts, batch });
  const cap = opts.maxRequestsPerRun ?? RECONCILE_MAX_REQUESTS_PER_RUN;
  const batchesPerRun = bound.requestsPerRun / 2;
  const state = (await cursors
    .get(ctx.tenantId, "reconcile:stock", reconcileCursor)
    .catch(() => undefined)) ?? {
    page: 1,
    rotationStartedAt: ctx.now().toISOString(),
  };
  let page = state.page;
  let rotationStartedAt = state.rotationStartedAt;
  let checked = 0;
  let written = 0;
  let requests = 0;
  let gone = 0;
  let wraps = 0;
  let batches = 0;
  // A batch costs one request, plus its existence checks and one re-read per gone product.
  while (batches < batchesPerRun && requests < cap) {
    const rows = await links.pageSellable(ctx.tenantId, page, batch);
    if (rows.length === 0) {
      // Past the end (the catalog shrank): start the next rotation, at most once per run.
      page = 1;
      rotationStartedAt = ctx.now().toISOString();
      if (++wraps > 1 || checked > 0) break;
      continue;
    }
    const absent: EntityLink[] = [];
    const r = await syncStockFor(ctx, rows, { absent });
    requests++;
    batches++;
    checked += rows.length;
    written += r.written;
    if (absent.length > 0) {
      const g = await findGone(ctx, absent);
      requests += g.requests;
      for (const id of g.reread) {
        await syncProduct(ctx, id);
        requests++;
        gone++;
      }
    }
    page = rows.length < batch ? 1 : page + 1;
    if (page === 1) {
      rotationStartedAt = ctx.now().toISOString();
      // One rotation per run at most (a small catalog is covered whole every run).
      if (++wraps > 0) break;
    }
  }
  await cursors.set(ctx.tenantId, "reconcile:stock", { page, rotationStartedAt });
  return { checked, written, requests, gone };
}

/** Stock for specific Bling products (webhook path): one balance request per batch of dirty products. */
export async function refreshStock(ctx: SyncContext, blingProductIds: string[]): Promise<number> {
  const links = new LinksRepository(ctx.db);
  const ids = [...new Set(blingProductIds)];
  const found = [
    ...(await links.byBlingIds(ctx.tenantId, "product", ids)),
    ...(await links.byBlingIds(ctx.tenantId, "variation", ids)),
  ];
  const sellable = found.filter((l) => {
    const kind = linkData(l).kind;
    return kind === "simple" || kind === "variation";
  });
  const r = await syncStockFor(ctx, sellable);
  return r.written;
}
