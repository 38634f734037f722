import type { z } from "zod";
import { alertDeliverJob, alertWatchJob } from "./alert-jobs.js";
import {
  driftAuditJob,
  initialSyncStartJob,
  initialSyncStepJob,
  pollChangesJob,
  productImagesJob,
  readinessReportJob,
  refreshProductJob,
} from "./catalog-jobs.js";
import type { JobDefinition, JobNeeds } from "./define-job.js";
import { priceHoldJob, resyncOrderJob, resyncSkuJob, retryLedgerJob } from "./ledger-jobs.js";
import { pruneRetentionJob, purgeSecretsJob, tokenKeepaliveJob } from "./maintenance-jobs.js";
import { exportOrderJob, nfeStepJob, orderStatusJob } from "./order-jobs.js";
import { reconcileStockJob, refreshStockJob } from "./stock-jobs.js";
import { blingWebhookJob, zydonOrderWebhookJob } from "./webhook-jobs.js";
import { watchZydonOrdersJob, zydonOrderUpdateJob } from "./zydon-status-jobs.js";

/**
 * Every job, once. The producer reads a job's queue and payload schema from here, the worker its handler.
 * A function, not a constant: job modules import the producer, which imports this module.
 */
function allJobs() {
  return [
    initialSyncStartJob,
    initialSyncStepJob,
    readinessReportJob,
    refreshProductJob,
    productImagesJob,
    pollChangesJob,
    driftAuditJob,
    refreshStockJob,
    reconcileStockJob,
    exportOrderJob,
    nfeStepJob,
    orderStatusJob,
    blingWebhookJob,
    zydonOrderWebhookJob,
    retryLedgerJob,
    priceHoldJob,
    resyncSkuJob,
    resyncOrderJob,
    tokenKeepaliveJob,
    purgeSecretsJob,
    pruneRetentionJob,
    alertWatchJob,
    alertDeliverJob,
    zydonOrderUpdateJob,
    watchZydonOrdersJob,
  ] as const;
}

type AnyJob = ReturnType<typeof allJobs>[number];
export type JobName = AnyJob["name"];
type JobOf<N extends JobName> = Extract<AnyJob, { name: N }>;
/** What a producer passes for job `N` (checked by the job's schema before it reaches Redis). */
export type JobPayload<N extends JobName> = z.input<JobOf<N>["schema"]>;

/** A registered job, with the payload and run types erased (the worker parses the payload first). */
export type RegisteredJob = JobDefinition<string, z.ZodType, JobNeeds>;

let byName: Map<string, AnyJob> | undefined;

function registry(): Map<string, AnyJob> {
  if (!byName) {
    byName = new Map();
    for (const job of allJobs()) {
      if (byName.has(job.name)) throw new Error(`job ${job.name} registered twice`);
      byName.set(job.name, job);
    }
  }
  return byName;
}

/** Every registered job (tests, schedulers). */
export function registeredJobs(): readonly AnyJob[] {
  return [...registry().values()];
}

export function isJobName(name: string): name is JobName {
  return registry().has(name);
}

/** The job named `name`; `undefined` for a name this build does not know. */
export function findJob(name: string): AnyJob | undefined {
  return registry().get(name);
}

function isNamed<N extends JobName>(job: AnyJob | undefined, name: N): job is JobOf<N> {
  return job?.name === name;
}

export function jobDefinition<N extends JobName>(name: N): JobOf<N> {
  const job = registry().get(name);
  if (!isNamed(job, name)) throw new Error(`unknown job ${name}`);
  return job;
}
