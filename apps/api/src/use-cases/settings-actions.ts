import { createHash } from "node:crypto";
import type { GuardKind, ResyncItemRequest } from "@zb/contract";
import type { Tenant } from "@zb/db";
import {
  InitialSyncOrchestrator,
  isOpenPriceHold,
  noteNfeTriggerChange,
  type PriceHoldDecision,
  readTenantSettings,
  releaseMassChangeGuard,
  type SyncEntity,
  safeJobId,
  type TenantSettings,
  tenantSettingsInputSchema,
} from "@zb/sync";
import type { AppDeps } from "../deps.js";
import { fieldErrors } from "./field-errors.js";
import { notePauseChange } from "./page-state.js";
import { nowOf, repos } from "./repos.js";
import { verifySettingsIds } from "./settings-verify.js";
import { type CatchUp, queueCatchUp, rememberPendingResync } from "./tenant-lifecycle.js";

type Deps = Pick<
  AppDeps,
  "db" | "secretBox" | "producer" | "hooks" | "config" | "logger" | "now" | "choices"
>;

/** A click twice in a row enqueues once (BullMQ deduplication window). */
const CLICK_DEDUP_MS = 10_000;

/** A short stable name for a saved settings section (job dedup ids). */
function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

export type SaveResult =
  | { ok: true; settings: TenantSettings; catchUp: CatchUp }
  | { ok: false; errors: Record<string, string> };

/**
 * Validate the whole document with the shared schema, check that every newly chosen id exists in Bling /
 * Zydon (`verifySettingsIds`), and save it in one write: either everything the merchant sent is stored or
 * nothing is. Errors are keyed by field path with a pt-BR message.
 */
export async function saveSettings(deps: Deps, tenant: Tenant, body: unknown): Promise<SaveResult> {
  const checked = await validateSettings(deps, tenant, body);
  if (!checked.ok) return checked;
  const saved = await store(deps, tenant, readTenantSettings(tenant.settings), checked.settings);
  // Prontidão follows the settings (e.g. "estoque vem de…" after choosing depósitos).
  await refreshReadiness(deps, tenant, { afterSave: true });
  return saved;
}

/** The save's checks without the save (the preview runs them too). */
export async function validateSettings(
  deps: Pick<Deps, "db" | "secretBox" | "choices" | "logger">,
  tenant: Tenant,
  body: unknown,
): Promise<{ ok: true; settings: TenantSettings } | { ok: false; errors: Record<string, string> }> {
  // A missing or null body is not "all defaults": it would silently reset every setting the merchant made.
  if (body === undefined || body === null) return { ok: false, errors: { _: "Envie as configurações." } };
  // Issues the schema has no pt-BR text for (wrong types, mostly) get a generic one instead of zod's English.
  const parsed = tenantSettingsInputSchema.safeParse(body, { error: () => "Valor inválido." });
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  const before = readTenantSettings(tenant.settings);
  const missing = await verifySettingsIds(deps, tenant, before, parsed.data);
  if (Object.keys(missing).length > 0) return { ok: false, errors: missing };
  return { ok: true, settings: parsed.data };
}

async function store(
  deps: Deps,
  tenant: Tenant,
  before: TenantSettings,
  next: TenantSettings,
): Promise<SaveResult> {
  await repos(deps).tenants.updateSettings(tenant.id, next as unknown as Record<string, unknown>);
  // An approval made in Zydon starts an NF-e only when it came after NF-e was switched on (issue 19 #3).
  await noteNfeTriggerChange(deps.db.db, tenant.id, before.nfe, next.nfe, nowOf(deps));
  if (before.paused !== next.paused) await notePauseChange(deps, tenant.id, next.paused);
  const updated = { ...tenant, settings: next as unknown as Record<string, unknown> };
  const catchUp = before.paused && !next.paused ? await queueCatchUp(deps, updated) : "none";
  // What the merchant confirmed ("isto muda o estoque de N produtos") is applied now, not at the next change
  // or when the rolling reconciliation comes round: a stock or price setting changed queues that resync.
  // Saved while the sync cannot run (paused): the catch-up on Retomar queues them (tenant-lifecycle.ts).
  if (tenant.initialSyncDoneAt) {
    const stock = JSON.stringify(next.stock);
    const price = JSON.stringify(next.price);
    const changed: Array<[SyncEntity, string]> = [];
    if (JSON.stringify(before.stock) !== stock) changed.push(["stock", digest(stock)]);
    if (JSON.stringify(before.price) !== price) changed.push(["prices", digest(price)]);
    if (next.paused || tenant.state !== "active") {
      if (changed.length > 0)
        await rememberPendingResync(
          deps,
          tenant.id,
          changed.map(([e]) => e),
        );
    } else {
      for (const [entity, cause] of changed) await resyncEntity(deps, updated, entity, cause);
    }
  }
  return { ok: true, settings: next, catchUp };
}

/**
 * Merchant pause/resume from the page; resume catches up on what changed meanwhile. Only the flag changes:
 * the rest is stored as it was (a document saved before the id rules must not block a pause).
 */
export async function setMerchantPause(deps: Deps, tenant: Tenant, paused: boolean): Promise<SaveResult> {
  const current = readTenantSettings(tenant.settings);
  if (paused) await deps.hooks.setBudgetPause?.(tenant.id, true);
  return store(deps, tenant, current, { ...current, paused });
}

export async function retryLedgerEntry(
  deps: Deps,
  tenantId: string,
  ledgerId: number,
): Promise<"enqueued" | "not_found" | "not_failed"> {
  const row = await repos(deps).ledger.get(tenantId, ledgerId);
  if (!row) return "not_found";
  if (row.outcome === "synced" || row.resolvedAt) return "not_failed";
  await deps.producer.enqueue(
    "retry-ledger",
    { tenantId, ledgerId },
    { deduplication: { id: safeJobId("retry", tenantId, ledgerId), ttl: CLICK_DEDUP_MS } },
  );
  return "enqueued";
}

/**
 * "Aplicar" / "Descartar" on a price the jump guard held: checked here (an open hold of this tenant), decided
 * by the worker's `price-hold` job under the product's lease (packages/sync pipelines/price-hold.ts).
 */
export async function decidePriceHoldEntry(
  deps: Deps,
  tenantId: string,
  ledgerId: number,
  /** Undefined when the body named no valid choice (checked after the row, so a foreign id stays a 404). */
  decision: PriceHoldDecision | undefined,
): Promise<"enqueued" | "not_found" | "bad_request" | "not_held"> {
  const row = await repos(deps).ledger.get(tenantId, ledgerId);
  if (!row) return "not_found";
  if (!decision) return "bad_request";
  if (!isOpenPriceHold(row)) return "not_held";
  await deps.producer.enqueue(
    "price-hold",
    { tenantId, ledgerId, decision },
    // A double click is one decision; the other button within the window is refused by the job (not held).
    { deduplication: { id: safeJobId("price-hold", tenantId, ledgerId), ttl: CLICK_DEDUP_MS } },
  );
  return "enqueued";
}

/**
 * "Sincronizar um item": one SKU (the product, its price and stock) or one Zydon order (exported, or its status
 * read again), by the worker's resync-sku / resync-order jobs (packages/sync pipelines/resync-item.ts). Clicks on
 * the same item within a few seconds are one job.
 */
export async function resyncItem(
  deps: Deps,
  tenant: Tenant,
  item: ResyncItemRequest,
): Promise<{ kind: "enqueued"; requestedAt: string } | { kind: "not_active" } | { kind: "paused" }> {
  if (tenant.state !== "active") return { kind: "not_active" };
  if (readTenantSettings(tenant.settings).paused) return { kind: "paused" };
  const requestedAt = nowOf(deps).toISOString();
  const dedup = {
    deduplication: { id: safeJobId("resync-item", tenant.id, item.kind, item.value), ttl: 5_000 },
  };
  if (item.kind === "sku")
    await deps.producer.enqueue("resync-sku", { tenantId: tenant.id, sku: item.value }, dedup);
  else await deps.producer.enqueue("resync-order", { tenantId: tenant.id, zydonOrderId: item.value }, dedup);
  return { kind: "enqueued", requestedAt };
}

/** "Tentar novamente todas": every open failure of this tenant (bounded per click). */
export async function retryAllFailed(deps: Deps, tenantId: string): Promise<{ enqueued: number }> {
  const rows = await repos(deps).ledger.listOpenFailures(tenantId, 500);
  const q = deps.producer;
  for (let i = 0; i < rows.length; i += 50) {
    await Promise.all(
      rows
        .slice(i, i + 50)
        .map((r) =>
          q.enqueue(
            "retry-ledger",
            { tenantId, ledgerId: r.id },
            { deduplication: { id: safeJobId("retry", tenantId, r.id), ttl: CLICK_DEDUP_MS } },
          ),
        ),
    );
  }
  return { enqueued: rows.length };
}

/**
 * Recompute Prontidão (the page's "Atualizar" and every settings save). Clicks within a few seconds share
 * one job: the report reads list pages, which count against the Bling budget.
 */
export async function refreshReadiness(
  deps: Deps,
  tenant: Tenant,
  opts: { afterSave?: boolean } = {},
): Promise<"enqueued" | "not_active"> {
  if (tenant.state !== "active") return "not_active";
  await deps.producer.enqueue(
    "readiness-report",
    { tenantId: tenant.id },
    // A save is never folded into an earlier click's job: that one may already be reading the old settings.
    opts.afterSave ? {} : { deduplication: { id: safeJobId("readiness", tenant.id), ttl: CLICK_DEDUP_MS } },
  );
  return "enqueued";
}

/** Resync one entity: a fresh page chain for it (the sync engine skips unchanged writes by hash). */
export async function resyncEntity(
  deps: Deps,
  tenant: Tenant,
  entity: SyncEntity,
  /** A settings save passes what it saved: a burst of clicks is one job, a different save its own. */
  cause?: string,
): Promise<"enqueued" | "not_active"> {
  if (tenant.state !== "active") return "not_active";
  await deps.producer.enqueue(
    "initial-sync-start",
    { tenantId: tenant.id, entities: [entity] },
    {
      deduplication: {
        id: safeJobId("resync", tenant.id, entity, ...(cause ? [cause] : [])),
        ttl: CLICK_DEDUP_MS,
      },
    },
  );
  deps.logger.info({ tenantId: tenant.id, entity, at: nowOf(deps).toISOString() }, "resync requested");
  return "enqueued";
}

/**
 * "Tentar de novo" on a step whose job gave up (packages/sync InitialSyncOrchestrator.stop): the same pass
 * continues from its checkpoint, then the steps it held back. Apart from `resyncEntity` on purpose: a
 * settings save wants a fresh pass from page 1, never the rest of an old one.
 */
export async function retryStoppedStep(
  deps: Deps,
  tenant: Tenant,
  entity: SyncEntity,
): Promise<"enqueued" | "not_active" | "not_stopped"> {
  if (tenant.state !== "active") return "not_active";
  const orchestrator = new InitialSyncOrchestrator(deps.db.db, deps.producer);
  const retried = await orchestrator.retryStopped(tenant.id, entity, nowOf(deps).getTime());
  deps.logger.info({ tenantId: tenant.id, entity, retried }, "stopped step retry requested");
  return retried ? "enqueued" : "not_stopped";
}

/**
 * "Aplicar mesmo assim" for a pass the mass-change breaker held (packages/sync stock-guard.ts): the hold is
 * lifted (the ledger records that the merchant released it) and the pass is queued again, so what was held
 * is written now rather than at the next change.
 */
export async function releaseHeldPass(
  deps: Deps,
  tenant: Tenant,
  guard: GuardKind,
): Promise<{ released: boolean; message: string }> {
  const released = await releaseMassChangeGuard(
    { db: deps.db.db, tenantId: tenant.id, now: () => nowOf(deps), log: deps.logger },
    guard,
  );
  if (!released) return { released, message: "Não havia nenhuma atualização retida: nada foi alterado." };
  const queued = (await resyncEntity(deps, tenant, guard === "stock" ? "stock" : "prices")) === "enqueued";
  const what = guard === "stock" ? "estoque" : "preços";
  return {
    released,
    message: queued
      ? `Atualização de ${what} liberada: ela será aplicada em instantes. Na próxima hora, mudanças grandes de ${what} não são retidas.`
      : `Atualização de ${what} liberada; ela será aplicada quando a sincronização voltar a rodar.`,
  };
}
