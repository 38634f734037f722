import { describe, expect, it } from "vitest";
import { apiEnvKeys, workerEnvKeys } from "./app-keys.js";
import { ConfigError, loadConfig } from "./load-config.js";

const key = Buffer.alloc(32, 7).toString("base64");
const good = {
  DATABASE_URL: "postgres://localhost:5432/app",
  REDIS_URL: "redis://127.0.0.1:6379",
  PUBLIC_BASE_URL: "http://localhost:3000",
  SECRETS_KEY: key,
  SESSION_SECRET: "x".repeat(40),
  BLING_CLIENT_ID: "cid",
  BLING_CLIENT_SECRET: "csecret",
  ZYDON_PLUGIN_ID: "plugin",
  ZYDON_ACCESS_KEY: "akey",
};

describe("loadConfig", () => {
  it("parses a valid environment and applies defaults", () => {
    const cfg = loadConfig(apiEnvKeys, good);
    expect(cfg.API_PORT).toBe(3000);
    expect(cfg.BLING_RATE_SHARE).toBe(2);
    expect(cfg.SECRET_RETENTION_DAYS).toBe(30);
    expect(cfg.BLING_ENABLE_JWT).toBe(false);
  });

  it("budget settings (issues 16 #4, 21 #4): bulk lanes stop at 80% of the day, Zydon 20 req/s per tenant", () => {
    const cfg = loadConfig(workerEnvKeys, good);
    expect(cfg.BLING_DAILY_BULK_FRACTION).toBe(0.8);
    expect(cfg.ZYDON_RATE_PER_TENANT).toBe(20);
    const set = loadConfig(apiEnvKeys, {
      ...good,
      BLING_DAILY_BULK_FRACTION: "0.5",
      ZYDON_RATE_PER_TENANT: "4",
    });
    expect(set.BLING_DAILY_BULK_FRACTION).toBe(0.5);
    expect(set.ZYDON_RATE_PER_TENANT).toBe(4);
    expect(() => loadConfig(workerEnvKeys, { ...good, BLING_DAILY_BULK_FRACTION: "0" })).toThrow(
      /BLING_DAILY_BULK_FRACTION/,
    );
    expect(() => loadConfig(workerEnvKeys, { ...good, BLING_DAILY_BULK_FRACTION: "1.5" })).toThrow(
      /BLING_DAILY_BULK_FRACTION/,
    );
    expect(() => loadConfig(workerEnvKeys, { ...good, ZYDON_RATE_PER_TENANT: "0" })).toThrow(
      /ZYDON_RATE_PER_TENANT/,
    );
  });

  it("validates the worker's retention windows (defaults 14 and 90 days)", () => {
    const cfg = loadConfig(workerEnvKeys, good);
    expect(cfg.RETENTION_INBOX_DAYS).toBe(14);
    expect(cfg.RETENTION_LEDGER_DAYS).toBe(90);
    expect(loadConfig(workerEnvKeys, { ...good, RETENTION_INBOX_DAYS: "3" }).RETENTION_INBOX_DAYS).toBe(3);
    expect(() => loadConfig(workerEnvKeys, { ...good, RETENTION_INBOX_DAYS: "0" })).toThrow(
      /RETENTION_INBOX_DAYS/,
    );
    expect(() => loadConfig(workerEnvKeys, { ...good, RETENTION_LEDGER_DAYS: "abc" })).toThrow(
      /RETENTION_LEDGER_DAYS/,
    );
  });

  it("the mass-change breaker: 20% of the catalog and a ±50% price move unless configured", () => {
    const cfg = loadConfig(workerEnvKeys, good);
    expect(cfg.SYNC_MASS_CHANGE_SHARE).toBe(0.2);
    expect(cfg.SYNC_PRICE_GUARD_CHANGE).toBe(0.5);
    expect(
      loadConfig(workerEnvKeys, { ...good, SYNC_MASS_CHANGE_SHARE: "0.35" }).SYNC_MASS_CHANGE_SHARE,
    ).toBe(0.35);
    expect(() => loadConfig(workerEnvKeys, { ...good, SYNC_MASS_CHANGE_SHARE: "2" })).toThrow(
      /SYNC_MASS_CHANGE_SHARE/,
    );
  });

  it("reports every bad or missing variable at once", () => {
    const bad = {
      ...good,
      DATABASE_URL: "mysql://nope",
      SECRETS_KEY: Buffer.alloc(16).toString("base64"),
      API_PORT: "99999",
      BLING_CLIENT_SECRET: "",
      SESSION_SECRET: undefined,
    };
    let caught: unknown;
    try {
      loadConfig(apiEnvKeys, bad);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    const names = problems.map((p) => p.split(" ")[0]).sort();
    expect(names).toEqual([
      "API_PORT",
      "BLING_CLIENT_SECRET",
      "DATABASE_URL",
      "SECRETS_KEY",
      "SESSION_SECRET",
    ]);
    expect((caught as ConfigError).message).toContain("5 problems");
    expect(problems.find((p) => p.startsWith("SESSION_SECRET"))).toContain("required");
    expect(problems.find((p) => p.startsWith("SECRETS_KEY"))).toContain("32 bytes");
  });

  it("never echoes a secret value in its messages", () => {
    const secret = "super-secret-value-that-is-not-base64!!";
    try {
      loadConfig(apiEnvKeys, { ...good, SECRETS_KEY: secret });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain(secret);
    }
  });
});
