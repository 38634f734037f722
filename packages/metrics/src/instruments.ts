import type { ZbMetrics } from "./registry.js";

/**
 * Observers the apps wrap around existing seams (the budget hook, the Bling client's logger, the job
 * processor, the token manager's refresh port), so no domain file knows about metrics.
 */

type Hook<R> = (req: R) => Promise<void>;

/** A slower grant than this counts as a wait. */
const WAIT_THRESHOLD_MS = 5;

/** The reason a budget refusal carries (BudgetWaitError of @zb/sync), or undefined for other errors. */
function refusalReason(err: unknown): string | undefined {
  if (!(err instanceof Error) || err.name !== "BudgetWaitError") return undefined;
  const reason = (err as Error & { reason?: unknown }).reason;
  return typeof reason === "string" ? reason : "unknown";
}

/**
 * Wraps the `budget` hook the Bling client calls before every request: a resolved call is a grant (and a
 * wait when it took longer than 5 ms), a BudgetWaitError a refusal by its reason. `/oauth/token` calls
 * spend the token cap, not the account, and count under lane "token".
 */
export function observeBudgetHook<R extends { path: string; priority?: string }>(
  hook: Hook<R>,
  metrics: ZbMetrics,
  lane: string,
): Hook<R> {
  return async (req) => {
    const effective = /\/oauth\/token\b/.test(req.path) ? "token" : (req.priority ?? lane);
    const started = performance.now();
    try {
      await hook(req);
    } catch (err) {
      const reason = refusalReason(err);
      if (reason) metrics.budgetRefusals.inc({ lane: effective, reason });
      throw err;
    }
    const waitedMs = performance.now() - started;
    metrics.budgetGrants.inc({ lane: effective });
    if (waitedMs > WAIT_THRESHOLD_MS) {
      metrics.budgetWaits.inc({ lane: effective });
      metrics.budgetWaitSeconds.observe({ lane: effective }, waitedMs / 1000);
    }
  };
}

interface LogLike {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

function statusClass(status: unknown): string {
  if (typeof status !== "number") return "network";
  if (status === 429) return "429";
  return `${Math.floor(status / 100)}xx`;
}

/**
 * A Bling client logger (the client logs method, path template, status and duration of every request)
 * that counts answers by status class and 429s, then passes the line on to `next` when given.
 */
export function blingMetricsLogger(metrics: ZbMetrics, next?: LogLike): LogLike {
  const count = (obj: object) => {
    if (!("status" in obj)) return;
    const status = (obj as { status: unknown }).status;
    metrics.blingResponses.inc({ status_class: statusClass(status) });
    if (status === 429) metrics.blingRateLimited.inc();
  };
  return {
    info(obj, msg) {
      count(obj);
      next?.info(obj, msg);
    },
    warn(obj, msg) {
      count(obj);
      next?.warn(obj, msg);
    },
  };
}

/** What the processor wrapper reads of a BullMQ job. */
export interface JobLike {
  name: string;
  queueName: string;
  /** Enqueue time (ms epoch). */
  timestamp: number;
}

/** Job names that process one received webhook, and the source label of their lag. */
export const webhookJobs: Readonly<Record<string, string>> = {
  "bling-webhook": "bling",
  "zydon-order-webhook": "zydon",
};

/**
 * Wraps the worker's processor: duration by queue, job and outcome; a thrown error that is not BullMQ's
 * DelayedError (a wait that burns no attempt) counts as a failure; a completed webhook job observes the
 * lag from its enqueue (the API enqueues as soon as the webhook is stored) to now.
 */
export function observeProcessor<J extends JobLike, A extends unknown[], T>(
  processor: (job: J, ...rest: A) => Promise<T>,
  metrics: ZbMetrics,
  now: () => number = Date.now,
): (job: J, ...rest: A) => Promise<T> {
  return async (job, ...rest) => {
    const labels = { queue: job.queueName, job: job.name };
    const started = performance.now();
    let outcome = "completed";
    try {
      const out = await processor(job, ...rest);
      const source = webhookJobs[job.name];
      if (source) metrics.webhookLag.observe({ source }, Math.max(0, now() - job.timestamp) / 1000);
      return out;
    } catch (err) {
      if (err instanceof Error && err.name === "DelayedError") outcome = "delayed";
      else {
        outcome = "failed";
        metrics.jobFailures.inc(labels);
      }
      throw err;
    } finally {
      metrics.jobDuration.observe({ ...labels, outcome }, (performance.now() - started) / 1000);
    }
  };
}

/** Wraps the token manager's refresh port: every refresh call counted ok or failed. */
export function observeRefreshPort<T>(
  port: { refresh(refreshToken: string): Promise<T> },
  metrics: ZbMetrics,
): { refresh(refreshToken: string): Promise<T> } {
  return {
    async refresh(refreshToken) {
      try {
        const out = await port.refresh(refreshToken);
        metrics.tokenRefreshes.inc({ result: "ok" });
        return out;
      } catch (err) {
        metrics.tokenRefreshes.inc({ result: "failed" });
        throw err;
      }
    },
  };
}
