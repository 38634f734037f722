import type { Env } from "@zb/config";
import { type BlingBudget, budgetHook, wireBlingClient } from "@zb/sync";
import type { ZydonApp } from "@zb/zydon";
import type { ChoicesPort, TokenPort } from "../ports.js";

/** A page is plenty for pick lists (statuses, price tables, warehouses are few per organization). */
const PER_PAGE = 200;

export function createChoices(o: {
  config: Pick<Env, "BLING_API_BASE_URL" | "BLING_ENABLE_JWT" | "BLING_REQUEST_TIMEOUT_MS">;
  tokens: TokenPort;
  /** Spends from the account's budget on the "status" lane (a person is waiting for the page). */
  budget?: BlingBudget;
  zydon: Pick<ZydonApp, "client">;
}): ChoicesPort {
  // Sent once (no retry layer): a person is waiting for the page.
  const blingClient = (tenantId: string, blingCompanyId: string) =>
    wireBlingClient(o.config, {
      getAccessToken: () => o.tokens.getAccessToken(tenantId),
      onUnauthorized: () => o.tokens.forceRefresh(tenantId),
      ...(o.budget ? { budget: budgetHook(o.budget, blingCompanyId, "status", { maxWaitMs: 5_000 }) } : {}),
    });
  return {
    async blingStoreExists({ tenantId, blingCompanyId, storeId }) {
      const rows = await blingClient(tenantId, blingCompanyId).produtosLojas.list({
        pagina: 1,
        limite: 1,
        idLoja: Number(storeId),
      });
      return rows.some((r) => String(r.loja.id) === storeId);
    },
    async blingDeposits({ tenantId, blingCompanyId }) {
      const client = blingClient(tenantId, blingCompanyId);
      const rows = await client.depositos.list({ pagina: 1, limite: 100 });
      return rows.map((d) => ({
        id: String(d.id),
        name: d.descricao ?? `Depósito ${d.id}`,
        isDefault: d.padrao,
        active: d.situacao !== 0,
      }));
    },
    async zydonChoices(accessKey) {
      const zc = o.zydon.client(accessKey);
      const [statuses, priceTables, warehouses] = await Promise.all([
        zc.statuses.list({ perPage: PER_PAGE }),
        zc.priceTables.list({ perPage: PER_PAGE }),
        zc.warehouses.list({ perPage: PER_PAGE }),
      ]);
      const pick = (items: Array<{ id: string; name: string }>) =>
        items.map((i) => ({ id: i.id, name: i.name }));
      return {
        statuses: pick(statuses.items),
        priceTables: pick(priceTables.items),
        warehouses: pick(warehouses.items),
      };
    },
  };
}
