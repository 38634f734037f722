import { CursorsRepository } from "@zb/db";
import { z } from "zod";
import { type EntityPipeline, InitialSyncOrchestrator } from "../engine/initial-sync.js";
import { describeStepFailure } from "../engine/run-failure.js";
import type { SyncContext } from "../pipelines/context.js";
import { customersPipeline } from "../pipelines/customers.js";
import { auditDrift } from "../pipelines/drift.js";
import { pollNewZydonOrders } from "../pipelines/orders.js";
import { pollBlingOrderChanges } from "../pipelines/orders-poll.js";
import { paymentMethodsPipeline } from "../pipelines/payment-methods.js";
import { sweepCancelledNfes } from "../pipelines/post-sale.js";
import {
  pollStorePrices,
  pollStorePricesCursor,
  pricesPipeline,
  STORE_PRICES_CURSOR,
} from "../pipelines/prices.js";
import { productsPipeline, syncProduct, syncProductImages } from "../pipelines/products.js";
import { pollProductChanges, pollProductsCursor } from "../pipelines/products-poll.js";
import { buildReadinessReport } from "../pipelines/readiness.js";
import { stockPipeline } from "../pipelines/stock.js";
import { categoriesPipeline, syncCategories } from "../pipelines/taxonomy.js";
import { safeJobId } from "../queues/job-ids.js";
import { QUEUES, type SyncEntity, syncEntitySchema } from "../queues/queues.js";
import { defineJob } from "./define-job.js";

const tenantId = z.uuid();

const pipelines: Record<SyncEntity, EntityPipeline<SyncContext>> = {
  payment_methods: paymentMethodsPipeline,
  products: productsPipeline,
  stock: stockPipeline,
  prices: pricesPipeline,
  customers: customersPipeline,
  categories: categoriesPipeline,
};

/** Start (or restart) the initial sync chain for a tenant. */
export const initialSyncStartJob = defineJob({
  name: "initial-sync-start",
  queue: QUEUES.sync,
  lane: "catalog",
  needs: "bling",
  schema: z.object({ tenantId, entities: z.array(syncEntitySchema).optional() }),
  async run(p, job) {
    await buildReadinessReport(job.sync).catch((err) =>
      job.log.warn({ err: (err as Error).message }, "readiness report failed"),
    );
    // The polling fallback starts from here: the sync itself reads everything older, so the first poll
    // after it must not re-read every product edited in the minutes before (its default window).
    const cursors = new CursorsRepository(job.db);
    if (!(await cursors.get(p.tenantId, "poll:products", pollProductsCursor).catch(() => undefined)))
      await cursors.set(p.tenantId, "poll:products", { productsSince: new Date().toISOString() });
    if (!(await cursors.get(p.tenantId, STORE_PRICES_CURSOR, pollStorePricesCursor).catch(() => undefined)))
      await cursors.set(p.tenantId, STORE_PRICES_CURSOR, { since: new Date().toISOString() });
    await new InitialSyncOrchestrator(job.db, job.producer).start(p.tenantId, p.entities);
  },
});

/**
 * Recompute the Prontidão report (the page's "Atualizar", and after every settings change: a new depósito
 * choice changes where stock comes from). Reads list pages only, capped as on the first sync.
 */
export const readinessReportJob = defineJob({
  name: "readiness-report",
  queue: QUEUES.sync,
  lane: "catalog",
  needs: "bling",
  schema: z.object({ tenantId }),
  run: async (_p, job) => {
    await buildReadinessReport(job.sync);
  },
});

/** One page of the initial sync (or of a resync) for one entity; enqueues the next page itself. */
export const initialSyncStepJob = defineJob({
  name: "initial-sync-step",
  queue: QUEUES.sync,
  lane: "catalog",
  needs: "bling",
  schema: z.object({ tenantId, runId: z.uuid(), entity: syncEntitySchema, page: z.number().int().min(1) }),
  async run(p, job) {
    const orchestrator = new InitialSyncOrchestrator(job.db, job.producer);
    const r = await orchestrator.step(p.tenantId, p, pipelines[p.entity], job.sync);
    if (r === "finished") await job.onInitialSyncFinished?.(p.tenantId);
    return r;
  },
  // Nothing else would end the pass: without this its run read "Em andamento" forever, with no reason.
  async onGiveUp(p, failure, services) {
    await new InitialSyncOrchestrator(services.db, services.producer).stop(
      p.tenantId,
      p,
      describeStepFailure(failure.error, failure.attempts),
    );
  },
});

/** Re-read one Bling product (and its variations) and write it to Zydon if it changed. */
export const refreshProductJob = defineJob({
  name: "refresh-product",
  queue: QUEUES.events,
  // A product webhook is a merchant edit (usually a price): served ahead of catalog polling and syncs.
  lane: "stock_price",
  needs: "bling",
  schema: z.object({ tenantId, blingProductId: z.string().min(1) }),
  run: (p, job) => syncProduct(job.sync, p.blingProductId),
});

/**
 * Upload one product's images to Zydon (slow; apart from the product write), on the low-priority files queue
 * (its links come from tenant data and may be slow on purpose).
 */
export const productImagesJob = defineJob({
  name: "product-images",
  queue: QUEUES.files,
  lane: "catalog",
  needs: "bling",
  // It reuses the image links read with the product (fresh for 10 min): usually no Bling call at all.
  prepayBudget: false,
  schema: z.object({ tenantId, blingProductId: z.string().min(1) }),
  run: (p, job) => syncProductImages(job.sync, p.blingProductId),
});

/**
 * Polling fallbacks: new Zydon orders and Bling order changes whose webhook was lost (always), and products,
 * prices and store prices changed in Bling (`dataAlteracao` windows; once the initial sync has finished).
 */
export const pollChangesJob = defineJob({
  name: "poll-changes",
  queue: QUEUES.sync,
  lane: "catalog",
  needs: "bling",
  schema: z.object({ tenantId }),
  async run(p, job) {
    for (const orderId of await pollNewZydonOrders(job.sync)) {
      await job.producer.enqueue(
        "export-order",
        { tenantId: p.tenantId, zydonOrderId: orderId },
        { jobId: safeJobId("export", p.tenantId, orderId) },
      );
    }
    // Bling order changes (situação, tracking code) whose webhook was lost: back to the status mirror, with the
    // webhook's dedupe id (a webhook and the poll for one change run it once).
    const changedOrders = await pollBlingOrderChanges(job.sync);
    for (const blingOrderId of changedOrders)
      await job.producer.enqueue(
        "order-status",
        { tenantId: p.tenantId, blingOrderId },
        { delay: 500, deduplication: { id: safeJobId("status", p.tenantId, blingOrderId), ttl: 500 } },
      );
    if (!job.initialSyncDone) return { changedOrders: changedOrders.length };
    // Store prices (promotions included) have no webhook at all: this poll is their only path after the sync.
    // First, as it costs one request per 100 changed links and must not wait behind a long products window.
    const storePrices = await pollStorePrices(job.sync);
    return { ...(await pollProductChanges(job.sync)), storePrices };
  },
});

/**
 * Scheduled drift audit: compare both sides of the catalog and heal (daily). The category tree is read again
 * first: Bling sends no category webhook, so a category renamed or moved there reaches Zydon here.
 */
export const driftAuditJob = defineJob({
  name: "drift-audit",
  queue: QUEUES.sync,
  lane: "catalog",
  needs: "bling",
  needsInitialSync: true,
  schema: z.object({ tenantId }),
  async run(_p, job) {
    await syncCategories(job.sync);
    const report = await auditDrift(job.sync);
    // With it, daily: NF-e cancelled in Bling whose invoice webhook never came (post-sale.ts). A failure waits
    // for the next day's sweep rather than running the whole audit again.
    await sweepCancelledNfes(job.sync).catch((err: unknown) =>
      job.log.warn({ tenantId: job.sync.tenantId, err: String(err) }, "cancelled NF-e sweep failed"),
    );
    return report;
  },
});
