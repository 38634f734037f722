import { CredentialsRepository, LedgerRepository, secretBoxFromConfig, TenantsRepository } from "@zb/db";
import { QUEUES } from "@zb/sync";
import { Queue } from "bullmq";
import { CLIENT_ID, type E2E, waitFor } from "./harness.js";
import { compareStates } from "./state-checker.js";

export type Tenant = Awaited<ReturnType<E2E["addTenant"]>>;

/** A deterministic number sequence in [0, 1) (LCG), so a failing seed can be replayed. */
export function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

/** Authenticated Bling API calls the simulator answered for this account so far. */
export function blingRequests(e: E2E, accountId: string): number {
  return e.bling.sim.requestLog.filter((r) => r.accountId === accountId).length;
}

/** Wait until the simulator has answered `n` calls for the account (or `done()` says there is no point). */
export async function waitForBlingRequests(
  e: E2E,
  accountId: string,
  n: number,
  done: () => Promise<boolean>,
  timeoutMs = 40_000,
): Promise<"reached" | "done"> {
  const deadline = Date.now() + timeoutMs;
  let checks = 0;
  for (;;) {
    if (blingRequests(e, accountId) >= n) return "reached";
    if (++checks % 10 === 0 && (await done())) return "done";
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} Bling requests`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function initialSyncDone(e: E2E, tenantId: string): Promise<boolean> {
  return Boolean((await new TenantsRepository(e.db.db).findById(tenantId))?.initialSyncDoneAt);
}

export async function waitForInitialSync(e: E2E, tenantId: string, timeoutMs: number): Promise<void> {
  await waitFor("initial sync to finish", () => initialSyncDone(e, tenantId), timeoutMs);
}

/** Jobs of the tenant that BullMQ gave up on, with their reasons (a fault must never leave one). */
export async function failedJobs(e: E2E, tenantId: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of Object.values(QUEUES)) {
    const q = new Queue(name, { connection: e.redis, prefix: e.env.REDIS_PREFIX });
    for (const j of await q.getFailed(0, 500))
      if ((j.data as { tenantId?: string }).tenantId === tenantId)
        out.push(`${j.name}: ${j.failedReason} (attempts ${j.attemptsMade})`);
    await q.close();
  }
  return out;
}

/** Waiting, active, delayed and prioritized jobs of one tenant (recurring schedulers excluded). */
export async function pendingJobs(
  e: E2E,
  tenantId: string,
  opts: { recurring?: boolean } = {},
): Promise<string[]> {
  const out: string[] = [];
  for (const name of Object.values(QUEUES)) {
    const q = new Queue(name, { connection: e.redis, prefix: e.env.REDIS_PREFIX });
    for (const j of await q.getJobs(["waiting", "active", "delayed", "prioritized"], 0, 1000))
      if (j && (j.data as { tenantId?: string }).tenantId === tenantId && (opts.recurring || !j.repeatJobKey))
        out.push(`${j.name} ${j.id}`);
    await q.close();
  }
  return out;
}

export interface Invariants {
  /** The state checker's differences (empty = every record present once on both sides). */
  diffs: string[];
  lost: number;
  duplicated: number;
  /** Bling products absent from Zydon that no ledger entry explains. */
  unexplained: string[];
  failed: string[];
}

/**
 * The issue's invariants after a fault: everything on both sides, nothing twice, a ledger entry for each
 * Bling product that could not be brought over, and no job BullMQ gave up on.
 */
export async function checkInvariants(
  e: E2E,
  t: Tenant,
  opts: { checkStock?: boolean } = {},
): Promise<Invariants> {
  const diffs = compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId, opts);
  const lost = diffs.filter((d) => /missing/.test(d)).length;
  const duplicated = diffs.filter((d) => /has (two|\d+) /.test(d)).length;
  const acc = e.bling.sim.control.getAccount(t.accountId);
  const zSkus = new Map(e.zydon.sim.snapshot(t.orgId).products.map((p) => [p.sku, p.name]));
  const ledger = await new LedgerRepository(e.db.db).list({
    tenantId: t.tenantId,
    entity: "product",
    pageSize: 500,
  });
  const mentioned = (id: string, sku: string) =>
    ledger.items.some(
      (r) =>
        r.entityKey === `bling:${id}` ||
        (sku !== "" && r.entityKey === sku) ||
        String((r.details as { blingId?: unknown } | null)?.blingId ?? "") === id,
    );
  const unexplained: string[] = [];
  for (const p of acc.products) {
    const r = p as {
      id: unknown;
      codigo?: unknown;
      nome?: unknown;
      situacao?: unknown;
      idProdutoPai?: unknown;
    };
    if (r.idProdutoPai || String(r.situacao ?? "A") !== "A") continue;
    const sku = String(r.codigo ?? "").trim();
    const inZydon = sku !== "" && zSkus.get(sku) === String(r.nome ?? "");
    if (!inZydon && !mentioned(String(r.id), sku))
      unexplained.push(`${r.id} ${sku || "(sem SKU)"} ${r.nome}`);
  }
  return { diffs, lost, duplicated, unexplained, failed: await failedJobs(e, t.tenantId) };
}

/** True when the invariants hold (for the tally; tests assert each part to get a readable failure). */
export function held(inv: Invariants): boolean {
  return inv.diffs.length === 0 && inv.unexplained.length === 0 && inv.failed.length === 0;
}

/** Milliseconds, printed with the fault's name: the issue asks for the measured time to recover. */
export function reportRecovery(label: string, ms: number): void {
  console.log(`[resilience] ${label}: recovered in ${(ms / 1000).toFixed(1)} s`);
}

/**
 * What the API's Bling callback does when the merchant reconnects: fresh tokens from the simulator's OAuth,
 * connection back to "connected", tenant active, and the initial sync queued again (it is idempotent).
 */
export async function reconnectBling(e: E2E, t: Tenant): Promise<void> {
  const tokens = e.bling.sim.control.issueTokens(t.accountId, CLIENT_ID, {});
  const now = Date.now();
  await new CredentialsRepository(e.db.db, secretBoxFromConfig(e.env)).connectBling(t.tenantId, {
    blingCompanyId: t.companyId,
    companyName: null,
    tokens: {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      accessExpiresAt: new Date(now + tokens.expires_in * 1000),
      refreshExpiresAt: new Date(now + 30 * 86_400_000),
      scope: tokens.scope,
    },
  });
  await new TenantsRepository(e.db.db).setState(t.tenantId, "active");
  await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
}

/** Move the tenant's delayed jobs to waiting now (the test stands in for the clock reaching their time). */
export async function promoteDelayed(e: E2E, tenantId: string): Promise<number> {
  let n = 0;
  for (const name of Object.values(QUEUES)) {
    const q = new Queue(name, { connection: e.redis, prefix: e.env.REDIS_PREFIX });
    for (const j of await q.getDelayed(0, 1000))
      if (j && (j.data as { tenantId?: string }).tenantId === tenantId && !j.repeatJobKey) {
        await j.promote();
        n++;
      }
    await q.close();
  }
  return n;
}
