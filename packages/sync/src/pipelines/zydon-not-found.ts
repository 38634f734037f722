import { isWithinNotFoundRetryWindow, ZydonNotFoundError } from "@zb/zydon";
import { brasiliaTime } from "../domain/brasilia-time.js";
import { ZydonNotFoundYetError } from "../engine/errors.js";
import { errorMessage, type SyncContext } from "./context.js";

/** What the sync keeps about a Zydon record it references: an `entity_links` row or an `order_exports` row. */
export interface ReferencedRecord {
  createdAt: Date;
  updatedAt: Date;
}

/** A port read answered `null` for the record (the adapter's mapping of Zydon's 404, e.g. `getOrder`). */
export const ZYDON_READ_MISSING: unique symbol = Symbol("zydon read answered not found");

/** The shortest wait before running a job again after a 404 on a fresh record. */
const MIN_WAIT_MS = 2_000;

/** When the sync last created, linked or wrote the record. */
export function lastReferencedAt(r: ReferencedRecord): Date {
  return r.updatedAt.getTime() > r.createdAt.getTime() ? r.updatedAt : r.createdAt;
}

/** A Zydon 404: the client's error, or a port read that answered `null` for it. */
export function isZydonNotFound(err: unknown): boolean {
  return err === ZYDON_READ_MISSING || err instanceof ZydonNotFoundError;
}

/**
 * The one decision about a Zydon 404 on a record the sync knows (zydon-api.md §2.4 "404 right after a create":
 * the one 404 on record came minutes after the record was used, so it may be transient on any call). Every
 * pipeline calls this in its Zydon error handling, before its `isTransient` check:
 *
 * - not a 404, or no record known → `undefined`: the caller's own handling applies;
 * - a 404 the client already marks transient (an id it created itself, in this job) → `undefined`: the caller
 *   rethrows it as transient;
 * - a 404 on a record created, linked or last written less than the contract window ago (the port's
 *   `notFoundRetryWindowMs`, configurable through `@zb/config`) → throws `ZydonNotFoundYetError`: the job
 *   runs again after a wait, instead of treating the record as deleted by hand;
 * - past the window → the pt-BR reason for the caller's failure row in the ledger ("O Zydon ainda não encontra
 *   o produto …, criado às …"): the 404 persisted.
 *
 * `created` is the participle that fits `label` ("criado", "criada", "criados").
 */
export function checkZydonNotFound(
  ctx: SyncContext,
  err: unknown,
  records: ReferencedRecord | ReadonlyArray<ReferencedRecord> | null | undefined,
  what: { label: string; created?: string },
): string | undefined {
  if (!isZydonNotFound(err)) return undefined;
  if (err instanceof ZydonNotFoundError && err.retryableWindow) return undefined;
  const list: ReadonlyArray<ReferencedRecord> = !records ? [] : "createdAt" in records ? [records] : records;
  if (list.length === 0) return undefined;
  const at = list.map(lastReferencedAt).reduce((a, b) => (b.getTime() > a.getTime() ? b : a));
  const windowMs = ctx.zydon.notFoundRetryWindowMs;
  const now = ctx.now();
  if (isWithinNotFoundRetryWindow(at, windowMs, now)) {
    const age = Math.max(0, now.getTime() - at.getTime());
    // Waits double with the record's age (2 s, 2 s, 4 s, 8 s…); the last one lands just past the window.
    const retryAfterMs = Math.max(1_000, Math.min(Math.max(MIN_WAIT_MS, age), windowMs - age + 1_000));
    ctx.log.warn(
      { referencedAt: at.toISOString(), retryAfterMs, windowMs },
      "zydon 404 on a record referenced within the contract window: retrying later",
    );
    throw new ZydonNotFoundYetError(err === ZYDON_READ_MISSING ? undefined : err, at, retryAfterMs);
  }
  const created = list.map((r) => r.createdAt).reduce((a, b) => (b.getTime() > a.getTime() ? b : a));
  const detail = err === ZYDON_READ_MISSING ? "" : `: ${errorMessage(err)}`;
  return `O Zydon ainda não encontra ${what.label}, ${what.created ?? "criado"} às ${brasiliaTime(created)}${detail}`;
}
