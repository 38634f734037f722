export {
  blingMetricsLogger,
  type JobLike,
  observeBudgetHook,
  observeProcessor,
  observeRefreshPort,
  webhookJobs,
} from "./instruments.js";
export { registerQueueMetrics } from "./queues.js";
export { createGauge, ZbMetrics } from "./registry.js";
export { ALL_ACCOUNTS, registerUsageMetrics, type UsageMetricsOptions, type UsageSource } from "./usage.js";
