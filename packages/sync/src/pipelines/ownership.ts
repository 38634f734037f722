import { TenantsRepository } from "@zb/db";
import { readTenantSettings } from "../settings/tenant-settings.js";
import type { SyncContext } from "./context.js";

/**
 * The context with the tenant's field ownership as stored now, not as the job read it when it started: a
 * poll or reconciliation job running while the merchant makes Zydon the owner of descriptions must not write
 * Bling's over the one just kept (seen in the browser test: a rename in Bling landed a second after the save).
 * One row read per product or stock batch.
 */
export async function withFreshOwnership<C extends SyncContext>(ctx: C): Promise<C> {
  const row = await new TenantsRepository(ctx.db).findById(ctx.tenantId);
  if (!row) return ctx;
  return { ...ctx, settings: { ...ctx.settings, ownership: readTenantSettings(row.settings).ownership } };
}
