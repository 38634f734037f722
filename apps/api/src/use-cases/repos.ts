import {
  CredentialsRepository,
  CursorsRepository,
  HealthRepository,
  LedgerRepository,
  OAuthStatesRepository,
  SyncRunsRepository,
  TenantsRepository,
  WebhookInboxRepository,
} from "@zb/db";
import type { AppDeps } from "../deps.js";

/** Repositories over the app's pool; cheap to build (no state), so each use case builds what it needs. */
export function repos(deps: Pick<AppDeps, "db" | "secretBox">) {
  const db = deps.db.db;
  return {
    tenants: new TenantsRepository(db),
    credentials: new CredentialsRepository(db, deps.secretBox),
    states: new OAuthStatesRepository(db),
    inbox: new WebhookInboxRepository(db),
    ledger: new LedgerRepository(db),
    cursors: new CursorsRepository(db),
    runs: new SyncRunsRepository(db),
    health: new HealthRepository(db),
  };
}

export function nowOf(deps: Pick<AppDeps, "now">): Date {
  return deps.now?.() ?? new Date();
}
