/**
 * The outbound partner outbox (`partner_deliveries`): queueing an event for
 * its subscribers, claiming due deliveries with a lease, settling attempts,
 * and the admin's list and retry.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { at, epochMs, toDate } from "../sql.ts";

/** Statuses of a delivery (the table's check constraint says the same). */
export type DeliveryStatus = "pending" | "delivered" | "failed";

/**
 * Queues one event for every partner with a URL subscribed to `type`,
 * active or not (an inactive partner's copies wait for its reactivation).
 * Run it on the transaction of the change that caused the event. Returns how
 * many deliveries were queued.
 */
export async function insertEventDeliveries(
  db: Executor,
  args: { eventId: string; type: string; body: string; now: Date },
): Promise<number> {
  const rows = await db.rows(sql`
    insert into partner_deliveries (partner_id, event_id, type, body, status, attempts,
      next_attempt_at, created_at)
    select p.id, ${args.eventId}::uuid, ${args.type}, ${args.body}, 'pending', 0,
      ${at(args.now)}, ${at(args.now)}
    from partners p
    where p.url is not null and ${args.type} = any(p.events)
    returning 1`);
  return rows.length;
}

/** A delivery claimed for one attempt, with what the attempt needs of its partner. */
export interface ClaimedDelivery {
  id: number;
  partnerId: string;
  eventId: string;
  type: string;
  /** The canonical body, or null while only `dataJson` is stored (see the schema). */
  body: string | null;
  dataJson: string | null;
  createdAt: Date;
  /** Attempts made before this one. */
  attempts: number;
  url: string;
  secret: string;
  signatureScheme: "sha256" | "timestamped";
  signatureHeader: string;
}

/**
 * Claims up to `limit` due deliveries of active partners for `owner` until
 * `leaseUntil`, oldest due first, at most `perPartner` of one partner minus
 * what `busy` says is already in flight to it. `FOR UPDATE … SKIP LOCKED`
 * keeps two workers from claiming one row at the same moment, and the lease
 * (longer than an attempt can take) keeps it theirs while the attempt is in
 * flight; a worker that dies leaves a lease that expires, so nothing is
 * stranded. The partner's URL, scheme and secret are read here, at the
 * attempt: a rotated secret or a fixed URL applies to the next attempt of
 * everything.
 *
 * The walk starts from the partners, not the deliveries: each sendable
 * partner's due rows are read from its own slice of
 * `partner_deliveries_due_idx`, so the backlog of a deactivated partner (or
 * one without a URL) is never scanned, and the per-partner cap holds inside
 * the statement (no claiming rows only to hand them back). The claimed rows
 * are then updated by id (`= any(array(…))`, the primary key whatever the
 * estimates): joined to the CTE instead, a generic plan, not knowing the
 * limit, hashed the whole table on every claim (40 ms at 100,000 rows).
 */
export async function claimDeliveries(
  db: Executor,
  args: {
    owner: string;
    now: Date;
    leaseUntil: Date;
    limit: number;
    perPartner?: number;
    busy?: ReadonlyMap<string, number>;
  },
): Promise<ClaimedDelivery[]> {
  const busy = JSON.stringify(Object.fromEntries(args.busy ?? []));
  const perPartner = Math.min(args.perPartner ?? args.limit, args.limit);
  const rows = await db.rows<Record<string, string | number | null>>(sql`
    with busy as (
      select key::uuid as partner_id, value::int as n from json_each_text(${busy}::json)
    ),
    due as (
      select x.id from partners p
      left join busy b on b.partner_id = p.id
      cross join lateral (
        select d.id, d.next_attempt_at from partner_deliveries d
        where d.partner_id = p.id and d.status = 'pending'
          and d.next_attempt_at <= ${at(args.now)}
          and (d.lease_until is null or d.lease_until < ${at(args.now)})
        order by d.next_attempt_at, d.id
        limit greatest(0, ${perPartner}::int - coalesce(b.n, 0))
        for update of d skip locked
      ) x
      where p.active and p.url is not null
      order by x.next_attempt_at, x.id
      limit ${args.limit}
    ),
    claimed as (
      update partner_deliveries d
      set lease_owner = ${args.owner}, lease_until = ${at(args.leaseUntil)}
      where d.id = any(array(select id from due))
      returning d.id, d.partner_id, d.event_id, d.type, d.body, d.data_json, d.attempts,
        d.created_at
    )
    select c.id, c.partner_id, c.event_id, c.type, c.body, c.data_json, c.attempts,
      ${epochMs(sql`c.created_at`)} as created_ms, p.url, p.secret, p.signature_scheme,
      p.signature_header
    from claimed c join partners p on p.id = c.partner_id`);
  return rows.map((r) => ({
    id: Number(r.id),
    partnerId: String(r.partner_id),
    eventId: String(r.event_id),
    type: String(r.type),
    body: r.body === null ? null : String(r.body),
    dataJson: r.data_json === null ? null : String(r.data_json),
    createdAt: toDate(r.created_ms)!,
    attempts: Number(r.attempts),
    url: String(r.url),
    secret: String(r.secret),
    signatureScheme: r.signature_scheme as ClaimedDelivery["signatureScheme"],
    signatureHeader: String(r.signature_header),
  })).sort((a, b) => a.id - b.id);
}

/**
 * Stores the canonical body of an event born in SQL, for all its copies, the
 * first time only (`body is null`): the text never changes once set, and
 * racing builders compute the same text anyway.
 */
export async function setEventBody(
  db: Executor,
  args: { eventId: string; body: string },
): Promise<void> {
  await db.rows(sql`
    update partner_deliveries set body = ${args.body}, data_json = null
    where event_id = ${args.eventId}::uuid and body is null`);
}

/** How an attempt ended, for {@link settleDelivery}. */
export type Settlement =
  | { status: "delivered" }
  | { status: "failed"; error: string }
  | { status: "pending"; error: string; nextAttemptAt: Date };

/**
 * Records one attempt of this owner's claimed delivery and releases the
 * lease. A no-op when the lease is no longer this owner's.
 */
export async function settleDelivery(
  db: Executor,
  args: {
    id: number;
    owner: string;
    now: Date;
    httpStatus: number | null;
    outcome: Settlement;
  },
): Promise<boolean> {
  const o = args.outcome;
  const set: SQL = o.status === "delivered"
    ? sql`status = 'delivered', delivered_at = ${at(args.now)}, last_error = null`
    : o.status === "failed"
    ? sql`status = 'failed', last_error = ${o.error.slice(0, 500)}`
    : sql`next_attempt_at = ${at(o.nextAttemptAt)}, last_error = ${o.error.slice(0, 500)}`;
  const rows = await db.rows(sql`
    update partner_deliveries
    set ${set}, attempts = attempts + 1, last_status = ${args.httpStatus}::int,
      lease_owner = null, lease_until = null
    where id = ${args.id} and lease_owner = ${args.owner} and status = 'pending'
    returning 1`);
  return rows.length === 1;
}

/**
 * {@link settleDelivery} for many delivered attempts of this owner at once:
 * one statement (one commit) instead of one per delivery, so a busy worker
 * settles a round's answers in a few statements. Each row keeps its own
 * answer's time and status. Returns the ids settled; a row whose lease is no
 * longer this owner's is left alone, as in {@link settleDelivery}.
 */
export async function settleDelivered(
  db: Executor,
  args: { owner: string; items: Array<{ id: number; at: Date; httpStatus: number }> },
): Promise<Set<number>> {
  if (args.items.length === 0) return new Set();
  const items = JSON.stringify(
    args.items.map((i) => ({ id: i.id, at: i.at.toISOString(), status: i.httpStatus })),
  );
  const rows = await db.rows<{ id: string | number }>(sql`
    update partner_deliveries d
    set status = 'delivered', delivered_at = s.at, last_error = null,
      attempts = d.attempts + 1, last_status = s.status, lease_owner = null, lease_until = null
    from json_to_recordset(${items}::json) as s(id bigint, at timestamptz, status int)
    where d.id = s.id and d.lease_owner = ${args.owner} and d.status = 'pending'
    returning d.id`);
  return new Set(rows.map((r) => Number(r.id)));
}

/**
 * Deactivates a partner that answered 410 Gone; its deliveries wait until an
 * admin reactivates it. True only for the call that switched it off: of
 * several 410s answered at once (a batch goes out side by side) exactly one
 * wins the row, so exactly one delivery is failed for it.
 */
export async function deactivatePartner(
  db: Executor,
  args: { partnerId: string; reason: string; now: Date },
): Promise<boolean> {
  const rows = await db.rows(sql`
    update partners set active = false, deactivated_reason = ${args.reason},
      updated_at = ${at(args.now)}
    where id = ${args.partnerId}::uuid and active
    returning 1`);
  return rows.length === 1;
}

/**
 * Hands a claimed delivery back untouched (attempt not counted): it was sent
 * to a partner that another attempt found gone meanwhile, so it waits for the
 * partner's reactivation like every other delivery of that partner.
 */
export async function returnDeliveryToQueue(
  db: Executor,
  args: { id: number; owner: string },
): Promise<void> {
  await db.rows(sql`
    update partner_deliveries set lease_owner = null, lease_until = null
    where id = ${args.id} and lease_owner = ${args.owner} and status = 'pending'`);
}

/** A delivery as the admin list shows it. */
export interface DeliveryListItem {
  id: number;
  eventId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  deliveredAt: Date | null;
}

/**
 * A partner's deliveries, newest first (ties by id), at most `limit`, of one
 * status when given. `failedFirst` (the partner page) orders failed, then
 * pending, then delivered, newest first within each.
 */
export async function listDeliveries(
  db: Executor,
  args: { partnerId: string; status?: DeliveryStatus; limit: number; failedFirst?: boolean },
): Promise<DeliveryListItem[]> {
  const byStatus = args.failedFirst
    ? sql`case status when 'failed' then 0 when 'pending' then 1 else 2 end,`
    : sql``;
  const rows = await db.rows<Record<string, string | number | null>>(sql`
    select id, event_id, type, status, attempts, last_status, last_error,
      ${epochMs(sql`next_attempt_at`)} as next_ms, ${epochMs(sql`created_at`)} as created_ms,
      ${epochMs(sql`delivered_at`)} as delivered_ms
    from partner_deliveries
    where partner_id = ${args.partnerId}::uuid
      ${args.status ? sql`and status = ${args.status}` : sql``}
    order by ${byStatus} created_at desc, id desc
    limit ${args.limit}`);
  return rows.map((r) => ({
    id: Number(r.id),
    eventId: String(r.event_id),
    type: String(r.type),
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: r.last_error === null ? null : String(r.last_error),
    nextAttemptAt: toDate(r.next_ms)!,
    createdAt: toDate(r.created_ms)!,
    deliveredAt: toDate(r.delivered_ms),
  }));
}

/**
 * A partner's failed deliveries (those listed in `ids`, else all) back to
 * pending, due now, with a fresh schedule. Returns how many.
 */
export async function retryFailedDeliveries(
  db: Executor,
  args: { partnerId: string; ids?: number[]; now: Date },
): Promise<number> {
  const ids = args.ids ? sql`and id = any(${`{${args.ids.join(",")}}`}::bigint[])` : sql``;
  const rows = await db.rows(sql`
    update partner_deliveries
    set status = 'pending', attempts = 0, next_attempt_at = ${at(args.now)}
    where partner_id = ${args.partnerId}::uuid and status = 'failed' ${ids}
    returning 1`);
  return rows.length;
}

/** What the partner page says of a partner's deliveries; see {@link partnerDeliveryHealth}. */
export interface DeliveryHealth {
  /** How many deliveries the partner has in all (the page lists at most its cap). */
  total: number;
  lastDeliveredAt: Date | null;
  /** Attempts recorded on deliveries created since `since`. */
  attempts: number;
  /** Of those, the attempts that did not deliver. */
  failedAttempts: number;
  /** Deliveries created before `failingBefore` and still not delivered (pending or failed). */
  failingLong: number;
}

/**
 * A partner's delivery health in one statement. Attempts are not stored one
 * by one, only a count per delivery (reset by a manual retry), so the window
 * counts the attempts of deliveries created since `since`: a delivered one
 * had `attempts - 1` failed attempts, any other `attempts`.
 */
export async function partnerDeliveryHealth(
  db: Executor,
  args: { partnerId: string; since: Date; failingBefore: Date },
): Promise<DeliveryHealth> {
  const [r] = await db.rows<Record<string, string | number | null>>(sql`
    select
      (select count(*) from partner_deliveries where partner_id = ${args.partnerId}::uuid)
        as total,
      (select ${epochMs(sql`max(delivered_at)`)} from partner_deliveries
        where partner_id = ${args.partnerId}::uuid and status = 'delivered') as delivered_ms,
      coalesce(sum(attempts), 0) as attempts,
      coalesce(sum(case when status = 'delivered' then attempts - 1 else attempts end), 0)
        as failed_attempts,
      (select count(*) from partner_deliveries
        where partner_id = ${args.partnerId}::uuid and status <> 'delivered'
          and created_at < ${at(args.failingBefore)}) as failing_long
    from partner_deliveries
    where partner_id = ${args.partnerId}::uuid and created_at >= ${at(args.since)}`);
  return {
    total: Number(r.total),
    lastDeliveredAt: toDate(r.delivered_ms),
    attempts: Number(r.attempts),
    failedAttempts: Number(r.failed_attempts),
    failingLong: Number(r.failing_long),
  };
}

/**
 * How many partners have a delivery created before `failingBefore` and not
 * delivered: the admin nav's badge, counted on every admin page, so it reads
 * only the partial index of undelivered rows (`partner_deliveries_undelivered_idx`).
 */
export async function countPartnersFailingLong(
  db: Executor,
  args: { failingBefore: Date },
): Promise<number> {
  const [r] = await db.rows<{ n: number | string }>(sql`
    select count(distinct partner_id)::int as n from partner_deliveries
    where status <> 'delivered' and created_at < ${at(args.failingBefore)}`);
  return Number(r.n);
}

/** The partners counted by {@link countPartnersFailingLong}: their ids, for the partners list. */
export async function partnersFailingLong(
  db: Executor,
  args: { failingBefore: Date },
): Promise<string[]> {
  const rows = await db.rows<{ partner_id: string }>(sql`
    select distinct partner_id from partner_deliveries
    where status <> 'delivered' and created_at < ${at(args.failingBefore)}`);
  return rows.map((r) => String(r.partner_id));
}

/**
 * Deletes at most `limit` of a partner's settled deliveries whose last
 * attempt is older than `before`: a delivered one by `delivered_at`, a failed
 * one by `next_attempt_at` (when its last attempt was due; a manual retry
 * sets it to the retry's time, so a retried delivery starts afresh). Pending
 * ones are never deleted. One short statement walking the partner's index
 * from its oldest rows; the caller repeats it until it deletes fewer than
 * `limit`, so no statement holds many row locks for long. `SKIP LOCKED`
 * lets instances prune side by side, and a row an admin is retrying is left
 * alone. Returns how many were deleted.
 */
export async function pruneSettledDeliveries(
  db: Executor,
  args: { partnerId: string; before: Date; limit: number },
): Promise<number> {
  const settledBefore = sql`status in ('delivered', 'failed') and case status
      when 'delivered' then delivered_at else next_attempt_at end < ${at(args.before)}`;
  const rows = await db.rows(sql`
    delete from partner_deliveries
    where id in (
      select id from partner_deliveries
      where partner_id = ${args.partnerId}::uuid and created_at < ${at(args.before)}
        and ${settledBefore}
      order by created_at, id
      limit ${args.limit}
      for update skip locked)
      and ${settledBefore}
    returning 1`);
  return rows.length;
}
