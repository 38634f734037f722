import { type EntityLink, LedgerRepository, LinksRepository, linkData } from "@zb/db";
import { OutboundRefusedError, ZydonError, ZydonNetworkError } from "@zb/zydon";
import { z } from "zod";
import { contentHash } from "../domain/content-hash.js";
import { plural } from "../domain/plural.js";
import { ClaimBusyError } from "../engine/errors.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";
import { checkZydonNotFound } from "./zydon-not-found.js";

/** How long image URLs read with the product stay usable for the image job (Bling's links expire). */
const IMAGE_URLS_FRESH_MS = 10 * 60_000;

/**
 * Images per product sent to Zydon (issue 21 #4): a product with hundreds of links (or a hostile catalog)
 * costs at most this many downloads and uploads; the rest is recorded once in the ledger.
 */
export const MAX_IMAGES_PER_PRODUCT = 10;

/**
 * How long one job holds a product's image claim (issue 17 #2): one image job per product at a time. Past it
 * (a worker that died mid-upload) another job may take over; the uploads already stored are not repeated.
 * Covers the worst case of one job: 10 images × (download timeout + upload timeout) in production is above
 * it, but every finished upload is stored at once, so a take-over repeats at most the one in flight.
 */
export const IMAGE_CLAIM_TTL_MS = 15 * 60_000;
/** How soon a job that found the claim taken runs again (delayed, out of its worker slot). */
export const IMAGE_CLAIM_RETRY_MS = 5_000;

/** Source link → Zydon resource file id of every image this product already uploaded (the upload record). */
const imageFilesSchema = z.record(z.string(), z.string()).catch({});

function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "informado";
  }
}

/** Why a link was given up, for the merchant (pt-BR). */
function sourceReason(url: string, err: unknown): string {
  if (err instanceof OutboundRefusedError) return err.ptBrMessage();
  const where = withoutQuery(url);
  if (err instanceof ZydonNetworkError && err.timedOut)
    return `o endereço ${where} não entregou a imagem dentro do tempo limite do download`;
  if (err instanceof ZydonError && err.status !== null)
    return `o endereço ${where} respondeu HTTP ${err.status} em vez da imagem`;
  return `o endereço ${where} não pôde ser acessado`;
}

/**
 * Upload a product's images (slow on Zydon's side), apart from the product write; record the outcome.
 *
 * - One job per product at a time: the job takes the product's image claim without waiting; a second job
 *   (a re-sync while a 30 s upload runs) is delayed out of its slot and, when it runs again, finds the images
 *   done (same hash) and stops.
 * - Each upload is stored the moment it finishes (`imageFiles`: link → file id), so nothing re-uploads an
 *   image: not a job run again after a crash, not a later change of the product that keeps that link.
 * - At most `MAX_IMAGES_PER_PRODUCT` links; a link whose download is refused, times out or fails at the source
 *   is given up at once (no retry layer or job attempt repeats it) and recorded in the ledger in pt-BR; the
 *   other images still go.
 *
 * `force` (a retry the merchant asked for from the ledger) runs even when the same links were handled.
 */
export async function syncProductImages(
  ctx: SyncContext,
  blingProductId: string,
  opts: { force?: boolean } = {},
): Promise<void> {
  const links = new LinksRepository(ctx.db);
  const first = await links.byBlingId(ctx.tenantId, "product", blingProductId);
  if (!first?.zydonId) return;
  const firstData = linkData(first);
  const fresh =
    firstData.imageUrls !== undefined &&
    firstData.imageUrlsAt !== undefined &&
    ctx.now().getTime() - new Date(firstData.imageUrlsAt).getTime() < IMAGE_URLS_FRESH_MS;
  const detail =
    fresh && firstData.imageUrls
      ? { imageUrls: firstData.imageUrls }
      : await ctx.bling.getProduct(blingProductId);
  if (!detail) return;
  const imagesHash = contentHash(detail.imageUrls);
  if (firstData.imagesHash === imagesHash && !opts.force) return;

  const claimKey = `images:${blingProductId}`;
  const claim = ctx.claim ? await ctx.claim(claimKey, IMAGE_CLAIM_TTL_MS) : { release: async () => {} };
  if (!claim) throw new ClaimBusyError(claimKey, IMAGE_CLAIM_RETRY_MS);
  try {
    // Read again under the claim: the job that held it may have just finished these very links.
    const link = (await links.byBlingId(ctx.tenantId, "product", blingProductId)) ?? first;
    if (!link.zydonId) return;
    const data = linkData(link);
    if (data.imagesHash === imagesHash && !opts.force) return;
    await uploadImages(ctx, { ...link, zydonId: link.zydonId }, blingProductId, detail.imageUrls, {
      imagesHash,
      uploaded: imageFilesSchema.parse((link.data as Record<string, unknown> | null)?.imageFiles ?? {}),
    });
  } finally {
    await claim.release();
  }
}

async function uploadImages(
  ctx: SyncContext,
  link: EntityLink & { zydonId: string },
  blingProductId: string,
  allUrls: string[],
  state: { imagesHash: string; uploaded: Record<string, string> },
): Promise<void> {
  const key = link.naturalKey ?? blingProductId;
  const urls = allUrls.slice(0, MAX_IMAGES_PER_PRODUCT);
  const uploaded = { ...state.uploaded };
  const links = new LinksRepository(ctx.db);
  let result: Awaited<ReturnType<SyncContext["zydon"]["setProductImages"]>>;
  try {
    result = await ctx.zydon.setProductImages(link.zydonId, urls, {
      uploaded,
      onUploaded: async (url, fileId) => {
        uploaded[url] = fileId;
        await links.mergeData(link.id, { imageFiles: uploaded });
      },
    });
  } catch (err) {
    const notFound = checkZydonNotFound(ctx, err, link, {
      label: `o produto ${link.naturalKey} (id ${link.zydonId})`,
    });
    if (isTransient(err)) throw err;
    if (err instanceof OutboundRefusedError) {
      // The link itself is refused (internal address, not an image, too large): the same links will never
      // pass, so remember them and do not try again until the product's images change in Bling.
      await ctx.db.transaction(async (tx) => {
        await new LinksRepository(tx).mergeData(link.id, { imagesHash: state.imagesHash });
        await new LedgerRepository(tx).record({
          tenantId: ctx.tenantId,
          entity: "image",
          entityKey: key,
          action: "upload",
          outcome: "skipped",
          reason: `Imagem ignorada: ${err.ptBrMessage()}. Corrija o link da imagem no Bling.`,
          retryable: false,
          details: { blingId: blingProductId, refusal: err.refusal },
        });
      });
      return;
    }
    await new LedgerRepository(ctx.db).record({
      tenantId: ctx.tenantId,
      entity: "image",
      entityKey: key,
      action: "upload",
      outcome: "failed",
      reason:
        notFound ?? `Imagens do produto ${link.naturalKey} não foram enviadas ao Zydon: ${errorMessage(err)}`,
      retryable: true,
      details: { blingId: blingProductId },
    });
    return;
  }

  const skipped = result.skipped;
  const dropped = allUrls.length - urls.length;
  await ctx.db.transaction(async (tx) => {
    await new LinksRepository(tx).mergeData(link.id, { imagesHash: state.imagesHash, imageFiles: uploaded });
    const ledger = new LedgerRepository(tx);
    if (skipped.length > 0) {
      const reasons = skipped.map((s) => sourceReason(s.url, s.error));
      const refusedOnly = skipped.every((s) => s.error instanceof OutboundRefusedError);
      await ledger.record({
        tenantId: ctx.tenantId,
        entity: "image",
        entityKey: key,
        action: "upload",
        outcome: "skipped",
        reason:
          skipped.length === 1
            ? `Imagem ignorada: ${reasons[0]}. Corrija o link da imagem no Bling.`
            : `${skipped.length} imagens ignoradas: ${reasons.join("; ")}. Corrija os links das imagens no Bling.`,
        // A refused link never passes; a slow or failing source may, when the merchant asks again.
        retryable: !refusedOnly,
        details: {
          blingId: blingProductId,
          skipped: skipped.map((s) => ({
            url: withoutQuery(s.url),
            ...(s.error instanceof OutboundRefusedError ? { refusal: s.error.refusal } : {}),
            ...(s.error instanceof ZydonNetworkError && s.error.timedOut ? { timedOut: true } : {}),
          })),
        },
      });
    }
    if (result.attached.length > 0 || dropped > 0) {
      await ledger.record({
        tenantId: ctx.tenantId,
        entity: "image",
        entityKey: key,
        action: "upload",
        outcome: "synced",
        reason:
          `${plural(result.attached.length, "imagem enviada", "imagens enviadas")} ao Zydon.` +
          (dropped > 0
            ? ` O produto tem ${allUrls.length} imagens no Bling; só as ${MAX_IMAGES_PER_PRODUCT} primeiras são enviadas.`
            : ""),
      });
    }
  });
}
