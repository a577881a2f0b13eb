CREATE TABLE "partner_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"partner_id" uuid NOT NULL,
	"dedup_key" text NOT NULL,
	"event_type" text NOT NULL,
	"webhook_event_id" text,
	"body_json" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partners" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"signature_scheme" text NOT NULL,
	"signature_header" text NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_valid_until" timestamp with time zone,
	"active" boolean NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"secret_rotated_at" timestamp with time zone,
	CONSTRAINT "partners_signature_scheme_check" CHECK ("partners"."signature_scheme" in ('sha256', 'timestamped'))
);
--> statement-breakpoint
CREATE TABLE "pnc_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"event_type" text NOT NULL,
	"role" text,
	"message" text,
	"needs_action" boolean NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"sent_at" text,
	"payload_json" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "pnc_events_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
ALTER TABLE "partner_events" ADD CONSTRAINT "partner_events_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "partner_events_dedup_idx" ON "partner_events" USING btree ("partner_id","dedup_key");--> statement-breakpoint
CREATE INDEX "partner_events_received_idx" ON "partner_events" USING btree ("partner_id","received_at");--> statement-breakpoint
CREATE INDEX "pnc_events_received_idx" ON "pnc_events" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "pnc_events_open_idx" ON "pnc_events" USING btree ("received_at") WHERE needs_action and acknowledged_at is null;