import {
  CursorsRepository,
  type Database,
  LedgerRepository,
  type OrderExport,
  OrderExportsRepository,
} from "@zb/db";
import { z } from "zod";
import { safeJobId } from "../queues/job-ids.js";
import type { TenantSettings } from "../settings/tenant-settings.js";
import { isTransient, type SyncContext } from "./context.js";
import { isNfeTrigger } from "./nfe.js";
import { isEligible } from "./orders.js";

/**
 * Zydon-side order status changes (issue 19 #3): an order that reaches the "export from status X on" status
 * after we first heard of it is exported then, and an exported order approved on the Zydon side starts its NF-e
 * as a Bling-side move does. Two ways in: the order-update webhook (zydon-api.md §9 [ZS-233], a guess in the
 * Zydon adapter) and, because webhooks get lost, a periodic pass over the orders that still wait for a status.
 * Neither trusts a status named by a webhook: each re-reads the order (`getOrder`, §8.1 `statuses[]`).
 *
 * Exactly once comes from the paths this calls: `export-order` (the export row's compare-and-set claim and the
 * `numeroLoja` lookup) and the NF-e step (`nfe-step` with its per-order job id, and `nfe_state` claims).
 */

/** The ledger action of what a Zydon-side status change started ("Status no Zydon" on the page). */
export const ZYDON_STATUS_ACTION = "zydon_status";

/** The polling fallback re-reads orders recorded in the last 30 days, 25 per run. */
export const ZYDON_STATUS_WATCH_DAYS = 30;
export const ZYDON_STATUS_WATCH_BATCH = 25;

export type ZydonStatusCheck =
  /** Reached the export status: the caller enqueues `export-order` (`zydonStatusExportJobId`). */
  | { kind: "export"; zydonOrderId: string; statusId: string }
  /** Exported and now approved on the Zydon side: its NF-e step was queued. */
  | { kind: "nfe_started"; zydonOrderId: string; statusId: string }
  /**
   * In the approved status since before NF-e emission was switched on (or pointed at this status): no NF-e
   * (the trigger is reaching the status, PRODUCT.md #7; switching NF-e on must not emit notes for old orders).
   */
  | { kind: "approved_before_nfe"; zydonOrderId: string; statusId: string }
  /** Watched, but not at the status it waits for. */
  | { kind: "waiting"; zydonOrderId: string; statusId: string | null }
  /** Nothing to watch for this order (exported without NF-e to start, being exported, failed, settings). */
  | { kind: "not_watched"; zydonOrderId: string }
  /** Zydon does not know the order (404). */
  | { kind: "missing"; zydonOrderId: string };

/**
 * The `export-order` job id for an order that reached a status on the Zydon side. Not the webhook's
 * `export_<tenant>_<order>`: that job may have run already (answering "not eligible" while the order was below
 * the status) and BullMQ keeps a finished job's id for an hour, so the same id would add nothing. One id per
 * order and status still makes a repeated notice of the same arrival (webhook and poll, duplicates) one job.
 */
export function zydonStatusExportJobId(tenantId: string, zydonOrderId: string, statusId: string): string {
  return safeJobId("export", tenantId, zydonOrderId, "zs", statusId);
}

function watchesExport(ctx: SyncContext, row: OrderExport | undefined): boolean {
  // No row: an order whose creation we never saw (its webhook lost, outside the new-orders poll window).
  return ctx.settings.orders.trigger === "from_status" && (!row || row.state === "pending");
}

function watchesNfe(ctx: SyncContext, row: OrderExport | undefined): boolean {
  const n = ctx.settings.nfe;
  return (
    n.enabled &&
    !!n.approvedZydonStatusId &&
    row?.state === "created" &&
    !!row.blingOrderId &&
    (row.nfeState ?? null) === null
  );
}

async function statusName(ctx: SyncContext, statusId: string): Promise<string> {
  try {
    return (await ctx.zydon.listStatuses()).find((s) => s.id === statusId)?.name ?? statusId;
  } catch (err) {
    // Only the ledger's wording depends on it: the id says the same when Zydon is briefly unavailable.
    if (isTransient(err)) return statusId;
    throw err;
  }
}

/** Read one order again at Zydon and act on its current status (see the module comment). */
export async function checkZydonOrderStatus(
  ctx: SyncContext,
  zydonOrderId: string,
  known?: OrderExport,
): Promise<ZydonStatusCheck> {
  const exportsRepo = new OrderExportsRepository(ctx.db);
  const row = known ?? (await exportsRepo.get(ctx.tenantId, zydonOrderId));
  const forExport = watchesExport(ctx, row);
  const forNfe = watchesNfe(ctx, row);
  if (!forExport && !forNfe) return { kind: "not_watched", zydonOrderId };

  const order = await ctx.zydon.getOrder(zydonOrderId);
  if (!order) {
    ctx.log.info({ tenantId: ctx.tenantId, zydonOrderId }, "Zydon status watch: order not found at Zydon");
    return { kind: "missing", zydonOrderId };
  }
  const statusId = order.statusId;
  const ledger = new LedgerRepository(ctx.db);

  if (forExport) {
    // Known from here on: an order below the status keeps a row, so the polling fallback re-reads it.
    if (!row) await exportsRepo.ensure(ctx.tenantId, zydonOrderId);
    if (!statusId || !(await isEligible(ctx, order))) return { kind: "waiting", zydonOrderId, statusId };
    const name = await statusName(ctx, statusId);
    await ledger.record({
      tenantId: ctx.tenantId,
      entity: "order",
      entityKey: zydonOrderId,
      action: ZYDON_STATUS_ACTION,
      outcome: "synced",
      reason: `Pedido ${zydonOrderId} chegou ao status "${name}" no Zydon: envio ao Bling iniciado.`,
      details: { zydonStatusId: statusId },
    });
    return { kind: "export", zydonOrderId, statusId };
  }

  if (!statusId || !isNfeTrigger(ctx, statusId)) return { kind: "waiting", zydonOrderId, statusId };
  const since = await nfeTriggerSince(ctx, statusId);
  const reached = order.statusSince ? Date.parse(order.statusSince) : Number.NaN;
  // Unknown arrival time: not started (a note emitted by mistake cannot be taken back; one missed can be
  // emitted in Bling by the merchant).
  if (!(reached >= since.getTime())) {
    ctx.log.info(
      { tenantId: ctx.tenantId, zydonOrderId, statusSince: order.statusSince ?? null },
      "Zydon status watch: approved before NF-e emission was switched on: no NF-e started",
    );
    return { kind: "approved_before_nfe", zydonOrderId, statusId };
  }
  // The same start as a Bling-side move (statuses.ts): the NF-e step, whose own claims make it once.
  await ctx.enqueueNfe?.(zydonOrderId);
  const name = await statusName(ctx, statusId);
  await ledger.record({
    tenantId: ctx.tenantId,
    entity: "nfe",
    entityKey: zydonOrderId,
    action: ZYDON_STATUS_ACTION,
    outcome: "synced",
    reason: `Pedido ${zydonOrderId} aprovado no Zydon ("${name}"): emissão da NF-e iniciada.`,
    details: { zydonStatusId: statusId, blingOrderId: row?.blingOrderId ?? null },
  });
  return { kind: "nfe_started", zydonOrderId, statusId };
}

/** Since when NF-e emission has been on for its current approved status (see `noteNfeTriggerChange`). */
const NFE_TRIGGER_CURSOR = "watch:nfe-trigger";
const nfeTriggerCursor = z.object({ since: z.string(), statusId: z.string() });

function nfeTriggerStatus(n: TenantSettings["nfe"]): string | null {
  return n.enabled && n.approvedZydonStatusId ? n.approvedZydonStatusId : null;
}

/**
 * The settings save calls this: NF-e switched on, or pointed at another approved status, at `now`. From then on
 * an order reaching that status on the Zydon side starts its NF-e; orders already in it do not.
 */
export async function noteNfeTriggerChange(
  db: Database,
  tenantId: string,
  before: TenantSettings["nfe"],
  next: TenantSettings["nfe"],
  now: Date,
): Promise<void> {
  const statusId = nfeTriggerStatus(next);
  if (!statusId || statusId === nfeTriggerStatus(before)) return;
  await new CursorsRepository(db).set(tenantId, NFE_TRIGGER_CURSOR, { since: now.toISOString(), statusId });
}

async function nfeTriggerSince(ctx: SyncContext, statusId: string): Promise<Date> {
  const cursors = new CursorsRepository(ctx.db);
  const c = await cursors.get(ctx.tenantId, NFE_TRIGGER_CURSOR, nfeTriggerCursor).catch(() => undefined);
  if (c && c.statusId === statusId) return new Date(c.since);
  // Switched on before this build (or outside the page): from the first time the watch sees it.
  const since = ctx.now();
  await cursors.set(ctx.tenantId, NFE_TRIGGER_CURSOR, { since: since.toISOString(), statusId });
  return since;
}

const watchCursor = z.object({ afterId: z.number().int().nonnegative() });
const CURSOR = "poll:zydon-status-watch";

export interface ZydonStatusPass {
  checked: number;
  /** Orders that reached the export status: the caller enqueues their `export-order`. */
  exports: Array<{ zydonOrderId: string; statusId: string }>;
  nfeStarted: number;
  /** A transient error (Zydon unavailable, rate limit) ended the run early; the next run goes on from there. */
  interrupted: boolean;
}

/**
 * Polling fallback of the watch, for lost order-update webhooks: Zydon has no "updated since" filter we know of
 * (zydon-api.md §8.1: `GET /orders` filters UNKNOWN; §8.2: `GET /sales` filters by creation date only; §11 #5),
 * so the orders we know that still wait for a Zydon-side status (not exported under "from status X", or
 * exported with NF-e on and none started), recorded in the last `days`, are re-read one by one: `batch` per
 * run, round-robin by row id (a cursor), so each is re-read in turn, the one checked longest ago first.
 */
export async function pollZydonOrderStatuses(
  ctx: SyncContext,
  opts: { batch?: number; days?: number } = {},
): Promise<ZydonStatusPass> {
  const pass: ZydonStatusPass = { checked: 0, exports: [], nfeStarted: 0, interrupted: false };
  const exportsOn = ctx.settings.orders.trigger === "from_status";
  const nfeOn = ctx.settings.nfe.enabled && !!ctx.settings.nfe.approvedZydonStatusId;
  if (!exportsOn && !nfeOn) return pass;
  const cursors = new CursorsRepository(ctx.db);
  const cursor = await cursors.get(ctx.tenantId, CURSOR, watchCursor).catch(() => undefined);
  const batch = opts.batch ?? ZYDON_STATUS_WATCH_BATCH;
  const repo = new OrderExportsRepository(ctx.db);
  const after = cursor?.afterId ?? 0;
  const waiting = (afterId: number, limit: number) =>
    repo.listWaitingForZydonStatus(ctx.tenantId, {
      exports: exportsOn,
      nfe: nfeOn,
      since: new Date(ctx.now().getTime() - (opts.days ?? ZYDON_STATUS_WATCH_DAYS) * 86_400_000),
      afterId,
      limit,
    });
  const rows = await waiting(after, batch);
  // Past the end of the list: go on from its start in the same run (rows not read yet this lap).
  if (rows.length < batch && after > 0)
    rows.push(...(await waiting(0, batch - rows.length)).filter((r) => r.id <= after));
  let lastId = after;
  for (const row of rows) {
    try {
      const r = await checkZydonOrderStatus(ctx, row.zydonOrderId, row);
      if (r.kind === "export") pass.exports.push({ zydonOrderId: r.zydonOrderId, statusId: r.statusId });
      if (r.kind === "nfe_started") pass.nfeStarted++;
    } catch (err) {
      if (!isTransient(err)) throw err;
      // Zydon or its budget says "later": this run ends here (what it found is returned and acted on) and
      // the next one continues from this order.
      pass.interrupted = true;
      break;
    }
    pass.checked++;
    lastId = row.id;
  }
  // Fewer waiting orders than a batch: all were read, the next run starts again from the oldest.
  if (!pass.interrupted && rows.length < batch) lastId = 0;
  await cursors.set(ctx.tenantId, CURSOR, { afterId: lastId });
  return pass;
}
