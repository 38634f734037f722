import { sql } from "drizzle-orm";
import {
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
};

export const tenantStates = ["awaiting_bling", "active", "paused", "needs_reauth"] as const;
export type TenantState = (typeof tenantStates)[number];

/** One Zydon organization that installed the app. */
export const tenants = pgTable(
  "tenants",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    zydonOrganizationId: text("zydon_organization_id").notNull(),
    /** The organization's name as Zydon's session check last gave it: shown on the Bling confirmation. */
    zydonOrganizationName: text("zydon_organization_name"),
    state: text("state").$type<TenantState>().notNull().default("awaiting_bling"),
    /** zod-validated on read and write by the settings module (packages/sync). */
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    installedAt: timestamp("installed_at", { withTimezone: true }).notNull().defaultNow(),
    uninstalledAt: timestamp("uninstalled_at", { withTimezone: true }),
    /** Set when Bling answered a daily-limit 429: Bling work waits until then. */
    blingPausedUntil: timestamp("bling_paused_until", { withTimezone: true }),
    /** True once the initial sync completed; reinstall then catches up from cursors. */
    initialSyncDoneAt: timestamp("initial_sync_done_at", { withTimezone: true }),
    /**
     * Every settings-page session and launch code carries the generation it was issued under; uninstall,
     * "Desconectar Bling" and the purge bump it, which revokes them all at once (issue 21 #8).
     */
    sessionGeneration: integer("session_generation").notNull().default(0),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("tenants_zydon_org_uq").on(t.zydonOrganizationId),
    check("tenants_state_ck", sql`${t.state} in ('awaiting_bling','active','paused','needs_reauth')`),
  ],
);

/** The organization's access-key pair from App Studio OAuth. Values are SecretBox strings. */
export const zydonCredentials = pgTable("zydon_credentials", {
  tenantId: uuid("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  accessKeyCodeEnc: text("access_key_code_enc"),
  accessKeyTokenEnc: text("access_key_token_enc"),
  /** When set, a scheduled job erases the secrets after this time (uninstall retention window). */
  purgeAfter: timestamp("purge_after", { withTimezone: true }),
  ...timestamps,
});

export const blingConnectionStatuses = ["connected", "needs_reauth", "disconnected"] as const;
export type BlingConnectionStatus = (typeof blingConnectionStatuses)[number];

export const blingConnections = pgTable(
  "bling_connections",
  {
    tenantId: uuid("tenant_id")
      .primaryKey()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** `GET /empresas/me/dados-basicos` id; routes webhooks (`companyId`). One tenant per company. */
    blingCompanyId: text("bling_company_id"),
    companyName: text("company_name"),
    status: text("status").$type<BlingConnectionStatus>().notNull().default("connected"),
    accessTokenEnc: text("access_token_enc"),
    refreshTokenEnc: text("refresh_token_enc"),
    accessExpiresAt: timestamp("access_expires_at", { withTimezone: true }),
    refreshExpiresAt: timestamp("refresh_expires_at", { withTimezone: true }),
    scope: text("scope"),
    /** Bumped on every token write: a refresh commits only if nobody rotated in between. */
    tokenVersion: integer("token_version").notNull().default(0),
    refreshFailures: integer("refresh_failures").notNull().default(0),
    lastRefreshAt: timestamp("last_refresh_at", { withTimezone: true }),
    lastRefreshError: text("last_refresh_error"),
    purgeAfter: timestamp("purge_after", { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("bling_connections_company_uq").on(t.blingCompanyId),
    check("bling_connections_status_ck", sql`${t.status} in ('connected','needs_reauth','disconnected')`),
  ],
);

export const oauthProviders = ["bling", "zydon"] as const;
export type OAuthProvider = (typeof oauthProviders)[number];

/** Single-use, short-lived OAuth `state` values, bound to a provider and (for Bling) a tenant. */
export const oauthStates = pgTable(
  "oauth_states",
  {
    state: text("state").primaryKey(),
    provider: text("provider").$type<OAuthProvider>().notNull(),
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "cascade" }),
    returnTo: text("return_to"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /**
     * Who asked for the state (a keyed hash of the client address for an install, the tenant for a Bling
     * connect): each one keeps only its few newest live states, so a flood cannot grow the table (issue 21 #5).
     */
    issuer: text("issuer"),
  },
  (t) => [
    index("oauth_states_expires_idx").on(t.expiresAt),
    index("oauth_states_issuer_idx").on(t.issuer, t.createdAt),
    check("oauth_states_provider_ck", sql`${t.provider} in ('bling','zydon')`),
  ],
);

/**
 * tenant × entity × Bling id ↔ Zydon id. Both directions are unique, so neither side can be linked twice;
 * `contentHash` is the hash of the last payload written, to skip unchanged writes.
 */
/** What an `entity_links` row links (a text column in the database; the set is closed here). */
export const linkEntities = [
  "product",
  "variation",
  "customer",
  "payment_method",
  "order",
  "category",
  "brand",
] as const;
export type LinkEntity = (typeof linkEntities)[number];

export const entityLinks = pgTable(
  "entity_links",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    entity: text("entity").$type<LinkEntity>().notNull(),
    blingId: text("bling_id"),
    zydonId: text("zydon_id"),
    naturalKey: text("natural_key"),
    contentHash: text("content_hash"),
    /** Free-form per entity; read it through `linkData` (packages/db/src/repositories/links-repository.ts). */
    data: jsonb("data").$type<Record<string, unknown>>(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("entity_links_bling_uq").on(t.tenantId, t.entity, t.blingId),
    uniqueIndex("entity_links_zydon_uq").on(t.tenantId, t.entity, t.zydonId),
    index("entity_links_natural_idx").on(t.tenantId, t.entity, t.naturalKey),
    check("entity_links_some_id_ck", sql`${t.blingId} is not null or ${t.zydonId} is not null`),
  ],
);

/** Checkpoints and incremental cursors per tenant × stream (zod-validated on read by the owner). */
export const syncCursors = pgTable(
  "sync_cursors",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    stream: text("stream").notNull(),
    cursor: jsonb("cursor").$type<Record<string, unknown>>().notNull(),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.stream] })],
);

export const syncRunStatuses = ["queued", "running", "done", "failed", "cancelled"] as const;
export type SyncRunStatus = (typeof syncRunStatuses)[number];

export const syncRuns = pgTable(
  "sync_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    entity: text("entity").notNull(),
    status: text("status").$type<SyncRunStatus>().notNull().default("queued"),
    total: integer("total"),
    done: integer("done").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    error: text("error"),
    ...timestamps,
  },
  (t) => [index("sync_runs_tenant_idx").on(t.tenantId, t.createdAt)],
);

export const ledgerOutcomes = ["synced", "skipped", "failed"] as const;
export type LedgerOutcome = (typeof ledgerOutcomes)[number];

/**
 * What the merchant reads, reason in pt-BR: one open row per failing/skipped key and action (attempts counted),
 * one row per key and action for its latest success (`sync_ledger_synced_key_uq`), pruned after
 * RETENTION_LEDGER_DAYS except open rows.
 */
export const syncLedger = pgTable(
  "sync_ledger",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    entity: text("entity").notNull(),
    entityKey: text("entity_key").notNull(),
    action: text("action").notNull(),
    outcome: text("outcome").$type<LedgerOutcome>().notNull(),
    reason: text("reason"),
    details: jsonb("details").$type<Record<string, unknown>>(),
    attempts: integer("attempts").notNull().default(1),
    retryable: integer("retryable").notNull().default(0),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    index("sync_ledger_tenant_time_idx").on(t.tenantId, t.createdAt),
    index("sync_ledger_tenant_filter_idx").on(t.tenantId, t.entity, t.outcome),
    index("sync_ledger_tenant_key_idx").on(t.tenantId, t.entityKey),
    uniqueIndex("sync_ledger_synced_key_uq")
      .on(t.tenantId, t.entity, t.entityKey, t.action)
      .where(sql`outcome = 'synced'`),
    index("sync_ledger_updated_idx").on(t.updatedAt),
    // The Sincronização chart: one tenant's rows per hour of the last day (LedgerRepository.hourly).
    index("sync_ledger_tenant_updated_idx").on(t.tenantId, t.updatedAt),
    check("sync_ledger_outcome_ck", sql`${t.outcome} in ('synced','skipped','failed')`),
  ],
);

/**
 * Every verified inbound webhook; the unique key (per tenant: event ids are the provider's, and one tenant's
 * delivery must never dedupe against, or re-queue, another tenant's row) makes a redelivery a no-op.
 */
export const webhookInbox = pgTable(
  "webhook_inbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    provider: text("provider").$type<OAuthProvider>().notNull(),
    eventId: text("event_id").notNull(),
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "cascade" }),
    eventType: text("event_type").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    /** When the provider says the event happened (for webhook lag). */
    occurredAt: timestamp("occurred_at", { withTimezone: true }),
    processedAt: timestamp("processed_at", { withTimezone: true }),
    error: text("error"),
  },
  (t) => [
    uniqueIndex("webhook_inbox_tenant_event_uq").on(t.provider, t.tenantId, t.eventId),
    index("webhook_inbox_tenant_idx").on(t.tenantId, t.receivedAt),
    index("webhook_inbox_processed_idx").on(t.processedAt),
  ],
);

export const orderExportStates = ["pending", "creating", "created", "failed"] as const;
export type OrderExportState = (typeof orderExportStates)[number];

/**
 * NF-e of an exported order (null = not started): generating (claim before gerar-nfe) → generated (invoice id
 * saved) → sending (claim before enviar) → sent (following SEFAZ) → authorized → attached (on the Zydon order).
 * rejected (SEFAZ 4: fix in Bling, retry re-sends the same note) and failed (generation refused, denied 9,
 * cancelled 2) end the run; only a merchant retry moves them again.
 */
export const nfeStates = [
  "generating",
  "generated",
  "sending",
  "sent",
  "authorized",
  "attached",
  "rejected",
  "failed",
] as const;
export type NfeState = (typeof nfeStates)[number];

/** Exactly-once export of a Zydon order to Bling: pending → creating → created(bling id) | failed. */
export const orderExports = pgTable(
  "order_exports",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    zydonOrderId: text("zydon_order_id").notNull(),
    state: text("state").$type<OrderExportState>().notNull().default("pending"),
    blingOrderId: text("bling_order_id"),
    blingOrderNumber: text("bling_order_number"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** Last Bling situação id mirrored back to Zydon (statuses back). */
    blingSituacaoId: text("bling_situacao_id"),
    /** NF-e sub-state machine (issue: NF-e for approved orders). */
    nfeState: text("nfe_state").$type<NfeState>(),
    blingInvoiceId: text("bling_invoice_id"),
    nfeDetails: jsonb("nfe_details").$type<Record<string, unknown>>(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("order_exports_zydon_uq").on(t.tenantId, t.zydonOrderId),
    uniqueIndex("order_exports_bling_uq").on(t.tenantId, t.blingOrderId),
    check("order_exports_state_ck", sql`${t.state} in ('pending','creating','created','failed')`),
    // One order per Bling NF-e: the invoice webhook finds its order through this, and a note can never be
    // recorded on two orders.
    uniqueIndex("order_exports_invoice_uq").on(t.tenantId, t.blingInvoiceId),
    check(
      "order_exports_nfe_state_ck",
      sql`${t.nfeState} is null or ${t.nfeState} in ('generating','generated','sending','sent','authorized','attached','rejected','failed')`,
    ),
  ],
);

/**
 * A merchant's alert settings (issue 18 #1), zod-validated on read and write by packages/sync alerts: who
 * receives e-mail, the optional outgoing webhook, which kinds are on. Apart from `tenants.settings` so the
 * sync settings' save and its checks never touch them.
 */
export const alertSettings = pgTable("alert_settings", {
  tenantId: uuid("tenant_id")
    .primaryKey()
    .references(() => tenants.id, { onDelete: "cascade" }),
  config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
  ...timestamps,
});

export const alertStatuses = ["pending", "sent", "failed", "suppressed"] as const;
export type AlertStatus = (typeof alertStatuses)[number];

/**
 * Every alert raised for a tenant, delivered or not. `(tenant, kind, dedupe_key)` is one occurrence (an order's
 * failure, one daily-limit pause…): raising it again is a no-op. `suppressed` = raised within an hour of a sent
 * alert of the same kind (counted on that one, listed in the daily summary, never sent).
 */
export const alerts = pgTable(
  "alerts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    status: text("status").$type<AlertStatus>().notNull().default("pending"),
    /** pt-BR, as the e-mail's subject and the page's list show it. */
    subject: text("subject").notNull(),
    /** What the message is written from (counts, order number, reason); never a secret. */
    facts: jsonb("facts").$type<Record<string, unknown>>().notNull().default({}),
    /** Per channel (email, webhook): status, attempts, last error, when. */
    deliveries: jsonb("deliveries").$type<Record<string, unknown>>().notNull().default({}),
    /** Alerts of this kind held back by the hourly limit since this one was sent. */
    suppressedCount: integer("suppressed_count").notNull().default(0),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("alerts_occurrence_uq").on(t.tenantId, t.kind, t.dedupeKey),
    index("alerts_tenant_time_idx").on(t.tenantId, t.createdAt),
    check("alerts_status_ck", sql`${t.status} in ('pending','sent','failed','suppressed')`),
  ],
);
