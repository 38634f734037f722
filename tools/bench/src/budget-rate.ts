import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BlingClient } from "@zb/bling";
import { startBlingSimulator } from "@zb/bling-simulator";
import { BlingBudget, budgetHook } from "@zb/sync";
import { testRedisUrl } from "@zb/testing";
import { Redis } from "ioredis";

/**
 * `pnpm bench:budget [--seconds 120] [--share 2] [--processes 2] [--takers 6] [--hogs N]` (issue 16 #1): the
 * per-account budget alone against the Bling simulator at Bling's real limits (3 req/s per account), in real
 * time. The simulator runs in its own process, `--processes` taker processes each run `--takers / processes`
 * concurrent callers of a real BlingClient through the production budget hook (shared Redis, one account),
 * and `--hogs` busy-loop processes (default: one per core) saturate the CPU beside them. Reported at the
 * simulator's end: accepted rate ÷ share, seconds above the share (arrivals where more than `share` fell in the
 * last 1000 ms, the simulator's own counter), the most requests in any 1 s, and 429s. Writes
 * bench-results/budget-rate.json. Never part of `pnpm test`.
 */

const self = fileURLToPath(import.meta.url);
const role = process.env.ZB_BUDGET_BENCH_ROLE;

if (role === "hog") {
  // Pure CPU: never yields to I/O.
  let x = 0;
  for (;;) x = (x * 1103515245 + 12345) % 2147483648;
} else if (role === "sim") {
  await simChild();
} else if (role === "taker") {
  await takerChild();
} else {
  await main();
}

interface SimReady {
  apiBaseUrl: string;
  accessToken: string;
  accountId: string;
}

async function simChild(): Promise<void> {
  const s = await startBlingSimulator();
  s.sim.control.registerApp({ clientId: "bench-budget", clientSecret: "bench-budget-secret-value" });
  const { accountId } = s.sim.control.createAccount({ companyName: "Budget Bench Ltda" });
  const tokens = s.sim.control.issueTokens(accountId, "bench-budget");
  process.send?.({ type: "ready", apiBaseUrl: s.apiBaseUrl, accessToken: tokens.access_token, accountId });
  process.on("message", async (m: { type: string; share: number; from: number }) => {
    if (m.type !== "stats") return;
    const log = s.sim.requestLog.filter((e) => e.accountId === accountId && e.at >= m.from);
    const accepted = log.filter((e) => e.status < 400).map((e) => e.at);
    const all = log.map((e) => e.at).sort((a, b) => a - b);
    // The simulator's counter (Limiter.checkAccount): requests in (t - 1000, t].
    let above = 0;
    let lo = 0;
    const aboveSeconds = new Set<number>();
    for (let hi = 0; hi < all.length; hi++) {
      while ((all[hi] as number) - (all[lo] as number) >= 1000) lo++;
      if (hi - lo + 1 > m.share) {
        above += 1;
        aboveSeconds.add(Math.floor((all[hi] as number) / 1000));
      }
    }
    const span = ((accepted.at(-1) ?? 0) - (accepted[0] ?? 0)) / 1000;
    process.send?.({
      type: "stats",
      total: all.length,
      accepted: accepted.length,
      tooManyRequests: log.filter((e) => e.status === 429).length,
      maxPerSecond: s.sim.stats(accountId).maxPerSecond,
      arrivalsAboveShare: above,
      secondsAboveShare: aboveSeconds.size,
      spanSeconds: span,
      rate: span > 0 ? (accepted.length - 1) / span : 0,
    });
    await s.close();
    process.exit(0);
  });
}

async function takerChild(): Promise<void> {
  const env = process.env;
  const redis = new Redis(env.ZB_REDIS_URL as string, { maxRetriesPerRequest: 3 });
  const budget = new BlingBudget({ redis, keyPrefix: env.ZB_PREFIX as string, share: Number(env.ZB_SHARE) });
  const hook = budgetHook(budget, env.ZB_ACCOUNT as string, "catalog", { maxWaitMs: 30_000 });
  /** Local times the hook let a request go (the same machine clock in every process). */
  const sends: number[] = [];
  const client = new BlingClient({
    baseUrl: env.ZB_API_BASE as string,
    timeoutMs: 10_000,
    getAccessToken: async () => env.ZB_TOKEN as string,
    budget: async (req) => {
      await hook(req);
      sends.push(Date.now());
    },
  });
  // Compiled and connected first (tsx under saturated CPU takes seconds): then the run starts at "go".
  await redis.ping();
  process.send?.({ type: "ready" });
  const deadline = await new Promise<number>((resolve) =>
    process.on("message", (m: { type: string; deadline: number }) => m.type === "go" && resolve(m.deadline)),
  );
  let ok = 0;
  let failed = 0;
  const loop = async () => {
    while (Date.now() < deadline) {
      try {
        await client.categorias.list({ pagina: 1, limite: 1 });
        ok += 1;
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Number(env.ZB_TAKERS) }, loop));
  process.send?.({ type: "done", ok, failed, sends, lateRetakes: budget.lateRetakes });
  redis.disconnect();
  process.exit(0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "120" },
      share: { type: "string", default: "2" },
      processes: { type: "string", default: "2" },
      takers: { type: "string", default: "6" },
      hogs: { type: "string", default: String(availableParallelism()) },
    },
  });
  const seconds = Number(values.seconds);
  const share = Number(values.share);
  const processes = Number(values.processes);
  const takers = Number(values.takers);
  const hogs = Number(values.hogs);
  const log = (msg: string) =>
    console.error(`[budget-rate ${new Date().toISOString().slice(11, 19)}] ${msg}`);
  const child = (r: string, env: Record<string, string> = {}) =>
    fork(self, [], {
      env: { ...process.env, ...env, ZB_BUDGET_BENCH_ROLE: r },
      execArgv: ["--import", "tsx"],
    });
  const once = <T>(c: ChildProcess, type: string) =>
    new Promise<T>((resolve, reject) => {
      c.on("message", (m: { type: string }) => m.type === type && resolve(m as T));
      c.once("exit", (code) => reject(new Error(`${type}: child exited with ${code}`)));
    });

  const prefix = `zbbench_budget_${randomBytes(4).toString("hex")}`;
  const redisUrl = testRedisUrl();
  const sim = child("sim");
  const ready = await once<SimReady>(sim, "ready");
  const hogProcs = Array.from({ length: hogs }, () => child("hog"));
  log(
    `simulator ${ready.apiBaseUrl}; ${hogs} CPU hog(s); ${processes}×${takers / processes} takers; share ${share}`,
  );
  const takerProcs = Array.from({ length: processes }, () =>
    child("taker", {
      ZB_REDIS_URL: redisUrl,
      ZB_PREFIX: prefix,
      ZB_SHARE: String(share),
      ZB_API_BASE: ready.apiBaseUrl,
      ZB_TOKEN: ready.accessToken,
      ZB_ACCOUNT: ready.accountId,
      ZB_TAKERS: String(Math.max(1, Math.round(takers / processes))),
    }),
  );
  await Promise.all(takerProcs.map((c) => once(c, "ready")));
  const from = Date.now();
  const deadline = from + seconds * 1000;
  const finished = Promise.all(
    takerProcs.map((c) =>
      once<{ ok: number; failed: number; sends: number[]; lateRetakes: number }>(c, "done"),
    ),
  );
  for (const c of takerProcs) c.send({ type: "go", deadline });
  const done = await finished;
  for (const h of hogProcs) h.kill("SIGKILL");
  sim.send({ type: "stats", share, from });
  const stats = await once<Record<string, number>>(sim, "stats");
  const redis = new Redis(redisUrl);
  for (let cursor = "0"; ; ) {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
    if (cursor === "0") break;
  }
  redis.disconnect();
  const result = {
    at: new Date().toISOString(),
    seconds,
    share,
    processes,
    takers,
    hogs,
    clientOk: done.reduce((s, d) => s + d.ok, 0),
    clientFailed: done.reduce((s, d) => s + d.failed, 0),
    lateRetakes: done.reduce((s, d) => s + d.lateRetakes, 0),
    // The same counter over the moments the budget let requests go, before any network or simulator delay.
    sendsAboveShare: aboveShare(
      done.flatMap((d) => d.sends),
      share,
    ),
    ...stats,
    rateOverShare: (stats.rate ?? 0) / share,
  };
  const outDir = fileURLToPath(new URL("../../../bench-results/", import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}budget-rate.json`, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  const pass = result.rateOverShare >= 0.97 && stats.secondsAboveShare === 0 && stats.tooManyRequests === 0;
  log(pass ? "PASS: rate ≥ 0.97 × share, 0 s above the share, 0 × 429" : "FAIL");
  process.exit(pass ? 0 : 1);
}

/** Moments where more than `share` of `times` fell within the last < 1000 ms (the simulator's counter). */
function aboveShare(times: number[], share: number): number {
  const xs = [...times].sort((a, b) => a - b);
  let above = 0;
  let lo = 0;
  for (let hi = 0; hi < xs.length; hi++) {
    while ((xs[hi] as number) - (xs[lo] as number) >= 1000) lo++;
    if (hi - lo + 1 > share) above += 1;
  }
  return above;
}
