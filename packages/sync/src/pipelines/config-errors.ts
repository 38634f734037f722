import { LedgerRepository } from "@zb/db";
import type { SyncContext } from "./context.js";

/** What recording a configuration error needs (the API records the release, without vendor ports). */
type LedgerContext = Pick<SyncContext, "db" | "tenantId" | "log">;

/** The ledger entity of a setting that does not resolve (Histórico shows it; health reads it as "Atenção"). */
export const SETTINGS_ENTITY = "settings";
const ACTION = "apply";

/**
 * The setting a configuration error is about: the field path the settings page names, or the stock
 * mass-change breaker (stock-guard.ts), whose usual cause is a setting too.
 */
export type SettingKey =
  | "stock.depositIds"
  | "price.blingStoreId"
  | "price.zydonPriceTableId"
  | "stock.zeroGuard"
  | "price.changeGuard";

/**
 * A stock or price computed from a setting that no longer resolves (a depósito Bling does not have, an
 * unknown loja or price table) is not written: it is one open ledger failure per setting, updated (attempts
 * + 1) while it stays broken, never a 0 sent to Zydon. Not retryable from Histórico: the merchant fixes it
 * in Configurações.
 */
export async function recordConfigError(
  ctx: LedgerContext,
  key: SettingKey,
  reason: string,
  details?: Record<string, unknown>,
): Promise<void> {
  await new LedgerRepository(ctx.db).record({
    tenantId: ctx.tenantId,
    entity: SETTINGS_ENTITY,
    entityKey: key,
    action: ACTION,
    outcome: "failed",
    reason,
    details: details ?? null,
    retryable: false,
  });
  ctx.log.warn({ tenantId: ctx.tenantId, setting: key }, "setting does not resolve: nothing written");
}

/** The setting resolves again: close its open failure, if any (no row is written when none was open). */
export async function clearConfigError(ctx: LedgerContext, key: SettingKey, reason: string): Promise<void> {
  const ledger = new LedgerRepository(ctx.db);
  // Called after every stock pass (the webhook path too): one indexed lookup, a write only when one is open.
  if (!(await ledger.hasOpen(ctx.tenantId, SETTINGS_ENTITY, key, ACTION))) return;
  await ledger.record({
    tenantId: ctx.tenantId,
    entity: SETTINGS_ENTITY,
    entityKey: key,
    action: ACTION,
    outcome: "synced",
    reason,
  });
}
