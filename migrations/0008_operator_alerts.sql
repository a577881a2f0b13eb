CREATE TABLE "alerts" (
	"cause" text PRIMARY KEY NOT NULL,
	"active" boolean NOT NULL,
	"raised_at" timestamp with time zone NOT NULL,
	"last_mailed_at" timestamp with time zone,
	"cleared_at" timestamp with time zone,
	"detail" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hook_key_reports" (
	"instance_id" text NOT NULL,
	"endpoint" text NOT NULL,
	"problem" text NOT NULL,
	"seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "hook_key_reports_instance_id_endpoint_pk" PRIMARY KEY("instance_id","endpoint"),
	CONSTRAINT "hook_key_reports_problem_check" CHECK ("hook_key_reports"."problem" in ('missing_key', 'weak_key'))
);
--> statement-breakpoint
CREATE TABLE "hook_outcome_buckets" (
	"endpoint" text NOT NULL,
	"bucket_start" timestamp with time zone NOT NULL,
	"outcome" text NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "hook_outcome_buckets_endpoint_bucket_start_outcome_pk" PRIMARY KEY("endpoint","bucket_start","outcome")
);
--> statement-breakpoint
CREATE INDEX "hook_outcome_buckets_start_idx" ON "hook_outcome_buckets" USING btree ("bucket_start");--> statement-breakpoint
CREATE INDEX "usage_events_dead_idx" ON "usage_events" USING btree ("id") WHERE status = 'dead';