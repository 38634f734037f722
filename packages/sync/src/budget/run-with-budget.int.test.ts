import { createTestRedis } from "@zb/testing";
import { type Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { BlingBudget } from "./bling-budget.js";
import { BudgetWaitError } from "./errors.js";
import { runWithBudget } from "./run-with-budget.js";

const t = createTestRedis();
const conns: Redis[] = [];
const closers: Array<() => Promise<void>> = [];

function conn(): Redis {
  // BullMQ workers need maxRetriesPerRequest: null (blocking commands).
  const r = new Redis(t.url, { maxRetriesPerRequest: null });
  conns.push(r);
  return r;
}

afterAll(async () => {
  for (const close of closers) await close();
  for (const r of conns) r.disconnect();
  await t.cleanup();
});

describe("runWithBudget (BullMQ)", () => {
  it("delays a job while the budget is busy without burning attempts, then completes it", async () => {
    const budget = new BlingBudget({ redis: conn(), keyPrefix: t.prefix, share: 1, priorityPollMs: 200 });
    const accountId = "acct-bullmq";

    // A competing orders stream holds the account's only slot per second for ~1.6 s.
    const competitorUntil = Date.now() + 1_600;
    const competitorGrants: number[] = [];
    const competitor = (async () => {
      for (;;) {
        try {
          const g = await budget.waitFor({
            accountId,
            lane: "orders",
            maxWaitMs: competitorUntil - Date.now(),
          });
          competitorGrants.push(g.grantedAt);
        } catch (err) {
          if (err instanceof BudgetWaitError) return;
          throw err;
        }
      }
    })();
    while (competitorGrants.length === 0) await new Promise((r) => setTimeout(r, 5));

    const queueName = "budget-delay";
    const queue = new Queue(queueName, { connection: conn(), prefix: t.prefix });
    const seen: Array<{ attemptsMade: number; at: number }> = [];
    let grantedAt = 0;
    const worker = new Worker(
      queueName,
      async (job: Job, token?: string) => {
        seen.push({ attemptsMade: job.attemptsMade, at: Date.now() });
        await runWithBudget(job, token, budget, { accountId, lane: "catalog" });
        grantedAt = Date.now();
        return "done";
      },
      { connection: conn(), prefix: t.prefix, concurrency: 1 },
    );
    closers.push(
      () => worker.close(),
      () => queue.close(),
    );
    const finished = new Promise<Job>((resolve, reject) => {
      worker.on("completed", (job) => resolve(job));
      worker.on("failed", (_job, err) => reject(err));
    });

    // attempts: 1 — a single burned attempt would fail the job.
    await queue.add("call-bling", { accountId }, { attempts: 1 });
    const done = await finished;
    await competitor;

    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.every((s) => s.attemptsMade === 0)).toBe(true);
    const stored = await queue.getJob(done.id as string);
    expect(await stored?.getState()).toBe("completed");
    expect(stored?.returnvalue).toBe("done");
    // Only the completing run counts as an attempt.
    expect(stored?.attemptsMade).toBe(1);
    // The job ran only once the competitor's last slot had left the 1 s window.
    const lastCompetitor = Math.max(...competitorGrants);
    expect(grantedAt).toBeGreaterThanOrEqual(lastCompetitor + 1_000 - 50);
  });
});
