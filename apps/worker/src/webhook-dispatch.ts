import { type InboxRow, OrderExportsRepository } from "@zb/db";
import { safeJobId } from "@zb/sync";
import type { WorkerDeps } from "./processors.js";

/** Bling ids arrive as numbers; we keep them as strings. */
function idOf(v: unknown): string | undefined {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return String(v);
  if (typeof v === "string" && /^\d+$/.test(v) && v !== "0") return v;
  return undefined;
}

/**
 * Turn one stored Bling webhook into small jobs. Never applies the payload itself: events may arrive
 * duplicated or out of order, so every job re-reads the current state from Bling. Bursts are debounced
 * (product, order) or batched (stock: a per-tenant set of dirty products drained 100 per request).
 */
export async function dispatchBlingWebhook(deps: WorkerDeps, tenantId: string, row: InboxRow): Promise<void> {
  const envelope = row.payload as { event?: string; data?: Record<string, unknown> };
  const event = envelope.event ?? row.eventType;
  const data = envelope.data ?? {};
  const [resource, action] = event.split(".");
  switch (resource) {
    case "product": {
      const id = idOf(data.id);
      if (!id || action === "deleted") return;
      await deps.producer.enqueue(
        "refresh-product",
        { tenantId, blingProductId: idOf(data.idProdutoPai) ?? id },
        {
          delay: 1_000,
          deduplication: { id: safeJobId("prod", tenantId, idOf(data.idProdutoPai) ?? id), ttl: 1_000 },
        },
      );
      return;
    }
    case "stock":
    case "virtual_stock": {
      const id = idOf((data.produto as Record<string, unknown> | undefined)?.id);
      if (!id) return;
      await deps.redis.sadd(`${deps.prefix}:dirty-stock:${tenantId}`, id);
      await deps.producer.enqueue(
        "refresh-stock",
        { tenantId, blingProductIds: [id] },
        { delay: 500, deduplication: { id: safeJobId("stock", tenantId), ttl: 500 } },
      );
      return;
    }
    case "order": {
      const id = idOf(data.id);
      if (!id || action === "deleted") return;
      // Only orders we exported have a Zydon side to update.
      if (!(await new OrderExportsRepository(deps.db).byBlingOrderId(tenantId, id))) return;
      await deps.producer.enqueue(
        "order-status",
        { tenantId, blingOrderId: id },
        { delay: 500, deduplication: { id: safeJobId("status", tenantId, id), ttl: 500 } },
      );
      return;
    }
    case "invoice": {
      // NF-e situação changed: advance that order's NF-e now instead of waiting for its next poll.
      const id = idOf(data.id);
      if (!id || action === "deleted") return;
      const exp = await new OrderExportsRepository(deps.db).byBlingInvoiceId(tenantId, id);
      if (!exp) return;
      await deps.producer.enqueue(
        "nfe-step",
        { tenantId, zydonOrderId: exp.zydonOrderId },
        { delay: 500, deduplication: { id: safeJobId("nfe-wh", tenantId, exp.zydonOrderId), ttl: 500 } },
      );
      return;
    }
    default:
      deps.log.info({ tenantId, event }, "Bling webhook without a handler in this build");
  }
}

/** A new Zydon order: export it (the job id makes a duplicate webhook a no-op). */
export async function dispatchZydonOrderWebhook(
  deps: WorkerDeps,
  tenantId: string,
  row: InboxRow,
): Promise<void> {
  const payload = row.payload as { orderId?: string; order_id?: string; id?: string };
  const orderId = String(payload.orderId ?? payload.order_id ?? payload.id ?? row.eventId);
  await deps.producer.enqueue(
    "export-order",
    { tenantId, zydonOrderId: orderId },
    { jobId: safeJobId("export", tenantId, orderId) },
  );
}
