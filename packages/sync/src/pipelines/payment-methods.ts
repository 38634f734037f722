import { LedgerRepository, LinksRepository } from "@zb/db";
import type { EntityPipeline } from "../engine/initial-sync.js";
import { paymentNameKey, zydonPaymentType } from "../mappers/payment-methods.js";
import type { PortalPaymentMethod } from "../ports/zydon-port.js";
import { errorMessage, isTransient, type SyncContext } from "./context.js";

/** All Bling formas de pagamento → Zydon, linked by name (an existing same-named method is linked, not duplicated). */
export const paymentMethodsPipeline: EntityPipeline<SyncContext> = {
  entity: "payment_methods",
  async runPage(ctx, page) {
    const methods = await ctx.bling.listPaymentMethods(page);
    const links = new LinksRepository(ctx.db);
    const ledger = new LedgerRepository(ctx.db);
    let zydonByName: Map<string, PortalPaymentMethod> | undefined;
    let synced = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of methods) {
      const existing = await links.byBlingId(ctx.tenantId, "payment_method", m.id);
      if (existing?.zydonId) {
        synced++;
        continue;
      }
      zydonByName ??= new Map((await ctx.zydon.listPaymentMethods()).map((z) => [paymentNameKey(z.name), z]));
      const key = paymentNameKey(m.descricao);
      let zydonId = zydonByName.get(key)?.id;
      const created = !zydonId;
      try {
        if (!zydonId) {
          zydonId = await ctx.zydon.createPaymentMethod({
            name: m.descricao.trim(),
            type: zydonPaymentType(m.tipoPagamento),
          });
          zydonByName.set(key, { id: zydonId, name: m.descricao, type: zydonPaymentType(m.tipoPagamento) });
        }
      } catch (err) {
        if (isTransient(err)) throw err;
        failed++;
        await ledger.record({
          tenantId: ctx.tenantId,
          entity: "payment_method",
          entityKey: m.descricao,
          action: "import",
          outcome: "failed",
          reason: `Forma de pagamento "${m.descricao}" não foi criada no Zydon: ${errorMessage(err)}`,
          retryable: true,
        });
        continue;
      }
      // Two Bling methods with the same name share one Zydon method: the first keeps the link, the rest are
      // reported (a second link to the same Zydon id would violate entity_links_zydon_uq and fail the page).
      const holder = await links.byZydonId(ctx.tenantId, "payment_method", zydonId as string);
      if (holder && holder.blingId !== m.id) {
        skipped++;
        await ledger.record({
          tenantId: ctx.tenantId,
          entity: "payment_method",
          entityKey: m.descricao,
          action: "import",
          outcome: "skipped",
          reason: `Forma de pagamento "${m.descricao}" tem o mesmo nome de outra já sincronizada (Bling ${holder.blingId}); use nomes distintos no Bling.`,
          details: { blingId: m.id, conflictsWith: holder.blingId },
        });
        continue;
      }
      await ctx.db.transaction(async (tx) => {
        await new LinksRepository(tx).upsert({
          tenantId: ctx.tenantId,
          entity: "payment_method",
          blingId: m.id,
          zydonId: zydonId as string,
          naturalKey: key,
          data: { tipoPagamento: m.tipoPagamento },
        });
        await new LedgerRepository(tx).record({
          tenantId: ctx.tenantId,
          entity: "payment_method",
          entityKey: m.descricao,
          action: "import",
          outcome: "synced",
          reason: created
            ? "Forma de pagamento criada no Zydon."
            : "Vinculada à forma de pagamento de mesmo nome no Zydon.",
        });
      });
      synced++;
    }
    const total = page === 1 && methods.length < 100 ? { total: methods.length } : {};
    return { hasMore: methods.length === 100, synced, skipped, failed, ...total };
  },
};
