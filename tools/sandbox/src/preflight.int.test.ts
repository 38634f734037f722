import { adminDatabaseUrl, testRedisUrl } from "@zb/testing";
import { describe, expect, it } from "vitest";
import { checkPostgres, checkRedis, PreflightError } from "./preflight.js";

describe("dev preflight", () => {
  it("passes when Postgres and Redis answer", async () => {
    await expect(checkPostgres(adminDatabaseUrl())).resolves.toBeUndefined();
    await expect(checkRedis(testRedisUrl())).resolves.toBeUndefined();
  });

  it("says exactly what to start when a service is missing", async () => {
    const pg = checkPostgres("postgres://postgres@127.0.0.1:1/postgres");
    await expect(pg).rejects.toBeInstanceOf(PreflightError);
    await expect(pg).rejects.toThrow(/pg_ctlcluster .* main start[\s\S]*docker compose up -d postgres/);
    const redis = checkRedis("redis://127.0.0.1:1");
    await expect(redis).rejects.toThrow(/redis-server --daemonize yes[\s\S]*docker compose up -d redis/);
  });
});
