import { describe, expect, it, vi } from "vitest";
import { checkRedisPolicy, guardRedisPolicyOrExit } from "./redis-guard.js";

/** A client answering CONFIG GET / INFO memory like Redis does (or refusing, like a managed Redis). */
function fakeRedis(opts: { config?: string | Error; info?: string | Error }) {
  return {
    async call(command: string): Promise<unknown> {
      const a = command === "CONFIG" ? opts.config : opts.info;
      if (a instanceof Error) throw a;
      if (a === undefined) throw new Error("ERR unknown command");
      return command === "CONFIG" ? ["maxmemory-policy", a] : `# Memory\r\nmaxmemory_policy:${a}\r\n`;
    },
  };
}

describe("Redis maxmemory-policy guard (issue 17 #6)", () => {
  it("accepts noeviction", async () => {
    expect(await checkRedisPolicy(fakeRedis({ config: "noeviction" }), { allowEviction: false })).toEqual({
      verdict: "ok",
      policy: "noeviction",
      source: "config",
    });
  });

  it("refuses an evicting policy, naming it and the fix", async () => {
    const c = await checkRedisPolicy(fakeRedis({ config: "allkeys-lru" }), { allowEviction: false });
    expect(c.verdict).toBe("refused");
    if (c.verdict !== "refused") return;
    expect(c.policy).toBe("allkeys-lru");
    expect(c.message).toContain('"allkeys-lru"');
    expect(c.message).toContain("maxmemory-policy noeviction");
  });

  it("reads INFO memory when CONFIG is disabled, and still refuses", async () => {
    const c = await checkRedisPolicy(
      fakeRedis({ config: new Error("ERR unknown command 'CONFIG'"), info: "volatile-lru" }),
      { allowEviction: false },
    );
    expect(c).toMatchObject({ verdict: "refused", policy: "volatile-lru", source: "info" });
  });

  it("says so and continues when neither CONFIG nor INFO tells", async () => {
    const c = await checkRedisPolicy(fakeRedis({ config: new Error("ERR unknown command 'CONFIG'") }), {
      allowEviction: false,
    });
    expect(c.verdict).toBe("unknown");
    if (c.verdict === "unknown")
      expect(c.message).toContain("CONFIG GET failed: ERR unknown command 'CONFIG'");
  });

  it("the override starts with a warning instead of refusing", async () => {
    const c = await checkRedisPolicy(fakeRedis({ config: "allkeys-lru" }), { allowEviction: true });
    expect(c.verdict).toBe("overridden");
  });

  it("an unreachable Redis is not refused: the guard warns that it could not check", async () => {
    const logger = { fatal: vi.fn(), warn: vi.fn() };
    const exit = vi.fn() as unknown as (code: number) => never;
    const c = await guardRedisPolicyOrExit(
      { REDIS_URL: "redis://127.0.0.1:1", REDIS_ALLOW_EVICTION: false },
      logger as never,
      exit,
    );
    expect(c.verdict).toBe("unknown");
    expect(exit).not.toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledOnce();
  });
});
