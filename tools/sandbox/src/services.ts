import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { checkPostgres, checkRedis } from "./preflight.js";

/**
 * `pnpm dev` on a machine where Postgres or Redis is not running: for each service that does not answer,
 * (1) with a working Docker engine, `docker compose up -d --wait <service>` (docker-compose.yml); else
 * (2) with the service's binaries installed (`initdb` + `postgres`, also under /usr/lib/postgresql/<v>/bin;
 * `redis-server`), a private throwaway instance under `.sandbox/services/` on the configured loopback port,
 * stopped and deleted when `pnpm dev` exits; else (3) one message naming what to install.
 */

export type ServiceName = "postgres" | "redis";

export interface ServiceTools {
  /** `docker info` answered (an engine is running, not just the CLI). */
  docker: boolean;
  /** Directory holding `initdb` and `postgres`. */
  pgBinDir: string | undefined;
  redisServer: string | undefined;
}

export type ServicePlan =
  | { service: ServiceName; how: "docker" }
  | { service: ServiceName; how: "private"; bin: string }
  | { service: ServiceName; how: "install" };

/** What to do for one unreachable service, in the order of preference above. */
export function planService(service: ServiceName, tools: ServiceTools): ServicePlan {
  if (tools.docker) return { service, how: "docker" };
  const bin = service === "postgres" ? tools.pgBinDir : tools.redisServer;
  if (bin) return { service, how: "private", bin };
  return { service, how: "install" };
}

/** The one message for services that can be neither started with Docker nor from local binaries. */
export function installMessage(missing: readonly ServiceName[]): string {
  const lines = [
    `pnpm dev needs ${missing.join(" and ")}, which ${missing.length > 1 ? "are" : "is"} not running, and can start ${missing.length > 1 ? "them" : "it"} neither with Docker (no engine answers \`docker info\`) nor from local binaries. Install one of:`,
    "  Docker Engine (then pnpm dev runs `docker compose up -d --wait` itself)",
  ];
  if (missing.includes("postgres"))
    lines.push("  PostgreSQL ≥ 15 server binaries (Debian/Ubuntu: apt-get install postgresql)");
  if (missing.includes("redis")) lines.push("  Redis ≥ 7 (Debian/Ubuntu: apt-get install redis-server)");
  lines.push("or point DEV_DATABASE_ADMIN_URL / DEV_REDIS_URL at running services.");
  return lines.join("\n");
}

function onPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Finds the tools on this machine: PATH first, then Debian's versioned Postgres directories (newest first). */
export function detectTools(
  env: { PATH?: string | undefined },
  opts: { pgRoots?: string[] } = {},
): ServiceTools {
  const docker =
    onPath("docker", env.PATH) !== undefined &&
    spawnSync("docker", ["info"], { stdio: "ignore", timeout: 10_000, env: { PATH: env.PATH ?? "" } })
      .status === 0;
  let pgBinDir: string | undefined;
  const initdb = onPath("initdb", env.PATH);
  if (initdb && onPath("postgres", env.PATH)) pgBinDir = join(initdb, "..");
  for (const root of opts.pgRoots ?? ["/usr/lib/postgresql"]) {
    if (pgBinDir || !existsSync(root)) continue;
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = join(root, v, "bin");
      if (existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"))) {
        pgBinDir = dir;
        break;
      }
    }
  }
  return { docker, pgBinDir, redisServer: onPath("redis-server", env.PATH) };
}

/** A private instance `pnpm dev` started; `stop()` ends it and deletes its directory. */
export interface PrivateService {
  service: ServiceName;
  port: number;
  dir: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

function loopbackPort(url: string, fallback: number): number {
  const u = new URL(url);
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(u.hostname)) {
    throw new Error(
      `cannot start a private instance for ${u.hostname}: only a loopback address can be served locally`,
    );
  }
  return u.port ? Number(u.port) : fallback;
}

/** Postgres refuses to run as root: as root, the server runs as the `postgres` system user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (!uid || !gid)
    throw new Error("running as root and no `postgres` user exists to run a private Postgres");
  return { uid: Number(uid), gid: Number(gid) };
}

async function until(what: string, ready: () => Promise<unknown>, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited early:\n${output()}`);
    try {
      await ready();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${what} did not answer within 30 s:\n${output()}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

function stopper(child: ChildProcess, signal: NodeJS.Signals, dir: string): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= new Promise<void>((resolve) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(timer);
        done();
      });
      child.kill(signal);
    });
    return stopping;
  };
}

function capture(child: ChildProcess): () => string {
  let out = "";
  const add = (d: Buffer) => {
    out = (out + d.toString()).slice(-4_000);
  };
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
  return () => out;
}

/** initdb into `<root>/postgres-<port>` (trust, user postgres, no fsync) and a server on 127.0.0.1:<port>. */
export async function startPrivatePostgres(opts: {
  binDir: string;
  adminUrl: string;
  root: string;
}): Promise<PrivateService> {
  const port = loopbackPort(opts.adminUrl, 5432);
  const dir = join(opts.root, `postgres-${port}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const user = postgresUser();
  if (user) spawnSync("chown", ["-R", `${user.uid}:${user.gid}`, opts.root]);
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  const init = spawnSync(
    join(opts.binDir, "initdb"),
    ["-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
    { encoding: "utf8", ...as, cwd: dir },
  );
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}${init.stderr}`);
  const child = spawn(
    join(opts.binDir, "postgres"),
    [
      "-D",
      dir,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "fsync=off",
    ],
    // Its own process group: the terminal's Ctrl+C reaches pnpm dev, which stops this one itself.
    { stdio: ["ignore", "pipe", "pipe"], detached: true, cwd: dir, ...as },
  );
  const output = capture(child);
  // SIGINT is Postgres's fast shutdown (no wait for clients).
  const service: PrivateService = {
    service: "postgres",
    port,
    dir,
    process: child,
    stop: stopper(child, "SIGINT", dir),
  };
  try {
    await until("the private Postgres", () => checkPostgres(opts.adminUrl), child, output);
  } catch (err) {
    await service.stop();
    throw err;
  }
  return service;
}

/** A redis-server on 127.0.0.1:<port> without persistence, its working directory `<root>/redis-<port>`. */
export async function startPrivateRedis(opts: {
  bin: string;
  redisUrl: string;
  root: string;
}): Promise<PrivateService> {
  const port = loopbackPort(opts.redisUrl, 6379);
  const dir = join(opts.root, `redis-${port}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    opts.bin,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--maxmemory-policy",
      "noeviction",
    ],
    { stdio: ["ignore", "pipe", "pipe"], detached: true, cwd: dir },
  );
  const output = capture(child);
  const service: PrivateService = {
    service: "redis",
    port,
    dir,
    process: child,
    stop: stopper(child, "SIGTERM", dir),
  };
  try {
    await until("the private Redis", () => checkRedis(opts.redisUrl), child, output);
  } catch (err) {
    await service.stop();
    throw err;
  }
  return service;
}

export interface EnsuredServices {
  /** One line per service: already running / started with Docker / private instance. */
  report: string[];
  /** Stops the private instances (Docker services keep running, as `docker compose` leaves them). */
  stop(): Promise<void>;
}

async function answers(check: () => Promise<void>): Promise<boolean> {
  return check().then(
    () => true,
    () => false,
  );
}

/**
 * Makes Postgres (at `adminUrl`) and Redis (at `redisUrl`) answer, or throws ServicesUnavailableError with
 * the install message. Never touches a service that already answers.
 */
export async function ensureServices(opts: {
  adminUrl: string;
  redisUrl: string;
  /** Where private instances live (`.sandbox/services`, git-ignored). */
  root: string;
  /** docker-compose.yml's directory (for the Docker path). */
  composeDir: string;
  env: { PATH?: string | undefined };
  tools?: ServiceTools;
}): Promise<EnsuredServices> {
  const started: PrivateService[] = [];
  const report: string[] = [];
  const checks = {
    postgres: () => checkPostgres(opts.adminUrl),
    redis: () => checkRedis(opts.redisUrl),
  } satisfies Record<ServiceName, () => Promise<void>>;
  const missing: ServiceName[] = [];
  for (const s of ["postgres", "redis"] as const) {
    if (await answers(checks[s])) report.push(`${s}: already running`);
    else missing.push(s);
  }
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
  };
  if (missing.length === 0) return { report, stop };
  // Last resort when pnpm dev dies without its shutdown: no private server outlives it.
  process.once("exit", () => {
    for (const s of started) if (s.process.exitCode === null) s.process.kill("SIGKILL");
  });
  const tools = opts.tools ?? detectTools(opts.env);
  const plans = missing.map((s) => planService(s, tools));
  const cannot = plans.filter((p) => p.how === "install").map((p) => p.service);
  if (cannot.length > 0) throw new ServicesUnavailableError(installMessage(cannot));
  try {
    for (const plan of plans) {
      if (plan.how === "docker") {
        const up = spawnSync("docker", ["compose", "up", "-d", "--wait", plan.service], {
          cwd: opts.composeDir,
          encoding: "utf8",
          timeout: 180_000,
        });
        if (up.status !== 0)
          throw new Error(`docker compose up -d --wait ${plan.service} failed:\n${up.stderr}`);
        await checks[plan.service]();
        report.push(
          `${plan.service}: started with docker compose (left running; \`docker compose stop\` stops it)`,
        );
      } else if (plan.how === "private") {
        const s =
          plan.service === "postgres"
            ? await startPrivatePostgres({ binDir: plan.bin, adminUrl: opts.adminUrl, root: opts.root })
            : await startPrivateRedis({ bin: plan.bin, redisUrl: opts.redisUrl, root: opts.root });
        started.push(s);
        report.push(
          `${plan.service}: private throwaway instance on 127.0.0.1:${s.port} (${s.dir}, removed on exit)`,
        );
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { report, stop };
}

export class ServicesUnavailableError extends Error {}
