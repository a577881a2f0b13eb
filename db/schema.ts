/**
 * The database schema. drizzle-kit generates `migrations/` from this file
 * (`deno task db:generate`); generated migrations are never edited after landing.
 *
 * Energy is stored as integer milliwatt-hours (`*_mwh`) so billing arithmetic
 * never touches floats.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** A charger (OCPP charge box), known from the admin API or from a verified hook. */
export const chargers = pgTable("chargers", {
  chargeBoxId: text("charge_box_id").primaryKey(),
  name: text("name"),
  /** Secret printed in the charger's QR code; proves a customer stands at it. */
  qrToken: text("qr_token").notNull(),
  createdAt: ts("created_at").notNull(),
  updatedAt: ts("updated_at").notNull(),
});
export type ChargerRow = typeof chargers.$inferSelect;

export const customers = pgTable("customers", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email"),
  /** Lago `external_subscription_id` this customer's charging is billed to. */
  lagoSubscriptionId: text("lago_subscription_id"),
  createdAt: ts("created_at").notNull(),
  updatedAt: ts("updated_at").notNull(),
}, (t) => [
  // Sign-in by email (lib/sign_in.ts) finds a customer by its address, trimmed and
  // case-insensitively, on every request: one index probe, account or not.
  index("customers_email_normalized_idx").on(sql`lower(btrim(${t.email}))`),
]);
export type CustomerRow = typeof customers.$inferSelect;

/** An OCPP idTag (RFID card), optionally owned by a customer. */
export const tags = pgTable("tags", {
  idTag: text("id_tag").primaryKey(),
  customerId: text("customer_id").references(() => customers.id, {
    onDelete: "set null",
  }),
  createdAt: ts("created_at").notNull(),
  updatedAt: ts("updated_at").notNull(),
}, (t) => [index("tags_customer_idx").on(t.customerId)]);
export type TagRow = typeof tags.$inferSelect;

/**
 * Scan-to-login pairs. At most one pair per charger is active (armed or
 * matched); the partial unique index enforces it and is also the only index
 * the pre-authorize steal-or-match statement touches, so finished rows piling
 * up never slow the hot path.
 */
export const scanPairs = pgTable("scan_pairs", {
  id: uuid("id").primaryKey().default(sql`gen_random_uuid()`),
  chargeBoxId: text("charge_box_id").notNull(),
  /** SHA-256 of the browser cookie that armed the pair. */
  browserHash: text("browser_hash").notNull(),
  status: text("status").notNull(),
  idTag: text("id_tag"),
  createdAt: ts("created_at").notNull(),
  expiresAt: ts("expires_at").notNull(),
  matchedAt: ts("matched_at"),
  finishedAt: ts("finished_at"),
}, (t) => [
  check(
    "scan_pairs_status_check",
    sql`${t.status} in ('armed', 'matched', 'expired', 'cancelled', 'consumed')`,
  ),
  uniqueIndex("scan_pairs_active_per_charger")
    .on(t.chargeBoxId)
    .where(sql`status in ('armed', 'matched')`),
  index("scan_pairs_finished_idx").on(t.createdAt),
]);
export type ScanPairRow = typeof scanPairs.$inferSelect;

/**
 * StartTransaction.req pre-authorize calls answered `null`: how a transaction
 * learns its idTag when its first meter reading arrives.
 */
export const pendingStarts = pgTable("pending_starts", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  chargeBoxId: text("charge_box_id").notNull(),
  connectorId: integer("connector_id").notNull(),
  idTag: text("id_tag").notNull(),
  recordedAt: ts("recorded_at").notNull(),
  claimedBy: bigint("claimed_by", { mode: "number" }),
}, (t) => [
  index("pending_starts_open_idx")
    .on(t.chargeBoxId, t.connectorId, t.recordedAt)
    .where(sql`claimed_by is null`),
]);

/** Every meter sample SteVe forwards, stored as received (values stay strings). */
export const meterSamples = pgTable("meter_samples", {
  transactionPk: bigint("transaction_pk", { mode: "number" }).notNull(),
  sampledAt: ts("sampled_at").notNull(),
  measurand: text("measurand").notNull(),
  /** '' when the sample has no phase, so the natural key can be a primary key. */
  phase: text("phase").notNull(),
  /**
   * 'Raw' or 'SignedData'. Part of the key because signing chargers send the
   * register twice at one instant (plain and signed) and both must be kept.
   */
  format: text("format").notNull(),
  chargeBoxId: text("charge_box_id").notNull(),
  connectorId: integer("connector_id").notNull(),
  value: text("value").notNull(),
  unit: text("unit"),
  context: text("context"),
  location: text("location"),
  receivedAt: ts("received_at").notNull(),
}, (t) => [
  primaryKey({
    name: "meter_samples_pk",
    columns: [t.transactionPk, t.sampledAt, t.measurand, t.phase, t.format],
  }),
  // Retention finds old samples by block range: rows arrive in `received_at` order (our
  // clock), so a BRIN index is a few pages and costs the hot insert next to nothing.
  index("meter_samples_received_brin").using("brin", t.receivedAt),
]);

/** One row per OCPP transaction, kept current by the meter-values hook. */
export const liveSessions = pgTable("live_sessions", {
  transactionPk: bigint("transaction_pk", { mode: "number" }).primaryKey(),
  chargeBoxId: text("charge_box_id").notNull(),
  connectorId: integer("connector_id").notNull(),
  idTag: text("id_tag"),
  customerId: text("customer_id"),
  /** Lifetime register at the session's start: the Transaction.Begin reading, else the first received. */
  startRegisterMwh: bigint("start_register_mwh", { mode: "number" }),
  startFromBegin: boolean("start_from_begin").notNull().default(false),
  latestRegisterMwh: bigint("latest_register_mwh", { mode: "number" }),
  latestRegisterAt: ts("latest_register_at"),
  /** Energy delivered in the session; never decreases. */
  energyMwh: bigint("energy_mwh", { mode: "number" }).notNull().default(0),
  lastPowerW: doublePrecision("last_power_w"),
  lastPowerAt: ts("last_power_at"),
  startedAt: ts("started_at").notNull(),
  /** Time of the newest reading folded in (the charger's clock). */
  lastReadingAt: ts("last_reading_at").notNull(),
  /** When we last changed the row (our clock). */
  updatedAt: ts("updated_at").notNull(),
  endedAt: ts("ended_at"),
  /** Bumped on every change; streams drop events older than what they sent. */
  version: bigint("version", { mode: "number" }).notNull().default(1),
  /** Change of `energy_mwh` made by the last write: what that write queued for Lago. */
  lastDeltaMwh: bigint("last_delta_mwh", { mode: "number" }).notNull().default(
    0,
  ),
  /**
   * The `version` whose write set `ended_at`: `ended_version = version` in a
   * write's RETURNING means that very write ended the session (once, under
   * the row lock), which is when `session.ended` goes out.
   */
  endedVersion: bigint("ended_version", { mode: "number" }),
  /** When SteVe's REST API confirmed the tag and start register (null: not yet). */
  resolvedAt: ts("resolved_at"),
  resolveAttempts: integer("resolve_attempts").notNull().default(0),
  resolveNextAt: ts("resolve_next_at").notNull(),
}, (t) => [
  index("live_sessions_open_idx").on(t.startedAt).where(sql`ended_at is null`),
  index("live_sessions_customer_idx").on(t.customerId, t.startedAt),
  index("live_sessions_tag_idx").on(t.idTag),
]);
export type LiveSessionRow = typeof liveSessions.$inferSelect;

/** Runtime switches that survive a restart (e.g. `pre-authorize`). */
export const featureFlags = pgTable("feature_flags", {
  name: text("name").primaryKey(),
  enabled: boolean("enabled").notNull(),
  updatedAt: ts("updated_at").notNull(),
});

/** Customer browser sessions started by scan-to-login (token stored hashed). */
export const customerSessions = pgTable("customer_sessions", {
  tokenHash: text("token_hash").primaryKey(),
  customerId: text("customer_id").notNull().references(() => customers.id, {
    onDelete: "cascade",
  }),
  createdAt: ts("created_at").notNull(),
  expiresAt: ts("expires_at").notNull(),
}, (t) => [index("customer_sessions_customer_idx").on(t.customerId)]);

/**
 * Sign-in links asked for at `/login` (issue 14 §3, lib/sign_in.ts): one row per
 * accepted request, whether or not the address has an account (`customer_id`
 * null then, and its token was never sent anywhere), so a request does the
 * same work either way and the rate limits count both alike. No address is
 * stored: only hashes. Pruned once past both the link's life and the window.
 */
export const signInLinks = pgTable("sign_in_links", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  /** SHA-256 (hex) of the address, trimmed and lower-cased: the per-address limit's key. */
  addressHash: text("address_hash").notNull(),
  /** SHA-256 (hex) of the client's address: the per-client limit's key. */
  clientHash: text("client_hash").notNull(),
  /** SHA-256 (hex) of the link's token; the token itself is only in the mail. */
  tokenHash: text("token_hash").notNull().unique(),
  /** The account the link logs into; null when the address has none. */
  customerId: text("customer_id").references(() => customers.id, { onDelete: "set null" }),
  requestedAt: ts("requested_at").notNull(),
  expiresAt: ts("expires_at").notNull(),
  /** Set by the one login the link allows. */
  usedAt: ts("used_at"),
}, (t) => [
  index("sign_in_links_address_idx").on(t.addressHash, t.requestedAt),
  index("sign_in_links_client_idx").on(t.clientHash, t.requestedAt),
  index("sign_in_links_requested_idx").on(t.requestedAt),
]);

/** Operators of the admin pages. Passwords are stored as scrypt hashes. */
export const adminUsers = pgTable("admin_users", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  /** Lower-cased. */
  email: text("email").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  createdAt: ts("created_at").notNull(),
});
export type AdminUserRow = typeof adminUsers.$inferSelect;

/** Admin browser sessions (token stored hashed). */
export const adminSessions = pgTable("admin_sessions", {
  tokenHash: text("token_hash").primaryKey(),
  adminId: bigint("admin_id", { mode: "number" }).notNull().references(
    () => adminUsers.id,
    {
      onDelete: "cascade",
    },
  ),
  createdAt: ts("created_at").notNull(),
  expiresAt: ts("expires_at").notNull(),
});

/** Failed admin logins, per email, for the 5-in-15-minutes limit shared by all instances. */
export const loginFailures = pgTable("login_failures", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  email: text("email").notNull(),
  failedAt: ts("failed_at").notNull(),
}, (t) => [index("login_failures_email_idx").on(t.email, t.failedAt)]);

/** One-time links that create the first admin when none exists. */
export const setupTokens = pgTable("setup_tokens", {
  tokenHash: text("token_hash").primaryKey(),
  expiresAt: ts("expires_at").notNull(),
});

/**
 * The Lago usage outbox. Each change of a session's energy is queued here in
 * the same statement that changes it, so the events of a transaction always
 * add up to exactly its `energy_mwh`.
 */
export const usageEvents = pgTable("usage_events", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  transactionPk: bigint("transaction_pk", { mode: "number" }).notNull(),
  /** Lago `transaction_id`: deterministic, so a resend is recognised as a duplicate. */
  eventId: text("event_id").notNull().unique(),
  kind: text("kind").notNull(),
  deltaMwh: bigint("delta_mwh", { mode: "number" }).notNull(),
  /** Lago `timestamp` (sent in Unix seconds): the reading's time. */
  occurredAt: ts("occurred_at").notNull(),
  status: text("status").notNull().default("pending"),
  attempts: integer("attempts").notNull().default(0),
  nextAttemptAt: ts("next_attempt_at").notNull(),
  leaseOwner: text("lease_owner"),
  leaseUntil: ts("lease_until"),
  lastError: text("last_error"),
  createdAt: ts("created_at").notNull(),
  deliveredAt: ts("delivered_at"),
}, (t) => [
  // `unbillable`: no subscription can be resolved yet (no tag, no customer, no
  // subscription); out of the claim's way until the link is set.
  check(
    "usage_events_status_check",
    sql`${t.status} in ('pending', 'delivered', 'dead', 'held', 'unbillable')`,
  ),
  // The claim walks this in order and stops after one batch, whatever the backlog.
  index("usage_events_claim_idx").on(t.attempts, t.id).where(
    sql`status = 'pending'`,
  ),
  index("usage_events_transaction_idx").on(t.transactionPk),
  // The dead-letter alert asks every 10 s whether any event is dead: never a scan of the table.
  index("usage_events_dead_idx").on(t.id).where(sql`status = 'dead'`),
  // Setting a link returns that session's unbillable events: found by transaction.
  index("usage_events_unbillable_idx").on(t.transactionPk).where(sql`status = 'unbillable'`),
  // Retention deletes delivered events oldest first, a batch at a time.
  index("usage_events_delivered_idx").on(t.deliveredAt).where(sql`status = 'delivered'`),
]);

/** Small durable state of background jobs (sweep watermark, last SteVe/Lago outcome). */
export const billingState = pgTable("billing_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: ts("updated_at").notNull(),
});

/** One row per reconciliation sweep. */
export const sweepRuns = pgTable("sweep_runs", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  trigger: text("trigger").notNull(),
  startedAt: ts("started_at").notNull(),
  finishedAt: ts("finished_at"),
  windowFrom: ts("window_from").notNull(),
  windowTo: ts("window_to").notNull(),
  transactions: integer("transactions").notNull().default(0),
  backfilledMwh: bigint("backfilled_mwh", { mode: "number" }).notNull().default(
    0,
  ),
  flagged: integer("flagged").notNull().default(0),
  errors: text("errors"),
  /** JSON: the flagged transactions (negative differences) and per-transaction errors. */
  details: text("details"),
});

/**
 * Hubject Plug&Charge webhook events (seed 002), one row per `eventId`: a
 * retry of an event already stored is a duplicate, never a second row. Known
 * types carry their role and operator message; those that need action stay
 * flagged until an admin acknowledges them.
 */
export const pncEvents = pgTable("pnc_events", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  eventId: text("event_id").notNull().unique(),
  eventType: text("event_type").notNull(),
  /** ALL, MO or OEM for the seed's types; null for a type it does not list. */
  role: text("role"),
  message: text("message"),
  needsAction: boolean("needs_action").notNull(),
  acknowledgedAt: ts("acknowledged_at"),
  /** The sender's optional `timestamp`, as sent. */
  sentAt: text("sent_at"),
  /**
   * The event's `payload` as JSON text. Text, not jsonb: jsonb refuses a
   * `\u0000` that JSON allows, and a valid event must never fail to store.
   */
  payloadJson: text("payload_json").notNull(),
  receivedAt: ts("received_at").notNull(),
}, (t) => [
  index("pnc_events_received_idx").on(t.receivedAt),
  // The action list and the nav count read only the open ones.
  index("pnc_events_open_idx").on(t.receivedAt).where(
    sql`needs_action and acknowledged_at is null`,
  ),
]);
export type PncEventRow = typeof pncEvents.$inferSelect;

/**
 * An operator's counterpart with its own signing secret (seed 003). The
 * secret is kept to verify and sign with it; the previous one stays valid for
 * inbound calls until `previous_secret_valid_until` (a grace-window rotation).
 */
export const partners = pgTable("partners", {
  id: uuid("id").primaryKey(),
  name: text("name").notNull(),
  signatureScheme: text("signature_scheme").notNull(),
  signatureHeader: text("signature_header").notNull(),
  secret: text("secret").notNull(),
  previousSecret: text("previous_secret"),
  previousSecretValidUntil: ts("previous_secret_valid_until"),
  active: boolean("active").notNull(),
  createdAt: ts("created_at").notNull(),
  updatedAt: ts("updated_at").notNull(),
  secretRotatedAt: ts("secret_rotated_at"),
  /** Where outbound events are POSTed; null: the partner gets none. */
  url: text("url"),
  /**
   * The outbound event names the partner subscribed to. `text[]`, not JSON
   * text: the meter-values statement picks subscribers in SQL with
   * `type = any(events)`, with no parsing per row.
   */
  events: text("events").array().notNull().default(sql`'{}'::text[]`),
  /** Why the partner was deactivated automatically (a 410 answer); null otherwise. */
  deactivatedReason: text("deactivated_reason"),
}, (t) => [
  check(
    "partners_signature_scheme_check",
    sql`${t.signatureScheme} in ('sha256', 'timestamped')`,
  ),
]);
export type PartnerRow = typeof partners.$inferSelect;

/**
 * Signed events a partner sent us: its audit trail. One row per (partner,
 * dedup key) — the `webhook_event_id`, or a hash without the timestamp — so a
 * retry or a racing copy is a duplicate, never a second row.
 */
export const partnerEvents = pgTable("partner_events", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  partnerId: uuid("partner_id").notNull().references(() => partners.id, {
    onDelete: "cascade",
  }),
  dedupKey: text("dedup_key").notNull(),
  eventType: text("event_type").notNull(),
  webhookEventId: text("webhook_event_id"),
  /** The body exactly as received and verified (UTF-8 JSON text; see pnc_events). */
  bodyJson: text("body_json").notNull(),
  receivedAt: ts("received_at").notNull(),
}, (t) => [
  uniqueIndex("partner_events_dedup_idx").on(t.partnerId, t.dedupKey),
  index("partner_events_received_idx").on(t.partnerId, t.receivedAt),
]);
export type PartnerEventRow = typeof partnerEvents.$inferSelect;

/**
 * Outbound partner webhooks (issue 13): one row per (event, subscribed
 * partner), written in the same transaction or statement as its cause.
 * `event_id` is shared by every partner's copy of one event. `body` holds the
 * canonical JSON bytes every attempt sends; events born inside the
 * meter-values statement store their data (`data_json`, PostgreSQL's JSON
 * text) and get `body` from the first claim, once, then never changed.
 */
export const partnerDeliveries = pgTable("partner_deliveries", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  partnerId: uuid("partner_id").notNull().references(() => partners.id, {
    onDelete: "cascade",
  }),
  eventId: uuid("event_id").notNull(),
  type: text("type").notNull(),
  body: text("body"),
  dataJson: text("data_json"),
  status: text("status").notNull(),
  attempts: integer("attempts").notNull().default(0),
  lastStatus: integer("last_status"),
  lastError: text("last_error"),
  nextAttemptAt: ts("next_attempt_at").notNull(),
  leaseOwner: text("lease_owner"),
  leaseUntil: ts("lease_until"),
  createdAt: ts("created_at").notNull(),
  deliveredAt: ts("delivered_at"),
}, (t) => [
  check(
    "partner_deliveries_status_check",
    sql`${t.status} in ('pending', 'delivered', 'failed')`,
  ),
  check("partner_deliveries_body_check", sql`${t.body} is not null or ${t.dataJson} is not null`),
  // The claim walks each sendable partner's due pending rows in order: delivered and failed
  // rows, and the backlogs of partners that cannot be sent to, never slow it.
  index("partner_deliveries_due_idx").on(t.partnerId, t.nextAttemptAt, t.id).where(
    sql`status = 'pending'`,
  ),
  // The admin list: a partner's deliveries, newest first.
  index("partner_deliveries_partner_idx").on(t.partnerId, t.createdAt, t.id),
  index("partner_deliveries_event_idx").on(t.eventId),
  // Deliveries not (yet) delivered, for the "failing for more than 24 h" banner and nav
  // badge counted on every admin page: delivered history never slows that count.
  index("partner_deliveries_undelivered_idx").on(t.partnerId, t.createdAt).where(
    sql`status <> 'delivered'`,
  ),
]);
export type PartnerDeliveryRow = typeof partnerDeliveries.$inferSelect;

/**
 * The email outbox (issue 14 §2): one row per mail, written in the transaction
 * (or statement) that causes it. The id is deterministic per purpose
 * (`receipt-<transactionPk>`, …) so a repeated cause queues nothing new.
 * `subject`/`text` hold what is sent; a receipt born inside the meter-values
 * statement stores its data (`data_json`) instead, and the sender's first
 * claim renders and stores the text once (lib/email/receipt.ts).
 */
export const emailMessages = pgTable("email_messages", {
  id: text("id").primaryKey(),
  purpose: text("purpose").notNull(),
  /** One address. */
  toAddress: text("to_address").notNull(),
  subject: text("subject"),
  text: text("text"),
  html: text("html"),
  dataJson: text("data_json"),
  status: text("status").notNull(),
  attempts: integer("attempts").notNull().default(0),
  /** The worker's HTTP status of the last attempt; null before any, or after a network error. */
  lastStatus: integer("last_status"),
  lastError: text("last_error"),
  lastAttemptAt: ts("last_attempt_at"),
  nextAttemptAt: ts("next_attempt_at").notNull(),
  leaseOwner: text("lease_owner"),
  leaseUntil: ts("lease_until"),
  createdAt: ts("created_at").notNull(),
  sentAt: ts("sent_at"),
}, (t) => [
  check("email_messages_purpose_check", sql`${t.purpose} in ('sign_in', 'receipt', 'alert')`),
  check("email_messages_status_check", sql`${t.status} in ('pending', 'sent', 'failed')`),
  check(
    "email_messages_content_check",
    sql`(${t.subject} is not null and ${t.text} is not null) or ${t.dataJson} is not null`,
  ),
  // The claim walks due pending rows in order; sent and failed ones never slow it.
  index("email_messages_claim_idx").on(t.nextAttemptAt, t.id).where(sql`status = 'pending'`),
  // The admin list, newest first, and the "sent in the last hour" count.
  index("email_messages_created_idx").on(t.createdAt, t.id),
  index("email_messages_sent_idx").on(t.sentAt).where(sql`status = 'sent'`),
  // The email page's "what did the worker answer last" (its 401 banner).
  index("email_messages_attempt_idx").on(t.lastAttemptAt),
]);
export type EmailMessageRow = typeof emailMessages.$inferSelect;

/**
 * Outcomes of signed-endpoint calls per minute, summed over every instance:
 * each instance counts in memory and adds its deltas here every few seconds
 * (lib/hook_stats.ts), so restarts and other instances reset nothing. The
 * 401-storm alert reads the last five minutes; the hook-health page (issue 15
 * §4) its hour and day. Pruned after 48 hours (lib/maintenance.ts).
 */
export const hookOutcomeBuckets = pgTable("hook_outcome_buckets", {
  /** The endpoint's `name` in lib/signed_endpoints.ts, e.g. "PreAuthorize". */
  endpoint: text("endpoint").notNull(),
  /** Start of the minute. */
  bucketStart: ts("bucket_start").notNull(),
  /** As `GET /api/admin/hooks` counts: `ok`, `unauthorized:mismatch`, … */
  outcome: text("outcome").notNull(),
  /**
   * Which of the endpoint's secrets verified these calls (`current`, `next`,
   * `previous`); '' when none did (refused before or at the signature, or a
   * call we make). Passes per key show when SteVe has switched to `_NEXT`.
   */
  signingKey: text("signing_key").notNull().default(""),
  count: bigint("count", { mode: "number" }).notNull(),
  /** The latest call counted here (the injected clock): "last good call" on the hook page. */
  lastAt: ts("last_at").notNull(),
}, (t) => [
  primaryKey({ columns: [t.endpoint, t.bucketStart, t.outcome, t.signingKey] }),
  // The alert's "every endpoint, last five minutes" and the prune.
  index("hook_outcome_buckets_start_idx").on(t.bucketStart),
]);

/**
 * Hook keys that a running instance found missing or weak at its start, one
 * row per instance and endpoint, refreshed by that instance's alert rounds
 * and deleted when it stops: the "hook key missing" alert holds while any
 * instance seen lately reports one (instances may run with different configs).
 */
export const hookKeyReports = pgTable("hook_key_reports", {
  instanceId: text("instance_id").notNull(),
  /** The key of lib/signed_endpoints.ts's entry, e.g. "preAuthorize". */
  endpoint: text("endpoint").notNull(),
  problem: text("problem").notNull(),
  seenAt: ts("seen_at").notNull(),
}, (t) => [
  primaryKey({ columns: [t.instanceId, t.endpoint] }),
  check("hook_key_reports_problem_check", sql`${t.problem} in ('missing_key', 'weak_key')`),
]);

/**
 * Operator alerts (issue 14 §3), one row per cause (`hook-401:PreAuthorize`,
 * `partner-failing:<uuid>`, …): whether it holds now, when its episode began,
 * and when it was last mailed, so every instance evaluates the same causes and
 * conditional updates let exactly one of them raise or clear it (lib/alerts/).
 */
export const alerts = pgTable("alerts", {
  cause: text("cause").primaryKey(),
  active: boolean("active").notNull(),
  /** Start of the current (or last) episode. */
  raisedAt: ts("raised_at").notNull(),
  /** When a raise mail was last queued; equal to `raised_at` when this episode was mailed. */
  lastMailedAt: ts("last_mailed_at"),
  clearedAt: ts("cleared_at"),
  /** JSON: what the cause looked like when raised (counts, names), for the page and mails. */
  detail: text("detail").notNull(),
});

/**
 * Shared rate limits (lib/rate_limit.ts): hits per key per fixed window. The
 * limiter weighs the previous window's count into the current one (a sliding
 * window estimate), so each key has at most two live rows; maintenance deletes
 * older windows.
 */
export const rateLimitCounters = pgTable("rate_limit_counters", {
  /** `<limiter>:<sha256 of the client key>`: no address or email is stored. */
  key: text("key").notNull(),
  windowStart: ts("window_start").notNull(),
  hits: integer("hits").notNull(),
}, (t) => [
  primaryKey({ columns: [t.key, t.windowStart] }),
  index("rate_limit_counters_window_idx").on(t.windowStart),
]);

/**
 * Open SSE streams of every instance, per login (`SSE_STREAMS_PER_LOGIN`,
 * lib/live_streams.ts). The owning instance renews its leases while they are
 * open; a crashed instance's leases lapse by `expires_at`.
 */
export const streamLeases = pgTable("stream_leases", {
  id: text("id").primaryKey(),
  loginKey: text("login_key").notNull(),
  instanceId: text("instance_id").notNull(),
  expiresAt: ts("expires_at").notNull(),
}, (t) => [
  index("stream_leases_login_idx").on(t.loginKey, t.expiresAt),
  index("stream_leases_instance_idx").on(t.instanceId),
]);

/**
 * One row per run of a scheduled job and schedule slot (lib/scheduled_runs.ts):
 * the instance whose insert lands runs it; the others skip that slot.
 */
export const scheduledRuns = pgTable("scheduled_runs", {
  job: text("job").notNull(),
  slot: text("slot").notNull(),
  instanceId: text("instance_id").notNull(),
  claimedAt: ts("claimed_at").notNull(),
}, (t) => [
  primaryKey({ columns: [t.job, t.slot] }),
  index("scheduled_runs_claimed_idx").on(t.claimedAt),
]);

/**
 * Events too large for one NOTIFY (8000 bytes): the payload is kept here and
 * the notification carries its id (lib/pg_event_bus.ts). Pruned by maintenance.
 */
export const busPayloads = pgTable("bus_payloads", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  topic: text("topic").notNull(),
  payload: text("payload").notNull(),
  createdAt: ts("created_at").notNull(),
}, (t) => [index("bus_payloads_created_idx").on(t.createdAt)]);
