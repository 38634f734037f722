import { z } from "zod";
import {
  checkZydonOrderStatus,
  pollZydonOrderStatuses,
  zydonStatusExportJobId,
} from "../pipelines/zydon-status-watch.js";
import { QUEUES } from "../queues/queues.js";
import type { TenantJobRun } from "./define-job.js";
import { defineJob } from "./define-job.js";

const tenantId = z.uuid();

async function enqueueExport(job: TenantJobRun, zydonOrderId: string, statusId: string): Promise<void> {
  const t = job.sync.tenantId;
  await job.producer.enqueue(
    "export-order",
    { tenantId: t, zydonOrderId },
    { jobId: zydonStatusExportJobId(t, zydonOrderId, statusId) },
  );
}

/**
 * A Zydon order changed (the order-update webhook): read it again and export it, or start its NF-e, if its
 * status now asks for it (pipelines/zydon-status-watch.ts). Reads Zydon only; the export and the NF-e run as
 * their own jobs on the orders queue.
 */
export const zydonOrderUpdateJob = defineJob({
  name: "zydon-order-update",
  queue: QUEUES.events,
  lane: "orders",
  needs: "bling",
  prepayBudget: false,
  schema: z.object({ tenantId, zydonOrderId: z.string().min(1) }),
  async run(p, job) {
    const r = await checkZydonOrderStatus(job.sync, p.zydonOrderId);
    if (r.kind === "export") await enqueueExport(job, r.zydonOrderId, r.statusId);
    return r;
  },
});

/** Polling fallback of the Zydon status watch (lost order-update webhooks): one batch of waiting orders. */
export const watchZydonOrdersJob = defineJob({
  name: "watch-zydon-orders",
  queue: QUEUES.sync,
  lane: "orders",
  needs: "bling",
  prepayBudget: false,
  schema: z.object({ tenantId }),
  async run(_p, job) {
    const pass = await pollZydonOrderStatuses(job.sync);
    for (const e of pass.exports) await enqueueExport(job, e.zydonOrderId, e.statusId);
    return pass;
  },
});
