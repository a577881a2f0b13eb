CREATE TABLE "sign_in_links" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"address_hash" text NOT NULL,
	"client_hash" text NOT NULL,
	"token_hash" text NOT NULL,
	"customer_id" text,
	"requested_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	CONSTRAINT "sign_in_links_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "sign_in_links" ADD CONSTRAINT "sign_in_links_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sign_in_links_address_idx" ON "sign_in_links" USING btree ("address_hash","requested_at");--> statement-breakpoint
CREATE INDEX "sign_in_links_client_idx" ON "sign_in_links" USING btree ("client_hash","requested_at");--> statement-breakpoint
CREATE INDEX "sign_in_links_requested_idx" ON "sign_in_links" USING btree ("requested_at");--> statement-breakpoint
CREATE INDEX "customers_email_normalized_idx" ON "customers" USING btree (lower(btrim("email")));