import { describe, expect, it } from "vitest";
import { forEachPooled, KeyedLock } from "./page-pool.js";

const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

describe("forEachPooled", () => {
  it("never runs more than the limit at once, and runs every item once", async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachPooled(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (n) => {
        running++;
        peak = Math.max(peak, running);
        await tick(n % 4);
        seen.push(n);
        running--;
      },
    );
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("after a failure starts nothing new, lets the running ones finish, then throws that first error", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = forEachPooled([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error("boom 1");
      await tick(5);
      if (n === 2) throw new Error("boom 2");
      finished.push(n);
    });
    await expect(run).rejects.toThrow("boom 1");
    // 0 was running when 1 failed: it finished; nothing after 2 started.
    expect(finished).toEqual([0]);
    expect(started).toEqual([0, 1]);
  });

  it("takes an empty page", async () => {
    await expect(forEachPooled([], 3, async () => {})).resolves.toBeUndefined();
  });
});

describe("KeyedLock", () => {
  it("runs holders of one key one after the other, and holders of other keys alongside", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const job = (name: string, keys: string[], ms: number) =>
      lock.run(keys, async () => {
        log.push(`${name}+`);
        await tick(ms);
        log.push(`${name}-`);
      });
    await Promise.all([job("a", ["SKU-1"], 10), job("b", ["SKU-1"], 1), job("c", ["SKU-2"], 1)]);
    // b waited for a; c did not.
    expect(log.indexOf("b+")).toBeGreaterThan(log.indexOf("a-"));
    expect(log.indexOf("c+")).toBeLessThan(log.indexOf("a-"));
    expect(lock.size).toBe(0);
  });

  it("overlapping key sets taken in opposite orders do not deadlock", async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    await Promise.all([
      lock.run(["X", "Y"], async () => {
        await tick(5);
        order.push("xy");
      }),
      lock.run(["Y", "X"], async () => {
        order.push("yx");
      }),
    ]);
    expect(order).toEqual(["xy", "yx"]);
  });

  it("releases the key when the holder throws, and repeats in one set count once", async () => {
    const lock = new KeyedLock();
    await expect(
      lock.run(["K", "K"], async () => {
        throw new Error("nope");
      }),
    ).rejects.toThrow("nope");
    await expect(lock.run(["K"], async () => "after")).resolves.toBe("after");
    expect(lock.size).toBe(0);
  });
});
