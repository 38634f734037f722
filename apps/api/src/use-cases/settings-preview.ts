import type { SettingsPreviewResponse } from "@zb/contract";
import { LinksRepository, type Tenant } from "@zb/db";
import { readTenantSettings, type TenantSettings } from "@zb/sync";
import type { AppDeps } from "../deps.js";
import { type SaveResult, validateSettings } from "./settings-actions.js";

type Deps = Pick<AppDeps, "db" | "secretBox" | "choices" | "logger">;

function plural(n: number, one: string, many: string): string {
  return `${new Intl.NumberFormat("pt-BR").format(n)} ${n === 1 ? one : many}`;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * What saving `body` would change, said before it is saved: a change of depósitos or balance recomputes the
 * stock of every product and variation on sale in Zydon, a change of price source, loja or price table their
 * prices. Counts come from the links (what the integration has already synced), so the merchant reads
 * "Isto muda o estoque de 106 produtos" and confirms; nothing is written here. An invalid document has no
 * preview (the save answers its errors).
 */
export async function previewSettings(
  deps: Deps,
  tenant: Tenant,
  body: unknown,
): Promise<SettingsPreviewResponse | Extract<SaveResult, { ok: false }>> {
  // The same checks as the save (form, and existence in Bling / Zydon): a document that would be refused is
  // answered with its errors, never previewed and confirmed first.
  const checked = await validateSettings(deps, tenant, body);
  if (!checked.ok) return checked;
  const before = readTenantSettings(tenant.settings);
  const next: TenantSettings = checked.settings;
  const stockChanged =
    !sameSet(before.stock.depositIds, next.stock.depositIds) || before.stock.balance !== next.stock.balance;
  const priceChanged =
    before.price.source !== next.price.source ||
    (next.price.source === "store" &&
      (before.price.blingStoreId !== next.price.blingStoreId ||
        before.price.zydonPriceTableId !== next.price.zydonPriceTableId));
  if (!stockChanged && !priceChanged) return { effects: [] };
  const sellable = await new LinksRepository(deps.db.db).countSellable(tenant.id);
  if (sellable === 0) return { effects: [] };
  const items = plural(sellable, "produto ou variação à venda", "produtos e variações à venda");
  const effects: SettingsPreviewResponse["effects"] = [];
  if (stockChanged)
    effects.push({
      kind: "stock",
      affected: sellable,
      message: `Isto muda o estoque de ${items} no Zydon: ele passa a vir ${
        next.stock.depositIds.length === 0
          ? "do depósito padrão do Bling"
          : next.stock.depositIds.length === 1
            ? "de 1 depósito escolhido"
            : `da soma de ${next.stock.depositIds.length} depósitos`
      } (${next.stock.balance === "physical" ? "saldo físico" : "saldo disponível"}).`,
    });
  if (priceChanged)
    effects.push({
      kind: "price",
      affected: sellable,
      message:
        next.price.source === "store"
          ? `Isto muda o preço de ${items} no Zydon: ele passa a vir da loja ${next.price.blingStoreId ?? "escolhida"} do Bling.`
          : `Isto muda o preço de ${items} no Zydon: ele volta a ser o preço base do Bling.`,
    });
  return { effects };
}
