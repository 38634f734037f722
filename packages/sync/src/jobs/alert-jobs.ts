import { z } from "zod";
import { deliverAlert } from "../alerts/deliver.js";
import { watchAlerts } from "../alerts/watch.js";
import { QUEUES } from "../queues/queues.js";
import { defineJob, type JobRun } from "./define-job.js";

/** Hands a raised alert to its delivery job (one job per alert: a second enqueue is a no-op). */
export async function enqueueAlertDelivery(
  job: Pick<JobRun, "producer">,
  tenantId: string,
  alertId: number,
): Promise<void> {
  await job.producer.enqueue("alert-deliver", { tenantId, alertId }, { jobId: `alert-deliver-${alertId}` });
}

/** Once a minute: raise what is true now for every tenant with an alert channel (alerts/watch.ts). */
export const alertWatchJob = defineJob({
  name: "alert-watch",
  queue: QUEUES.maintenance,
  lane: "catalog",
  needs: "nothing",
  schema: z.object({}),
  run: (_p, job): Promise<{ raised: number; suppressed: number }> =>
    watchAlerts({
      db: job.db,
      log: job.log,
      deliver: (t: string, id: number): Promise<void> => enqueueAlertDelivery(job, t, id),
    }),
});

/**
 * Deliver one alert (alerts/deliver.ts). Retries are the alert's own (per channel, counted on its row), so a
 * failed channel waits with `again` instead of spending BullMQ attempts; a deployment without alert
 * transport (tests of other things) leaves the alert pending.
 */
export const alertDeliverJob = defineJob({
  name: "alert-deliver",
  queue: QUEUES.maintenance,
  lane: "catalog",
  needs: "nothing",
  schema: z.object({ tenantId: z.uuid(), alertId: z.number().int().positive() }),
  async run(p, job) {
    if (!job.alerts) {
      job.log.warn({ alertId: p.alertId }, "no alert transport in this worker: alert left pending");
      return undefined;
    }
    const r = await deliverAlert({ db: job.db, log: job.log, ...job.alerts }, p.alertId);
    if (r.kind === "retry") job.again(r.delayMs);
    return r;
  },
});
