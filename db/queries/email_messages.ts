/**
 * The email outbox (`email_messages`): queueing a message on its cause's
 * transaction, claiming due messages with a lease, settling attempts, and
 * the admin's list, summary and retry.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { at, epochMs, isoUtc, toDate } from "../sql.ts";

/** What a message is for (the table's check constraint says the same). */
export type EmailPurpose = "sign_in" | "receipt" | "alert";
/** Statuses of a message (the table's check constraint says the same). */
export type EmailStatus = "pending" | "sent" | "failed";

/**
 * Queues one message, due at `now`. `ON CONFLICT (id) DO NOTHING`: a repeated
 * cause (a second Transaction.End, a retried request) finds its id taken and
 * queues nothing, so nobody is mailed twice. True when this call queued it.
 */
export async function insertEmailMessage(
  db: Executor,
  args: {
    id: string;
    purpose: EmailPurpose;
    to: string;
    subject: string;
    text: string;
    html: string | null;
    now: Date;
  },
): Promise<boolean> {
  const rows = await db.rows(sql`
    insert into email_messages (id, purpose, to_address, subject, text, html, status, attempts,
      next_attempt_at, created_at)
    values (${args.id}, ${args.purpose}, ${args.to}, ${args.subject}, ${args.text}, ${args.html},
      'pending', 0, ${at(args.now)}, ${at(args.now)})
    on conflict (id) do nothing
    returning 1`);
  return rows.length === 1;
}

/**
 * The one way a receipt is queued (issue 14 §3), whichever write ends the
 * session first: the meter-values statement (db/queries/sessions.ts) or the
 * reconciliation sweep ({@link queueReceipt}). An `insert … select` of the
 * receipt (`receipt-<transactionPk>`, data only: lib/email/receipt.ts renders
 * it) of each session in `ended` whose customer has an email address.
 * `ended` is a relation with the columns `transaction_pk`, `charge_box_id`,
 * `charger_name`, `customer_id`, `customer_name`, `started_ts`, `ended_ts`
 * (timestamptz) and `energy_mwh`; the deterministic id makes a repeat a no-op.
 */
export function receiptInsert(ended: SQL, now: Date): SQL {
  return sql`
    insert into email_messages (id, purpose, to_address, data_json, status, attempts,
      next_attempt_at, created_at)
    select 'receipt-' || u.transaction_pk, 'receipt', c.email, json_build_object(
        'transactionPk', u.transaction_pk, 'chargeBoxId', u.charge_box_id,
        'chargerName', u.charger_name, 'customerName', u.customer_name,
        'startedAt', ${isoUtc(sql`u.started_ts`)}, 'endedAt', ${isoUtc(sql`u.ended_ts`)},
        'kwh', to_char(round(u.energy_mwh / 1000000.0, 3), 'FM999999999990.000'))::text,
      'pending', 0, ${at(now)}, ${at(now)}
    from ${ended} u join customers c on c.id = u.customer_id
    where c.email is not null
    on conflict (id) do nothing
    returning 1`;
}

/**
 * Queues the receipt of ended session `transactionPk` (the sweep, on the
 * transaction that ended it), as {@link receiptInsert}. True when queued; false
 * when it was already, the session is not ended, or its customer has no address.
 */
export async function queueReceipt(
  db: Executor,
  args: { transactionPk: number; now: Date },
): Promise<boolean> {
  const rows = await db.rows(receiptInsert(
    sql`(select s.transaction_pk, s.charge_box_id, s.customer_id, s.energy_mwh,
        s.started_at as started_ts, s.ended_at as ended_ts,
        (select name from chargers where charge_box_id = s.charge_box_id) as charger_name,
        (select name from customers where id = s.customer_id) as customer_name
      from live_sessions s where s.transaction_pk = ${args.transactionPk}
        and s.ended_at is not null)`,
    args.now,
  ));
  return rows.length === 1;
}

/** A message claimed for one attempt. */
export interface ClaimedEmail {
  id: string;
  purpose: EmailPurpose;
  to: string;
  /** Null while only `dataJson` is stored (a receipt born in SQL, before its first claim). */
  subject: string | null;
  text: string | null;
  html: string | null;
  dataJson: string | null;
  /** Attempts made before this one. */
  attempts: number;
  createdAt: Date;
}

type Row = Record<string, string | number | null>;

const str = (v: string | number | null) => v === null ? null : String(v);

/**
 * Claims up to `limit` due pending messages for `owner` until `leaseUntil`,
 * oldest due first. `FOR UPDATE … SKIP LOCKED` keeps two senders from
 * claiming one row at the same moment, and the lease (longer than an attempt
 * can take) keeps it theirs while the attempt is in flight, so no message is
 * sent by two instances at once; a sender that dies leaves a lease that
 * expires, and the message goes again (the worker's id dedup mails it once).
 */
export async function claimEmailMessages(
  db: Executor,
  args: { owner: string; now: Date; leaseUntil: Date; limit: number },
): Promise<ClaimedEmail[]> {
  const rows = await db.rows<Row>(sql`
    with due as (
      select id from email_messages
      where status = 'pending' and next_attempt_at <= ${at(args.now)}
        and (lease_until is null or lease_until < ${at(args.now)})
      order by next_attempt_at, id
      limit ${args.limit}
      for update skip locked
    )
    update email_messages m
    set lease_owner = ${args.owner}, lease_until = ${at(args.leaseUntil)}
    from due
    where m.id = due.id
    returning m.id, m.purpose, m.to_address, m.subject, m.text, m.html, m.data_json, m.attempts,
      ${epochMs(sql`m.created_at`)} as created_ms`);
  return rows.map((r) => ({
    id: String(r.id),
    purpose: r.purpose as EmailPurpose,
    to: String(r.to_address),
    subject: str(r.subject),
    text: str(r.text),
    html: str(r.html),
    dataJson: str(r.data_json),
    attempts: Number(r.attempts),
    createdAt: toDate(r.created_ms)!,
  })).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
}

/**
 * Stores the rendered content of a message born with data only, the first
 * time only (`text is null`): once set it never changes, so every attempt and
 * the admin page show the same words; racing renderers compute the same text.
 */
export async function setEmailContent(
  db: Executor,
  args: { id: string; subject: string; text: string; html: string | null },
): Promise<void> {
  await db.rows(sql`
    update email_messages set subject = ${args.subject}, text = ${args.text}, html = ${args.html}
    where id = ${args.id} and text is null`);
}

/** How an attempt ended, for {@link settleEmailMessage}. */
export type EmailSettlement =
  | { status: "sent" }
  | { status: "failed"; error: string }
  | { status: "pending"; error: string; nextAttemptAt: Date };

/**
 * Records one attempt of this owner's claimed message and releases the lease.
 * A no-op (false) when the lease is no longer this owner's.
 */
export async function settleEmailMessage(
  db: Executor,
  args: {
    id: string;
    owner: string;
    now: Date;
    httpStatus: number | null;
    outcome: EmailSettlement;
  },
): Promise<boolean> {
  const o = args.outcome;
  const set: SQL = o.status === "sent"
    ? sql`status = 'sent', sent_at = ${at(args.now)}, last_error = null`
    : o.status === "failed"
    ? sql`status = 'failed', last_error = ${o.error.slice(0, 500)}`
    : sql`next_attempt_at = ${at(o.nextAttemptAt)}, last_error = ${o.error.slice(0, 500)}`;
  const rows = await db.rows(sql`
    update email_messages
    set ${set}, attempts = attempts + 1, last_status = ${args.httpStatus}::int,
      last_attempt_at = ${at(args.now)}, lease_owner = null, lease_until = null
    where id = ${args.id} and lease_owner = ${args.owner} and status = 'pending'
    returning 1`);
  return rows.length === 1;
}

/** A message as the admin lists it (without its content). */
export interface EmailListItem {
  id: string;
  purpose: EmailPurpose;
  to: string;
  /** Null for a receipt not rendered yet (see {@link ClaimedEmail}). */
  subject: string | null;
  dataJson: string | null;
  status: EmailStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  sentAt: Date | null;
}

const LIST_COLUMNS = sql`id, purpose, to_address, subject, data_json, status, attempts,
  last_status, last_error, ${epochMs(sql`next_attempt_at`)} as next_ms,
  ${epochMs(sql`created_at`)} as created_ms, ${epochMs(sql`sent_at`)} as sent_ms`;

const toListItem = (r: Row): EmailListItem => ({
  id: String(r.id),
  purpose: r.purpose as EmailPurpose,
  to: String(r.to_address),
  subject: str(r.subject),
  dataJson: str(r.data_json),
  status: r.status as EmailStatus,
  attempts: Number(r.attempts),
  lastStatus: r.last_status === null ? null : Number(r.last_status),
  lastError: str(r.last_error),
  nextAttemptAt: toDate(r.next_ms)!,
  createdAt: toDate(r.created_ms)!,
  sentAt: toDate(r.sent_ms),
});

/**
 * Messages, at most `limit`, of one status when given. `failedFirst` (the
 * page) orders failed, then pending, then sent; newest first within each.
 */
export async function listEmailMessages(
  db: Executor,
  args: { limit: number; status?: EmailStatus; failedFirst?: boolean },
): Promise<EmailListItem[]> {
  const byStatus = args.failedFirst
    ? sql`case status when 'failed' then 0 when 'pending' then 1 else 2 end,`
    : sql``;
  const rows = await db.rows<Row>(sql`
    select ${LIST_COLUMNS} from email_messages
    ${args.status ? sql`where status = ${args.status}` : sql``}
    order by ${byStatus} created_at desc, id desc
    limit ${args.limit}`);
  return rows.map(toListItem);
}

/** One message with its content, or null. */
export async function getEmailMessage(
  db: Executor,
  id: string,
): Promise<(EmailListItem & { text: string | null; html: string | null }) | null> {
  const [r] = await db.rows<Row>(sql`
    select ${LIST_COLUMNS}, text, html from email_messages where id = ${id}`);
  return r ? { ...toListItem(r), text: str(r.text), html: str(r.html) } : null;
}

/** The queue in numbers, and the worker's last answer (the page's 401 banner). */
export interface EmailQueueSummary {
  pending: number;
  failed: number;
  sentSince: number;
  /** The newest attempt of any message: its HTTP status and error. */
  lastAttempt: { status: number | null; error: string | null; at: Date } | null;
}

/** {@link EmailQueueSummary} in one statement; `sentSince` counts messages sent at or after it. */
export async function emailQueueSummary(
  db: Executor,
  args: { sentSince: Date },
): Promise<EmailQueueSummary> {
  const [r] = await db.rows<Row>(sql`
    select
      (select count(*)::int from email_messages where status = 'pending') as pending,
      (select count(*)::int from email_messages where status = 'failed') as failed,
      (select count(*)::int from email_messages
        where status = 'sent' and sent_at >= ${at(args.sentSince)}) as sent_since,
      l.last_status, l.last_error, ${epochMs(sql`l.last_attempt_at`)} as attempt_ms
    from (select 1) one
    left join lateral (
      select last_status, last_error, last_attempt_at from email_messages
      where last_attempt_at is not null order by last_attempt_at desc limit 1
    ) l on true`);
  return {
    pending: Number(r.pending),
    failed: Number(r.failed),
    sentSince: Number(r.sent_since),
    lastAttempt: r.attempt_ms === null ? null : {
      status: r.last_status === null ? null : Number(r.last_status),
      error: str(r.last_error),
      at: toDate(r.attempt_ms)!,
    },
  };
}

/**
 * Failed messages (those listed in `ids`, else all) back to pending, due
 * now, attempts counted afresh. Returns how many.
 */
export async function retryFailedEmailMessages(
  db: Executor,
  args: { ids?: string[]; now: Date },
): Promise<number> {
  // A JSON array as one parameter: drivers bind JS arrays differently (see pgTextArray).
  const ids = args.ids
    ? sql`and id in (select json_array_elements_text(${JSON.stringify(args.ids)}::json))`
    : sql``;
  const rows = await db.rows(sql`
    update email_messages
    set status = 'pending', attempts = 0, next_attempt_at = ${at(args.now)}
    where status = 'failed' ${ids}
    returning 1`);
  return rows.length;
}
