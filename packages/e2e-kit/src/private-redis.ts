import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, waitFor } from "./harness.js";

/**
 * A `redis-server` of the test's own (issue 17 #1): the shared Redis on 6379 serves every test on the machine
 * and must never be restarted, so the tests that kill Redis start this one instead. AOF with `appendfsync
 * everysec` (the production setting: a SIGKILL may lose up to a second of writes), on a free port, in a temp
 * directory that `stop()` removes.
 */
export interface PrivateRedis {
  url: string;
  port: number;
  /** The data directory (`appendonlydir` lives here). */
  dir: string;
  /** How many times the server was (re)started. */
  starts: number;
  /** True while a server process is running. */
  running(): boolean;
  /** SIGKILL the server (no shutdown save: whatever the AOF had fsynced is what survives). */
  kill(): Promise<void>;
  /** Start it again on the same port; `empty: true` deletes the data first (Redis came back with nothing). */
  start(opts?: { empty?: boolean }): Promise<void>;
  /** kill() then start(). */
  restart(opts?: { empty?: boolean }): Promise<void>;
  /** A short-lived client for assertions (closed by the caller). */
  client(): Redis;
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** `--maxmemory-policy` (default noeviction, what the product requires). */
  maxmemoryPolicy?: string;
  /** Extra server arguments, e.g. `["--rename-command", "CONFIG", ""]`. */
  args?: string[];
  /** The binary (default `redis-server` on PATH). */
  binary?: string;
}

export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "zb-redis-"));
  let proc: ChildProcess | undefined;
  let out = "";
  const url = `redis://127.0.0.1:${port}`;

  const launch = async () => {
    out = "";
    const p = spawn(
      opts.binary ?? "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--maxmemory-policy",
        opts.maxmemoryPolicy ?? "noeviction",
        ...(opts.args ?? []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    p.stdout?.on("data", (d) => {
      out += String(d);
    });
    p.stderr?.on("data", (d) => {
      out += String(d);
    });
    proc = p;
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await waitFor(
        `private redis-server on ${port}`,
        async () => {
          if (p.exitCode !== null) throw new Error(`redis-server exited ${p.exitCode}: ${out.slice(-800)}`);
          try {
            if (probe.status !== "ready") await probe.connect();
            // Loading the AOF answers -LOADING until done.
            return (await probe.ping()) === "PONG";
          } catch {
            probe.disconnect();
            return false;
          }
        },
        15_000,
      );
    } finally {
      probe.disconnect();
    }
    handle.starts++;
  };

  const handle: PrivateRedis = {
    url,
    port,
    dir,
    starts: 0,
    running: () => proc !== undefined && proc.exitCode === null && proc.signalCode === null,
    async kill() {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((r) => {
        p.once("exit", () => r());
        p.kill("SIGKILL");
      });
    },
    async start(o = {}) {
      if (handle.running()) throw new Error("private redis is already running");
      if (o.empty) {
        rmSync(join(dir, "appendonlydir"), { recursive: true, force: true });
        rmSync(join(dir, "dump.rdb"), { force: true });
      }
      await launch();
    },
    async restart(o = {}) {
      await handle.kill();
      await handle.start(o);
    },
    client: () => new Redis(url, { maxRetriesPerRequest: 1 }),
    async stop() {
      await handle.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await launch();
  return handle;
}
