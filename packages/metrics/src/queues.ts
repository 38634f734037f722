import type { Queue } from "bullmq";
import { createGauge, type ZbMetrics } from "./registry.js";

const depthStates = ["waiting", "active", "delayed", "prioritized", "failed"] as const;

/**
 * Queue depth per queue and state, and the age of the oldest waiting job per queue, read from Redis at
 * scrape time (a few O(1) commands per queue). Both the API and the worker may expose them: dashboards
 * take `max by (queue)`.
 */
export function registerQueueMetrics(metrics: ZbMetrics, queues: readonly Queue[], now = Date.now): void {
  createGauge(metrics, {
    name: "zb_queue_jobs",
    help: "Jobs in a queue by state",
    labelNames: ["queue", "state"],
    async collect(g) {
      g.reset();
      await Promise.all(
        queues.map(async (q) => {
          const counts = await q.getJobCounts(...depthStates);
          for (const state of depthStates) g.set({ queue: q.name, state }, counts[state] ?? 0);
        }),
      );
    },
  });
  createGauge(metrics, {
    name: "zb_queue_oldest_waiting_seconds",
    help: "Age of the oldest job waiting to run, per queue (0 when none waits)",
    labelNames: ["queue"],
    async collect(g) {
      g.reset();
      await Promise.all(
        queues.map(async (q) => {
          // The wait list is pushed at its head: ascending order starts with the oldest job.
          const [oldest] = await q.getJobs(["wait"], 0, 0, true);
          g.set({ queue: q.name }, oldest ? Math.max(0, now() - oldest.timestamp) / 1000 : 0);
        }),
      );
    },
  });
}
