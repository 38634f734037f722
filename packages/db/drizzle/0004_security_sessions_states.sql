ALTER TABLE "oauth_states" ADD COLUMN "issuer" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "zydon_organization_name" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "session_generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "oauth_states_issuer_idx" ON "oauth_states" USING btree ("issuer","created_at");