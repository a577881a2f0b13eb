CREATE TABLE "admin_sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"admin_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "admin_users" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "admin_users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "chargers" (
	"charge_box_id" text PRIMARY KEY NOT NULL,
	"name" text,
	"qr_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer_sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feature_flags" (
	"name" text PRIMARY KEY NOT NULL,
	"enabled" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "live_sessions" (
	"transaction_pk" bigint PRIMARY KEY NOT NULL,
	"charge_box_id" text NOT NULL,
	"connector_id" integer NOT NULL,
	"id_tag" text,
	"customer_id" text,
	"start_register_mwh" bigint,
	"start_from_begin" boolean DEFAULT false NOT NULL,
	"latest_register_mwh" bigint,
	"latest_register_at" timestamp with time zone,
	"energy_mwh" bigint DEFAULT 0 NOT NULL,
	"last_power_w" double precision,
	"last_power_at" timestamp with time zone,
	"started_at" timestamp with time zone NOT NULL,
	"last_reading_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"version" bigint DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "login_failures" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"failed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meter_samples" (
	"transaction_pk" bigint NOT NULL,
	"sampled_at" timestamp with time zone NOT NULL,
	"measurand" text NOT NULL,
	"phase" text NOT NULL,
	"format" text NOT NULL,
	"charge_box_id" text NOT NULL,
	"connector_id" integer NOT NULL,
	"value" text NOT NULL,
	"unit" text,
	"context" text,
	"location" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "meter_samples_pk" PRIMARY KEY("transaction_pk","sampled_at","measurand","phase","format")
);
--> statement-breakpoint
CREATE TABLE "pending_starts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"charge_box_id" text NOT NULL,
	"connector_id" integer NOT NULL,
	"id_tag" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_by" bigint
);
--> statement-breakpoint
CREATE TABLE "scan_pairs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"charge_box_id" text NOT NULL,
	"browser_hash" text NOT NULL,
	"status" text NOT NULL,
	"id_tag" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"matched_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "scan_pairs_status_check" CHECK ("scan_pairs"."status" in ('armed', 'matched', 'expired', 'cancelled', 'consumed'))
);
--> statement-breakpoint
CREATE TABLE "setup_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"id_tag" text PRIMARY KEY NOT NULL,
	"customer_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "admin_sessions" ADD CONSTRAINT "admin_sessions_admin_id_admin_users_id_fk" FOREIGN KEY ("admin_id") REFERENCES "public"."admin_users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_sessions" ADD CONSTRAINT "customer_sessions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tags" ADD CONSTRAINT "tags_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "customer_sessions_customer_idx" ON "customer_sessions" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "live_sessions_open_idx" ON "live_sessions" USING btree ("started_at") WHERE ended_at is null;--> statement-breakpoint
CREATE INDEX "live_sessions_customer_idx" ON "live_sessions" USING btree ("customer_id","started_at");--> statement-breakpoint
CREATE INDEX "live_sessions_tag_idx" ON "live_sessions" USING btree ("id_tag");--> statement-breakpoint
CREATE INDEX "login_failures_email_idx" ON "login_failures" USING btree ("email","failed_at");--> statement-breakpoint
CREATE INDEX "pending_starts_open_idx" ON "pending_starts" USING btree ("charge_box_id","connector_id","recorded_at") WHERE claimed_by is null;--> statement-breakpoint
CREATE UNIQUE INDEX "scan_pairs_active_per_charger" ON "scan_pairs" USING btree ("charge_box_id") WHERE status in ('armed', 'matched');--> statement-breakpoint
CREATE INDEX "scan_pairs_finished_idx" ON "scan_pairs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "tags_customer_idx" ON "tags" USING btree ("customer_id");