import { CursorsRepository, OrderExportsRepository } from "@zb/db";
import { generateCnpj } from "@zb/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readTenantSettings } from "../settings/tenant-settings.js";
import { zydonErrors } from "../test-support/call-log.js";
import { zydonOrder } from "../test-support/fake-zydon.js";
import { ledgerRows, links, type TestContext, useSyncTestDatabase } from "../test-support/test-context.js";
import { exportOrder } from "./orders.js";
import {
  checkZydonOrderStatus,
  noteNfeTriggerChange,
  pollZydonOrderStatuses,
  ZYDON_STATUS_ACTION,
  zydonStatusExportJobId,
} from "./zydon-status-watch.js";

const t = useSyncTestDatabase();

const OPEN = "st-open";
const APPROVED = "st-approved";

async function world(settings: unknown) {
  // The real clock: the window is compared with the rows' created_at, which the database stamps.
  const ctx = await t.context({ settings, now: new Date() });
  ctx.zydon.putStatus("Em aberto", { id: OPEN, next: [APPROVED] });
  ctx.zydon.putStatus("Aprovado", { id: APPROVED });
  const place = (id: string, statusId: string = OPEN) =>
    ctx.zydon.putOrder(zydonOrder({ id, partnerId: "partner-1", statusId }));
  /** A merchant moves the order in Zydon's admin (Zydon stamps when: `statuses[].created_at`). */
  const move = (id: string, statusId: string) => {
    const o = ctx.zydon.orders.get(id);
    if (!o) throw new Error(`no order ${id}`);
    o.statusId = statusId;
    o.statusSince = new Date().toISOString();
  };
  // Saved through the page a minute ago: NF-e on from then (what the settings save records).
  await noteNfeTriggerChange(
    ctx.db,
    ctx.tenantId,
    readTenantSettings({}).nfe,
    ctx.settings.nfe,
    new Date(Date.now() - 60_000),
  );
  return { ctx, place, move, repo: new OrderExportsRepository(ctx.db) };
}

const fromApproved = { orders: { trigger: "from_status", zydonStatusId: APPROVED } };
const nfeOnApproved = { nfe: { enabled: true, approvedZydonStatusId: APPROVED } };

async function exportedRow(ctx: TestContext, id: string, blingOrderId = "9001") {
  const repo = new OrderExportsRepository(ctx.db);
  const { row } = await repo.ensure(ctx.tenantId, id);
  return repo.transition(row.id, ["pending"], "created", { blingOrderId });
}

describe("Zydon-side status changes: one order read again", () => {
  it("from_status: below the status it waits (row kept), at the status it asks for the export once per arrival", async () => {
    const { ctx, place, move, repo } = await world(fromApproved);
    place("Z-1");
    // The order's creation was never seen (its webhook lost): the update makes it known and waiting.
    expect(await checkZydonOrderStatus(ctx, "Z-1")).toEqual({
      kind: "waiting",
      zydonOrderId: "Z-1",
      statusId: OPEN,
    });
    expect((await repo.get(ctx.tenantId, "Z-1"))?.state).toBe("pending");
    expect(await ledgerRows(ctx)).toEqual([]);

    move("Z-1", APPROVED);
    expect(await checkZydonOrderStatus(ctx, "Z-1")).toEqual({
      kind: "export",
      zydonOrderId: "Z-1",
      statusId: APPROVED,
    });
    const [entry] = await ledgerRows(ctx, "order");
    expect(entry).toMatchObject({ action: ZYDON_STATUS_ACTION, outcome: "synced", entityKey: "Z-1" });
    expect(entry?.reason).toBe('Pedido Z-1 chegou ao status "Aprovado" no Zydon: envio ao Bling iniciado.');
    // Nothing was exported here: the export-order job does it (its own claim makes it once).
    expect(ctx.bling.log.count()).toBe(0);
    // A second notice of the same arrival names the same job.
    expect(zydonStatusExportJobId(ctx.tenantId, "Z-1", APPROVED)).toBe(
      zydonStatusExportJobId(ctx.tenantId, "Z-1", APPROVED),
    );
    expect(zydonStatusExportJobId(ctx.tenantId, "Z-1", APPROVED)).not.toContain(":");
  });

  it("never decides on a webhook's word: the status is the one Zydon answers now", async () => {
    const { ctx, place } = await world(fromApproved);
    place("Z-2", OPEN);
    // (A webhook said "approved"; Zydon still has it open.)
    expect((await checkZydonOrderStatus(ctx, "Z-2")).kind).toBe("waiting");
    expect(ctx.zydon.log.count("getOrder")).toBe(1);
  });

  it("an exported order is not exported again, and 'all' watches nothing for the export", async () => {
    const { ctx, place, move } = await world(fromApproved);
    place("Z-3", APPROVED);
    await exportedRow(ctx, "Z-3");
    move("Z-3", APPROVED);
    expect(await checkZydonOrderStatus(ctx, "Z-3")).toEqual({ kind: "not_watched", zydonOrderId: "Z-3" });
    expect(ctx.zydon.log.count("getOrder")).toBe(0);

    const all = await world({});
    all.place("Z-4", APPROVED);
    expect((await checkZydonOrderStatus(all.ctx, "Z-4")).kind).toBe("not_watched");
    expect(all.ctx.zydon.log.count("getOrder")).toBe(0);
  });

  it("NF-e on: an exported order approved on the Zydon side starts its NF-e like a Bling-side move", async () => {
    const { ctx, place, move } = await world(nfeOnApproved);
    place("Z-5", OPEN);
    await exportedRow(ctx, "Z-5", "7005");
    expect((await checkZydonOrderStatus(ctx, "Z-5")).kind).toBe("waiting");
    expect(ctx.enqueued.nfe).toEqual([]);

    move("Z-5", APPROVED);
    expect(await checkZydonOrderStatus(ctx, "Z-5")).toEqual({
      kind: "nfe_started",
      zydonOrderId: "Z-5",
      statusId: APPROVED,
    });
    expect(ctx.enqueued.nfe).toEqual(["Z-5"]);
    const [entry] = await ledgerRows(ctx, "nfe");
    expect(entry?.reason).toBe('Pedido Z-5 aprovado no Zydon ("Aprovado"): emissão da NF-e iniciada.');
    expect(entry?.action).toBe(ZYDON_STATUS_ACTION);
  });

  it("approved before NF-e was switched on (or at an unknown time): no NF-e; switched on later: from then on", async () => {
    // NF-e off while the order is approved in Zydon; the merchant switches it on afterwards.
    const ctx = await t.context({ settings: nfeOnApproved, now: new Date() });
    ctx.zydon.putStatus("Aprovado", { id: APPROVED });
    const approvedAt = new Date(Date.now() - 10 * 60_000).toISOString();
    ctx.zydon.putOrder(
      zydonOrder({ id: "Z-OLD", partnerId: "p", statusId: APPROVED, statusSince: approvedAt }),
    );
    ctx.zydon.putOrder(zydonOrder({ id: "Z-WHEN", partnerId: "p", statusId: APPROVED }));
    await exportedRow(ctx, "Z-OLD", "8001");
    await exportedRow(ctx, "Z-WHEN", "8002");
    const off = readTenantSettings({}).nfe;
    await noteNfeTriggerChange(ctx.db, ctx.tenantId, off, ctx.settings.nfe, new Date(Date.now() - 60_000));
    expect(await checkZydonOrderStatus(ctx, "Z-OLD")).toEqual({
      kind: "approved_before_nfe",
      zydonOrderId: "Z-OLD",
      statusId: APPROVED,
    });
    expect((await checkZydonOrderStatus(ctx, "Z-WHEN")).kind).toBe("approved_before_nfe");
    expect(ctx.enqueued.nfe).toEqual([]);
    expect(await ledgerRows(ctx)).toEqual([]);
    // Approved again after the switch (cancelled and re-approved, say): that arrival starts the NF-e.
    const o = ctx.zydon.orders.get("Z-OLD");
    if (o) o.statusSince = new Date().toISOString();
    expect((await checkZydonOrderStatus(ctx, "Z-OLD")).kind).toBe("nfe_started");
    expect(ctx.enqueued.nfe).toEqual(["Z-OLD"]);
  });

  it("the NF-e start is recorded only when switched on or pointed elsewhere; without a record it starts now", async () => {
    const ctx = await t.context({ settings: nfeOnApproved, now: new Date() });
    ctx.zydon.putStatus("Aprovado", { id: APPROVED });
    const stream = "watch:nfe-trigger";
    const read = () =>
      new CursorsRepository(ctx.db).get(
        ctx.tenantId,
        stream,
        z.object({ since: z.string(), statusId: z.string() }),
      );
    // No record (switched on before this build): the first look records "now" (the context's clock).
    ctx.zydon.putOrder(
      zydonOrder({ id: "Z-L", partnerId: "p", statusId: APPROVED, statusSince: new Date().toISOString() }),
    );
    await exportedRow(ctx, "Z-L");
    expect((await checkZydonOrderStatus(ctx, "Z-L")).kind).toBe("nfe_started");
    expect(await read()).toEqual({ since: ctx.now().toISOString(), statusId: APPROVED });

    const on = ctx.settings.nfe;
    const t1 = new Date("2026-05-01T10:00:00.000Z");
    await noteNfeTriggerChange(ctx.db, ctx.tenantId, readTenantSettings({}).nfe, on, t1);
    expect(await read()).toEqual({ since: t1.toISOString(), statusId: APPROVED });
    // Saved again unchanged (or switched off): the start stays.
    await noteNfeTriggerChange(ctx.db, ctx.tenantId, on, on, new Date("2026-05-02T10:00:00.000Z"));
    await noteNfeTriggerChange(
      ctx.db,
      ctx.tenantId,
      on,
      { enabled: false },
      new Date("2026-05-03T10:00:00Z"),
    );
    expect(await read()).toEqual({ since: t1.toISOString(), statusId: APPROVED });
    const t2 = new Date("2026-05-04T10:00:00.000Z");
    await noteNfeTriggerChange(
      ctx.db,
      ctx.tenantId,
      on,
      { enabled: true, approvedZydonStatusId: "st-x" },
      t2,
    );
    expect(await read()).toEqual({ since: t2.toISOString(), statusId: "st-x" });
  });

  it("NF-e already started (any state), NF-e off, or an order not exported: no NF-e from the watch", async () => {
    const { ctx, place, repo } = await world(nfeOnApproved);
    place("Z-6", APPROVED);
    const row = await exportedRow(ctx, "Z-6");
    await repo.nfeTransition(row?.id as number, [null], "generating");
    expect((await checkZydonOrderStatus(ctx, "Z-6")).kind).toBe("not_watched");

    place("Z-7", APPROVED);
    await repo.ensure(ctx.tenantId, "Z-7"); // pending, trigger "all": nothing waits on a Zydon status
    expect((await checkZydonOrderStatus(ctx, "Z-7")).kind).toBe("not_watched");

    const off = await world({ nfe: { enabled: false, approvedZydonStatusId: APPROVED } });
    off.place("Z-8", APPROVED);
    await exportedRow(off.ctx, "Z-8");
    expect((await checkZydonOrderStatus(off.ctx, "Z-8")).kind).toBe("not_watched");
    expect([...ctx.enqueued.nfe, ...off.ctx.enqueued.nfe]).toEqual([]);
  });

  it("an order Zydon no longer knows is reported missing, nothing recorded", async () => {
    const { ctx } = await world(fromApproved);
    expect(await checkZydonOrderStatus(ctx, "Z-GONE")).toEqual({ kind: "missing", zydonOrderId: "Z-GONE" });
    expect(await ledgerRows(ctx)).toEqual([]);
  });

  it("with the export pipeline: received below the status → not eligible, kept; moved → exported exactly once", async () => {
    const { ctx, move, repo } = await world(fromApproved);
    const partner = ctx.zydon.putPartner({
      name: "Ferragens Silva Ltda",
      type: "PJ",
      fiscal_registration_number: generateCnpj(),
      state_registration: null,
      email: null,
      phone: null,
      mobile: null,
      address: null,
    });
    const boleto = ctx.zydon.putPaymentMethod("Boleto", "BANK_SLIP");
    await links(ctx).upsert({
      tenantId: ctx.tenantId,
      entity: "product",
      blingId: "101",
      zydonId: "zp-101",
      naturalKey: "PAR-1",
      data: { kind: "simple" },
    });
    ctx.zydon.putOrder(
      zydonOrder({
        id: "Z-9",
        partnerId: partner.id,
        statusId: OPEN,
        items: [
          { sku: "PAR-1", productId: null, variationId: null, quantity: 2, unitValue: 10, discount: 0 },
        ],
        payments: [{ paymentMethodId: boleto.id, amount: 20, installments: 1 }],
        totalValue: 20,
      }),
    );
    expect((await exportOrder(ctx, "Z-9")).kind).toBe("not_eligible");
    expect((await repo.get(ctx.tenantId, "Z-9"))?.state).toBe("pending");
    expect((await checkZydonOrderStatus(ctx, "Z-9")).kind).toBe("waiting");

    move("Z-9", APPROVED);
    expect((await checkZydonOrderStatus(ctx, "Z-9")).kind).toBe("export");
    // What the export-order job then runs, twice (webhook and poll both noticed): one Bling order.
    expect((await exportOrder(ctx, "Z-9")).kind).toBe("created");
    expect((await exportOrder(ctx, "Z-9")).kind).toBe("already");
    expect(ctx.bling.log.count("createOrder")).toBe(1);
    expect((await checkZydonOrderStatus(ctx, "Z-9")).kind).toBe("not_watched");
  });
});

describe("Zydon-side status changes: the polling fallback", () => {
  it("re-reads waiting orders in batches, round-robin, within the window, and acts on those that moved", async () => {
    const { ctx, place, move, repo } = await world({ ...fromApproved, ...nfeOnApproved });
    for (const id of ["P-1", "P-2", "P-3"]) {
      place(id, OPEN);
      await repo.ensure(ctx.tenantId, id);
    }
    place("P-4", OPEN);
    await exportedRow(ctx, "P-4", "7004");
    // Older than the window: never read again.
    place("P-OLD", APPROVED);
    await repo.ensure(ctx.tenantId, "P-OLD");
    await t.sql`update order_exports set created_at = now() - interval '31 days'
                where tenant_id = ${ctx.tenantId} and zydon_order_id = 'P-OLD'`;
    // Exported with its NF-e started: nothing to wait for.
    place("P-5", APPROVED);
    const p5 = await exportedRow(ctx, "P-5", "7005");
    await repo.nfeTransition(p5?.id as number, [null], "generating");

    move("P-2", APPROVED);
    move("P-4", APPROVED);
    const first = await pollZydonOrderStatuses(ctx, { batch: 2 });
    expect(first).toEqual({
      checked: 2,
      exports: [{ zydonOrderId: "P-2", statusId: APPROVED }],
      nfeStarted: 0,
      interrupted: false,
    });
    const second = await pollZydonOrderStatuses(ctx, { batch: 2 });
    expect(second).toMatchObject({ checked: 2, exports: [], nfeStarted: 1 });
    expect(ctx.enqueued.nfe).toEqual(["P-4"]);
    const readIds = ctx.zydon.log.argsOf("getOrder").map((a) => a[0]);
    expect(readIds).toEqual(["P-1", "P-2", "P-3", "P-4"]);
    // Past the end of the list the run goes on from its start: the one read longest ago first.
    const third = await pollZydonOrderStatuses(ctx, { batch: 3 });
    expect(third.checked).toBe(3);
    expect(
      ctx.zydon.log
        .argsOf("getOrder")
        .slice(4)
        .map((a) => a[0]),
    ).toEqual(["P-1", "P-2", "P-3"]);
    expect(readIds).not.toContain("P-OLD");
    expect(readIds).not.toContain("P-5");
  });

  it("watches nothing (no Zydon call) when neither setting waits on a Zydon status", async () => {
    const { ctx, place, repo } = await world({});
    place("Q-1", OPEN);
    await repo.ensure(ctx.tenantId, "Q-1");
    expect(await pollZydonOrderStatuses(ctx)).toEqual({
      checked: 0,
      exports: [],
      nfeStarted: 0,
      interrupted: false,
    });
    expect(ctx.zydon.log.count()).toBe(0);
  });

  it("a transient Zydon error ends the run early, keeps what it found, and the next run goes on from there", async () => {
    const { ctx, place, repo } = await world(fromApproved);
    for (const id of ["R-1", "R-2", "R-3"]) {
      place(id, APPROVED);
      await repo.ensure(ctx.tenantId, id);
    }
    // R-1 is read, R-2's read fails (503): the run stops there, R-1's export is still returned.
    const read = ctx.zydon.getOrder.bind(ctx.zydon);
    let reads = 0;
    ctx.zydon.getOrder = async (id) => {
      if (++reads === 2) throw zydonErrors.server(`/api/sales/orders/${id}`);
      return read(id);
    };
    const r0 = await pollZydonOrderStatuses(ctx, { batch: 10 });
    expect(r0).toEqual({
      checked: 1,
      exports: [{ zydonOrderId: "R-1", statusId: APPROVED }],
      nfeStarted: 0,
      interrupted: true,
    });
    // The next run starts at R-2 and, past the end, comes back to R-1 (still not exported).
    const r1 = await pollZydonOrderStatuses(ctx, { batch: 10 });
    expect(r1.interrupted).toBe(false);
    expect(r1.exports.map((e) => e.zydonOrderId)).toEqual(["R-2", "R-3", "R-1"]);
    const cursor = await new CursorsRepository(ctx.db).get(
      ctx.tenantId,
      "poll:zydon-status-watch",
      z.object({ afterId: z.number() }),
    );
    expect(cursor).toEqual({ afterId: 0 });
  });
});
