import { CursorsRepository, type EntityLink, LedgerRepository, LinksRepository, linkData } from "@zb/db";
import { z } from "zod";
import { contentHash } from "../domain/content-hash.js";
import type { EntityPipeline, PageResult } from "../engine/initial-sync.js";
import { forEachPooled, KeyedLock, PAGE_CONCURRENCY } from "../engine/page-pool.js";
import { mapProduct } from "../mappers/products.js";
import type { ErpProductDetail, ErpProductSummary } from "../ports/bling-port.js";
import { type PortalProductRef, productFieldGroups } from "../ports/zydon-port.js";
import { zydonOwns } from "../settings/tenant-settings.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";
import { withFreshOwnership } from "./ownership.js";
import { type JudgedPrice, judgePrice, priceJumpLimit, recordPriceVerdicts } from "./price-hold.js";
import { readinessTotal } from "./readiness.js";
import { checkTaxonomyNotFound, resolveTaxonomy } from "./taxonomy.js";
import { checkZydonNotFound } from "./zydon-not-found.js";

/**
 * `filtroSaldoEstoque` has no "all" value (0 zero, 1 positive — Bling's default — 2 negative), so a full
 * listing is three passes. The page counts of finished passes are recorded, which maps the orchestrator's
 * global page number to (pass, page) deterministically, so re-running a page after a crash reads the same page.
 */
const PASSES = [1, 0, 2] as const;
const passesSchema = z.object({ pages: z.array(z.number().int().min(1)) });

export async function resolveProductPage(ctx: SyncContext, stream: string, page: number) {
  const cursors = new CursorsRepository(ctx.db);
  const state = (await cursors.get(ctx.tenantId, stream, passesSchema)) ?? { pages: [] };
  let start = 1;
  for (let i = 0; i < PASSES.length; i++) {
    const known = state.pages[i];
    if (known === undefined || page < start + known)
      return { pass: i, blingPage: page - start + 1, state, cursors };
    start += known;
  }
  return undefined;
}

export type ProductOutcome = "created" | "updated" | "unchanged" | "skipped" | "failed";

/** Sync one Bling product (simple, kit or parent with variations) into Zydon. Idempotent. */
export async function syncProduct(
  ctx: SyncContext,
  summaryOrId: ErpProductSummary | string,
): Promise<ProductOutcome> {
  const blingId = typeof summaryOrId === "string" ? summaryOrId : summaryOrId.id;
  // Read and write under one lease per product: otherwise a poll that read the product before an edit can
  // overwrite the webhook job's newer write (seen: an inactivation undone by a concurrent poll).
  if (ctx.exclusive) return ctx.exclusive(`product:${blingId}`, () => syncProductNow(ctx, summaryOrId));
  return syncProductNow(ctx, summaryOrId);
}

async function syncProductNow(
  jobCtx: SyncContext,
  summaryOrId: ErpProductSummary | string,
): Promise<ProductOutcome> {
  const ledger = new LedgerRepository(jobCtx.db);
  const blingId = typeof summaryOrId === "string" ? summaryOrId : summaryOrId.id;
  if (typeof summaryOrId !== "string" && !summaryOrId.codigo?.trim()) {
    await ledger.record({
      tenantId: jobCtx.tenantId,
      entity: "product",
      entityKey: `bling:${blingId}`,
      action: "import",
      outcome: "skipped",
      reason: `Produto "${summaryOrId.nome}" está sem código (SKU) no Bling; preencha o código para sincronizá-lo.`,
      details: { blingId, name: summaryOrId.nome },
    });
    return "skipped";
  }
  let detail = await jobCtx.bling.getProduct(blingId);
  // A variation's own id (e.g. from a webhook): the unit of sync is its parent.
  if (detail?.idProdutoPai && detail.idProdutoPai !== detail.id)
    detail = await jobCtx.bling.getProduct(detail.idProdutoPai);
  // Ownership is read after Bling's answer: an edit Bling made after the merchant's save is never written
  // under the ownership from before it.
  const ctx = await withFreshOwnership(jobCtx);
  if (!detail) return inactivateDeleted(ctx, blingId);
  // The product's SKUs are held from the duplicate check to the link rows, so two Bling products sharing a SKU
  // cannot both write it: across the records of a page (engine/page-pool.ts) and across every job of the
  // tenant in this process. Per page only, two runs of one page (the job still running when Redis came back
  // empty, and the chain rebuilt from Postgres) let the duplicate write its content over the winner's Zydon
  // product (seen in the Redis-empty fault test: "stock 0 ≠ 139" on a SKU two Bling products share).
  const skus = [detail.codigo, ...detail.variacoes.map((v) => v.codigo)]
    .map((c) => c?.trim())
    .filter((c): c is string => Boolean(c))
    .map((c) => `${ctx.tenantId}\u0000${c}`);
  return TENANT_SKUS.run(skus, () => writeProduct(ctx, detail));
}

/** SKUs being written in this process, per tenant (`tenantId\0sku`): see `syncProductNow`. */
const TENANT_SKUS = new KeyedLock();

async function writeProduct(ctx: SyncContext, detail: ErpProductDetail): Promise<ProductOutcome> {
  const links = new LinksRepository(ctx.db);
  const ledger = new LedgerRepository(ctx.db);
  const key = detail.codigo?.trim() || `bling:${detail.id}`;
  if (!detail.codigo?.trim()) {
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "product",
      entityKey: key,
      action: "import",
      outcome: "skipped",
      reason: `Produto "${detail.nome}" está sem código (SKU) no Bling; preencha o código para sincronizá-lo.`,
      details: { blingId: detail.id, name: detail.nome },
    });
    return "skipped";
  }
  if (detail.situacao !== "A") return deactivateProduct(ctx, detail);
  const mapping = mapProduct(detail);
  const sku = mapping.product.sku;

  // A SKU already linked to another Bling product (or variation) is a duplicate: report, never guess.
  for (const candidate of [sku, ...mapping.variationSkus.map((v) => v.sku)]) {
    for (const entity of ["product", "variation"] as const) {
      const other = await links.byNaturalKey(ctx.tenantId, entity, candidate);
      if (
        other &&
        !(entity === "product" && other.blingId === detail.id) &&
        !(entity === "variation" && mapping.variationSkus.some((v) => v.blingId === other.blingId))
      ) {
        await ledger.record({
          tenantId: ctx.tenantId,
          entity: "product",
          entityKey: sku,
          // Its own action: the winner's next success (action "import", same SKU) must not close it.
          action: "duplicate",
          outcome: "skipped",
          reason: `SKU ${candidate} duplicado no Bling (já usado por outro produto ou variação); use um código único para cada produto e variação.`,
          details: { blingId: detail.id, conflictsWith: other.blingId, name: detail.nome },
        });
        return "skipped";
      }
    }
  }

  const link = await links.byBlingId(ctx.tenantId, "product", detail.id);
  // The price-jump guard (price-hold.ts) may keep the old price of the product or of a variation: the
  // mapping is rewritten before it is hashed, so what is hashed is what is written.
  // Field groups the merchant keeps in Zydon (issue 18 #2): an update leaves them as they are there; a
  // product new to Zydon gets them from Bling once. Price kept in Zydon: nothing to judge.
  const keep = productFieldGroups.filter((g) => zydonOwns(ctx.settings, g));
  // Category and brand (taxonomy.ts): resolved to Zydon ids before hashing, so a product moved to another
  // category in Bling is rewritten. Kept in Zydon and already there: the write leaves them, nothing to resolve.
  let taxonomyNotes: string[] = [];
  if (!(keep.includes("taxonomy") && link?.zydonId)) {
    const taxonomy = await resolveTaxonomy(ctx, detail);
    mapping.product.category_id = taxonomy.category_id;
    mapping.product.brand_id = taxonomy.brand_id;
    taxonomyNotes = taxonomy.notes;
  }
  const judged = keep.includes("price") ? [] : await judgeProductPrices(ctx, detail, mapping, link);
  // The groups kept are part of what was written: handing one back to Bling rewrites the product.
  const hash = contentHash(keep.length > 0 ? { product: mapping.product, keep } : mapping.product);
  let outcome: ProductOutcome;
  let ref: PortalProductRef;
  try {
    if (link?.zydonId && link.contentHash === hash) {
      outcome = "unchanged";
      ref = { id: link.zydonId, sku, variations: [] };
    } else if (link?.zydonId) {
      ref = await ctx.zydon.updateProduct(link.zydonId, mapping.product, { keep });
      outcome = "updated";
    } else {
      const existing = await ctx.zydon.findProductBySku(sku);
      ref = existing
        ? await ctx.zydon.updateProduct(existing.id, mapping.product, { keep })
        : await ctx.zydon.createProduct(mapping.product);
      outcome = existing ? "updated" : "created";
    }
  } catch (err) {
    // A 404 on the linked record: transient while the link is fresh (throws), else its own reason. A 404 on
    // the category or brand the write names: the same, for that link (taxonomy.ts).
    const notFound =
      (await checkTaxonomyNotFound(ctx, err, mapping.product)) ??
      (link?.zydonId
        ? checkZydonNotFound(ctx, err, link, { label: `o produto ${sku} (id ${link.zydonId})` })
        : undefined);
    if (isTransient(err)) throw err;
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "product",
      entityKey: sku,
      action: "import",
      outcome: "failed",
      reason: notFound ?? `O Zydon recusou o produto ${sku}: ${errorMessage(err)}`,
      retryable: true,
      details: { blingId: detail.id, name: detail.nome },
    });
    return "failed";
  }

  const kind = detail.formato === "V" || mapping.variationSkus.length > 0 ? "parent" : "simple";
  const imagesHash = contentHash(mapping.imageUrls);
  const previousData = link ? linkData(link) : {};
  await ctx.db.transaction(async (tx) => {
    const l = new LinksRepository(tx);
    // Data is merged (jsonb ||), never rewritten from the copy read before the Zydon call: the stock
    // pipeline may have stored a newer `stockQty` meanwhile.
    const row = await l.upsert({
      tenantId: ctx.tenantId,
      entity: "product",
      blingId: detail.id,
      zydonId: ref.id,
      naturalKey: sku,
      contentHash: hash,
    });
    await l.mergeData(row.id, {
      kind,
      price: mapping.product.price,
      productZydonId: ref.id,
      inactive: false,
      // The image job uses these while fresh instead of reading the product again (Bling's internal image
      // links expire, so an old list is re-read).
      imageUrls: mapping.imageUrls,
      imageUrlsAt: ctx.now().toISOString(),
    });
    if (outcome !== "unchanged") {
      for (const v of mapping.variationSkus) {
        const zv = ref.variations.find((x) => x.sku === v.sku);
        if (!zv) continue;
        const price = mapping.product.variations.find((x) => x.sku === v.sku)?.price ?? mapping.product.price;
        await l.upsert({
          tenantId: ctx.tenantId,
          entity: "variation",
          blingId: v.blingId,
          zydonId: zv.id,
          naturalKey: v.sku,
          data: {
            kind: "variation",
            productZydonId: ref.id,
            variationZydonId: zv.id,
            parentBlingId: detail.id,
            price,
          },
        });
      }
    }
    await recordPriceVerdicts(tx, ctx, judged);
    const lg = new LedgerRepository(tx);
    for (const s of mapping.skippedVariations) {
      await lg.record({
        tenantId: ctx.tenantId,
        entity: "product",
        entityKey: s.key,
        action: "import",
        outcome: "skipped",
        reason: s.reason,
      });
    }
    // This product is in Zydon now: a blank-code or repeated-SKU warning of its own is over.
    await lg.resolveForBlingProduct(ctx.tenantId, detail.id);
    if (outcome !== "unchanged") {
      await lg.record({
        tenantId: ctx.tenantId,
        entity: "product",
        entityKey: sku,
        action: "import",
        outcome: "synced",
        reason: [
          outcome === "created" ? "Produto criado no Zydon." : "Produto atualizado no Zydon.",
          ...taxonomyNotes,
        ].join(" "),
        details: {
          blingId: detail.id,
          zydonId: ref.id,
          variations: mapping.variationSkus.length,
          name: detail.nome,
        },
      });
    }
    // A price change is its own kind in Histórico ("Preço", old → new), apart from the product update.
    const oldPrice = typeof previousData.price === "number" ? previousData.price : null;
    if (
      outcome === "updated" &&
      !keep.includes("price") &&
      oldPrice !== null &&
      oldPrice !== mapping.product.price
    ) {
      await lg.record({
        tenantId: ctx.tenantId,
        entity: "price",
        entityKey: sku,
        action: "update",
        outcome: "synced",
        reason: "Preço atualizado no Zydon.",
        details: { name: detail.nome, from: oldPrice, to: mapping.product.price },
      });
    }
  });
  // Images kept in Zydon: only a product the app just created gets Bling's images.
  const imagesAllowed = !zydonOwns(ctx.settings, "images") || outcome === "created";
  if (
    mapping.imageUrls.length > 0 &&
    previousData.imagesHash !== imagesHash &&
    imagesAllowed &&
    ctx.enqueueImages
  ) {
    await ctx.enqueueImages(detail.id);
  }
  return outcome;
}

/**
 * Judge the product's and each linked variation's base price against the last one written (price-hold.ts),
 * and write into the mapping the price each verdict allows.
 */
async function judgeProductPrices(
  ctx: SyncContext,
  detail: ErpProductDetail,
  mapping: ReturnType<typeof mapProduct>,
  link: EntityLink | undefined,
): Promise<JudgedPrice[]> {
  const limit = priceJumpLimit(ctx);
  const judged: JudgedPrice[] = [];
  const judge = (l: EntityLink, linkEntity: "product" | "variation", sku: string, to: number) => {
    const d = linkData(l);
    const last = typeof d.price === "number" ? d.price : undefined;
    const verdict = judgePrice(limit, last, to, d.priceHold?.base);
    const j: JudgedPrice = {
      linkId: l.id,
      linkEntity,
      sku,
      name: detail.nome,
      blingId: detail.id,
      source: "base",
      from: last ?? to,
      to,
      verdict,
    };
    judged.push(j);
    return verdict.write;
  };
  if (link?.zydonId)
    mapping.product.price = judge(link, "product", mapping.product.sku, mapping.product.price);
  if (mapping.variationSkus.length > 0) {
    const vlinks = await new LinksRepository(ctx.db).byBlingIds(
      ctx.tenantId,
      "variation",
      mapping.variationSkus.map((v) => v.blingId),
    );
    for (const v of mapping.product.variations) {
      const blingId = mapping.variationSkus.find((x) => x.sku === v.sku)?.blingId;
      const vl = vlinks.find((l) => l.blingId === blingId && l.zydonId);
      if (vl && typeof v.price === "number") v.price = judge(vl, "variation", v.sku, v.price);
    }
  }
  return judged;
}

/**
 * A product we synced became inactive (or deleted) in Bling: Zydon must stop selling it — the product is
 * written with `active: false` (never deleted: its orders and history stay). Reactivation in Bling makes the
 * next sync write `active: true` again, since the content hash differs.
 */
/**
 * Bling answers 404 for a product deleted for good (issue 17 #4): there is nothing left to map, so a linked,
 * still active product is switched off in Zydon as it stands (Zydon's enable/disable toggle) and its link
 * marked `gone`.
 * An unlinked id, or one already inactive, is skipped.
 */
async function inactivateDeleted(ctx: SyncContext, blingId: string): Promise<ProductOutcome> {
  // Active/inactive kept in Zydon (field ownership): the merchant decides there.
  if (zydonOwns(ctx.settings, "active")) return "skipped";
  const links = new LinksRepository(ctx.db);
  const link = await links.byBlingId(ctx.tenantId, "product", blingId);
  if (!link?.zydonId || linkData(link).inactive === true) return "skipped";
  try {
    await ctx.zydon.setProductActive(link.zydonId, false);
  } catch (err) {
    const notFound = checkZydonNotFound(ctx, err, link, {
      label: `o produto ${link.naturalKey} (id ${link.zydonId})`,
    });
    if (isTransient(err)) throw err;
    await new LedgerRepository(ctx.db).record({
      tenantId: ctx.tenantId,
      entity: "product",
      entityKey: link.naturalKey ?? blingId,
      action: "import",
      outcome: "failed",
      reason:
        notFound ??
        `O produto ${link.naturalKey} foi excluído do Bling, mas o Zydon recusou inativá-lo: ${errorMessage(err)}`,
      retryable: true,
      details: { blingId },
    });
    return "failed";
  }
  await ctx.db.transaction(async (tx) => {
    const l = new LinksRepository(tx);
    // A hash no mapping produces: should the id answer again, its next read rewrites it in full.
    await l.setContentHash(link.id, "gone");
    await l.mergeData(link.id, { inactive: true, gone: true });
    await new LedgerRepository(tx).record({
      tenantId: ctx.tenantId,
      entity: "product",
      entityKey: link.naturalKey ?? blingId,
      action: "import",
      outcome: "synced",
      reason: `Produto ${link.naturalKey} inativado no Zydon: foi excluído do Bling.`,
      details: { blingId, zydonId: link.zydonId },
    });
  });
  return "updated";
}

async function deactivateProduct(ctx: SyncContext, detail: ErpProductDetail): Promise<ProductOutcome> {
  if (zydonOwns(ctx.settings, "active")) return "skipped";
  const links = new LinksRepository(ctx.db);
  const link = await links.byBlingId(ctx.tenantId, "product", detail.id);
  if (!link?.zydonId) return "skipped";
  const mapping = mapProduct({ ...detail, codigo: link.naturalKey ?? detail.codigo });
  const write = { ...mapping.product, active: false };
  const hash = contentHash(write);
  if (link.contentHash === hash) return "unchanged";
  try {
    await ctx.zydon.updateProduct(link.zydonId, write);
  } catch (err) {
    const notFound = checkZydonNotFound(ctx, err, link, {
      label: `o produto ${link.naturalKey} (id ${link.zydonId})`,
    });
    if (isTransient(err)) throw err;
    await new LedgerRepository(ctx.db).record({
      tenantId: ctx.tenantId,
      entity: "product",
      entityKey: link.naturalKey ?? detail.id,
      action: "import",
      outcome: "failed",
      reason:
        notFound ??
        `O produto ${link.naturalKey} está inativo no Bling, mas o Zydon recusou inativá-lo: ${errorMessage(err)}`,
      retryable: true,
      details: { blingId: detail.id },
    });
    return "failed";
  }
  await ctx.db.transaction(async (tx) => {
    const l = new LinksRepository(tx);
    await l.setContentHash(link.id, hash);
    await l.mergeData(link.id, { inactive: true });
    await new LedgerRepository(tx).record({
      tenantId: ctx.tenantId,
      entity: "product",
      entityKey: link.naturalKey ?? detail.id,
      action: "import",
      outcome: "synced",
      reason: `Produto ${link.naturalKey} inativado no Zydon: está ${detail.situacao === "E" ? "excluído" : "inativo"} no Bling.`,
      details: { blingId: detail.id, zydonId: link.zydonId },
    });
  });
  return "updated";
}

// The image job (issue 17 #2, issue 21 #4) lives in product-images.ts; re-exported for its callers.
export { syncProductImages } from "./product-images.js";

function tally(outcomes: ProductOutcome[]): Omit<PageResult, "hasMore"> {
  return {
    synced: outcomes.filter((o) => o === "created" || o === "updated" || o === "unchanged").length,
    skipped: outcomes.filter((o) => o === "skipped").length,
    failed: outcomes.filter((o) => o === "failed").length,
  };
}

/** Active products, page by page. Variation rows (with `idProdutoPai`) come in through their parent's detail. */
export const productsPipeline: EntityPipeline<SyncContext> = {
  entity: "products",
  async runPage(ctx, page, progress) {
    const pos = await resolveProductPage(ctx, "initial:products:passes", page);
    if (!pos) return { hasMore: false, synced: 0, skipped: 0, failed: 0 };
    const summaries = await ctx.bling.listProducts({
      page: pos.blingPage,
      criterio: 2,
      filtroSaldoEstoque: PASSES[pos.pass] as 0 | 1 | 2,
    });
    const outcomes: ProductOutcome[] = [];
    // Each product is a detail read (~2/s): report every few so the bar moves during a page (in order).
    let reported = Promise.resolve();
    await forEachPooled(
      summaries.filter((s) => !s.idProdutoPai),
      PAGE_CONCURRENCY,
      async (s) => {
        outcomes.push(await syncProduct(ctx, s));
        if (progress && outcomes.length % 5 === 0) {
          reported = reported.then(() => progress(tally(outcomes)));
          await reported;
        }
      },
    );
    await reported;
    const passEnded = summaries.length < 100;
    if (passEnded && pos.state.pages[pos.pass] === undefined) {
      const pages = [...pos.state.pages];
      pages[pos.pass] = pos.blingPage;
      await pos.cursors.set(ctx.tenantId, "initial:products:passes", { pages });
    }
    const hasMore = !passEnded || pos.pass < PASSES.length - 1;
    const total = page === 1 ? await readinessTotal(ctx, "topLevelProducts") : undefined;
    return { hasMore, ...tally(outcomes), ...(total !== undefined ? { total } : {}) };
  },
};
