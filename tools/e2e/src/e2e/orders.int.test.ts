import { generateDemoAccount } from "@zb/bling-simulator";
import { LedgerRepository, OrderExportsRepository, TenantsRepository } from "@zb/db";
import { waitFor } from "@zb/e2e-kit";
import { exportOrder, RetryLaterError, readTenantSettings, safeJobId } from "@zb/sync";
import { generateCnpj, generateCpf } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

let e: E2E;
beforeAll(async () => {
  e = await startE2E();
}, 60_000);
afterAll(async () => {
  await e?.close();
});

const seq = (seed: number) => {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
};
const digits = (s: unknown) => String(s ?? "").replace(/\D/g, "");

describe("orders to Bling and statuses back, end to end", () => {
  it("20 Zydon orders become exactly 20 Bling orders, with no duplicated contact or payment method, even across a crash after Bling's create", async () => {
    const t = await e.addTenant("Loja Pedidos");
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: 6,
      variationShare: 0,
      contacts: 5,
      paymentMethods: 4,
      seed: 5,
    });
    // A payment method that exists only in Zydon: the export must create it in Bling once.
    e.zydon.sim.seed(t.orgId, { paymentMethods: [{ name: "Pix Portal B2B", type: "PIX" }] });
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    const tenants = new TenantsRepository(e.db.db);
    await waitFor(
      "initial sync",
      async () => (await tenants.findById(t.tenantId))?.initialSyncDoneAt,
      120_000,
    );

    const snap = e.zydon.sim.snapshot(t.orgId);
    const skus = snap.products.filter((p) => p.variations.length === 0).map((p) => p.sku);
    expect(skus.length).toBeGreaterThan(2);
    const methods = snap.paymentMethods.map((m) => m.id);
    const zydonOnly = snap.paymentMethods.find((m) => m.name === "Pix Portal B2B")?.id as string;
    const knownPartners = snap.partners.map((p) => p.id);
    expect(knownPartners.length).toBeGreaterThan(0);
    const rnd = seq(99);
    // 5 new buyers, each ordering twice: their Bling contact must be created once.
    const newBuyers = Array.from({ length: 5 }, (_, i) =>
      i % 2 === 0
        ? { name: `Comprador Novo ${i}`, type: "PF", fiscal_registration_number: generateCpf(rnd) }
        : { name: `Empresa Nova ${i}`, type: "PJ", fiscal_registration_number: generateCnpj(rnd) },
    );
    const orderIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const buyer = newBuyers[i % 5] as Record<string, unknown>;
      const existing = snap.partners.find(
        (p) => digits(p.fiscal_registration_number) === digits(buyer.fiscal_registration_number),
      );
      const partner =
        i < 10
          ? { id: knownPartners[i % knownPartners.length] as string }
          : existing
            ? { id: existing.id }
            : buyer;
      const { orderId } = await e.zydon.sim.placeOrder(t.orgId, {
        partner,
        items: [
          { sku: skus[i % skus.length] as string, quantity: 1 + (i % 3) },
          { sku: skus[(i + 1) % skus.length] as string, quantity: 2 },
        ],
        paymentMethodId: i % 4 === 0 ? zydonOnly : (methods[i % methods.length] as string),
        installments: 1 + (i % 3),
        freightValue: i % 2 === 0 ? 12.5 : 0,
      });
      orderIds.push(orderId);
      // Partners created by the portal become known for later orders of the same buyer.
      if (!existing && i >= 10) snap.partners.push(...e.zydon.sim.snapshot(t.orgId).partners.slice(-1));
    }

    // Crash injection: the first order's create reaches Bling, then the process "dies" before our write.
    const first = orderIds[0] as string;
    const tenant = await tenants.findById(t.tenantId);
    if (!tenant) throw new Error("tenant missing");
    const ctx = await e.worker.deps.contextFor(tenant, readTenantSettings(tenant.settings), "orders");
    const realCreate = ctx.bling.createOrder.bind(ctx.bling);
    ctx.bling = {
      ...ctx.bling,
      createOrder: async (input) => {
        await realCreate(input);
        throw new RetryLaterError("simulated crash after Bling's create");
      },
    };
    await expect(exportOrder(ctx, first)).rejects.toThrow(/simulated crash/);
    const exportsRepo = new OrderExportsRepository(e.db.db);
    expect((await exportsRepo.get(t.tenantId, first))?.state).toBe("creating");
    // Time passes: the dead worker's claim goes stale.
    await e.db
      .sql`update order_exports set updated_at = now() - interval '10 minutes' where zydon_order_id = ${first}`;

    // Every order arrives by webhook; five webhooks are duplicated; polling also finds them all.
    for (const [i, id] of orderIds.entries()) {
      await e.worker.deps.producer.enqueue(
        "export-order",
        { tenantId: t.tenantId, zydonOrderId: id },
        { jobId: safeJobId("export", t.tenantId, id) },
      );
      if (i % 4 === 1)
        await e.worker.deps.producer.enqueue("export-order", { tenantId: t.tenantId, zydonOrderId: id });
    }
    await e.worker.deps.producer.enqueue("poll-changes", { tenantId: t.tenantId });

    await waitFor(
      "20 exports",
      async () => {
        const rows = await Promise.all(orderIds.map((id) => exportsRepo.get(t.tenantId, id)));
        return rows.every((r) => r?.state === "created");
      },
      150_000,
    );
    // Let duplicate jobs drain before counting.
    await waitFor(
      "queues to drain",
      async () => {
        const c = await e.queueCounts();
        return (c["orders.waiting"] ?? 0) + (c["orders.active"] ?? 0) + (c["orders.delayed"] ?? 0) === 0;
      },
      60_000,
    );

    const acc = e.bling.sim.control.getAccount(t.accountId);
    const ours = acc.orders.filter((o) => orderIds.includes(String(o.numeroLoja)));
    expect(ours).toHaveLength(20);
    expect(new Set(ours.map((o) => o.numeroLoja)).size).toBe(20);
    const docCount = new Map<string, number>();
    for (const c of acc.contacts) {
      const d = digits(c.numeroDocumento);
      if (d) docCount.set(d, (docCount.get(d) ?? 0) + 1);
    }
    expect([...docCount.values()].filter((n) => n > 1)).toEqual([]);
    for (const b of newBuyers) expect(docCount.get(digits(b.fiscal_registration_number))).toBe(1);
    const pix = acc.paymentMethods.filter((m) => m.descricao === "Pix Portal B2B");
    expect(pix).toHaveLength(1);
    // Installments add up to the order total, to the cent.
    for (const o of ours) {
      const r = o as unknown as { total: number; parcelas: Array<{ valor: number }> };
      const sum = r.parcelas.reduce((s, p) => s + Math.round(p.valor * 100), 0);
      expect(sum).toBe(Math.round(r.total * 100));
    }

    // Statuses back: "Cancelado" exists in Zydon with an allowed move; "Atendido" has no same-named status.
    const byNumeroLoja = new Map(ours.map((o) => [String(o.numeroLoja), o]));
    const cancelled = byNumeroLoja.get(orderIds[2] as string) as { id: number };
    const attended = byNumeroLoja.get(orderIds[3] as string) as { id: number };
    const situacoes = acc.situacoes;
    const sitId = (nome: string) => (situacoes.find((s) => s.nome === nome) as { id: number }).id;
    e.bling.sim.control.setOrderSituacao(t.accountId, cancelled.id, sitId("Cancelado"));
    e.bling.sim.control.setOrderSituacao(t.accountId, attended.id, sitId("Atendido"));
    for (const o of [cancelled, attended])
      await e.worker.deps.producer.enqueue("order-status", {
        tenantId: t.tenantId,
        blingOrderId: String(o.id),
      });
    await waitFor(
      "Zydon order cancelled",
      async () => {
        const z = e.zydon.sim.snapshot(t.orgId).orders.find((o) => o.id === orderIds[2]);
        const st = e.zydon.sim.snapshot(t.orgId).statuses.find((s) => s.id === z?.statusId);
        return st?.name === "Cancelado";
      },
      30_000,
    );
    const ledger = new LedgerRepository(e.db.db);
    const why = await waitFor(
      "ledger entry for the missing status",
      async () => {
        const r = await ledger.list({ tenantId: t.tenantId, entity: "order_status", pageSize: 50 });
        return r.items.find((x) => x.entityKey === orderIds[3]);
      },
      30_000,
    );
    expect(why.reason).toMatch(/Atendido/);

    const stats = e.bling.sim.control.stats(t.accountId);
    expect(stats.tooManyRequests).toBe(0);
    expect(stats.maxPerSecond).toBeLessThanOrEqual(e.env.BLING_RATE_SHARE);
  }, 300_000);
});
