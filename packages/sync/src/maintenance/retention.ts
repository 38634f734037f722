import {
  type Database,
  LedgerRepository,
  OAuthStatesRepository,
  SyncRunsRepository,
  WebhookInboxRepository,
} from "@zb/db";
import type { SyncLog } from "../pipelines/context.js";

export interface RetentionWindows {
  /** Processed webhook inbox rows older than this are deleted (RETENTION_INBOX_DAYS). */
  inboxDays: number;
  /** History rows (open failures and skips kept) and finished sync runs older than this (RETENTION_LEDGER_DAYS). */
  ledgerDays: number;
}

export interface RetentionOptions {
  /** Rows per DELETE (each statement stays short, so no long lock on a busy table). */
  batchSize?: number;
  /** Most batches per table in one run; what is left waits for the next day's run. */
  maxBatches?: number;
  now?: Date;
}

export type RetentionReport = Record<"inbox" | "oauthStates" | "syncRuns" | "ledger", number>;

const DAY_MS = 86_400_000;

async function drain(step: () => Promise<number>, batchSize: number, maxBatches: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await step();
    total += n;
    if (n < batchSize) break;
  }
  return total;
}

/**
 * Issue 21 #6: the tables that grow with traffic are pruned in bounded batches. Never deleted: unprocessed
 * webhooks, live OAuth states, each tenant's latest run per entity, an open failure or skip in the history.
 */
export async function pruneRetention(
  db: Database,
  windows: RetentionWindows,
  log: SyncLog,
  opts: RetentionOptions = {},
): Promise<RetentionReport> {
  const batchSize = opts.batchSize ?? 1000;
  const maxBatches = opts.maxBatches ?? 200;
  const now = opts.now ?? new Date();
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const inbox = new WebhookInboxRepository(db);
  const states = new OAuthStatesRepository(db);
  const runs = new SyncRunsRepository(db);
  const ledger = new LedgerRepository(db);
  const report: RetentionReport = {
    inbox: await drain(
      () => inbox.pruneProcessed(before(windows.inboxDays), batchSize),
      batchSize,
      maxBatches,
    ),
    oauthStates: await drain(() => states.deleteExpired(now, batchSize), batchSize, maxBatches),
    syncRuns: await drain(
      () => runs.pruneFinished(before(windows.ledgerDays), batchSize),
      batchSize,
      maxBatches,
    ),
    ledger: await drain(
      () => ledger.pruneOlderThan(before(windows.ledgerDays), batchSize),
      batchSize,
      maxBatches,
    ),
  };
  log.info({ ...report, ...windows }, "retention prune finished");
  return report;
}
