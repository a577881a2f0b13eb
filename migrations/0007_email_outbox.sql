CREATE TABLE "email_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"to_address" text NOT NULL,
	"subject" text,
	"text" text,
	"html" text,
	"data_json" text,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status" integer,
	"last_error" text,
	"last_attempt_at" timestamp with time zone,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "email_messages_purpose_check" CHECK ("email_messages"."purpose" in ('sign_in', 'receipt', 'alert')),
	CONSTRAINT "email_messages_status_check" CHECK ("email_messages"."status" in ('pending', 'sent', 'failed')),
	CONSTRAINT "email_messages_content_check" CHECK (("email_messages"."subject" is not null and "email_messages"."text" is not null) or "email_messages"."data_json" is not null)
);
--> statement-breakpoint
CREATE INDEX "email_messages_claim_idx" ON "email_messages" USING btree ("next_attempt_at","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "email_messages_created_idx" ON "email_messages" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "email_messages_sent_idx" ON "email_messages" USING btree ("sent_at") WHERE status = 'sent';--> statement-breakpoint
CREATE INDEX "email_messages_attempt_idx" ON "email_messages" USING btree ("last_attempt_at");