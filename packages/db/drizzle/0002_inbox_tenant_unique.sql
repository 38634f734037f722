DROP INDEX "webhook_inbox_event_uq";--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_inbox_tenant_event_uq" ON "webhook_inbox" USING btree ("provider","tenant_id","event_id");