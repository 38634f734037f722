import { type InboxRow, OrderExportsRepository, WebhookInboxRepository } from "@zb/db";
import { z } from "zod";
import {
  readBlingInbox,
  readZydonOrderInbox,
  type StoredBlingWebhook,
  ZYDON_ORDER_UPDATED_EVENT,
} from "../inbox/webhook-payloads.js";
import { safeJobId } from "../queues/job-ids.js";
import { QUEUES } from "../queues/queues.js";
import { defineJob, type JobRun } from "./define-job.js";
import { DirtyStock } from "./dirty-stock.js";

const tenantId = z.uuid();
const inboxPayload = z.object({ tenantId, inboxId: z.number().int().positive() });

/**
 * Turn one stored Bling webhook into small jobs. Never applies the payload itself: events may arrive
 * duplicated or out of order, so every job re-reads the current state from Bling. Bursts are debounced
 * (product, order) or batched (stock: the tenant's dirty products, drained 100 per request).
 */
export async function dispatchBlingWebhook(
  job: JobRun,
  tenantId: string,
  row: StoredBlingWebhook,
): Promise<void> {
  const read = readBlingInbox(row);
  if (!read.success) {
    job.log.warn({ tenantId, issues: read.error.issues.length }, "stored Bling webhook unreadable: skipped");
    return;
  }
  const t = read.data;
  switch (t.resource) {
    case "product": {
      if (t.action === "deleted") return;
      const id = t.parentId ?? t.productId;
      await job.producer.enqueue(
        "refresh-product",
        { tenantId, blingProductId: id },
        { delay: 1_000, deduplication: { id: safeJobId("prod", tenantId, id), ttl: 1_000 } },
      );
      return;
    }
    case "stock": {
      await new DirtyStock(job.redis, job.prefix).mark(tenantId, t.productId);
      await job.producer.enqueue(
        "refresh-stock",
        { tenantId, blingProductIds: [t.productId] },
        { delay: 500, deduplication: { id: safeJobId("stock", tenantId), ttl: 500 } },
      );
      return;
    }
    case "order": {
      if (t.action === "deleted") return;
      // Only orders we exported have a Zydon side to update.
      if (!(await new OrderExportsRepository(job.db).byBlingOrderId(tenantId, t.orderId))) return;
      await job.producer.enqueue(
        "order-status",
        { tenantId, blingOrderId: t.orderId },
        { delay: 500, deduplication: { id: safeJobId("status", tenantId, t.orderId), ttl: 500 } },
      );
      return;
    }
    case "invoice": {
      // NF-e situação changed: advance that order's NF-e now instead of waiting for its next poll.
      if (t.action === "deleted") return;
      const exp = await new OrderExportsRepository(job.db).byBlingInvoiceId(tenantId, t.invoiceId);
      if (!exp) return;
      await job.producer.enqueue(
        "nfe-step",
        { tenantId, zydonOrderId: exp.zydonOrderId },
        { delay: 500, deduplication: { id: safeJobId("nfe-wh", tenantId, exp.zydonOrderId), ttl: 500 } },
      );
      return;
    }
    case "other":
      job.log.info({ tenantId, event: t.event }, "Bling webhook without a handler in this build");
  }
}

/**
 * The job's inbox row, if it is still to be processed and belongs to the job's tenant. A row of another
 * tenant is never processed under this job's tenant (a forged or confused job would otherwise apply one
 * tenant's event to another's data): it is logged and left for its own tenant's job.
 */
async function ownUnprocessedRow(
  job: JobRun,
  p: { tenantId: string; inboxId: number },
): Promise<InboxRow | undefined> {
  const row = await new WebhookInboxRepository(job.db).get(p.inboxId);
  if (!row || row.processedAt) return undefined;
  if (row.tenantId !== p.tenantId) {
    job.log.warn(
      { tenantId: p.tenantId, inboxId: p.inboxId, rowTenantId: row.tenantId },
      "inbox row belongs to another tenant: refused",
    );
    return undefined;
  }
  return row;
}

/** Process one stored Bling webhook (inbox row), once. */
export const blingWebhookJob = defineJob({
  name: "bling-webhook",
  queue: QUEUES.events,
  lane: "stock_price",
  needs: "active-tenant",
  schema: inboxPayload,
  async run(p, job) {
    const row = await ownUnprocessedRow(job, p);
    if (!row) return undefined;
    await dispatchBlingWebhook(job, p.tenantId, row);
    await new WebhookInboxRepository(job.db).markProcessed(row.id);
    return undefined;
  },
});

/**
 * A new Zydon order: export it (the job id makes a duplicate webhook a no-op). An order-update row
 * (`order.updated`, zydon-api.md §9 [ZS-233]) asks for the order to be read again instead: one
 * `zydon-order-update` per order for a burst of changes.
 */
export const zydonOrderWebhookJob = defineJob({
  name: "zydon-order-webhook",
  queue: QUEUES.events,
  lane: "orders",
  needs: "nothing",
  schema: inboxPayload,
  async run(p, job) {
    const row = await ownUnprocessedRow(job, p);
    if (!row) return undefined;
    const orderId = readZydonOrderInbox(row);
    if (row.eventType === ZYDON_ORDER_UPDATED_EVENT) {
      await job.producer.enqueue(
        "zydon-order-update",
        { tenantId: p.tenantId, zydonOrderId: orderId },
        { delay: 500, deduplication: { id: safeJobId("zupdate", p.tenantId, orderId), ttl: 500 } },
      );
      await new WebhookInboxRepository(job.db).markProcessed(row.id);
      return undefined;
    }
    await job.producer.enqueue(
      "export-order",
      { tenantId: p.tenantId, zydonOrderId: orderId },
      { jobId: safeJobId("export", p.tenantId, orderId) },
    );
    await new WebhookInboxRepository(job.db).markProcessed(row.id);
    return undefined;
  },
});
