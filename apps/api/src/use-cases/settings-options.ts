import type { Tenant } from "@zb/db";
import type { AppDeps } from "../deps.js";
import type { Choice } from "../ports.js";
import { repos } from "./repos.js";

type Deps = Pick<AppDeps, "db" | "secretBox" | "choices" | "logger">;

export interface OptionsView {
  bling: { deposits: Array<Choice & { isDefault: boolean; active: boolean }> } | null;
  zydon: { statuses: Choice[]; priceTables: Choice[]; warehouses: Choice[] } | null;
  /** Per side, why its lists are missing (pt-BR); the page falls back to free-text inputs. */
  unavailable: { bling?: string; zydon?: string };
}

/**
 * Pick lists for the settings form, read live (they change in Bling/Zydon, not here). Each side fails on
 * its own: a Bling that needs reconnecting still leaves the Zydon lists usable. Bling stores (multiloja)
 * have no list endpoint in the client yet, so the store id stays a free-text field.
 */
export async function optionsView(deps: Deps, tenant: Tenant): Promise<OptionsView> {
  const { credentials } = repos(deps);
  const [conn, key] = await Promise.all([
    credentials.getBlingConnection(tenant.id),
    credentials.getZydonAccessKey(tenant.id),
  ]);
  const out: OptionsView = { bling: null, zydon: null, unavailable: {} };
  await Promise.all([
    (async () => {
      if (conn?.status !== "connected" || !conn.blingCompanyId) {
        out.unavailable.bling =
          conn?.status === "needs_reauth"
            ? "Reconecte o Bling para ver os depósitos."
            : "Conecte o Bling para ver os depósitos.";
        return;
      }
      try {
        out.bling = {
          deposits: await deps.choices.blingDeposits({
            tenantId: tenant.id,
            blingCompanyId: conn.blingCompanyId,
          }),
        };
      } catch (err) {
        deps.logger.warn({ tenantId: tenant.id, err: (err as Error).name }, "Bling deposits unavailable");
        out.unavailable.bling =
          "Não foi possível ler os depósitos do Bling agora. Tente de novo em instantes.";
      }
    })(),
    (async () => {
      if (!key) {
        out.unavailable.zydon = "Reinstale o app pelo App Center para ler os dados da Zydon.";
        return;
      }
      try {
        out.zydon = await deps.choices.zydonChoices({ code: key.accessKeyCode, token: key.accessKeyToken });
      } catch (err) {
        deps.logger.warn({ tenantId: tenant.id, err: (err as Error).name }, "Zydon choices unavailable");
        out.unavailable.zydon = "Não foi possível ler status, tabelas de preço e depósitos da Zydon agora.";
      }
    })(),
  ]);
  return out;
}
