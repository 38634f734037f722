import type { Tenant, TenantsRepository } from "@zb/db";
import { readTenantSettings, type TenantSettings } from "../settings/tenant-settings.js";

export type GuardResult =
  | { run: true; tenant: Tenant; settings: TenantSettings }
  | {
      run: false;
      reason: "unknown_tenant" | "paused" | "needs_reauth" | "awaiting_bling" | "merchant_paused";
    }
  | { run: false; reason: "bling_daily_limit"; until: Date };

/**
 * Every job starts here: a paused (uninstalled), disconnected or merchant-paused tenant's job ends without a
 * single call to Bling or Zydon; a tenant whose Bling day budget is gone waits until Bling's next day.
 */
export async function guardTenant(
  tenants: TenantsRepository,
  tenantId: string,
  opts: { needsBling: boolean; now?: Date } = { needsBling: true },
): Promise<GuardResult> {
  const tenant = await tenants.findById(tenantId);
  if (!tenant) return { run: false, reason: "unknown_tenant" };
  if (tenant.state === "paused") return { run: false, reason: "paused" };
  if (opts.needsBling && tenant.state === "needs_reauth") return { run: false, reason: "needs_reauth" };
  if (opts.needsBling && tenant.state === "awaiting_bling") return { run: false, reason: "awaiting_bling" };
  const settings = readTenantSettings(tenant.settings);
  if (settings.paused) return { run: false, reason: "merchant_paused" };
  const now = opts.now ?? new Date();
  if (opts.needsBling && tenant.blingPausedUntil && tenant.blingPausedUntil > now) {
    return { run: false, reason: "bling_daily_limit", until: tenant.blingPausedUntil };
  }
  return { run: true, tenant, settings };
}
