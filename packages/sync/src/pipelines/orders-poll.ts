import { CursorsRepository, OrderExportsRepository } from "@zb/db";
import { z } from "zod";
import type { SyncContext } from "./context.js";
import { pollWindowStart } from "./products-poll.js";

/** Where the Bling orders poll resumes (`since`, ISO). */
export const pollBlingOrdersCursor = z.object({ since: z.string() });
export const BLING_ORDERS_CURSOR = "poll:bling-orders";

/**
 * Polling fallback for lost Bling `order` webhooks: a situação change or a tracking code saved in Bling
 * reached Zydon only through the webhook (Bling gives up on a delivery after a few days, and a webhook lost
 * on the way is gone). Every sales order Bling says changed since the last window (with overlap) that the app
 * exported is handed back to the status mirror (`order-status`: one `GET /pedidos/vendas/{id}`, which writes
 * nothing when nothing changed). The list rows carry no tracking codes, so a changed exported order is
 * re-read even when its situação is the one stored. Cost: one list request per 100 changed orders, plus one
 * read per changed exported order. Returns the Bling ids to mirror.
 */
export async function pollBlingOrderChanges(ctx: SyncContext): Promise<string[]> {
  const cursors = new CursorsRepository(ctx.db);
  const exportsRepo = new OrderExportsRepository(ctx.db);
  const now = ctx.now();
  const cursor = await cursors
    .get(ctx.tenantId, BLING_ORDERS_CURSOR, pollBlingOrdersCursor)
    .catch(() => undefined);
  const since = pollWindowStart(cursor?.since, now);
  const ours: string[] = [];
  for (let page = 1; ; page++) {
    const rows = await ctx.bling.listOrdersChanged({
      page,
      dataAlteracaoInicial: since,
      dataAlteracaoFinal: now,
    });
    for (const r of rows) if (await exportsRepo.byBlingOrderId(ctx.tenantId, r.id)) ours.push(r.id);
    if (rows.length < 100) break;
  }
  await cursors.set(ctx.tenantId, BLING_ORDERS_CURSOR, { since: now.toISOString() });
  return [...new Set(ours)];
}
