import { type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { type JobName, type JobPayload, jobQueue, jobSchemas, type QueueName } from "./jobs.js";

/** BullMQ job ids may not contain ":" and may not be all digits. */
export function safeJobId(...parts: Array<string | number>): string {
  return `j_${parts.map((p) => String(p).replace(/[^A-Za-z0-9_.-]/g, "_")).join("_")}`;
}

const defaults: JobsOptions = {
  attempts: 8,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
};

/**
 * Typed enqueueing: the payload is validated before it reaches Redis. Producers share one fail-fast
 * connection (`enableOfflineQueue: false`), so an API request errors quickly when Redis is down instead
 * of hanging.
 */
export class JobProducer {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: defaults });
      this.queues.set(name, q);
    }
    return q;
  }

  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    opts: JobsOptions = {},
  ): Promise<string | undefined> {
    const data = jobSchemas[name].parse(payload);
    const job = await this.queue(jobQueue[name]).add(name, data, opts);
    return job.id;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
