CREATE TABLE "bling_connections" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"bling_company_id" text,
	"company_name" text,
	"status" text DEFAULT 'connected' NOT NULL,
	"access_token_enc" text,
	"refresh_token_enc" text,
	"access_expires_at" timestamp with time zone,
	"refresh_expires_at" timestamp with time zone,
	"scope" text,
	"token_version" integer DEFAULT 0 NOT NULL,
	"refresh_failures" integer DEFAULT 0 NOT NULL,
	"last_refresh_at" timestamp with time zone,
	"last_refresh_error" text,
	"purge_after" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bling_connections_status_ck" CHECK ("bling_connections"."status" in ('connected','needs_reauth','disconnected'))
);
--> statement-breakpoint
CREATE TABLE "entity_links" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"entity" text NOT NULL,
	"bling_id" text,
	"zydon_id" text,
	"natural_key" text,
	"content_hash" text,
	"data" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "entity_links_some_id_ck" CHECK ("entity_links"."bling_id" is not null or "entity_links"."zydon_id" is not null)
);
--> statement-breakpoint
CREATE TABLE "oauth_states" (
	"state" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"tenant_id" uuid,
	"return_to" text,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "oauth_states_provider_ck" CHECK ("oauth_states"."provider" in ('bling','zydon'))
);
--> statement-breakpoint
CREATE TABLE "order_exports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"zydon_order_id" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"bling_order_id" text,
	"bling_order_number" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"bling_situacao_id" text,
	"nfe_state" text,
	"bling_invoice_id" text,
	"nfe_details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "order_exports_state_ck" CHECK ("order_exports"."state" in ('pending','creating','created','failed'))
);
--> statement-breakpoint
CREATE TABLE "sync_cursors" (
	"tenant_id" uuid NOT NULL,
	"stream" text NOT NULL,
	"cursor" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_cursors_tenant_id_stream_pk" PRIMARY KEY("tenant_id","stream")
);
--> statement-breakpoint
CREATE TABLE "sync_ledger" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"entity" text NOT NULL,
	"entity_key" text NOT NULL,
	"action" text NOT NULL,
	"outcome" text NOT NULL,
	"reason" text,
	"details" jsonb,
	"attempts" integer DEFAULT 1 NOT NULL,
	"retryable" integer DEFAULT 0 NOT NULL,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_ledger_outcome_ck" CHECK ("sync_ledger"."outcome" in ('synced','skipped','failed'))
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"entity" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"total" integer,
	"done" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"zydon_organization_id" text NOT NULL,
	"state" text DEFAULT 'awaiting_bling' NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"installed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"uninstalled_at" timestamp with time zone,
	"bling_paused_until" timestamp with time zone,
	"initial_sync_done_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_state_ck" CHECK ("tenants"."state" in ('awaiting_bling','active','paused','needs_reauth'))
);
--> statement-breakpoint
CREATE TABLE "webhook_inbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"event_id" text NOT NULL,
	"tenant_id" uuid,
	"event_type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"occurred_at" timestamp with time zone,
	"processed_at" timestamp with time zone,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "zydon_credentials" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"access_key_code_enc" text,
	"access_key_token_enc" text,
	"purge_after" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bling_connections" ADD CONSTRAINT "bling_connections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entity_links" ADD CONSTRAINT "entity_links_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth_states" ADD CONSTRAINT "oauth_states_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_exports" ADD CONSTRAINT "order_exports_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_cursors" ADD CONSTRAINT "sync_cursors_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_ledger" ADD CONSTRAINT "sync_ledger_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_inbox" ADD CONSTRAINT "webhook_inbox_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zydon_credentials" ADD CONSTRAINT "zydon_credentials_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "bling_connections_company_uq" ON "bling_connections" USING btree ("bling_company_id");--> statement-breakpoint
CREATE UNIQUE INDEX "entity_links_bling_uq" ON "entity_links" USING btree ("tenant_id","entity","bling_id");--> statement-breakpoint
CREATE UNIQUE INDEX "entity_links_zydon_uq" ON "entity_links" USING btree ("tenant_id","entity","zydon_id");--> statement-breakpoint
CREATE INDEX "entity_links_natural_idx" ON "entity_links" USING btree ("tenant_id","entity","natural_key");--> statement-breakpoint
CREATE INDEX "oauth_states_expires_idx" ON "oauth_states" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "order_exports_zydon_uq" ON "order_exports" USING btree ("tenant_id","zydon_order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "order_exports_bling_uq" ON "order_exports" USING btree ("tenant_id","bling_order_id");--> statement-breakpoint
CREATE INDEX "sync_ledger_tenant_time_idx" ON "sync_ledger" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "sync_ledger_tenant_filter_idx" ON "sync_ledger" USING btree ("tenant_id","entity","outcome");--> statement-breakpoint
CREATE INDEX "sync_ledger_tenant_key_idx" ON "sync_ledger" USING btree ("tenant_id","entity_key");--> statement-breakpoint
CREATE INDEX "sync_runs_tenant_idx" ON "sync_runs" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tenants_zydon_org_uq" ON "tenants" USING btree ("zydon_organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_inbox_event_uq" ON "webhook_inbox" USING btree ("provider","event_id");--> statement-breakpoint
CREATE INDEX "webhook_inbox_tenant_idx" ON "webhook_inbox" USING btree ("tenant_id","received_at");