import { LedgerRepository } from "@zb/db";
import { z } from "zod";
import { errorMessage } from "../pipelines/context.js";
import { advanceNfe, type NfeStepResult, nfeJobId } from "../pipelines/nfe.js";
import { exportOrder } from "../pipelines/orders.js";
import { mirrorOrderStatus } from "../pipelines/statuses.js";
import { QUEUES } from "../queues/queues.js";
import { defineJob, type TenantJobRun } from "./define-job.js";

const tenantId = z.uuid();

/** Export one Zydon order to Bling, exactly once. */
export const exportOrderJob = defineJob({
  name: "export-order",
  queue: QUEUES.orders,
  lane: "orders",
  needs: "bling",
  schema: z.object({ tenantId, zydonOrderId: z.string().min(1) }),
  run: (p, job) => exportOrder(job.sync, p.zydonOrderId),
  // Bling kept failing (5xx, timeouts) through every attempt: the order is a failure the merchant sees
  // (Histórico, alerts) and can retry, not a job that silently stopped.
  async onGiveUp(p, f, services) {
    const reason = `O pedido ${p.zydonOrderId} não foi enviado ao Bling depois de ${f.attempts} ${f.attempts === 1 ? "tentativa" : "tentativas"}: ${errorMessage(f.error)}. Tente de novo pelo Histórico; se persistir, verifique se o Bling está no ar.`;
    await new LedgerRepository(services.db).record({
      tenantId: p.tenantId,
      entity: "order",
      entityKey: p.zydonOrderId,
      action: "export",
      outcome: "failed",
      reason,
      retryable: true,
      details: { attempts: f.attempts },
    });
  },
});

/**
 * A transmitted NF-e SEFAZ has not answered yet: this run delays itself if it is the cycle's poller (job id
 * per cycle), else it makes sure that poller exists.
 */
export async function pollNfe(
  job: TenantJobRun,
  zydonOrderId: string,
  r: Extract<NfeStepResult, { kind: "waiting" }>,
): Promise<NfeStepResult> {
  const pollerId = nfeJobId(job.sync.tenantId, zydonOrderId, r.cycle);
  if (job.jobId === pollerId) return job.again(r.pollInMs);
  await job.producer.enqueue(
    "nfe-step",
    { tenantId: job.sync.tenantId, zydonOrderId },
    { jobId: pollerId, delay: r.pollInMs },
  );
  return r;
}

/**
 * Advance the NF-e state machine of one approved order (issue 10); while SEFAZ has not answered, the poller
 * of this transmission delays itself, the invoice webhook makes it finish sooner.
 */
export const nfeStepJob = defineJob({
  name: "nfe-step",
  queue: QUEUES.orders,
  lane: "orders",
  needs: "bling",
  schema: z.object({ tenantId, zydonOrderId: z.string().min(1) }),
  async run(p, job) {
    const r = await advanceNfe(job.sync, p.zydonOrderId);
    return r.kind === "waiting" ? pollNfe(job, p.zydonOrderId, r) : r;
  },
});

/** Mirror a Bling order situação to the Zydon order. */
export const orderStatusJob = defineJob({
  name: "order-status",
  queue: QUEUES.events,
  lane: "status",
  needs: "bling",
  schema: z.object({ tenantId, blingOrderId: z.string().min(1) }),
  run: (p, job) => mirrorOrderStatus(job.sync, p.blingOrderId),
});
