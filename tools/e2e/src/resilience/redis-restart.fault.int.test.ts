import { generateDemoAccount } from "@zb/bling-simulator";
import { OrderExportsRepository } from "@zb/db";
import {
  type Child,
  checkInvariants,
  compareStates,
  FaultTally,
  failedJobs,
  held,
  initialSyncDone,
  PLUGIN_ID,
  PLUGIN_KEY,
  type PrivateRedis,
  pendingJobs,
  reportRecovery,
  seeded,
  startPrivateRedis,
  type Tenant,
  waitFor,
  waitForInitialSync,
} from "@zb/e2e-kit";
import { QUEUES } from "@zb/sync";
import { generateCnpj, generateCpf } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, spawnWorker, startApiProcess, startE2E } from "../world.js";

/**
 * Issue 17 #1, Redis SIGKILLed and restarted under a real API process and a real worker process, on a
 * redis-server of the test's own (the shared one on 6379 is never touched). With its AOF (`everysec`: up
 * to a second of writes may be gone) during initial syncs, order exports and a webhook burst; then with an
 * EMPTY Redis (AOF deleted) during initial syncs whose access tokens just expired. The two processes are
 * never restarted: they must reconnect by themselves, and every sync finish with nothing lost or twice.
 */
const SEEDS = [111, 222, 333, 444, 555];
const RESTARTS = 3;
/** How long Redis stays down at each kill. */
const DOWN_MS = 1_000;

let e: E2E;
let redis: PrivateRedis;
let api: Child;
let apiUrl = "";
let worker: Child;
const synced: Tenant[] = [];
const tally = new FaultTally("Redis restart");
const digits = (s: unknown) => String(s ?? "").replace(/\D/g, "");

beforeAll(async () => {
  redis = await startPrivateRedis();
  e = await startE2E({ worker: false, redisUrl: redis.url, webhooks: true });
  ({ child: api, url: apiUrl } = await startApiProcess(e));
  worker = spawnWorker(e);
}, 90_000);
afterAll(async () => {
  await worker?.kill("SIGKILL");
  await api?.kill("SIGKILL");
  tally.flush();
  await e?.close();
  await redis?.stop();
});

async function bounce(opts: { empty?: boolean } = {}): Promise<void> {
  await redis.kill();
  await new Promise((r) => setTimeout(r, DOWN_MS));
  await redis.start(opts);
}

/** The same API and worker processes as at the start: they reconnected, nobody restarted them. */
function stillRunning(): string[] {
  const out: string[] = [];
  if (api.proc.exitCode !== null || api.proc.signalCode !== null)
    out.push(`API exited: ${api.output().slice(-1500)}`);
  if (worker.proc.exitCode !== null || worker.proc.signalCode !== null)
    out.push(`worker exited: ${worker.output().slice(-1500)}`);
  return out;
}

async function explainTimeout(err: unknown, t: Tenant): Promise<never> {
  throw new Error(
    `${(err as Error).message}\nfailed: ${(await failedJobs(e, t.tenantId)).join("\n")}\npending: ${(await pendingJobs(e, t.tenantId)).join("\n")}\n${worker.output().slice(-3000)}`,
  );
}

async function newTenants(prefix: string, seeds: number[], products = 5): Promise<Tenant[]> {
  const out: Tenant[] = [];
  for (const seed of seeds) {
    const t = await e.addTenant(`${prefix} ${seed}`);
    generateDemoAccount(e.bling.sim, t.accountId, {
      products,
      variationShare: 0.3,
      contacts: 2,
      paymentMethods: 2,
      seed,
    });
    out.push(t);
  }
  return out;
}

describe("Redis SIGKILLed and restarted under a real API and worker", () => {
  it(`${RESTARTS} restarts from the AOF during ${SEEDS.length} initial syncs: every sync finishes, nothing lost or twice`, async () => {
    const tenants = await newTenants("Loja Redis", SEEDS);
    const mine = new Set(tenants.map((t) => t.accountId));
    const requests = () => e.bling.sim.requestLog.filter((r) => r.accountId && mine.has(r.accountId)).length;
    for (const t of tenants)
      await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    let last = Date.now();
    const restarts: number[] = [];
    for (let k = 0; k < RESTARTS; k++) {
      const at = requests() + 8;
      await waitFor(`${at} Bling requests`, async () => requests() >= at, 30_000);
      const unfinished = (await Promise.all(tenants.map((t) => initialSyncDone(e, t.tenantId)))).filter(
        (d) => !d,
      ).length;
      if (unfinished === 0) break;
      await bounce();
      last = Date.now();
      restarts.push(unfinished);
      console.log(
        `[resilience] Redis restart ${k + 1} after ${at} Bling requests, ${unfinished} syncs unfinished`,
      );
    }
    for (const t of tenants)
      await waitForInitialSync(e, t.tenantId, 60_000).catch((err) => explainTimeout(err, t));
    reportRecovery(
      `all syncs finished after the last of ${restarts.length} Redis restarts`,
      Date.now() - last,
    );
    synced.push(...tenants);

    expect(restarts.length, "restarts landed before the syncs finished").toBe(RESTARTS);
    const problems: string[] = [...stillRunning()];
    for (const [i, t] of tenants.entries()) {
      const inv = await checkInvariants(e, t);
      problems.push(...inv.diffs, ...inv.unexplained.map((u) => `unexplained: ${u}`), ...inv.failed);
      // One fault per sync a restart interrupted (as in the worker SIGKILL test).
      for (const [k, unfinished] of restarts.entries())
        if (unfinished > 0)
          tally.record(`seed ${SEEDS[i]} Redis restart ${k + 1}`, {
            survived: held(inv) && stillRunning().length === 0,
            lost: inv.lost,
            duplicated: inv.duplicated,
          });
    }
    expect(problems).toEqual([]);
  }, 150_000);

  it("readiness says Redis is down while it is, and ready again once it is back (same API process)", async () => {
    const ready = async () => {
      const res = await fetch(`${apiUrl}/readyz`);
      return { status: res.status, body: (await res.json()) as { failing?: string[] } };
    };
    expect((await ready()).status).toBe(200);
    await redis.kill();
    const down = await waitFor(
      "/readyz 503",
      async () => {
        const r = await ready();
        return r.status === 503 && r;
      },
      10_000,
    );
    const live = await fetch(`${apiUrl}/healthz`);
    const stopped = Date.now();
    await new Promise((r) => setTimeout(r, DOWN_MS));
    // Still down after a while (no cached answer).
    const stillDown = await ready();
    await redis.start();
    const started = Date.now();
    await waitFor("/readyz 200 again", async () => (await ready()).status === 200, 15_000);
    reportRecovery("API ready again after Redis came back", Date.now() - started);
    const ok =
      down.body.failing?.includes("redis") === true &&
      !down.body.failing.includes("postgres") &&
      stillDown.status === 503 &&
      live.status === 200 &&
      stillRunning().length === 0;
    tally.record("Redis down under the API: readiness", { survived: ok });
    expect(down.body).toEqual({ status: "unavailable", failing: ["redis"] });
    expect(stillDown.status).toBe(503);
    expect(live.status, "liveness does not depend on Redis").toBe(200);
    expect(stillRunning()).toEqual([]);
    expect(Date.now() - stopped).toBeGreaterThan(DOWN_MS);
  }, 60_000);

  it("2 restarts from the AOF during 8 order exports (4 new buyers): one Bling order per Zydon order, one contact per buyer", async () => {
    const t = synced[0] as Tenant;
    e.zydon.sim.registerPlugin({
      pluginId: PLUGIN_ID,
      accessKey: PLUGIN_KEY,
      name: "Bling",
      callbackUrls: ["http://127.0.0.1:1/zydon/callback"],
      installationUrl: "http://127.0.0.1:1/zydon/install",
      orderWebhookUrl: `${apiUrl}/webhooks/zydon/orders`,
    });
    const rnd = seeded(29);
    const snap = e.zydon.sim.snapshot(t.orgId);
    const skus = snap.products.filter((p) => p.variations.length === 0).map((p) => p.sku);
    const methods = snap.paymentMethods.map((m) => m.id);
    const known = snap.partners.map((p) => p.id);
    const buyers = Array.from({ length: 4 }, (_, i) =>
      i % 2 === 0
        ? { name: `Comprador Redis ${i}`, type: "PF", fiscal_registration_number: generateCpf(rnd) }
        : { name: `Empresa Redis ${i}`, type: "PJ", fiscal_registration_number: generateCnpj(rnd) },
    );
    const orderIds: string[] = [];
    const callsBefore = e.bling.sim.requestLog.filter((r) => r.accountId === t.accountId).length;
    for (let i = 0; i < 8; i++) {
      const { orderId, deliveries } = await e.zydon.sim.placeOrder(t.orgId, {
        partner:
          i % 2 === 0
            ? { id: known[i % known.length] as string }
            : (buyers[(i - 1) / 2] as Record<string, string>),
        items: [{ sku: skus[i % skus.length] as string, quantity: 1 + (i % 3) }],
        paymentMethodId: methods[i % methods.length] as string,
        installments: 1,
      });
      expect(deliveries.map((d) => d.status)).toEqual([200]);
      orderIds.push(orderId);
    }
    const calls = () =>
      e.bling.sim.requestLog.filter((r) => r.accountId === t.accountId).length - callsBefore;
    const exportsRepo = new OrderExportsRepository(e.db.db);
    const created = async () =>
      (await Promise.all(orderIds.map((id) => exportsRepo.get(t.tenantId, id)))).filter(
        (r) => r?.state === "created",
      ).length;
    const restarts: string[] = [];
    for (const after of [3, 12]) {
      await waitFor(`${after} Bling calls of the exports`, async () => calls() >= after, 30_000);
      const done = await created();
      if (done === orderIds.length) break;
      await bounce();
      restarts.push(`after ${after} Bling calls, ${done}/${orderIds.length} orders created`);
      console.log(`[resilience] Redis restart during order exports ${restarts.at(-1)}`);
    }
    const last = Date.now();
    await waitFor("8 exports", async () => (await created()) === orderIds.length, 60_000).catch(
      async (err) => {
        const rows = await Promise.all(orderIds.map((id) => exportsRepo.get(t.tenantId, id)));
        throw new Error(
          `${(err as Error).message}\n${rows.map((r) => `${r?.zydonOrderId} ${r?.state} ${r?.lastError ?? ""}`).join("\n")}\n${worker.output().slice(-2000)}`,
        );
      },
    );
    reportRecovery(
      `8 orders exported after the last of ${restarts.length} Redis restarts`,
      Date.now() - last,
    );
    await waitFor(
      "export jobs to drain",
      async () => (await pendingJobs(e, t.tenantId)).every((j) => !j.startsWith("export-order")),
      20_000,
    );
    const acc = e.bling.sim.control.getAccount(t.accountId);
    const perOrder = orderIds.map((id) => acc.orders.filter((o) => String(o.numeroLoja) === id).length);
    const docs = new Map<string, number>();
    for (const c of acc.contacts) {
      const d = digits(c.numeroDocumento);
      if (d) docs.set(d, (docs.get(d) ?? 0) + 1);
    }
    const dupContacts = [...docs.entries()].filter(([, n]) => n > 1);
    const lost = perOrder.filter((n) => n === 0).length;
    const duplicated = perOrder.filter((n) => n > 1).length + dupContacts.length;
    const failed = await failedJobs(e, t.tenantId);
    for (const r of restarts)
      tally.record(`order exports, Redis restart ${r}`, {
        survived: lost + duplicated + failed.length === 0 && stillRunning().length === 0,
        lost,
        duplicated,
      });
    expect(restarts).toHaveLength(2);
    expect(perOrder).toEqual(orderIds.map(() => 1));
    expect(dupContacts).toEqual([]);
    for (const b of buyers) expect(docs.get(digits(b.fiscal_registration_number))).toBe(1);
    expect(failed).toEqual([]);
    expect(stillRunning()).toEqual([]);
  }, 120_000);

  it("2 restarts from the AOF during a burst of 300 stock webhooks: every event processed, Zydon stock equal to Bling", async () => {
    const t = synced[1] as Tenant;
    const acc = e.bling.sim.control.getAccount(t.accountId);
    const deposit = (acc.deposits.find((d) => d.padrao) ?? acc.deposits[0]) as { id: number };
    const inZydon = new Set(e.zydon.sim.snapshot(t.orgId).products.map((p) => p.sku));
    const ids = acc.products
      .filter(
        (p) => p.situacao === "A" && p.formato === "S" && !p.idProdutoPai && inZydon.has(String(p.codigo)),
      )
      .map((p) => Number(p.id));
    expect(ids.length).toBeGreaterThan(1);
    const rnd = seeded(47);
    const deliveriesBefore = e.bling.sim.control.webhookDeliveries().length;
    const bounces: Promise<void>[] = [];
    const started = Date.now();
    for (let i = 0; i < 300; i++) {
      const id = ids[i % ids.length] as number;
      e.bling.sim.control.setStock(t.accountId, id, deposit.id, { fisico: Math.floor(rnd() * 500) });
      // ~6 s of events; Redis is killed after a third and after two thirds of them.
      if (i === 100 || i === 200) bounces.push(bounce());
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 200));
    }
    await Promise.all(bounces);
    const mine = () =>
      e.bling.sim.control
        .webhookDeliveries()
        .slice(deliveriesBefore)
        .filter((d) => d.accountId === t.accountId);
    const refusedDuringOutage = mine().filter((d) => !d.ok).length;
    const diffs = await waitFor(
      "Zydon stock equal to Bling, no unprocessed webhook",
      async () => {
        const r = await e.db.sql`
          select count(*)::int as n from webhook_inbox where tenant_id = ${t.tenantId} and processed_at is null`;
        const d = compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId, { checkCustomers: false });
        return r[0]?.n === 0 && d.length === 0 ? d : false;
      },
      60_000,
    ).catch(() => compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId, { checkCustomers: false }));
    reportRecovery("300 stock webhooks with 2 Redis restarts: Zydon equal to Bling", Date.now() - started);
    console.log(
      `[resilience] webhook burst: ${mine().length} deliveries, ${refusedDuringOutage} refused while Redis was down (Bling retries them)`,
    );
    const failed = await failedJobs(e, t.tenantId);
    for (const k of [1, 2])
      tally.record(`stock webhook burst, Redis restart ${k}`, {
        survived: diffs.length === 0 && failed.length === 0 && stillRunning().length === 0,
        lost: diffs.filter((d) => /missing|stock/.test(d)).length,
        duplicated: diffs.filter((d) => /has (two|\d+) /.test(d)).length,
      });
    expect(diffs).toEqual([]);
    expect(failed).toEqual([]);
    expect(stillRunning()).toEqual([]);
  }, 120_000);

  let emptyWindow: { from: number; accounts: string[] } | undefined;

  it("Redis back EMPTY during 6 initial syncs whose tokens just expired: every sync finishes, schedulers back, one token refresh per account", async () => {
    // More syncs than the worker's concurrency (4): some steps are waiting in Redis, not running, when it
    // loses everything — only the rebuild from Postgres brings those back.
    const tenants = await newTenants("Loja Redis Vazio", [611, 622, 633, 644, 655, 666], 4);
    const mine = new Set(tenants.map((t) => t.accountId));
    const requests = () => e.bling.sim.requestLog.filter((r) => r.accountId && mine.has(r.accountId)).length;
    for (const t of tenants)
      await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    await waitFor("the syncs under way", async () => requests() >= 12, 30_000);
    const unfinished = (await Promise.all(tenants.map((t) => initialSyncDone(e, t.tenantId)))).filter(
      (d) => !d,
    ).length;
    const from = e.bling.sim.requestLog.length;
    for (const t of tenants) e.bling.sim.control.expireAccessTokens(t.accountId);
    await bounce({ empty: true });
    const started = Date.now();
    emptyWindow = { from, accounts: tenants.map((t) => t.accountId) };
    const keys = await (async () => {
      const c = redis.client();
      try {
        return await c.dbsize();
      } finally {
        c.disconnect();
      }
    })();
    for (const t of tenants)
      await waitForInitialSync(e, t.tenantId, 90_000).catch((err) => explainTimeout(err, t));
    reportRecovery(
      `${tenants.length} initial syncs finished after Redis came back empty`,
      Date.now() - started,
    );
    // The tenants synced before the loss have their recurring work again (polling, stock reconciliation).
    const schedulers = new Set(
      (await e.worker.deps.producer.queue(QUEUES.sync).getJobSchedulers(0, 1000)).map((j) => j.key),
    );
    const missingSchedulers = synced.flatMap((t) =>
      [`poll-changes-${t.tenantId}`, `reconcile-stock-${t.tenantId}`].filter((k) => !schedulers.has(k)),
    );
    const log = e.bling.sim.requestLog.slice(from);
    const tokenCalls = log.filter((r) => r.endpoint === "POST /oauth/token");
    const problems: string[] = [...stillRunning(), ...missingSchedulers.map((k) => `scheduler lost: ${k}`)];
    for (const t of tenants) {
      const inv = await checkInvariants(e, t);
      problems.push(...inv.diffs, ...inv.unexplained.map((u) => `unexplained: ${u}`), ...inv.failed);
      tally.record(`empty Redis during the initial sync of ${t.accountId}`, {
        survived: held(inv) && stillRunning().length === 0 && missingSchedulers.length === 0,
        lost: inv.lost,
        duplicated: inv.duplicated,
      });
    }
    tally.record("token refresh after an empty Redis", {
      survived: tokenCalls.length === tenants.length && tokenCalls.every((r) => r.status === 200),
      detail: `${tokenCalls.length} /oauth/token calls for ${tenants.length} accounts`,
    });
    console.log(
      `[resilience] empty Redis: ${keys} keys right after the restart, ${unfinished} syncs unfinished`,
    );
    expect(unfinished, "the syncs were still running when Redis lost everything").toBe(tenants.length);
    expect(problems).toEqual([]);
    // Single-flight: each expired account refreshed exactly once (Bling rotates the refresh token).
    expect(tokenCalls.map((r) => r.status)).toEqual(tenants.map(() => 200));
  }, 150_000);

  it("after the empty restart, no account went above 3 req/s and Bling answered no 429", () => {
    expect(emptyWindow, "the empty-restart test ran").toBeDefined();
    const w = emptyWindow as { from: number; accounts: string[] };
    const log = e.bling.sim.requestLog.slice(w.from);
    const overSeconds: string[] = [];
    for (const a of w.accounts) {
      const times = log.filter((r) => r.accountId === a).map((r) => r.at);
      const seconds = new Set<number>();
      let lo = 0;
      for (let hi = 0; hi < times.length; hi++) {
        while ((times[hi] as number) - (times[lo] as number) >= 1000) lo++;
        if (hi - lo + 1 > 3) seconds.add(Math.floor((times[hi] as number) / 1000));
      }
      if (seconds.size > 0) overSeconds.push(`${a}: ${seconds.size} s above 3 req/s`);
    }
    const tooMany = log.filter((r) => r.status === 429 && r.accountId && w.accounts.includes(r.accountId));
    tally.record("per-account budget after an empty Redis", {
      survived: overSeconds.length === 0 && tooMany.length === 0,
      detail: `${overSeconds.join("; ")} ${tooMany.length} 429s`,
    });
    expect(overSeconds).toEqual([]);
    expect(tooMany).toEqual([]);
  });
});
