import { z } from "zod";
import { reconcileStock, refreshStock } from "../pipelines/stock.js";
import { QUEUES } from "../queues/queues.js";
import { schedulerIntervals } from "../scheduling/tenant-schedulers.js";
import { defineJob } from "./define-job.js";
import { DirtyStock } from "./dirty-stock.js";

const tenantId = z.uuid();

/**
 * Re-read stock balances for some Bling products and write them to Zydon if changed. Stock webhooks mark
 * products dirty (DirtyStock); each run also drains one balance request's worth of them and, while more are
 * left, queues the next run.
 */
export const refreshStockJob = defineJob({
  name: "refresh-stock",
  queue: QUEUES.events,
  lane: "stock_price",
  needs: "bling",
  schema: z.object({ tenantId, blingProductIds: z.array(z.string().min(1)).min(1).max(100) }),
  async run(p, job) {
    const dirty = new DirtyStock(job.redis, job.prefix);
    const more = await dirty.take(p.tenantId, job.sync.bling.maxBalanceBatch);
    const written = await refreshStock(job.sync, [...p.blingProductIds, ...more]);
    if ((await dirty.pending(p.tenantId)) > 0) {
      await job.producer.enqueue("refresh-stock", {
        tenantId: p.tenantId,
        blingProductIds: p.blingProductIds,
      });
    }
    return written;
  },
});

/** Rolling stock reconciliation (stock has no change filter in Bling). */
export const reconcileStockJob = defineJob({
  name: "reconcile-stock",
  queue: QUEUES.sync,
  lane: "stock_price",
  needs: "bling",
  needsInitialSync: true,
  schema: z.object({ tenantId }),
  run: (_p, job) => reconcileStock(job.sync, { intervalMs: schedulerIntervals.reconcileStockMs }),
});
