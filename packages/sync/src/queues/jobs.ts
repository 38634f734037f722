import { z } from "zod";

/**
 * Queue names and job payload schemas, shared by the API (which enqueues) and the worker (which runs).
 * Payloads carry ids only — never secrets, never whole records (BullMQ stores job data in clear text).
 */
export const QUEUES = {
  /** Initial sync pages, resyncs, polling fallbacks, reconciliation: the long, interleaved work. */
  sync: "sync",
  /** Small jobs triggered by webhooks: one product, one stock balance, one order status. */
  events: "events",
  /** Zydon → Bling order exports and NF-e steps: highest priority, own concurrency. */
  orders: "orders",
  /** Token keep-alive, secret purge, cleanup. */
  maintenance: "maintenance",
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

const tenantId = z.uuid();
export const syncEntities = ["payment_methods", "products", "stock", "prices", "customers"] as const;
export const syncEntitySchema = z.enum(syncEntities);
export type SyncEntity = z.infer<typeof syncEntitySchema>;

export const jobSchemas = {
  /** One page of the initial sync (or of a resync) for one entity; enqueues the next page itself. */
  "initial-sync-step": z.object({
    tenantId,
    runId: z.uuid(),
    entity: syncEntitySchema,
    page: z.number().int().min(1),
  }),
  /** Start (or restart) the initial sync chain for a tenant. */
  "initial-sync-start": z.object({ tenantId, entities: z.array(syncEntitySchema).optional() }),
  /** Process one stored webhook (inbox row). */
  "bling-webhook": z.object({ tenantId, inboxId: z.number().int().positive() }),
  "zydon-order-webhook": z.object({ tenantId, inboxId: z.number().int().positive() }),
  /** Re-read one Bling product (and its variations) and write it to Zydon if it changed. */
  "refresh-product": z.object({ tenantId, blingProductId: z.string().min(1) }),
  /** Upload one product's images to Zydon (slow; apart from the product write). */
  "product-images": z.object({ tenantId, blingProductId: z.string().min(1) }),
  /** Re-read stock balances for some Bling products and write them to Zydon if changed. */
  "refresh-stock": z.object({ tenantId, blingProductIds: z.array(z.string().min(1)).min(1).max(100) }),
  /** Mirror a Bling order situação to the Zydon order. */
  "order-status": z.object({ tenantId, blingOrderId: z.string().min(1) }),
  /** Polling fallback for products/prices (dataAlteracao windows) and new Zydon orders. */
  "poll-changes": z.object({ tenantId }),
  /** Rolling stock reconciliation (stock has no change filter in Bling). */
  "reconcile-stock": z.object({ tenantId }),
  /** Scheduled drift audit: compare both sides of the catalog and heal (daily). */
  "drift-audit": z.object({ tenantId }),
  /** Export one Zydon order to Bling, exactly once. */
  "export-order": z.object({ tenantId, zydonOrderId: z.string().min(1) }),
  /** Advance the NF-e state machine of one exported order. */
  "nfe-step": z.object({ tenantId, zydonOrderId: z.string().min(1) }),
  /** Retry one ledger entry. */
  "retry-ledger": z.object({ tenantId, ledgerId: z.number().int().positive() }),
  "token-keepalive": z.object({}),
  "purge-secrets": z.object({}),
} as const;

export type JobName = keyof typeof jobSchemas;
export type JobPayload<N extends JobName> = z.infer<(typeof jobSchemas)[N]>;

export const jobQueue: Record<JobName, QueueName> = {
  "initial-sync-step": QUEUES.sync,
  "initial-sync-start": QUEUES.sync,
  "poll-changes": QUEUES.sync,
  "reconcile-stock": QUEUES.sync,
  "drift-audit": QUEUES.sync,
  "bling-webhook": QUEUES.events,
  "zydon-order-webhook": QUEUES.events,
  "refresh-product": QUEUES.events,
  "refresh-stock": QUEUES.events,
  "product-images": QUEUES.events,
  "order-status": QUEUES.events,
  "retry-ledger": QUEUES.events,
  "export-order": QUEUES.orders,
  "nfe-step": QUEUES.orders,
  "token-keepalive": QUEUES.maintenance,
  "purge-secrets": QUEUES.maintenance,
};

/** Parse a job's data on read: a payload that does not match is a bug, not something to guess around. */
export function parseJob<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  return jobSchemas[name].parse(data) as JobPayload<N>;
}

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobSchemas, name);
}
