import { type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { type JobName, type JobPayload, jobDefinition } from "../jobs/registry.js";
import type { QueueName } from "./queues.js";

export { safeJobId } from "./job-ids.js";

const defaults: JobsOptions = {
  attempts: 8,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
};

/**
 * Typed enqueueing: the job's own declaration (packages/sync/src/jobs/) names its queue, and its payload
 * is validated before it reaches Redis. Producers share one fail-fast
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
    const job = jobDefinition(name);
    const data = job.schema.parse(payload);
    const added = await this.queue(job.queue).add(name, data, opts);
    return added.id;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
