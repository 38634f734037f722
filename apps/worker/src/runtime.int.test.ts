import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createTestRedis } from "@zb/testing";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";

const redisT = createTestRedis();
afterAll(() => redisT.cleanup());

describe("worker process", () => {
  it("closes cleanly on SIGTERM with a job running: the job finishes, the process exits 0", async () => {
    const fixture = fileURLToPath(new URL("./test-fixtures/slow-worker.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", fixture], {
      env: { ...process.env, REDIS_URL: redisT.url, REDIS_PREFIX: redisT.prefix },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
      child.on("exit", () => reject(new Error(`worker exited early: ${stderr}`)));
    });

    const queue = new Queue("slow", { connection: { url: redisT.url }, prefix: redisT.prefix });
    const redis = new Redis(redisT.url);
    try {
      const job = await queue.add("slow", { ms: 1500 });
      // Wait until the job is running, then ask the process to stop.
      const deadline = Date.now() + 15_000;
      while (!(await redis.get(`${redisT.prefix}:started:${job.id}`))) {
        if (Date.now() > deadline) throw new Error(`job never started: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await redis.get(`${redisT.prefix}:finished:${job.id}`)).toBeNull();
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(await redis.get(`${redisT.prefix}:finished:${job.id}`)).toBe("1");
      expect(await (await queue.getJob(job.id as string))?.getState()).toBe("completed");
    } finally {
      await queue.close();
      redis.disconnect();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
