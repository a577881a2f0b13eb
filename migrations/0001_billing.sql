CREATE TABLE "billing_state" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sweep_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"trigger" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"window_from" timestamp with time zone NOT NULL,
	"window_to" timestamp with time zone NOT NULL,
	"transactions" integer DEFAULT 0 NOT NULL,
	"backfilled_mwh" bigint DEFAULT 0 NOT NULL,
	"flagged" integer DEFAULT 0 NOT NULL,
	"errors" text,
	"details" text
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"transaction_pk" bigint NOT NULL,
	"event_id" text NOT NULL,
	"kind" text NOT NULL,
	"delta_mwh" bigint NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "usage_events_event_id_unique" UNIQUE("event_id"),
	CONSTRAINT "usage_events_status_check" CHECK ("usage_events"."status" in ('pending', 'delivered', 'dead', 'held'))
);
--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "lago_subscription_id" text;--> statement-breakpoint
ALTER TABLE "live_sessions" ADD COLUMN "last_delta_mwh" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "live_sessions" ADD COLUMN "resolved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "live_sessions" ADD COLUMN "resolve_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "live_sessions" ADD COLUMN "resolve_next_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "usage_events_claim_idx" ON "usage_events" USING btree ("attempts","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "usage_events_transaction_idx" ON "usage_events" USING btree ("transaction_pk");