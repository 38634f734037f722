import { LedgerRepository, LinksRepository, linkData } from "@zb/db";
import { plural } from "../domain/plural.js";
import { zydonOwns } from "../settings/tenant-settings.js";
import type { SyncContext } from "./context.js";
import { syncProduct } from "./products.js";

export interface DriftReport {
  /** Active top-level products Bling listed. */
  blingProducts: number;
  /** Bling products with a SKU but no link (a lost create, a missed webhook and poll): synced now. */
  unlinked: number;
  /** Linked products Bling no longer lists as active (missed inactivation): re-read, inactivated. */
  goneFromBling: number;
  /** Linked products whose Zydon record vanished or changed id (deleted by hand): written again. */
  missingInZydon: number;
  repaired: number;
}

/**
 * The scheduled drift audit: compares both sides for the catalog and heals what a lost webhook, a failed
 * poll or a hand edit left behind. Bling's side costs one list page per 100 active products (three stock
 * passes) plus one detail read per product that needs repair (capped by `maxRepairs`, the rest waits for
 * the next audit); Zydon's side is one SKU lookup per linked product. Every repair goes through the
 * normal product write, so it is hashed, linked and ledgered like any other.
 */
export async function auditDrift(ctx: SyncContext, opts: { maxRepairs?: number } = {}): Promise<DriftReport> {
  const links = new LinksRepository(ctx.db);
  const maxRepairs = opts.maxRepairs ?? 500;
  const report: DriftReport = {
    blingProducts: 0,
    unlinked: 0,
    goneFromBling: 0,
    missingInZydon: 0,
    repaired: 0,
  };
  const toRepair = new Set<string>();

  // Bling → our links.
  const active = new Map<string, string>();
  for (const filtro of [0, 1, 2] as const) {
    for (let page = 1; ; page++) {
      const rows = await ctx.bling.listProducts({ page, criterio: 2, filtroSaldoEstoque: filtro });
      for (const r of rows) if (!r.idProdutoPai) active.set(r.id, r.codigo?.trim() ?? "");
      if (rows.length < 100) break;
    }
  }
  report.blingProducts = active.size;
  const linked = await links.listByEntity(ctx.tenantId, "product");
  const byBlingId = new Map(linked.map((l) => [l.blingId, l]));
  for (const [id, sku] of active) {
    if (byBlingId.has(id) || sku === "") continue;
    // A SKU linked to another Bling product is a reported duplicate, not drift.
    const other = await links.byNaturalKey(ctx.tenantId, "product", sku);
    if (other && other.blingId !== id) continue;
    report.unlinked++;
    toRepair.add(id);
  }
  // Active/inactive kept in Zydon (field ownership): a product off in Bling and on in Zydon is the merchant's.
  const activeOwnedByZydon = zydonOwns(ctx.settings, "active");
  for (const l of linked) {
    if (!l.blingId || active.has(l.blingId) || activeOwnedByZydon) continue;
    if (linkData(l).inactive === true) continue;
    report.goneFromBling++;
    toRepair.add(l.blingId);
  }

  // Our links → Zydon.
  for (const l of linked) {
    if (!l.zydonId || !l.naturalKey || !l.blingId || !active.has(l.blingId)) continue;
    const z = await ctx.zydon.findProductBySku(l.naturalKey);
    if (z?.id === l.zydonId) continue;
    report.missingInZydon++;
    // Forget what we believe Zydon holds, so the next write happens: against the record that now carries
    // the SKU, or (deleted by hand) a new one.
    if (z) {
      const row = await links.upsert({
        tenantId: ctx.tenantId,
        entity: "product",
        blingId: l.blingId,
        zydonId: z.id,
        naturalKey: l.naturalKey,
        contentHash: null,
      });
      // The stock and images we wrote went to the old record: forget them, so the stock pipeline and the
      // image job write them to this one.
      await links.mergeData(row.id, { stockQty: null, imagesHash: null });
    } else {
      await links.deleteByBlingId(ctx.tenantId, "product", l.blingId);
    }
    toRepair.add(l.blingId);
  }

  for (const id of [...toRepair].slice(0, maxRepairs)) {
    const outcome = await syncProduct(ctx, id);
    if (outcome === "created" || outcome === "updated") report.repaired++;
  }
  const found = report.unlinked + report.goneFromBling + report.missingInZydon;
  if (found > 0) {
    await new LedgerRepository(ctx.db).record({
      tenantId: ctx.tenantId,
      entity: "product",
      entityKey: "auditoria",
      action: "audit",
      outcome: "synced",
      reason:
        `Auditoria de divergências: ${plural(report.unlinked, "produto", "produtos")} do Bling sem vínculo, ` +
        `${plural(report.goneFromBling, "inativo no Bling ainda ativo", "inativos no Bling ainda ativos")} no Zydon, ` +
        `${plural(report.missingInZydon, "ausente", "ausentes")} no Zydon; ${plural(report.repaired, "corrigido", "corrigidos")}.`,
      details: { ...report },
    });
  }
  ctx.log.info({ ...report }, "drift audit finished");
  return report;
}
