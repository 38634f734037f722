-- One row per (tenant, entity, key, action) for successes: keep the newest success of each key, then enforce it.
DELETE FROM "sync_ledger" a USING "sync_ledger" b WHERE a."outcome" = 'synced' AND b."outcome" = 'synced' AND a."tenant_id" = b."tenant_id" AND a."entity" = b."entity" AND a."entity_key" = b."entity_key" AND a."action" = b."action" AND a."id" < b."id";--> statement-breakpoint
CREATE UNIQUE INDEX "sync_ledger_synced_key_uq" ON "sync_ledger" USING btree ("tenant_id","entity","entity_key","action") WHERE outcome = 'synced';--> statement-breakpoint
CREATE INDEX "sync_ledger_updated_idx" ON "sync_ledger" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "webhook_inbox_processed_idx" ON "webhook_inbox" USING btree ("processed_at");