import { BlingError, BlingValidationError } from "@zb/bling";
import type { Database } from "@zb/db";
import { ZydonError } from "@zb/zydon";
import { actionOf } from "../engine/errors.js";
import type { KeyedLock } from "../engine/page-pool.js";
import type { BlingPort } from "../ports/bling-port.js";
import type { ZydonPort } from "../ports/zydon-port.js";
import type { TenantSettings } from "../settings/tenant-settings.js";

export interface SyncLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Everything a pipeline step needs, bound to one tenant. Built by the worker per job. */
export interface SyncContext {
  tenantId: string;
  settings: TenantSettings;
  bling: BlingPort;
  zydon: ZydonPort;
  db: Database;
  log: SyncLog;
  now(): Date;
  /**
   * Run `fn` as the only holder of `key` for this tenant across every worker process (a Redis lease). Used so
   * two jobs syncing the same product (a webhook refresh and a poll) cannot interleave a stale read with a
   * newer write. Absent in unit tests: then `fn` simply runs.
   */
  exclusive?<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Take `key` for this tenant without waiting, for `ttlMs` (owned by the running job, so the same job run
   * again after a crash takes it back); `null` while another job holds it. Used where waiting would hold a
   * worker slot for long (a product's image upload). Absent in unit tests: then the claim is always granted.
   */
  claim?(key: string, ttlMs: number): Promise<{ release(): Promise<void> } | null>;
  /**
   * Set while a page's records run together (engine/page-pool.ts): held on a record's natural keys (SKUs,
   * document) from the "already linked?" check to its link row. Absent elsewhere: records go one at a time.
   */
  sameKey?: KeyedLock;
  /** Queue follow-up work (image uploads, refreshes) without blocking the current step. */
  enqueueImages?(blingProductId: string): Promise<void>;
  /** Queue the NF-e step of an exported order (the worker binds it to `nfe-step` with `nfeJobId(…, 0)`). */
  enqueueNfe?(zydonOrderId: string): Promise<void>;
  /**
   * Mass-change breaker limits (SYNC_MASS_CHANGE_SHARE, SYNC_PRICE_GUARD_CHANGE); absent → the defaults
   * (stock-guard.ts: 20% of the sellable catalog, a price move of more than 50%).
   */
  guards?: { share?: number; priceChange?: number };
}

/** Errors whose type says "try the whole step again later" (rate limits, network, 5xx, auth refresh). */
export function isTransient(err: unknown): boolean {
  const action = actionOf(err);
  return action === "retry" || action === "wait" || action === "reconnect";
}

/** What a vendor says when it says nothing: never shown as the reason of a failure. */
const SAYS_NOTHING =
  /^(erro desconhecido|unknown error|internal server error|erro interno|error|erro|null)\.?$/i;

/**
 * The part of a ledger reason after "O Zydon recusou o produto X: ". Bling and Zydon errors read in pt-BR as
 * what the vendor answered (its own words and the HTTP status), never our English message with the method
 * and path, and never a bare "Erro desconhecido": an answer without a reason says so.
 */
export function errorMessage(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { ptBrMessage?: () => string };
    if (typeof e.ptBrMessage === "function") return e.ptBrMessage();
  }
  if (err instanceof BlingError || err instanceof ZydonError) {
    const who = err instanceof BlingError ? "o Bling" : "o Zydon";
    const status = err.status ?? null;
    if (status === null) return `${who} não respondeu`;
    const words = (
      err instanceof BlingError
        ? err instanceof BlingValidationError
          ? err.fieldLines().join("; ")
          : (err.description ?? "")
        : (err.zydonMessage ?? "")
    ).trim();
    return words && !SAYS_NOTHING.test(words)
      ? `${who} respondeu “${words}” (HTTP ${status})`
      : `${who} respondeu com erro (HTTP ${status}) sem informar o motivo`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
