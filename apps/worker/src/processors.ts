import { nextSaoPauloMidnight } from "@zb/bling";
import type { Logger } from "@zb/config";
import { type Tenant, TenantsRepository } from "@zb/db";
import {
  actionOf,
  type BlingLane,
  findJob,
  guardTenant,
  type JobRun,
  type JobServices,
  JobStalledError,
  type RegisteredJob,
  RunAgainSignal,
  type SyncContext,
  type TenantSettings,
  type TenantSlots,
  waitHintOf,
} from "@zb/sync";
import { DelayedError, type Job, type Processor, UnrecoverableError } from "bullmq";

/** The BullMQ job a context is built for (its id keys the cross-layer retry cap and the claims it owns). */
export interface JobRef {
  id: string;
  queue: string;
  /** Take the job's first Bling grant before it runs (the job is delayed when the wait is long). */
  prepay: boolean;
}

export interface WorkerDeps extends JobServices {
  log: Logger;
  /**
   * A tenant-bound context: Bling client with the per-account budget for `lane`, Zydon client, settings.
   * Throws a "wait" error (BudgetWaitError) when the account's budget says the job would wait long: the
   * job is delayed instead of waiting in its slot. Without `job` (a test or tool driving a pipeline
   * directly) the context is its own one-off job: no pre-check, its own retry record.
   */
  contextFor(tenant: Tenant, settings: TenantSettings, lane: BlingLane, job?: JobRef): Promise<SyncContext>;
  /**
   * Per-tenant fairness: at most `limit` running jobs of one tenant per queue, across processes (absent:
   * unlimited). A job over it is delayed by about `delayMs` (jittered) without spending an attempt.
   */
  /** `capacity`: the queue's concurrency, for the fair share once it is saturated (tenant-slots.ts). */
  tenantSlots?: { slots: TenantSlots; limit: number; capacity?: number; delayMs?: number };
  /** The job completed: drop its cross-layer retry record. */
  onJobSettled?(job: JobRef): Promise<void>;
}

/** Wait without failing: move the job back to delayed, no attempt burned (BullMQ step-job pattern). */
async function delay(job: Job, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + Math.max(250, ms), token);
  throw new DelayedError();
}

/**
 * Errors say what to do through their class (`actionOf`): wait (rate limit, budget) → delay the job;
 * reconnect → stop quietly (the page shows "Reconectar"); give_up → fail without retries; anything else →
 * BullMQ retry. A job asking to run again later is delayed too.
 */
async function mapError(
  err: unknown,
  job: Job,
  token: string | undefined,
  deps: WorkerDeps,
  tenantId: string | undefined,
): Promise<never> {
  if (err instanceof DelayedError) throw err;
  if (err instanceof RunAgainSignal) return delay(job, token, err.delayMs);
  const action = actionOf(err);
  if (action === "wait") {
    const hint = waitHintOf(err);
    if (hint.period === "day" && tenantId) {
      const until = hint.retryAt ?? nextSaoPauloMidnight(new Date());
      await new TenantsRepository(deps.db).setBlingPausedUntil(tenantId, until);
      deps.log.warn(
        { tenantId, until },
        "Bling daily limit reached: tenant's Bling work paused until tomorrow",
      );
      return delay(job, token, until.getTime() - Date.now());
    }
    return delay(job, token, hint.retryAfterMs ?? 1_000);
  }
  if (action === "reconnect") {
    const name = err instanceof Error ? err.name : undefined;
    deps.log.warn({ tenantId, job: job.name, err: name }, "tenant needs to reconnect: job stopped");
    throw new UnrecoverableError(`reconnect required (${name ?? "auth"})`);
  }
  if (action === "give_up") throw new UnrecoverableError(err instanceof Error ? err.message : String(err));
  throw err;
}

/**
 * Whether `thrown` (what the processor hands BullMQ) ends the job for good: an error BullMQ never retries,
 * or the last of its attempts (BullMQ counts `attemptsMade` after this run fails). A delay is no failure.
 */
function isLastFailure(job: Job, thrown: unknown): boolean {
  if (thrown instanceof DelayedError) return false;
  if (thrown instanceof UnrecoverableError) return true;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * The worker's one processor: look the job up in the registry (packages/sync/src/jobs/), parse its payload,
 * check what it needs (tenant state, Bling connection, initial sync), build its context, run it, map errors.
 */
export function createProcessor(deps: WorkerDeps): Processor {
  const tenants = new TenantsRepository(deps.db);

  async function runJob(def: RegisteredJob, job: Job, token: string | undefined): Promise<unknown> {
    const payload: unknown = def.schema.parse(job.data);
    const tenantId = def.tenantIdOf(payload);
    // Map the error, then, when that ends the job for good, let the job record it (onGiveUp).
    const fail = (err: unknown): Promise<never> =>
      mapError(err, job, token, deps, tenantId).catch(async (thrown: unknown) => {
        if (def.onGiveUp && isLastFailure(job, thrown)) {
          await def
            .onGiveUp(payload, { error: err, attempts: job.attemptsMade + 1 }, deps)
            .catch((e: unknown) =>
              deps.log.error(
                { tenantId, job: job.name, err: e instanceof Error ? e.message : String(e) },
                "could not record the job's last failure",
              ),
            );
        }
        throw thrown;
      });
    const base: JobRun = {
      ...deps,
      jobId: job.id,
      again(ms: number): never {
        throw new RunAgainSignal(ms);
      },
    };
    const skip = (reason: string) => {
      deps.log.info({ tenantId, job: job.name, reason }, "job skipped: tenant not active");
      return undefined;
    };
    if (def.needs === "nothing") {
      return def.run(payload, base).catch(fail);
    }
    if (!tenantId) throw new UnrecoverableError(`job ${job.name} carries no tenant`);
    const ref: JobRef = { id: String(job.id), queue: job.queueName, prepay: def.prepayBudget };
    // Fairness: one tenant holds at most `limit` of this queue's running jobs; its excess waits delayed,
    // out of any worker slot, so every other tenant's jobs keep their share of the concurrency.
    const fair = deps.tenantSlots;
    const slot = fair
      ? await fair.slots.acquire(tenantId, job.queueName, ref.id, fair.limit, {
          ...(fair.capacity !== undefined ? { capacity: fair.capacity } : {}),
        })
      : undefined;
    if (slot && !slot.ok) {
      const wait = fair?.delayMs ?? 1_000;
      return delay(job, token, wait + Math.floor(Math.random() * wait));
    }
    try {
      const g = await guardTenant(tenants, tenantId, { needsBling: def.needs === "bling" });
      if (!g.run) {
        if (g.reason === "bling_daily_limit") return delay(job, token, g.until.getTime() - Date.now());
        return def.needs === "bling" ? skip(g.reason) : undefined;
      }
      if (def.needsInitialSync && !g.tenant.initialSyncDoneAt) return undefined;
      const run =
        def.needs === "bling"
          ? {
              ...base,
              tenant: g.tenant,
              initialSyncDone: Boolean(g.tenant.initialSyncDoneAt),
              sync: await deps.contextFor(g.tenant, g.settings, def.lane, ref),
            }
          : base;
      const result = await def.run(payload, run);
      await deps.onJobSettled?.(ref);
      return result;
    } catch (err) {
      // The retry record stays across attempts and delays (it expires by itself once the job is gone).
      return await fail(err);
    } finally {
      if (slot?.ok) await slot.lease.release();
    }
  }

  return async (job, token) => {
    const def = findJob(job.name);
    if (!def) throw new UnrecoverableError(`unknown job ${job.name}`);
    return runJob(def, job, token);
  };
}

/**
 * A job BullMQ failed without running it: it stalled more times than `MAX_STALLED_COUNT` allows (its process
 * died under it again and again), so the next worker to take it failed it at once with the stall reason and
 * our processor never saw it. Its `onGiveUp` would then never record it (an order export left with no
 * ledger row, a sync step "Em andamento" forever): the runtime calls this from its `failed` listener.
 */
export function createStalledGiveUp(deps: WorkerDeps, stallLimit: number) {
  return async (job: Job): Promise<void> => {
    if (!job.deferredFailure) return;
    const def: RegisteredJob | undefined = findJob(job.name);
    if (!def?.onGiveUp) return;
    const parsed = def.schema.safeParse(job.data);
    if (!parsed.success) return;
    const payload: unknown = parsed.data;
    await def.onGiveUp(
      payload,
      { error: new JobStalledError(stallLimit + 1), attempts: Math.max(1, job.attemptsMade) },
      deps,
    );
  };
}
