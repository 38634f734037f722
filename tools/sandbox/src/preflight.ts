import { Redis } from "ioredis";
import postgres from "postgres";

export class PreflightError extends Error {}

/** Check that Postgres answers; on failure explain exactly what to start instead of a stack trace. */
export async function checkPostgres(adminUrl: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (err) {
    throw new PreflightError(
      [
        `Postgres is not reachable at ${redactUrl(adminUrl)} (${(err as Error).message}).`,
        "Start it with one of:",
        "  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   # local Debian service",
        "  docker compose up -d postgres                                               # with Docker",
        "or point DEV_DATABASE_ADMIN_URL at a Postgres you can create databases on.",
      ].join("\n"),
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new PreflightError(
      [
        `Redis is not reachable at ${url} (${(err as Error).message}).`,
        "Start it with one of:",
        '  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no   # local',
        "  docker compose up -d redis                                                             # with Docker",
        "or set DEV_REDIS_URL.",
      ].join("\n"),
    );
  } finally {
    redis.disconnect();
  }
}

export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

/**
 * Drop and recreate a database: the demo's simulators keep their state in memory, so tenants and tokens
 * from an earlier run would point at companies and organizations that no longer exist.
 */
export async function recreateDatabase(adminUrl: string, name: string): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  return ensureDatabase(adminUrl, name);
}

/** Remove every Redis key under `prefix:` (queues, budgets, locks of an earlier demo run). */
export async function clearRedisPrefix(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let removed = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) removed += await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return removed;
}
