import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every metric the product exports, on one registry per process (API or worker). Label values are bounded:
 * queue names, job names and lanes come from the code, refusal reasons from the budget's enum, HTTP status
 * as its class, accounts only in the top-N usage gauge (usage.ts). Nothing here carries a tenant's data.
 */
export class ZbMetrics {
  readonly registry: Registry;
  readonly budgetGrants: Counter<"lane">;
  readonly budgetWaits: Counter<"lane">;
  readonly budgetWaitSeconds: Histogram<"lane">;
  readonly budgetRefusals: Counter<"lane" | "reason">;
  readonly blingResponses: Counter<"status_class">;
  readonly blingRateLimited: Counter;
  readonly jobDuration: Histogram<"queue" | "job" | "outcome">;
  readonly jobFailures: Counter<"queue" | "job">;
  readonly webhookLag: Histogram<"source">;
  readonly tokenRefreshes: Counter<"result">;

  constructor(opts: { app: "api" | "worker"; defaultMetrics?: boolean }) {
    this.registry = new Registry();
    this.registry.setDefaultLabels({ app: opts.app });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "zb_" });
    const registers = [this.registry];
    this.budgetGrants = new Counter({
      name: "zb_budget_grants_total",
      help: "Bling request slots granted by the per-account budget",
      labelNames: ["lane"],
      registers,
    });
    this.budgetWaits = new Counter({
      name: "zb_budget_waits_total",
      help: "Grants that had to wait for a slot (more than 5 ms)",
      labelNames: ["lane"],
      registers,
    });
    this.budgetWaitSeconds = new Histogram({
      name: "zb_budget_wait_seconds",
      help: "Time a Bling request waited for its budget slot",
      labelNames: ["lane"],
      buckets: [0.005, 0.05, 0.25, 0.5, 1, 2, 5, 10, 20, 30],
      registers,
    });
    this.budgetRefusals = new Counter({
      name: "zb_budget_refusals_total",
      help: "Budget waits given up (job delayed) by reason: second, day, egress, errors, priority, token",
      labelNames: ["lane", "reason"],
      registers,
    });
    this.blingResponses = new Counter({
      name: "zb_bling_responses_total",
      help: "Bling HTTP answers by status class (2xx, 4xx, 429, 5xx, network)",
      labelNames: ["status_class"],
      registers,
    });
    this.blingRateLimited = new Counter({
      name: "zb_bling_429_total",
      help: "Bling answers with status 429 (rate limited)",
      registers,
    });
    this.jobDuration = new Histogram({
      name: "zb_job_duration_seconds",
      help: "Job processing time by queue, job name and outcome (completed, delayed, failed)",
      labelNames: ["queue", "job", "outcome"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.jobFailures = new Counter({
      name: "zb_job_failures_total",
      help: "Job attempts that failed (BullMQ retry or final failure), by queue and job name",
      labelNames: ["queue", "job"],
      registers,
    });
    this.webhookLag = new Histogram({
      name: "zb_webhook_lag_seconds",
      help: "From a webhook's arrival (its job enqueued by the API) to its job processed",
      labelNames: ["source"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.tokenRefreshes = new Counter({
      name: "zb_bling_token_refreshes_total",
      help: "Bling token refresh calls by result (ok, failed)",
      labelNames: ["result"],
      registers,
    });
  }

  /** The Prometheus text exposition and its content type. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

export function createGauge<L extends string>(
  metrics: ZbMetrics,
  cfg: { name: string; help: string; labelNames: readonly L[]; collect: (g: Gauge<L>) => Promise<void> },
): Gauge<L> {
  return new Gauge<L>({
    name: cfg.name,
    help: cfg.help,
    labelNames: cfg.labelNames,
    registers: [metrics.registry],
    async collect() {
      await cfg.collect(this);
    },
  });
}
