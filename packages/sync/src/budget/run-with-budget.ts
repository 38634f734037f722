import { DelayedError, type Job } from "bullmq";
import type { BlingLane } from "../ports/bling-port.js";
import type { BlingBudget } from "./bling-budget.js";

/**
 * Spend one budget slot for a BullMQ job, or park the job: when the budget says no, the job goes back to
 * the delayed set until the slot should be free and DelayedError tells the worker it was neither completed
 * nor failed, so no attempt is burned. The job id is the waiting claim, so a delayed orders job keeps
 * lower lanes of its account yielding until it comes back.
 */
export async function runWithBudget(
  job: Job,
  token: string | undefined,
  budget: BlingBudget,
  opts: { accountId: string; lane: BlingLane; cost?: number },
): Promise<void> {
  const r = await budget.take({ ...opts, claimId: `job:${job.queueName}:${job.id ?? "?"}` });
  if (r.ok) return;
  // A little jitter so jobs delayed by the same refusal do not all come back in the same millisecond.
  const jitter = Math.floor(Math.random() * Math.min(100, 10 + r.waitMs / 10));
  await job.moveToDelayed(Date.now() + r.waitMs + jitter, token);
  throw new DelayedError();
}
