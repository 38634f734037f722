import type { Tenant } from "@zb/db";
import type { TenantSettings } from "@zb/sync";
import type { AppDeps } from "../deps.js";
import { repos } from "./repos.js";

type Deps = Pick<AppDeps, "db" | "secretBox" | "choices" | "logger">;

/**
 * Checks, before a save, that every id the merchant newly chose exists where it lives: depósitos and the
 * store (multiloja) in Bling, the price table in Zydon. Only ids that changed are checked, so pausing or
 * saving an unrelated field never depends on Bling answering.
 *
 * While Bling is not connected a new depósito or store is refused, not kept "a confirmar": the page has no
 * list to pick from then, and a merchant who reads "Configurações salvas." expects the sync to use what they
 * saved — an id held back until some later check would silently fall back to the default depósito, and a
 * wrong one would only surface after the first sync. Refusing says at once what to do (connect, then pick).
 *
 * Returns errors keyed by field path (pt-BR), empty when everything resolves.
 */
export async function verifySettingsIds(
  deps: Deps,
  tenant: Tenant,
  before: TenantSettings,
  next: TenantSettings,
): Promise<Record<string, string>> {
  const errors: Record<string, string> = {};
  const known = new Set(before.stock.depositIds);
  const newDeposits = next.stock.depositIds
    .map((id, index) => ({ id, index }))
    .filter((d) => !known.has(d.id));
  const newStore =
    next.price.source === "store" &&
    next.price.blingStoreId !== undefined &&
    next.price.blingStoreId !== before.price.blingStoreId
      ? next.price.blingStoreId
      : undefined;
  const newTable =
    next.price.zydonPriceTableId !== undefined &&
    next.price.zydonPriceTableId !== before.price.zydonPriceTableId
      ? next.price.zydonPriceTableId
      : undefined;
  if (newDeposits.length === 0 && newStore === undefined && newTable === undefined) return errors;

  const { credentials } = repos(deps);
  const [conn, key] = await Promise.all([
    credentials.getBlingConnection(tenant.id),
    newTable !== undefined ? credentials.getZydonAccessKey(tenant.id) : Promise.resolve(undefined),
  ]);
  const account =
    conn?.status === "connected" && conn.blingCompanyId
      ? { tenantId: tenant.id, blingCompanyId: conn.blingCompanyId }
      : null;
  const notConnected =
    conn?.status === "needs_reauth" ? "Reconecte o Bling para confirmar" : "Conecte o Bling para confirmar";

  await Promise.all([
    (async () => {
      if (newDeposits.length === 0) return;
      if (!account) {
        errors["stock.depositIds"] =
          `${notConnected} os depósitos: sem a conexão não dá para saber se o depósito ${newDeposits[0]?.id} existe.`;
        return;
      }
      let ids: Set<string>;
      try {
        ids = new Set((await deps.choices.blingDeposits(account)).map((d) => d.id));
      } catch (err) {
        deps.logger.warn({ tenantId: tenant.id, err: (err as Error).name }, "deposit check unavailable");
        errors["stock.depositIds"] =
          "Não foi possível confirmar os depósitos no Bling agora. Tente salvar de novo em instantes.";
        return;
      }
      for (const d of newDeposits) {
        if (!ids.has(d.id)) errors[`stock.depositIds.${d.index}`] = `Depósito ${d.id} não existe no Bling.`;
      }
    })(),
    (async () => {
      if (newStore === undefined) return;
      if (!account) {
        errors["price.blingStoreId"] =
          `${notConnected} a loja: sem a conexão não dá para saber se a loja ${newStore} existe.`;
        return;
      }
      try {
        if (!(await deps.choices.blingStoreExists({ ...account, storeId: newStore })))
          errors["price.blingStoreId"] =
            `Loja ${newStore} não existe no Bling (ou não tem nenhum produto vinculado a ela).`;
      } catch (err) {
        deps.logger.warn({ tenantId: tenant.id, err: (err as Error).name }, "store check unavailable");
        errors["price.blingStoreId"] =
          "Não foi possível confirmar a loja no Bling agora. Tente salvar de novo em instantes.";
      }
    })(),
    (async () => {
      if (newTable === undefined) return;
      if (!key) {
        errors["price.zydonPriceTableId"] =
          "Reinstale o app pelo App Center para confirmar a tabela de preço na Zydon.";
        return;
      }
      try {
        const { priceTables } = await deps.choices.zydonChoices({
          code: key.accessKeyCode,
          token: key.accessKeyToken,
        });
        if (!priceTables.some((t) => t.id === newTable))
          errors["price.zydonPriceTableId"] = `Tabela de preço ${newTable} não existe na Zydon.`;
      } catch (err) {
        deps.logger.warn({ tenantId: tenant.id, err: (err as Error).name }, "price table check unavailable");
        errors["price.zydonPriceTableId"] =
          "Não foi possível confirmar a tabela de preço na Zydon agora. Tente salvar de novo em instantes.";
      }
    })(),
  ]);
  return errors;
}
