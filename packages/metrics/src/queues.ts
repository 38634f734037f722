import type { Queue } from "bullmq";
import { createGauge, type ZbMetrics } from "./registry.js";

export interface QueueLaneOptions {
  /** The Bling lane a job name runs in (the job registry's `lane`); jobs without one count under "none". */
  laneOf?: (jobName: string) => string | undefined;
  /** Waiting jobs read per queue for the lane breakdown, oldest first (default 10,000). */
  laneSample?: number;
}

/**
 * One round trip per queue: name and enqueue time of the oldest `ARGV[2]` waiting jobs (the wait list is
 * pushed at its head, so its tail is the oldest). Returns a flat [name, timestamp, ...] list.
 */
const waitingNamesScript = `
local ids = redis.call('LRANGE', KEYS[1], -tonumber(ARGV[2]), -1)
local out = {}
for i = 1, #ids do
  local h = redis.call('HMGET', ARGV[1] .. ids[i], 'name', 'timestamp')
  out[#out + 1] = h[1] or ''
  out[#out + 1] = h[2] or '0'
end
return out`;

const depthStates = ["waiting", "active", "delayed", "prioritized", "failed"] as const;

/**
 * Queue depth per queue and state, and the age of the oldest waiting job per queue, read from Redis at
 * scrape time (a few O(1) commands per queue). Both the API and the worker may expose them: dashboards
 * take `max by (queue)`.
 */
export function registerQueueMetrics(
  metrics: ZbMetrics,
  queues: readonly Queue[],
  now = Date.now,
  opts: QueueLaneOptions = {},
): void {
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
  const laneOf = opts.laneOf;
  if (!laneOf) return;
  const sample = opts.laneSample ?? 10_000;
  type LaneRow = { queue: string; lane: string; count: number; oldest: number };
  let pending: Promise<LaneRow[]> | undefined;
  // Both gauges come from one read per scrape.
  const read = () => {
    pending ??= (async () => {
      const rows: LaneRow[] = [];
      for (const q of queues) {
        // BullMQ's Redis backend hands out its ioredis connection; its public type names no commands.
        const client = (await q.getBackend().client) as unknown as {
          eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
        };
        const flat = (await client.eval(
          waitingNamesScript,
          1,
          q.toKey("wait"),
          q.toKey(""),
          sample,
        )) as string[];
        const byLane = new Map<string, LaneRow>();
        for (let i = 0; i < flat.length; i += 2) {
          const lane = laneOf(flat[i] as string) ?? "none";
          const ts = Number(flat[i + 1]);
          const row = byLane.get(lane) ?? { queue: q.name, lane, count: 0, oldest: Number.POSITIVE_INFINITY };
          row.count += 1;
          if (ts > 0 && ts < row.oldest) row.oldest = ts;
          byLane.set(lane, row);
        }
        rows.push(...byLane.values());
      }
      return rows;
    })().finally(() => {
      setTimeout(() => {
        pending = undefined;
      }, 0);
    });
    return pending;
  };
  createGauge(metrics, {
    name: "zb_queue_waiting_by_lane",
    help: "Waiting jobs per queue and Bling lane (of the oldest laneSample waiting jobs per queue)",
    labelNames: ["queue", "lane"],
    async collect(g) {
      const rows = await read();
      g.reset();
      for (const r of rows) g.set({ queue: r.queue, lane: r.lane }, r.count);
    },
  });
  createGauge(metrics, {
    name: "zb_queue_oldest_waiting_by_lane_seconds",
    help: "Age of the oldest waiting job per queue and Bling lane",
    labelNames: ["queue", "lane"],
    async collect(g) {
      const rows = await read();
      g.reset();
      for (const r of rows) {
        if (Number.isFinite(r.oldest))
          g.set({ queue: r.queue, lane: r.lane }, Math.max(0, now() - r.oldest) / 1000);
      }
    },
  });
}
