import { BlingRateLimitedError, BlingServerError, BlingValidationError } from "@zb/bling";
import { ZydonRateLimitedError, ZydonServerError } from "@zb/zydon";
import { describe, expect, it } from "vitest";
import { retryInPlace } from "./in-place-retry.js";

const noSleep = { sleep: async () => {} };

/** A port whose calls fail with the given errors first, then answer; counts every call. */
function flaky(errors: unknown[]) {
  const calls: string[] = [];
  const take = (name: string) => {
    calls.push(name);
    const err = errors.shift();
    if (err) throw err;
    return name;
  };
  return {
    calls,
    port: {
      limit: 7,
      async getThing() {
        return take("getThing");
      },
      async listThings() {
        return take("listThings");
      },
      async createThing() {
        return take("createThing");
      },
    },
  };
}

const bling429 = () => new BlingRateLimitedError("second", 3, { status: 429, retryAfterMs: 1_000 });
const zydon = (status: number) => ({ status, method: "GET", path: "/x" });

describe("retryInPlace", () => {
  it("repeats any call after a per-second Bling 429 or a short Zydon 429 (not processed by the server)", async () => {
    const f = flaky([bling429(), new ZydonRateLimitedError({ ...zydon(429), retryAfterMs: 1_000 })]);
    const p = retryInPlace(f.port, noSleep);
    expect(await p.createThing()).toBe("createThing");
    expect(f.calls).toEqual(["createThing", "createThing", "createThing"]);
    expect(p.limit).toBe(7);
  });

  it("repeats reads after 5xx, but hands a write's 5xx to the job (it may have been processed)", async () => {
    const reads = flaky([new BlingServerError({ status: 500 }), new ZydonServerError(zydon(500))]);
    expect(await retryInPlace(reads.port, noSleep).listThings()).toBe("listThings");
    expect(reads.calls).toHaveLength(3);
    const writes = flaky([new ZydonServerError(zydon(500))]);
    await expect(retryInPlace(writes.port, noSleep).createThing()).rejects.toBeInstanceOf(ZydonServerError);
    expect(writes.calls).toHaveLength(1);
  });

  it("gives up after `retries`, and never repeats daily 429s, long waits or validation errors", async () => {
    const many = flaky(Array.from({ length: 10 }, () => bling429()));
    await expect(retryInPlace(many.port, { ...noSleep, retries: 2 }).getThing()).rejects.toBeInstanceOf(
      BlingRateLimitedError,
    );
    expect(many.calls).toHaveLength(3);
    for (const err of [
      new BlingRateLimitedError("day", 120_000, { status: 429, retryAfterMs: 3_600_000 }),
      new ZydonRateLimitedError({ ...zydon(429), retryAfterMs: 15_000 }),
      new BlingValidationError([], { status: 400 }),
    ]) {
      const f = flaky([err]);
      await expect(retryInPlace(f.port, noSleep).getThing()).rejects.toBe(err);
      expect(f.calls).toHaveLength(1);
    }
  });

  it("waits the server's Retry-After before repeating", async () => {
    const waits: number[] = [];
    const f = flaky([bling429()]);
    await retryInPlace(f.port, { sleep: async (ms) => void waits.push(ms) }).getThing();
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(1_000);
    expect(waits[0]).toBeLessThan(1_300);
  });
});
