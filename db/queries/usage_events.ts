/** The Lago usage outbox: claiming, settling and counting queued events. */
import { sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { at, epochMs, toDate } from "../sql.ts";

export interface ClaimedEvent {
  id: number;
  transactionPk: number;
  eventId: string;
  deltaMwh: number;
  occurredAt: Date;
  attempts: number;
  subscriptionId: string;
}

/** What one claim did: the events leased to the caller, and how many it set aside. */
export interface Claim {
  events: ClaimedEvent[];
  /** Events found unbillable and moved to `unbillable`, out of every later claim's way. */
  parked: number;
}

/**
 * The subscription an event bills to, resolved now through its session's tag
 * and that tag's customer (a tag linked later still bills); null when a link
 * is missing. `e` is the event.
 */
const BILLABLE_JOINS = sql`
  left join live_sessions s on s.transaction_pk = e.transaction_pk
  left join tags t on t.id_tag = s.id_tag
  left join customers c on c.id = t.customer_id`;

/**
 * Claims up to `limit` deliverable events for `owner` until `leaseUntil`.
 * Deliverable: pending, due, not leased by a live worker, and billable — a
 * subscription resolves through the session's tag and customer. The pending
 * events it meets that are not billable are moved to `unbillable` in the same
 * statement, so no later claim walks past them again (they come back with
 * {@link requeueBillableEvents} when the link is set). `SKIP LOCKED` plus the
 * lease keep two workers from sending the same event; an expired lease (a
 * crashed worker) makes its events claimable again. Fresh events go first;
 * events that already failed come in batches that shrink with each failure,
 * so one poisoned event ends up alone and cannot hold the others back.
 */
export async function claimEvents(
  db: Executor,
  args: { owner: string; now: Date; leaseUntil: Date; limit: number },
): Promise<Claim> {
  const rows = await db.rows<{
    parked: boolean;
    id: string | number;
    transaction_pk: string | number;
    event_id: string;
    delta_mwh: string | number;
    occurred_ms: number;
    attempts: number;
    subscription_id: string;
  }>(sql`
    with candidates as (
      select e.id, e.attempts, c.lago_subscription_id
      from usage_events e ${BILLABLE_JOINS}
      where e.status = 'pending' and e.next_attempt_at <= ${at(args.now)}
        and (e.lease_until is null or e.lease_until < ${at(args.now)})
      order by e.attempts, e.id
      limit ${args.limit}
      for update of e skip locked
    ), parked as (
      update usage_events e set status = 'unbillable'
      from candidates
      where e.id = candidates.id and candidates.lago_subscription_id is null
      returning e.id
    ), billable as (
      select * from candidates where lago_subscription_id is not null
    ), lowest as (
      select min(attempts) as attempts from billable
    ), sized as (
      -- Only events that failed equally often go together, limit / 2^failures of them.
      select billable.* from billable, lowest
      where billable.attempts = lowest.attempts
      order by billable.id
      limit (select greatest(1, ${args.limit} / power(2, least(attempts, 16))::int) from lowest)
    ), claimed as (
      update usage_events e
      set lease_owner = ${args.owner}, lease_until = ${at(args.leaseUntil)}
      from sized
      where e.id = sized.id
      returning e.id, e.transaction_pk, e.event_id, e.delta_mwh,
        ${epochMs(sql`e.occurred_at`)} as occurred_ms, e.attempts,
        sized.lago_subscription_id as subscription_id
    )
    select false as parked, * from claimed
    union all
    select true, id, null, null, null, null, null, null from parked`);
  const events = rows.filter((r) => !r.parked).map((r) => ({
    id: Number(r.id),
    transactionPk: Number(r.transaction_pk),
    eventId: r.event_id,
    deltaMwh: Number(r.delta_mwh),
    occurredAt: toDate(r.occurred_ms)!,
    attempts: r.attempts,
    subscriptionId: r.subscription_id,
  })).sort((a, b) => a.id - b.id);
  return { events, parked: rows.length - events.length };
}

/**
 * Unbillable events that now resolve to a subscription back to pending, due
 * now: those of the sessions of `idTag`, of the tags of `customerId`, of
 * `transactionPk`, or (none given) all of them. Run it in the transaction
 * that sets the link, so the events return with it. A claim that read the
 * link just before it was set can still park an event after this ran; the
 * unscoped call (maintenance) returns those. Returns how many came back.
 */
export async function requeueBillableEvents(
  db: Executor,
  args: { now: Date; idTag?: string; customerId?: string; transactionPk?: number },
): Promise<number> {
  const scope = args.idTag !== undefined
    ? sql`and s.id_tag = ${args.idTag}`
    : args.customerId !== undefined
    ? sql`and c.id = ${args.customerId}`
    : args.transactionPk !== undefined
    ? sql`and s.transaction_pk = ${args.transactionPk}`
    : sql``;
  const rows = await db.rows(sql`
    update usage_events e set status = 'pending', next_attempt_at = ${at(args.now)}
    from live_sessions s
    join tags t on t.id_tag = s.id_tag
    join customers c on c.id = t.customer_id
    where e.status = 'unbillable' and s.transaction_pk = e.transaction_pk
      and c.lago_subscription_id is not null ${scope}
    returning 1`);
  return rows.length;
}

/** A bigint[] parameter, bound the same way by every driver. */
const idArray = (ids: number[]) => sql`${`{${ids.join(",")}}`}::bigint[]`;

/** Marks this owner's claimed events delivered (Lago stored them, or already had them). */
export async function markDelivered(
  db: Executor,
  args: { ids: number[]; owner: string; now: Date },
): Promise<void> {
  if (!args.ids.length) return;
  await db.rows(sql`
    update usage_events
    set status = 'delivered', delivered_at = ${at(args.now)}, lease_owner = null,
        lease_until = null, last_error = null
    where id = any(${idArray(args.ids)}) and lease_owner = ${args.owner}`);
}

/** Puts events in the dead-letter state with the reason; an admin can retry them. */
export async function markDead(
  db: Executor,
  args: { ids: number[]; owner: string; reason: string },
): Promise<void> {
  if (!args.ids.length) return;
  await db.rows(sql`
    update usage_events
    set status = 'dead', last_error = ${args.reason.slice(0, 1000)}, lease_owner = null,
        lease_until = null, attempts = attempts + 1
    where id = any(${idArray(args.ids)}) and lease_owner = ${args.owner}`);
}

/** Gives events back for a later try: counted as a failure when `failed`. */
export async function releaseEvents(
  db: Executor,
  args: {
    ids: number[];
    owner: string;
    nextAttemptAt: Date;
    failed: boolean;
    reason?: string;
  },
): Promise<void> {
  if (!args.ids.length) return;
  await db.rows(sql`
    update usage_events
    set lease_owner = null, lease_until = null, next_attempt_at = ${at(args.nextAttemptAt)},
        attempts = attempts + ${args.failed ? 1 : 0},
        last_error = coalesce(${args.reason ?? null}, last_error)
    where id = any(${idArray(args.ids)}) and lease_owner = ${args.owner}`);
}

/** Dead-lettered events back to pending, now. Returns how many. */
export async function retryDeadEvents(
  db: Executor,
  args: { ids?: number[]; now: Date },
) {
  const rows = await db.rows(sql`
    update usage_events set status = 'pending', attempts = 0, next_attempt_at = ${at(args.now)},
      last_error = null
    where status = 'dead'
      ${args.ids ? sql`and id = any(${idArray(args.ids)})` : sql``}
    returning 1`);
  return rows.length;
}

export interface QueueFigures {
  pending: number;
  pendingMwh: number;
  oldestPendingAt: Date | null;
  /** By cause: pending events no subscription resolves for, and those set aside (`unbillable`). */
  unbillable: {
    noTag: number;
    tagWithoutCustomer: number;
    customerWithoutSubscription: number;
  };
  /** Events in the `unbillable` status. */
  setAside: number;
  dead: number;
  held: number;
  delivered: number;
  deliveredLastMinute: number;
}

/** The figures of the billing page and `GET /api/admin/billing`. */
export async function queueFigures(
  db: Executor,
  now: Date,
): Promise<QueueFigures> {
  const [r] = await db.rows<Record<string, string | number | null>>(sql`
    select
      count(*) filter (where e.status = 'pending')::int as pending,
      coalesce(sum(e.delta_mwh) filter (where e.status = 'pending'), 0)::float8 as pending_mwh,
      ${epochMs(sql`min(e.created_at) filter (where e.status = 'pending')`)} as oldest_ms,
      -- By cause, whether a claim has set them aside yet or not.
      count(*) filter (where e.status in ('pending', 'unbillable') and s.id_tag is null)::int
        as no_tag,
      count(*) filter (where e.status in ('pending', 'unbillable') and s.id_tag is not null
        and t.customer_id is null)::int as tag_without_customer,
      count(*) filter (where e.status in ('pending', 'unbillable') and c.id is not null
        and c.lago_subscription_id is null)::int as customer_without_subscription,
      count(*) filter (where e.status = 'unbillable')::int as unbillable,
      count(*) filter (where e.status = 'dead')::int as dead,
      count(*) filter (where e.status = 'held')::int as held,
      count(*) filter (where e.status = 'delivered')::int as delivered,
      count(*) filter (where e.status = 'delivered'
        and e.delivered_at > ${at(new Date(now.getTime() - 60_000))})::int as delivered_last_minute
    from usage_events e ${BILLABLE_JOINS}`);
  return {
    pending: Number(r.pending),
    pendingMwh: Number(r.pending_mwh),
    oldestPendingAt: toDate(r.oldest_ms as number | null),
    unbillable: {
      noTag: Number(r.no_tag),
      tagWithoutCustomer: Number(r.tag_without_customer),
      customerWithoutSubscription: Number(r.customer_without_subscription),
    },
    setAside: Number(r.unbillable),
    dead: Number(r.dead),
    held: Number(r.held),
    delivered: Number(r.delivered),
    deliveredLastMinute: Number(r.delivered_last_minute),
  };
}

export interface ProblemEvent {
  id: number;
  transactionPk: number;
  eventId: string;
  deltaMwh: number;
  status: string;
  reason: string | null;
  createdAt: Date;
}

/** Dead-lettered and held events, newest first, for the admin. */
export async function listProblemEvents(
  db: Executor,
  limit = 50,
): Promise<ProblemEvent[]> {
  const rows = await db.rows<Record<string, string | number | null>>(sql`
    select id, transaction_pk, event_id, delta_mwh, status, last_error,
      ${epochMs(sql`created_at`)} as created_ms
    from usage_events where status in ('dead', 'held')
    order by id desc limit ${limit}`);
  return rows.map((r) => ({
    id: Number(r.id),
    transactionPk: Number(r.transaction_pk),
    eventId: String(r.event_id),
    deltaMwh: Number(r.delta_mwh),
    status: String(r.status),
    reason: r.last_error === null ? null : String(r.last_error),
    createdAt: toDate(r.created_ms as number)!,
  }));
}

/** Sum of everything queued for a transaction (every status): what Lago will have billed. */
export async function queuedMwh(
  db: Executor,
  transactionPk: number,
): Promise<number> {
  const [r] = await db.rows<{ total: string | number }>(sql`
    select coalesce(sum(delta_mwh), 0)::float8 as total from usage_events
    where transaction_pk = ${transactionPk}`);
  return Number(r.total);
}

/** How many usage events are dead-lettered (reads `usage_events_dead_idx` only). */
export async function countDeadEvents(db: Executor): Promise<number> {
  const [r] = await db.rows<{ n: number | string }>(sql`
    select count(*)::int as n from usage_events where status = 'dead'`);
  return Number(r.n);
}
