import { type AttentionItem, computePageState, type PageStateResponse } from "@zb/contract";
import type { Tenant } from "@zb/db";
import { readTenantSettings, SETTINGS_ENTITY } from "@zb/sync";
import { z } from "zod";
import type { AppDeps } from "../deps.js";
import { nowOf, repos } from "./repos.js";
import { blingStateOf } from "./settings-views.js";

type Deps = Pick<AppDeps, "db" | "secretBox" | "now" | "logger">;

/** When the merchant last paused and resumed (written by the pause/resume routes; read by the state). */
export const PAUSE_STREAM = "merchant-pause";
const pauseCursor = z.object({ pausedAt: z.string(), resumedAt: z.string().nullable().default(null) });
/** The catch-up poll's cursor (packages/sync products-poll.ts): updated after `resumedAt` = caught up. */
const POLL_STREAM = "poll:products";
/** A catch-up that has not run after this long is no longer shown as "Retomando" (the worker may be down). */
const CATCH_UP_SHOWN_MS = 10 * 60_000;

/** Settings keys of the mass-change breakers (packages/sync stock-guard.ts) → the guard the page releases. */
const guardOfSetting: Record<string, AttentionItem["guard"]> = {
  "stock.zeroGuard": "stock",
  "price.changeGuard": "price",
};

/** Record a pause or a resume, so the page can count what arrived meanwhile and show the catch-up. */
export async function notePauseChange(deps: Deps, tenantId: string, paused: boolean): Promise<void> {
  const { cursors } = repos(deps);
  const now = nowOf(deps).toISOString();
  if (paused) {
    await cursors.set(tenantId, PAUSE_STREAM, { pausedAt: now, resumedAt: null });
    return;
  }
  const prev = await cursors.get(tenantId, PAUSE_STREAM, pauseCursor).catch(() => undefined);
  await cursors.set(tenantId, PAUSE_STREAM, { pausedAt: prev?.pausedAt ?? now, resumedAt: now });
}

/** Open configuration errors and held mass changes, with the guard a button may release. */
export async function attentionItems(deps: Deps, tenantId: string): Promise<AttentionItem[]> {
  const open = await repos(deps).ledger.list({
    tenantId,
    entity: SETTINGS_ENTITY,
    outcome: "failed",
    onlyOpen: true,
    pageSize: 10,
  });
  return open.items.map((r) => ({
    setting: r.entityKey,
    reason: r.reason,
    since: r.createdAt.toISOString(),
    guard: guardOfSetting[r.entityKey] ?? null,
  }));
}

/** `GET /api/settings/state`: the facts read here, the state decided by @zb/contract's computePageState. */
export async function pageStateView(deps: Deps, tenant: Tenant): Promise<PageStateResponse> {
  const now = nowOf(deps);
  const { credentials, cursors, runs, inbox } = repos(deps);
  const settings = readTenantSettings(tenant.settings);
  const [conn, streams, latest, attention] = await Promise.all([
    credentials.getBlingConnection(tenant.id),
    cursors.list(tenant.id),
    runs.latestByEntity(tenant.id, "initial"),
    attentionItems(deps, tenant.id),
  ]);
  const pauseRow = streams.find((s) => s.stream === PAUSE_STREAM);
  const pause = pauseRow ? pauseCursor.safeParse(pauseRow.cursor) : undefined;
  const pausedAt = pause?.success ? new Date(pause.data.pausedAt) : null;
  const resumedAt = pause?.success && pause.data.resumedAt ? new Date(pause.data.resumedAt) : null;
  const poll = streams.find((s) => s.stream === POLL_STREAM);
  const catchingUp =
    !settings.paused &&
    resumedAt !== null &&
    now.getTime() - resumedAt.getTime() < CATCH_UP_SHOWN_MS &&
    (!poll || poll.updatedAt.getTime() < resumedAt.getTime());
  const waiting =
    pausedAt && (settings.paused || catchingUp)
      ? await inbox.countReceived(
          tenant.id,
          "bling",
          pausedAt,
          settings.paused ? undefined : (resumedAt ?? undefined),
        )
      : 0;
  return computePageState({
    tenantState: tenant.state,
    bling: blingStateOf(conn, now),
    merchantPaused: settings.paused,
    initialSyncDone: Boolean(tenant.initialSyncDoneAt),
    initialSyncRunning: latest.some((r) => r.status === "queued" || r.status === "running"),
    initialSyncStopped: latest.some((r) => r.status === "failed"),
    waiting,
    catchingUp,
    attention,
  });
}
