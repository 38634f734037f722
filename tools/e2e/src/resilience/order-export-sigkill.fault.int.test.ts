import { generateDemoAccount } from "@zb/bling-simulator";
import { OrderExportsRepository } from "@zb/db";
import {
  blingRequests,
  type Child,
  FaultTally,
  failedJobs,
  pendingJobs,
  reportRecovery,
  seeded,
  waitFor,
  waitForInitialSync,
} from "@zb/e2e-kit";
import { safeJobId } from "@zb/sync";
import { generateCnpj, generateCpf } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, spawnWorker, startE2E } from "../world.js";

/**
 * Issue 9, "worker SIGKILL at random points of an order export": 10 Zydon orders (half from buyers Bling
 * does not know yet) export through a real worker process that is SIGKILLed KILLS times after a seeded
 * random number of Bling requests. A claim a dead worker held is taken over once it is STALE_CLAIM_MS
 * (5 min) old; the test ages the dead claims instead of waiting those minutes. Every order must end as
 * exactly one Bling order, every buyer as exactly one Bling contact.
 */
const KILLS = 4;
const SEED = 17;
const ORDERS = 10;

let e: E2E;
const tally = new FaultTally("order export SIGKILL");
const children: Child[] = [];
const digits = (s: unknown) => String(s ?? "").replace(/\D/g, "");

beforeAll(async () => {
  e = await startE2E({ worker: false });
}, 60_000);
afterAll(async () => {
  for (const c of children) await c.kill("SIGKILL");
  tally.flush();
  await e?.close();
});

describe("worker SIGKILL at random points of an order export", () => {
  it(`${ORDERS} orders, ${KILLS} kills: exactly one Bling order per Zydon order, one contact per buyer`, async () => {
    const t = await e.addTenant("Loja Pedidos Kill");
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: 4,
      variationShare: 0,
      contacts: 2,
      paymentMethods: 2,
      seed: SEED,
    });
    // The catalog first, in process (not the subject here).
    const setup = await e.startWorker({});
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    await waitForInitialSync(e, t.tenantId, 40_000);
    await setup.close();

    const rnd = seeded(SEED);
    const snap = e.zydon.sim.snapshot(t.orgId);
    const skus = snap.products.filter((p) => p.variations.length === 0).map((p) => p.sku);
    const methods = snap.paymentMethods.map((m) => m.id);
    const known = snap.partners.map((p) => p.id);
    const buyers = Array.from({ length: ORDERS / 2 }, (_, i) =>
      i % 2 === 0
        ? { name: `Comprador Kill ${i}`, type: "PF", fiscal_registration_number: generateCpf(rnd) }
        : { name: `Empresa Kill ${i}`, type: "PJ", fiscal_registration_number: generateCnpj(rnd) },
    );
    const orderIds: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const { orderId } = await e.zydon.sim.placeOrder(t.orgId, {
        partner:
          i % 2 === 0
            ? { id: known[i % known.length] as string }
            : (buyers[(i - 1) / 2] as Record<string, string>),
        items: [
          { sku: skus[i % skus.length] as string, quantity: 1 + (i % 3) },
          { sku: skus[(i + 1) % skus.length] as string, quantity: 1 },
        ],
        paymentMethodId: methods[i % methods.length] as string,
        installments: 1 + (i % 2),
      });
      orderIds.push(orderId);
    }
    for (const id of orderIds)
      await e.worker.deps.producer.enqueue(
        "export-order",
        { tenantId: t.tenantId, zydonOrderId: id },
        { jobId: safeJobId("export", t.tenantId, id) },
      );

    const exportsRepo = new OrderExportsRepository(e.db.db);
    const allCreated = async () =>
      (await Promise.all(orderIds.map((id) => exportsRepo.get(t.tenantId, id)))).every(
        (r) => r?.state === "created",
      );
    let worker = spawnWorker(e);
    children.push(worker);
    let restartedAt = Date.now();
    const kills: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      const at = blingRequests(e, t.accountId) + 1 + Math.floor(rnd() * 8);
      let done = false;
      for (let i = 1; blingRequests(e, t.accountId) < at && !done; i++) {
        await new Promise((r) => setTimeout(r, 10));
        if (i % 20 === 0) done = await allCreated();
      }
      if (done) break;
      await worker.kill("SIGKILL");
      const claims = await e.db.sql`
        update order_exports set updated_at = now() - interval '10 minutes'
        where tenant_id = ${t.tenantId} and state = 'creating' returning zydon_order_id`;
      kills.push(`after Bling request ${at} (${claims.length} claim(s) held by the dead process)`);
      console.log(`[resilience] order export SIGKILL ${k + 1} ${kills.at(-1)}`);
      worker = spawnWorker(e);
      children.push(worker);
      restartedAt = Date.now();
    }
    await waitFor("10 exports", allCreated, 45_000).catch(async (err) => {
      const rows = await Promise.all(orderIds.map((id) => exportsRepo.get(t.tenantId, id)));
      throw new Error(
        `${(err as Error).message}\n${rows.map((r) => `${r?.zydonOrderId} ${r?.state} ${r?.lastError ?? ""}`).join("\n")}\nfailed: ${(await failedJobs(e, t.tenantId)).join("\n")}\n${worker.output().slice(-2000)}`,
      );
    });
    reportRecovery(
      `${ORDERS} orders exported after the last of ${kills.length} SIGKILLs`,
      Date.now() - restartedAt,
    );
    // Duplicate deliveries (stalled jobs handed over) must drain without a second create.
    await waitFor(
      "export jobs to drain",
      async () => (await pendingJobs(e, t.tenantId)).every((j) => !j.startsWith("export-order")),
      20_000,
    );
    await worker.kill("SIGTERM");

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
    for (const k of kills)
      tally.record(`kill ${k}`, { survived: lost + duplicated + failed.length === 0, lost, duplicated });

    expect(kills).toHaveLength(KILLS);
    expect(perOrder).toEqual(orderIds.map(() => 1));
    expect(dupContacts).toEqual([]);
    for (const b of buyers) expect(docs.get(digits(b.fiscal_registration_number))).toBe(1);
    expect(failed).toEqual([]);
  }, 90_000);
});
