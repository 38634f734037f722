import { LedgerRepository, type LedgerRow } from "@zb/db";
import { z } from "zod";
import { syncCustomer } from "../pipelines/customers.js";
import { advanceNfe } from "../pipelines/nfe.js";
import { exportOrder } from "../pipelines/orders.js";
import { decidePriceHold } from "../pipelines/price-hold.js";
import { syncProduct, syncProductImages } from "../pipelines/products.js";
import { resyncOrder, resyncSku } from "../pipelines/resync-item.js";
import { mirrorOrderStatus } from "../pipelines/statuses.js";
import { refreshStock } from "../pipelines/stock.js";
import { QUEUES } from "../queues/queues.js";
import { defineJob, type TenantJobRun } from "./define-job.js";
import { pollNfe } from "./order-jobs.js";

/** The ids a failed ledger entry keeps for its retry (anything else in `details` is for people). */
const retryDetails = z
  .looseObject({
    blingId: z.string().optional().catch(undefined),
    blingOrderId: z.string().optional().catch(undefined),
  })
  .catch({});

const NOTHING = Symbol("nothing to retry");

/** Run again the step a ledger entry recorded as failed; NOTHING when the entry names no step to run. */
async function retryEntry(job: TenantJobRun, entry: LedgerRow): Promise<unknown> {
  const ctx = job.sync;
  const d = retryDetails.parse(entry.details ?? {});
  switch (entry.entity) {
    case "order":
      // A post-sale write (tracking code, delivered) is run again by reading the Bling order again.
      if (entry.action === "tracking" || entry.action === "delivered")
        return d.blingOrderId ? mirrorOrderStatus(ctx, d.blingOrderId) : NOTHING;
      return exportOrder(ctx, entry.entityKey);
    case "nfe": {
      const r = await advanceNfe(ctx, entry.entityKey, { retry: true });
      return r.kind === "waiting" ? pollNfe(job, entry.entityKey, r) : r;
    }
    case "order_status":
      return d.blingOrderId ? mirrorOrderStatus(ctx, d.blingOrderId) : NOTHING;
    case "image":
      // The merchant asked again: the same links are tried even though they were handled once.
      return d.blingId ? syncProductImages(ctx, d.blingId, { force: true }) : NOTHING;
    case "stock":
      return d.blingId ? refreshStock(ctx, [d.blingId]) : NOTHING;
    case "product":
      return d.blingId ? syncProduct(ctx, d.blingId) : NOTHING;
    case "customer": {
      const c = d.blingId ? await ctx.bling.getContact(d.blingId) : undefined;
      return c ? syncCustomer(ctx, c) : NOTHING;
    }
    default:
      return NOTHING;
  }
}

/** Retry one ledger entry (the merchant's "Tentar de novo"). */
export const retryLedgerJob = defineJob({
  name: "retry-ledger",
  queue: QUEUES.events,
  lane: "catalog",
  needs: "bling",
  schema: z.object({ tenantId: z.uuid(), ledgerId: z.number().int().positive() }),
  async run(p, job) {
    const entry = await new LedgerRepository(job.db).get(p.tenantId, p.ledgerId);
    if (!entry) return undefined;
    const r = await retryEntry(job, entry);
    if (r !== NOTHING) return r;
    job.log.info(
      { tenantId: p.tenantId, ledgerId: p.ledgerId, entity: entry.entity },
      "nothing to retry for this entry",
    );
    return undefined;
  },
});

/** The merchant's "Aplicar" / "Descartar" on a price the jump guard held (pipelines/price-hold.ts). */
export const priceHoldJob = defineJob({
  name: "price-hold",
  queue: QUEUES.events,
  // A merchant waiting on the page for a price: stock and price priority, not the catalog's.
  lane: "stock_price",
  needs: "bling",
  schema: z.object({
    tenantId: z.uuid(),
    ledgerId: z.number().int().positive(),
    decision: z.enum(["apply", "discard"]),
  }),
  async run(p, job) {
    const result = await decidePriceHold(job.sync, p.ledgerId, p.decision, {
      resyncProduct: (blingId) => syncProduct(job.sync, blingId),
    });
    job.log.info(
      { tenantId: p.tenantId, ledgerId: p.ledgerId, decision: p.decision, result },
      "price hold decided",
    );
    return result;
  },
});

/** "Sincronizar um item" by SKU (pipelines/resync-item.ts): the product, its price and its stock. */
export const resyncSkuJob = defineJob({
  name: "resync-sku",
  queue: QUEUES.events,
  lane: "stock_price",
  needs: "bling",
  schema: z.object({ tenantId: z.uuid(), sku: z.string().trim().min(1).max(60) }),
  run: (p, job) => resyncSku(job.sync, p.sku),
});

/** "Sincronizar um item" by Zydon order: exported if it never was, else its status read again. */
export const resyncOrderJob = defineJob({
  name: "resync-order",
  queue: QUEUES.orders,
  lane: "orders",
  needs: "bling",
  schema: z.object({ tenantId: z.uuid(), zydonOrderId: z.string().trim().min(1).max(60) }),
  run: (p, job) => resyncOrder(job.sync, p.zydonOrderId),
});
