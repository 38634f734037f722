import { z } from "zod";

/**
 * Queue names, shared by the API (which enqueues) and the worker (which runs). Which job runs on which queue
 * is declared by the job itself (packages/sync/src/jobs/).
 */
export const QUEUES = {
  /** Initial sync pages, resyncs, polling fallbacks, reconciliation: the long, interleaved work. */
  sync: "sync",
  /** Small jobs triggered by webhooks: one product, one stock balance, one order status. */
  events: "events",
  /** Zydon → Bling order exports and NF-e steps: highest priority, own concurrency. */
  orders: "orders",
  /**
   * Slow file work from tenant-supplied links (product images): its own low-priority queue and workers, so a
   * tenant's slow or hostile image links can never hold the slots webhooks, stock and orders need.
   */
  files: "files",
  /** Token keep-alive, secret purge, cleanup. */
  maintenance: "maintenance",
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const syncEntities = [
  "payment_methods",
  "categories",
  "products",
  "stock",
  "prices",
  "customers",
] as const;
export const syncEntitySchema = z.enum(syncEntities);
export type SyncEntity = z.infer<typeof syncEntitySchema>;
