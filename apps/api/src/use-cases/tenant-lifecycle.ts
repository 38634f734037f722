import type { Tenant } from "@zb/db";
import {
  InitialSyncOrchestrator,
  readTenantSettings,
  type SyncEntity,
  safeJobId,
  syncEntitySchema,
} from "@zb/sync";
import { z } from "zod";
import type { AppDeps } from "../deps.js";
import { nowOf, repos } from "./repos.js";

type Deps = Pick<AppDeps, "db" | "secretBox" | "producer" | "hooks" | "config" | "logger" | "now">;

export type CatchUp = "none" | "poll-changes" | "initial-sync-resumed" | "initial-sync-started";

/**
 * Stock or price settings saved while the sync could not run (paused, uninstalled): the passes they need,
 * queued by the catch-up when the tenant comes back (a job of a paused tenant is skipped, not kept).
 */
export const PENDING_RESYNC_STREAM = "settings:pending-resync";
const pendingResync = z.object({ entities: z.array(syncEntitySchema) });

export async function rememberPendingResync(
  deps: Deps,
  tenantId: string,
  entities: SyncEntity[],
): Promise<void> {
  const { cursors } = repos(deps);
  const prev = await cursors.get(tenantId, PENDING_RESYNC_STREAM, pendingResync).catch(() => undefined);
  const all = [...new Set([...(prev?.entities ?? []), ...entities])];
  await cursors.set(tenantId, PENDING_RESYNC_STREAM, { entities: all });
}

/**
 * Work to queue when a tenant comes back (reinstall inside the retention window, Bling reconnect, merchant
 * resume). After a finished initial sync that is a catch-up poll (plus the passes of settings saved while
 * paused), never a full resync. A pass the pause interrupted — the initial sync or a later one-entity
 * resync — continues where its checkpoint stopped: its queued step ran as a no-op while paused, so the
 * chain is re-entered with a fresh job id (the step itself is idempotent per checkpoint).
 */
export async function queueCatchUp(deps: Deps, tenant: Tenant): Promise<CatchUp> {
  if (tenant.state !== "active") return "none";
  // Active again: the budget lets its requests through (a merchant pause still set keeps the flag).
  if (!readTenantSettings(tenant.settings).paused) await deps.hooks.setBudgetPause?.(tenant.id, false);
  const stamp = nowOf(deps).getTime();
  // A pass the pause interrupted (the first sync, or a later "Sincronizar de novo" / settings resync: same
  // checkpoint) continues where it stopped; otherwise its run would read "em andamento" forever.
  const cursor = await new InitialSyncOrchestrator(deps.db.db, deps.producer).cursor(tenant.id);
  const entity = cursor && !cursor.finishedAt ? cursor.order[cursor.index] : undefined;
  const runId = entity ? cursor?.runIds[entity] : undefined;
  const interrupted = cursor && entity && runId ? { runId, entity, page: cursor.page } : undefined;
  if (interrupted) {
    await deps.producer.enqueue(
      "initial-sync-step",
      {
        tenantId: tenant.id,
        ...interrupted,
      },
      { jobId: safeJobId("init", interrupted.runId, interrupted.page, "resume", stamp) },
    );
  }
  if (tenant.initialSyncDoneAt) {
    await deps.producer.enqueue(
      "poll-changes",
      { tenantId: tenant.id },
      { jobId: safeJobId("catchup", tenant.id, stamp) },
    );
    const { cursors } = repos(deps);
    const pending = await cursors.get(tenant.id, PENDING_RESYNC_STREAM, pendingResync).catch(() => undefined);
    for (const entity of pending?.entities ?? []) {
      await deps.producer.enqueue(
        "initial-sync-start",
        { tenantId: tenant.id, entities: [entity] },
        { jobId: safeJobId("catchup", tenant.id, entity, stamp) },
      );
    }
    if (pending) await cursors.delete(tenant.id, PENDING_RESYNC_STREAM);
    await deps.hooks.onTenantResumed(tenant.id);
    return "poll-changes";
  }
  if (interrupted) return "initial-sync-resumed";
  await deps.producer.enqueue("initial-sync-start", { tenantId: tenant.id });
  return "initial-sync-started";
}

export interface InstallResult {
  tenant: Tenant;
  created: boolean;
  reactivated: boolean;
  catchUp: CatchUp;
}

/**
 * Install (App Studio OAuth callback or install notification). Idempotent: one tenant per organization.
 * A paused tenant comes back in `active` when its Bling connection is still good, else `awaiting_bling`
 * (or `needs_reauth` when Bling had refused its refresh token), and its purge is cancelled.
 */
export async function installTenant(
  deps: Deps,
  input: { organizationId: string; accessKey?: { accessKeyCode: string; accessKeyToken: string } },
): Promise<InstallResult> {
  const { tenants, credentials } = repos(deps);
  const existing = await tenants.findByOrganization(input.organizationId);
  const conn = existing ? await credentials.getBlingConnection(existing.id) : undefined;
  const blingConnected = conn?.status === "connected" && conn.tokens !== null;
  const r = await tenants.install(input.organizationId, { blingConnected });
  if (input.accessKey) await credentials.saveZydonAccessKey(r.tenant.id, input.accessKey);
  let catchUp: CatchUp = "none";
  let tenant = r.tenant;
  if (r.reactivated) {
    await credentials.cancelPurge(tenant.id);
    if (conn?.status === "needs_reauth" && tenant.state === "awaiting_bling") {
      await tenants.transition(tenant.id, "awaiting_bling", "needs_reauth");
      tenant = (await tenants.findById(tenant.id)) ?? tenant;
    }
    catchUp = await queueCatchUp(deps, tenant);
  }
  deps.logger.info(
    { tenantId: tenant.id, created: r.created, reactivated: r.reactivated, state: tenant.state, catchUp },
    "tenant installed",
  );
  return { tenant, created: r.created, reactivated: r.reactivated, catchUp };
}

export type UninstallResult =
  | { status: "paused" | "already_paused"; tenantId: string }
  | { status: "unknown" };

/**
 * Uninstall = pause within seconds: state `paused`, every settings session and launch code revoked, secrets
 * kept sealed until the retention window ends, recurring jobs removed. Queued jobs check the state before
 * any call, so they end as no-ops. Idempotent: a repeated notification keeps the first purge date.
 */
export async function uninstallTenant(deps: Deps, organizationId: string): Promise<UninstallResult> {
  const { tenants, credentials } = repos(deps);
  const tenant = await tenants.findByOrganization(organizationId);
  if (!tenant) return { status: "unknown" };
  await deps.hooks.setBudgetPause?.(tenant.id, true);
  if (tenant.state !== "paused") {
    await tenants.setState(tenant.id, "paused");
    const purgeAfter = new Date(nowOf(deps).getTime() + deps.config.SECRET_RETENTION_DAYS * 86_400_000);
    await credentials.schedulePurge(tenant.id, purgeAfter);
    // A session issued before the uninstall must not open the page again after a reinstall (issue 21 #8).
    await tenants.revokeSessions(tenant.id);
  }
  // Idempotent removal, also on a repeat: a first attempt may have failed after the state change.
  await deps.hooks.onTenantPaused(tenant.id);
  const status = tenant.state === "paused" ? "already_paused" : "paused";
  deps.logger.info({ tenantId: tenant.id, status }, "tenant uninstalled");
  return { status, tenantId: tenant.id };
}
