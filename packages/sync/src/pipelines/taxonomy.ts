import { LedgerRepository, LinksRepository } from "@zb/db";
import { ZydonNotFoundError, zydonAdapter } from "@zb/zydon";
import { normalizeStatusName } from "../domain/status-matching.js";
import type { EntityPipeline } from "../engine/initial-sync.js";
import type { ErpCategory, ErpProductDetail } from "../ports/bling-port.js";
import type { PortalCategory, PortalProductWrite, ZydonPort } from "../ports/zydon-port.js";
import { zydonOwns } from "../settings/tenant-settings.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";
import { checkZydonNotFound } from "./zydon-not-found.js";

/**
 * Categories (a tree in both systems) and brands (a free string `marca` on Bling's product, a record in Zydon)
 * from Bling into Zydon (issue 19 #1). A Zydon category or brand with the same name (trimmed, case- and
 * accent-insensitive; for a category, under the same parent) is linked, never duplicated; otherwise it is
 * created. Links: entity "category" (Bling id ↔ Zydon id) and "brand" (the normalised name ↔ Zydon id: Bling
 * has no brand resource).
 *
 * Both are shared by the tenant's whole catalog and created by concurrent jobs, so a change runs under the
 * tenant's `zydon-categories` / `zydon-brands` lease (across processes; an in-process chain as well, since a
 * page's records share one context), on a list read fresh inside it — the pattern of the variation axes
 * (adapters/zydon-port-adapter.ts).
 *
 * Bling sends no webhook for categories: the whole tree is read by the first sync's "categories" step before
 * its products (and by that step's resync), again by
 * the daily drift audit (renames and moves then reach Zydon), and a product whose category is not linked yet
 * (created in Bling since) fetches it, with its missing parents, before it is written.
 */

/**
 * The name two records are "the same" by: trimmed, spaces collapsed, case- and accent-insensitive — the rule
 * statuses are matched by (domain/status-matching.ts).
 */
export function taxonomyKey(name: string): string {
  return normalizeStatusName(name);
}

/** The last change queued per tenant and key in this process (`tenantId\0key`). */
const tails = new Map<string, Promise<unknown>>();

/**
 * `fn` as the tenant's only holder of `key`: in this process (every job of the tenant, not only one job's
 * records: the Redis lease alone let two jobs create one category twice when Redis came back empty under
 * them) and across processes (the lease).
 */
function serial<T>(ctx: SyncContext, key: string, fn: () => Promise<T>): Promise<T> {
  const id = `${ctx.tenantId}\u0000${key}`;
  const locked = ctx.exclusive ? () => (ctx.exclusive as NonNullable<SyncContext["exclusive"]>)(key, fn) : fn;
  const run = (tails.get(id) ?? Promise.resolve()).then(locked, locked);
  const tail = run.catch(() => undefined);
  tails.set(id, tail);
  void tail.then(() => {
    if (tails.get(id) === tail) tails.delete(id);
  });
  return run;
}

/** Why a category could not be linked, for the product's ledger row. */
class CategoryRefused extends Error {}

interface CategoryPass {
  zydon: PortalCategory[];
  /** Zydon ids already linked to some Bling category (one Zydon category per Bling category). */
  linkedZydonIds: Set<string>;
  /** Bling id → Zydon id, or a refusal, for this pass. */
  done: Map<string, string | CategoryRefused>;
  known: Map<string, ErpCategory>;
}

async function openPass(ctx: SyncContext, known: ErpCategory[] = []): Promise<CategoryPass> {
  const links = await new LinksRepository(ctx.db).listByEntity(ctx.tenantId, "category");
  return {
    zydon: await ctx.zydon.listCategories(),
    linkedZydonIds: new Set(links.flatMap((l) => (l.zydonId ? [l.zydonId] : []))),
    done: new Map(),
    known: new Map(known.map((c) => [c.id, c])),
  };
}

/** The Zydon id of Bling category `blingId` (its parents first): linked, matched by name, or created. */
async function ensureCategory(
  ctx: SyncContext,
  pass: CategoryPass,
  blingId: string,
  depth = 0,
): Promise<string> {
  const seen = pass.done.get(blingId);
  if (seen instanceof CategoryRefused) throw seen;
  if (seen) return seen;
  try {
    const id = await ensureCategoryNow(ctx, pass, blingId, depth);
    pass.done.set(blingId, id);
    return id;
  } catch (err) {
    if (err instanceof CategoryRefused) pass.done.set(blingId, err);
    throw err;
  }
}

async function ensureCategoryNow(
  ctx: SyncContext,
  pass: CategoryPass,
  blingId: string,
  depth: number,
): Promise<string> {
  const ledger = new LedgerRepository(ctx.db);
  let c = pass.known.get(blingId);
  if (!c) {
    const fetched = await ctx.bling.getCategory(blingId);
    if (!fetched) throw new CategoryRefused(`A categoria ${blingId} não existe mais no Bling`);
    c = fetched;
    pass.known.set(c.id, c);
  }
  const name = c.descricao.trim();
  // Bling refuses a category under itself; a loop read across two moves is still possible: cut it.
  if (depth > 20)
    throw new CategoryRefused(`A categoria "${name}" está num ciclo de categorias pai no Bling`);
  let parentId: string | null = null;
  if (c.parentId) {
    try {
      parentId = await ensureCategory(ctx, pass, c.parentId, depth + 1);
    } catch (err) {
      if (!(err instanceof CategoryRefused)) throw err;
      const refused = new CategoryRefused(
        `A categoria "${name}" não foi criada no Zydon porque a categoria pai não foi (${err.message})`,
      );
      await recordCategoryFailure(ctx, c, `${refused.message}.`);
      throw refused;
    }
  }
  const links = new LinksRepository(ctx.db);
  const link = await links.byBlingId(ctx.tenantId, "category", c.id);
  const current = link?.zydonId ? pass.zydon.find((z) => z.id === link.zydonId) : undefined;
  try {
    if (current) {
      // Renamed or moved in Bling: Zydon follows, unless the merchant keeps categories in Zydon.
      if ((current.name !== name || current.parentId !== parentId) && !zydonOwns(ctx.settings, "taxonomy")) {
        await ctx.zydon.updateCategory(current.id, { name, parentId });
        current.name = name;
        current.parentId = parentId;
        await links.upsert({ ...linkRow(ctx, c, current.id) });
        await ledger.record({
          tenantId: ctx.tenantId,
          entity: "category",
          entityKey: `bling:${c.id}`,
          action: "import",
          outcome: "synced",
          reason: `Categoria "${name}" atualizada no Zydon.`,
          details: { blingId: c.id, zydonId: current.id, name },
        });
      }
      return current.id;
    }
    const key = taxonomyKey(name);
    const same = pass.zydon.find(
      (z) => taxonomyKey(z.name) === key && z.parentId === parentId && !pass.linkedZydonIds.has(z.id),
    );
    const zydonId = same?.id ?? (await ctx.zydon.createCategory({ name, parentId }));
    if (!same) pass.zydon.push({ id: zydonId, name, parentId });
    // A link to a category Zydon no longer has is moved to the one found or created now.
    if (link?.zydonId) pass.linkedZydonIds.delete(link.zydonId);
    pass.linkedZydonIds.add(zydonId);
    await ctx.db.transaction(async (tx) => {
      await new LinksRepository(tx).upsert(linkRow(ctx, c, zydonId));
      await new LedgerRepository(tx).record({
        tenantId: ctx.tenantId,
        entity: "category",
        entityKey: `bling:${c.id}`,
        action: "import",
        outcome: "synced",
        reason: same
          ? `Categoria "${name}" vinculada à categoria de mesmo nome que já existia no Zydon.`
          : `Categoria "${name}" criada no Zydon.`,
        details: { blingId: c.id, zydonId, name, linked: Boolean(same) },
      });
    });
    return zydonId;
  } catch (err) {
    if (isTransient(err)) throw err;
    const reason = `O Zydon recusou a categoria "${name}": ${errorMessage(err)}`;
    await recordCategoryFailure(ctx, c, reason);
    throw new CategoryRefused(reason);
  }
}

function linkRow(ctx: SyncContext, c: ErpCategory, zydonId: string) {
  return {
    tenantId: ctx.tenantId,
    entity: "category" as const,
    blingId: c.id,
    zydonId,
    naturalKey: c.descricao.trim(),
    data: { parentBlingId: c.parentId },
  };
}

async function recordCategoryFailure(ctx: SyncContext, c: ErpCategory, reason: string): Promise<void> {
  await new LedgerRepository(ctx.db).record({
    tenantId: ctx.tenantId,
    entity: "category",
    entityKey: `bling:${c.id}`,
    action: "import",
    outcome: "failed",
    reason,
    retryable: true,
    details: { blingId: c.id, name: c.descricao },
  });
}

export interface CategoriesResult {
  synced: number;
  failed: number;
}

/**
 * Every Bling category into Zydon, parents before children (the first sync, before its products; the daily
 * drift audit). A category Zydon refuses is a failed ledger row (and so are its children); the rest go on.
 */
export async function syncCategories(ctx: SyncContext): Promise<CategoriesResult> {
  const all: ErpCategory[] = [];
  for (let page = 1; page <= 1000; page++) {
    const rows = await ctx.bling.listCategories(page);
    all.push(...rows);
    if (rows.length < 100) break;
  }
  if (all.length === 0) return { synced: 0, failed: 0 };
  return serial(ctx, "zydon-categories", async () => {
    const pass = await openPass(ctx, all);
    let synced = 0;
    let failed = 0;
    for (const c of all) {
      try {
        await ensureCategory(ctx, pass, c.id);
        synced++;
      } catch (err) {
        if (!(err instanceof CategoryRefused)) throw err;
        failed++;
      }
    }
    return { synced, failed };
  });
}

/**
 * Refusals seen by this job (per Zydon port): the other products of a refused category or brand are written
 * without it at once, not after another round of reads and a create Zydon refuses again. The next job tries
 * again (the ledger row is retryable).
 */
const refusedByJob = new WeakMap<ZydonPort, Map<string, Error>>();
function refusals(ctx: SyncContext): Map<string, Error> {
  let m = refusedByJob.get(ctx.zydon);
  if (!m) {
    m = new Map();
    refusedByJob.set(ctx.zydon, m);
  }
  return m;
}

/**
 * The first sync's "categories" step, before its products (engine/initial-sync.ts `initialOrder`): the whole
 * tree in its one page (a child may come before its parent in Bling's pages). "Sincronizar de novo" on the
 * step reads it again: a rename made in Bling reaches Zydon at once instead of with the daily audit.
 */
export const categoriesPipeline: EntityPipeline<SyncContext> = {
  entity: "categories",
  async runPage(ctx) {
    const r = await syncCategories(ctx);
    return { hasMore: false, synced: r.synced, skipped: 0, failed: r.failed, total: r.synced + r.failed };
  },
};

/** The Zydon category of a Bling category id: the link, else fetched from Bling (with its parents) and made. */
async function resolveCategory(ctx: SyncContext, blingId: string): Promise<string> {
  const refused = refusals(ctx).get(`category:${blingId}`);
  if (refused) throw refused;
  const linked = await new LinksRepository(ctx.db).byBlingId(ctx.tenantId, "category", blingId);
  if (linked?.zydonId) return linked.zydonId;
  try {
    return await serial(ctx, "zydon-categories", async () =>
      ensureCategory(ctx, await openPass(ctx), blingId),
    );
  } catch (err) {
    if (err instanceof CategoryRefused) refusals(ctx).set(`category:${blingId}`, err);
    throw err;
  }
}

const brandCache = new WeakMap<ZydonPort, Map<string, string>>();

/** The Zydon brand named `marca`: cached per job, linked, matched by name, or created (once, under the lease). */
async function resolveBrand(ctx: SyncContext, marca: string): Promise<string> {
  const key = taxonomyKey(marca);
  let cache = brandCache.get(ctx.zydon);
  if (!cache) {
    cache = new Map();
    brandCache.set(ctx.zydon, cache);
  }
  const cached = cache.get(key);
  if (cached) return cached;
  const links = new LinksRepository(ctx.db);
  const linked = await links.byBlingId(ctx.tenantId, "brand", key);
  if (linked?.zydonId) {
    cache.set(key, linked.zydonId);
    return linked.zydonId;
  }
  const id = await serial(ctx, "zydon-brands", async () => {
    const again = await links.byBlingId(ctx.tenantId, "brand", key);
    if (again?.zydonId) return again.zydonId;
    const name = marca.trim().replace(/\s+/g, " ");
    const same = (await ctx.zydon.listBrands()).find((b) => taxonomyKey(b.name) === key);
    const zydonId = same?.id ?? (await ctx.zydon.createBrand(name));
    await ctx.db.transaction(async (tx) => {
      await new LinksRepository(tx).upsert({
        tenantId: ctx.tenantId,
        entity: "brand",
        blingId: key,
        zydonId,
        naturalKey: name,
      });
      await new LedgerRepository(tx).record({
        tenantId: ctx.tenantId,
        entity: "brand",
        entityKey: key,
        action: "import",
        outcome: "synced",
        reason: same
          ? `Marca "${name}" vinculada à marca de mesmo nome que já existia no Zydon.`
          : `Marca "${name}" criada no Zydon.`,
        details: { zydonId, name, linked: Boolean(same) },
      });
    });
    return zydonId;
  });
  cache.set(key, id);
  return id;
}

export interface ProductTaxonomy {
  /** Undefined when it could not be resolved: the write leaves Zydon's as it is. */
  category_id: string | null | undefined;
  brand_id: string | null | undefined;
  /** pt-BR notes for the product's ledger row (what was left out and why). */
  notes: string[];
}

/**
 * The Zydon category and brand a product's write sets. A category or brand Zydon refuses is its own failed
 * ledger row; the product is still written without it, and its row says so. Transient errors are thrown
 * (the job retries).
 */
export async function resolveTaxonomy(ctx: SyncContext, detail: ErpProductDetail): Promise<ProductTaxonomy> {
  const out: ProductTaxonomy = { category_id: null, brand_id: null, notes: [] };
  if (detail.categoriaId) {
    try {
      out.category_id = await resolveCategory(ctx, detail.categoriaId);
    } catch (err) {
      if (!(err instanceof CategoryRefused)) throw err;
      out.category_id = undefined;
      out.notes.push(`Sem categoria: ${err.message}.`);
    }
  }
  const marca = detail.marca?.trim();
  const refusedBrand = marca ? refusals(ctx).get(`brand:${taxonomyKey(marca)}`) : undefined;
  if (marca && refusedBrand) {
    out.brand_id = undefined;
    out.notes.push(`Sem marca: ${refusedBrand.message}.`);
  } else if (marca) {
    try {
      out.brand_id = await resolveBrand(ctx, marca);
    } catch (err) {
      if (isTransient(err)) throw err;
      const reason = `O Zydon recusou a marca "${marca}": ${errorMessage(err)}`;
      refusals(ctx).set(`brand:${taxonomyKey(marca)}`, new Error(reason));
      await new LedgerRepository(ctx.db).record({
        tenantId: ctx.tenantId,
        entity: "brand",
        entityKey: taxonomyKey(marca),
        action: "import",
        outcome: "failed",
        reason,
        retryable: true,
        details: { name: marca },
      });
      out.brand_id = undefined;
      out.notes.push(`Sem marca: ${reason}.`);
    }
  }
  return out;
}

/**
 * A product write Zydon answered 404 for the category or brand it names (zydon-api.md §4; adapter.ts
 * `notFoundReference`). A category or brand linked moments ago: the §2.4 transient 404, the job runs again
 * later (`checkZydonNotFound` throws). Otherwise it was deleted in Zydon: its link is dropped, so the next sync
 * of the product creates it again, and the pt-BR reason for the product's failed row is returned. Undefined
 * when the 404 is about something else.
 */
export async function checkTaxonomyNotFound(
  ctx: SyncContext,
  err: unknown,
  write: PortalProductWrite,
): Promise<string | undefined> {
  if (!(err instanceof ZydonNotFoundError)) return undefined;
  const ref = zydonAdapter.notFoundReference(err.zydonMessage);
  if (!ref) return undefined;
  const which =
    ref.resource === zydonAdapter.CATEGORY_RESOURCE && ref.id === write.category_id
      ? ({ entity: "category", label: "a categoria", created: "criada" } as const)
      : ref.resource === zydonAdapter.BRAND_RESOURCE && ref.id === write.brand_id
        ? ({ entity: "brand", label: "a marca", created: "criada" } as const)
        : undefined;
  if (!which) return undefined;
  const links = new LinksRepository(ctx.db);
  const link = await links.byZydonId(ctx.tenantId, which.entity, ref.id);
  if (!link) return undefined;
  const label = `${which.label} "${link.naturalKey ?? ref.id}" (id ${ref.id})`;
  const fresh = checkZydonNotFound(ctx, err, link, { label, created: which.created });
  if (link.blingId) await links.deleteByBlingId(ctx.tenantId, which.entity, link.blingId);
  brandCache.get(ctx.zydon)?.clear();
  const why = fresh ?? `O Zydon não encontra ${label}`;
  return `${why}. O produto ${write.sku} não foi gravado: ${which.label} será ${which.created} de novo na próxima sincronização.`;
}
