CREATE TABLE "partner_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"partner_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"type" text NOT NULL,
	"body" text,
	"data_json" text,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status" integer,
	"last_error" text,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "partner_deliveries_status_check" CHECK ("partner_deliveries"."status" in ('pending', 'delivered', 'failed')),
	CONSTRAINT "partner_deliveries_body_check" CHECK ("partner_deliveries"."body" is not null or "partner_deliveries"."data_json" is not null)
);
--> statement-breakpoint
ALTER TABLE "live_sessions" ADD COLUMN "ended_version" bigint;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "url" text;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "events" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "partners" ADD COLUMN "deactivated_reason" text;--> statement-breakpoint
ALTER TABLE "partner_deliveries" ADD CONSTRAINT "partner_deliveries_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "partner_deliveries_claim_idx" ON "partner_deliveries" USING btree ("next_attempt_at","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "partner_deliveries_partner_idx" ON "partner_deliveries" USING btree ("partner_id","created_at","id");--> statement-breakpoint
CREATE INDEX "partner_deliveries_event_idx" ON "partner_deliveries" USING btree ("event_id");