ALTER TABLE "usage_events" DROP CONSTRAINT "usage_events_status_check";--> statement-breakpoint
CREATE INDEX "meter_samples_received_brin" ON "meter_samples" USING brin ("received_at");--> statement-breakpoint
CREATE INDEX "usage_events_unbillable_idx" ON "usage_events" USING btree ("transaction_pk") WHERE status = 'unbillable';--> statement-breakpoint
CREATE INDEX "usage_events_delivered_idx" ON "usage_events" USING btree ("delivered_at") WHERE status = 'delivered';--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_status_check" CHECK ("usage_events"."status" in ('pending', 'delivered', 'dead', 'held', 'unbillable'));