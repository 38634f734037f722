import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TenantsRepository } from "@zb/db";
import {
  type Child,
  entryPath,
  type ImageCdn,
  type E2E as KitE2E,
  PLUGIN_ID,
  PLUGIN_KEY,
  startApiProcess,
  startE2E,
  startImageCdn,
  waitFor,
} from "@zb/e2e-kit";
import { type ComposedWorker, type ComposeWorkerOptions, composeWorker } from "@zb/worker";

/** The e2e kit's world with our worker's composer (this process only produces; see `startWorld`). */
export type E2E = KitE2E<ComposedWorker, ComposeWorkerOptions>;

/**
 * One benchmark world: real Postgres/Redis and both simulators over HTTP (the e2e harness), Bling's limits
 * scaled by K (compressed time), the worker as separate processes (so their memory is the product's alone,
 * not the simulators'), and optionally the API process receiving Bling's and Zydon's webhooks.
 */
export interface World {
  e: E2E;
  k: number;
  /** Our per-account share in this world (2 × K). */
  share: number;
  workers: WorkerProc[];
  api?: Child;
  /** Serves the demo catalog's product images (the generated links point at an unreachable host). */
  cdn: ImageCdn;
  /** Point a seeded account's image links at `cdn` and date its catalog a day back (no webhooks). */
  prepareCatalog(accountId: string): void;
  /** Another worker process; `pollMs` overrides the world's polling/reconciliation interval for it. */
  startWorker(opts?: { pollMs?: number }): Promise<WorkerProc>;
  /** Wait until a tenant's initial sync is done; returns ms. */
  initialSync(tenantId: string, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export interface WorkerProc {
  proc: ChildProcess;
  /** Peak resident set (VmHWM) in MiB, read from /proc while the process lives. */
  peakRssMiB(): number;
  /** CPU seconds (user + system) the process has used so far, from /proc (0 once it exited). */
  cpuSeconds(): number;
  output(): string;
  kill(): Promise<void>;
}

export interface WorldOptions {
  /** Time-compression factor: Bling's limits and our share ×K, polling intervals ÷K. */
  k: number;
  webhooks?: boolean;
  api?: boolean;
  workers?: number;
  /** Production default polling interval (60 s) ÷ K unless given. */
  pollMs?: number;
}

const BASE_SHARE = 2;
const workerEntry = fileURLToPath(new URL("./worker-child.ts", import.meta.url));
const apiEntry = entryPath("@zb/api/server", import.meta.url);

function vmKiB(pid: number | undefined, field: "VmHWM" | "VmRSS"): number {
  if (!pid) return 0;
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** utime + stime of a live process in seconds (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds this process (the simulators, the bench's producer and its watchers) has used so far. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export async function startWorld(opts: WorldOptions): Promise<World> {
  const k = opts.k;
  const share = BASE_SHARE * k;
  // `worker: false`: this process only produces jobs; the worker processes below consume them.
  const e: E2E = await startE2E({
    composeWorker,
    worker: false,
    webhooks: opts.webhooks ?? false,
    env: { LOG_LEVEL: "warn" },
  });
  const lim = e.bling.sim.limiter.settings;
  lim.perSecond *= k;
  lim.ipRequestsPer10s *= k;
  lim.ipErrorsPer10s *= k;
  lim.tokenCallsPerMinute *= k;
  const pollMs = opts.pollMs ?? Math.round(60_000 / k);
  const cdn = await startImageCdn();
  const workers: WorkerProc[] = [];

  let api: Child | undefined;
  if (opts.api) {
    const started = await startApiProcess(e, { entry: apiEntry, readyTimeoutMs: 60_000 });
    const child = started.child;
    api = child;
    const apiGuard = () => child.proc.kill("SIGKILL");
    process.once("exit", apiGuard);
    child.proc.once("exit", () => process.off("exit", apiGuard));
    // Zydon's order webhook goes to the API too (re-registering keeps the installations).
    e.zydon.sim.registerPlugin({
      pluginId: PLUGIN_ID,
      accessKey: PLUGIN_KEY,
      name: "Bling",
      callbackUrls: ["http://127.0.0.1:1/zydon/callback"],
      installationUrl: "http://127.0.0.1:1/zydon/install",
      orderWebhookUrl: `${started.url}/webhooks/zydon/orders`,
    });
  }

  const startWorker = async (over: { pollMs?: number } = {}): Promise<WorkerProc> => {
    const poll = over.pollMs ?? pollMs;
    const env = Object.fromEntries(
      Object.entries({ ...e.rawEnv, WORKER_CONCURRENCY: undefined, LOG_LEVEL: "warn" }).filter(
        ([, v]) => v !== undefined,
      ),
    ) as Record<string, string>;
    // K = 1 runs the production intervals; only the share is passed (the same 2 as the env default).
    const args = ["--share", String(share)];
    if (k !== 1 || opts.pollMs || over.pollMs)
      args.push("--poll-ms", String(poll), "--reconcile-ms", String(poll));
    const proc = spawn(process.execPath, ["--import", "tsx", workerEntry, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let peak = 0;
    const sample = setInterval(() => {
      peak = Math.max(peak, vmKiB(proc.pid, "VmHWM"));
    }, 250);
    proc.stdout?.on("data", (d) => {
      out = (out + String(d)).slice(-20_000);
    });
    proc.stderr?.on("data", (d) => {
      out = (out + String(d)).slice(-20_000);
    });
    // A benchmark stopped by a signal must not leave its workers behind.
    const orphanGuard = () => proc.kill("SIGKILL");
    process.once("exit", orphanGuard);
    proc.once("exit", () => {
      clearInterval(sample);
      process.off("exit", orphanGuard);
    });
    await waitFor("worker to start", async () => /bench worker started/.test(out), 60_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${out}`);
    });
    const w: WorkerProc = {
      proc,
      peakRssMiB: () => Math.max(peak, vmKiB(proc.pid, "VmHWM")) / 1024,
      cpuSeconds: () => cpuOf(proc.pid),
      output: () => out,
      kill() {
        clearInterval(sample);
        const i = workers.indexOf(w);
        if (i >= 0) workers.splice(i, 1);
        if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
        return new Promise((r) => {
          proc.once("exit", () => r());
          proc.kill("SIGTERM");
        });
      },
    };
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) await startWorker();

  const tenants = new TenantsRepository(e.db.db);
  return {
    e,
    k,
    share,
    workers,
    ...(api ? { api } : {}),
    cdn,
    prepareCatalog(accountId) {
      const acc = e.bling.sim.account(accountId);
      const dayAgo = Date.now() - 86_400_000;
      for (const rec of acc.products.values()) {
        const ext = rec.data.midia?.imagens?.externas;
        if (ext)
          for (const img of ext)
            img.link = `${cdn.url}${new URL(img.link).pathname.replace(/\.[a-z]+$/i, ".png")}`;
      }
      // An established catalog: last changed yesterday, not in the first poll's window after the sync.
      // Products through `set` (the simulator indexes its writes); contacts have no index.
      for (const [id, rec] of acc.products)
        acc.products.set(id, {
          ...rec,
          createdAt: Math.min(rec.createdAt, dayAgo),
          updatedAt: Math.min(rec.updatedAt, dayAgo),
        });
      for (const rec of acc.contacts.values()) {
        rec.createdAt = Math.min(rec.createdAt, dayAgo);
        rec.updatedAt = Math.min(rec.updatedAt, dayAgo);
      }
    },
    startWorker,
    async initialSync(tenantId, timeoutMs = 3_600_000) {
      const started = Date.now();
      await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId });
      await waitFor(
        "initial sync to finish",
        async () => (await tenants.findById(tenantId))?.initialSyncDoneAt,
        timeoutMs,
      );
      return Date.now() - started;
    },
    async close() {
      await Promise.all([...workers].map((w) => w.kill()));
      await api?.kill();
      await e.close();
      await cdn.close();
    },
  };
}
