/**
 * Statements that change a session's energy from SteVe's record (the
 * resolver's start-register correction, the sweep's backfill). Each queues
 * the change as a usage event in the same statement or transaction, so the
 * events of a transaction keep adding up to its `energy_mwh`.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { at, epochMs, toDate } from "../sql.ts";
import type { LiveSession } from "./sessions.ts";
import { getLiveSession } from "./sessions.ts";

/** Sessions SteVe's API has not confirmed yet, due for a try. */
export async function listUnresolvedSessions(
  db: Executor,
  args: { now: Date; limit: number },
): Promise<Array<{ transactionPk: number; attempts: number }>> {
  const rows = await db.rows<
    { transaction_pk: string | number; resolve_attempts: number }
  >(sql`
    select transaction_pk, resolve_attempts from live_sessions
    where resolved_at is null and resolve_next_at <= ${at(args.now)}
    order by started_at limit ${args.limit}`);
  return rows.map((r) => ({
    transactionPk: Number(r.transaction_pk),
    attempts: r.resolve_attempts,
  }));
}

export async function postponeResolution(
  db: Executor,
  args: { transactionPk: number; nextAt: Date; giveUp: boolean; now: Date },
): Promise<void> {
  await db.rows(sql`
    update live_sessions set resolve_attempts = resolve_attempts + 1,
      resolve_next_at = ${at(args.nextAt)},
      resolved_at = ${args.giveUp ? at(args.now) : sql`null`}
    where transaction_pk = ${args.transactionPk}`);
}

/**
 * Applies SteVe's record to a session: its tag (and so its customer) and its
 * start register. Energy is recomputed from the corrected start; the
 * difference is queued (a negative one is held for the admin, never sent).
 * Returns the session as it is now, or null if it does not exist.
 */
export async function applySteveRecord(
  db: Executor,
  args: {
    transactionPk: number;
    idTag: string;
    startRegisterMwh: number;
    now: Date;
  },
): Promise<{ session: LiveSession; deltaMwh: number } | null> {
  const start = sql`${args.startRegisterMwh}::bigint`;
  const energy = sql`greatest(coalesce(s.latest_register_mwh, ${start}) - ${start}, 0)`;
  const rows = await db.rows<{ last_delta_mwh: string | number }>(sql`
    with updated as (
      update live_sessions s set
        id_tag = ${args.idTag},
        customer_id = (select customer_id from tags where id_tag = ${args.idTag}),
        start_register_mwh = ${start},
        start_from_begin = true,
        energy_mwh = ${energy},
        last_delta_mwh = ${energy} - s.energy_mwh,
        resolved_at = ${at(args.now)},
        version = s.version + 1,
        updated_at = ${at(args.now)}
      where s.transaction_pk = ${args.transactionPk}
      returning s.transaction_pk, s.last_delta_mwh, s.started_at
    ), queued as (
      insert into usage_events (transaction_pk, event_id, kind, delta_mwh, occurred_at, status,
        next_attempt_at, created_at)
      select transaction_pk, ${`es-${args.transactionPk}-start-${args.startRegisterMwh}-`}::text
          || last_delta_mwh::text,
        'correction', last_delta_mwh, started_at,
        case when last_delta_mwh < 0 then 'held' else 'pending' end, ${at(args.now)},
        ${at(args.now)}
      from updated where last_delta_mwh <> 0
      on conflict (event_id) do nothing
      returning 1
    )
    select last_delta_mwh from updated`);
  if (!rows[0]) return null;
  const session = await getLiveSession(db, args.transactionPk);
  return session && { session, deltaMwh: Number(rows[0].last_delta_mwh) };
}

/** A transaction as SteVe recorded it, stopped. */
export interface StoppedTransaction {
  transactionPk: number;
  chargeBoxId: string;
  connectorId: number;
  idTag: string;
  startedAt: Date;
  stoppedAt: Date;
  startRegisterMwh: number;
  stopRegisterMwh: number;
}

/** How the sweep's energy compares with what was queued for a transaction. */
export type BackfillOutcome =
  | { outcome: "in_step" }
  | { outcome: "backfilled"; deltaMwh: number }
  | { outcome: "flagged"; deltaMwh: number };

export type BackfillResult = BackfillOutcome & {
  /** The session as the call left it. */
  session: LiveSession;
  /** This call created the session (no hook call ever arrived for it). */
  created: boolean;
  /** This call set the session's `ended_at` (no Transaction.End was recorded before). */
  ended: boolean;
};

/**
 * Compares SteVe's energy for a stopped transaction with what was queued for
 * it and queues the missing part as one backfill event whose id is made of
 * the transaction and its true energy: a second sweep finds nothing missing,
 * and two sweeps at once cannot both insert it (the transaction's advisory
 * lock serializes them, the unique id backs that up). A session whose hooks
 * never arrived is created from SteVe's record so it can be billed. A
 * negative difference is never sent: it is returned as flagged.
 *
 * Whatever the energy, the session is recorded ended at SteVe's stop time
 * unless it already was. `created` and `ended` say whether this call made
 * the start or the end known, so the caller announces each (session.started,
 * session.ended) on the same transaction; the meter-values statement
 * announces the ones it makes known, and both take the session row's lock
 * first (`ended_at is null` is re-read after it), so exactly one of them
 * announces each. Run it in a transaction.
 */
export async function backfillFromSteve(
  db: Executor,
  args: { tx: StoppedTransaction; now: Date },
): Promise<BackfillResult> {
  const t = args.tx;
  const trueMwh = Math.max(0, t.stopRegisterMwh - t.startRegisterMwh);
  await db.rows(
    sql`select pg_advisory_xact_lock(727401002, (${t.transactionPk} % 2147483647)::int)`,
  );
  // Created ended: its first write is the one that ended it (`ended_version` 1, as the hook's).
  const inserted = await db.rows(sql`
    insert into live_sessions (transaction_pk, charge_box_id, connector_id, id_tag, customer_id,
      start_register_mwh, start_from_begin, latest_register_mwh, latest_register_at, energy_mwh,
      started_at, last_reading_at, updated_at, ended_at, ended_version, resolved_at,
      resolve_next_at)
    values (${t.transactionPk}, ${t.chargeBoxId}, ${t.connectorId}, ${t.idTag},
      (select customer_id from tags where id_tag = ${t.idTag}),
      ${t.startRegisterMwh}, true, ${t.stopRegisterMwh}, ${at(t.stoppedAt)}, 0,
      ${at(t.startedAt)}, ${at(t.stoppedAt)}, ${at(args.now)}, ${at(t.stoppedAt)}, 1,
      ${at(args.now)}, ${at(args.now)})
    on conflict (transaction_pk) do nothing
    returning 1`);
  const [q] = await db.rows<{ queued: string | number }>(sql`
    select coalesce(sum(delta_mwh), 0)::float8 as queued from usage_events
    where transaction_pk = ${t.transactionPk}`);
  const delta = trueMwh - Number(q.queued);
  const outcome: BackfillOutcome = delta === 0
    ? { outcome: "in_step" }
    : delta < 0
    ? { outcome: "flagged", deltaMwh: delta }
    : { outcome: "backfilled", deltaMwh: delta };
  if (delta > 0) {
    await db.rows(sql`
      insert into usage_events (transaction_pk, event_id, kind, delta_mwh, occurred_at,
        next_attempt_at, created_at)
      values (${t.transactionPk}, ${`es-${t.transactionPk}-backfill-${trueMwh}`}, 'backfill',
        ${delta}, ${at(t.stoppedAt)}, ${at(args.now)}, ${at(args.now)})`);
    await db.rows(sql`
      update live_sessions set energy_mwh = energy_mwh + ${delta}, last_delta_mwh = ${delta},
        version = version + 1, updated_at = ${at(args.now)}
      where transaction_pk = ${t.transactionPk}`);
  }
  // After the energy, so the session.ended it causes carries the backfilled kWh.
  const ended = await db.rows(sql`
    update live_sessions set ended_at = ${at(t.stoppedAt)}, ended_version = version + 1,
      version = version + 1, updated_at = ${at(args.now)}
    where transaction_pk = ${t.transactionPk} and ended_at is null
    returning 1`);
  const session = await getLiveSession(db, t.transactionPk);
  if (!session) throw new Error(`session ${t.transactionPk} vanished during the sweep`);
  return {
    ...outcome,
    session,
    created: inserted.length === 1,
    ended: inserted.length === 1 || ended.length === 1,
  };
}

export async function getBillingState(
  db: Executor,
  key: string,
): Promise<string | null> {
  const [row] = await db.rows<{ value: string }>(
    sql`select value from billing_state where key = ${key}`,
  );
  return row?.value ?? null;
}

export async function setBillingState(
  db: Executor,
  args: { key: string; value: string; now: Date },
): Promise<void> {
  await db.rows(sql`
    insert into billing_state (key, value, updated_at) values (${args.key}, ${args.value},
      ${at(args.now)})
    on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`);
}

export interface SweepRun {
  id: number;
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  windowFrom: string;
  windowTo: string;
  transactions: number;
  backfilledKwh: string;
  flagged: number;
  errors: string | null;
  details: unknown;
}

export async function insertSweepRun(
  db: Executor,
  run: {
    trigger: string;
    startedAt: Date;
    finishedAt: Date;
    windowFrom: Date;
    windowTo: Date;
    transactions: number;
    backfilledMwh: number;
    flagged: number;
    errors: string | null;
    details: unknown;
  },
): Promise<number> {
  const [row] = await db.rows<{ id: string | number }>(sql`
    insert into sweep_runs (trigger, started_at, finished_at, window_from, window_to,
      transactions, backfilled_mwh, flagged, errors, details)
    values (${run.trigger}, ${at(run.startedAt)}, ${at(run.finishedAt)}, ${at(run.windowFrom)},
      ${at(run.windowTo)}, ${run.transactions}, ${run.backfilledMwh}, ${run.flagged},
      ${run.errors}, ${JSON.stringify(run.details)})
    returning id`);
  return Number(row.id);
}

export async function listSweepRuns(
  db: Executor,
  limit = 10,
): Promise<SweepRun[]> {
  const rows = await db.rows<Record<string, string | number | null>>(sql`
    select id, trigger, ${epochMs(sql`started_at`)} as started_ms,
      ${epochMs(sql`finished_at`)} as finished_ms, ${epochMs(sql`window_from`)} as from_ms,
      ${epochMs(sql`window_to`)} as to_ms, transactions, backfilled_mwh, flagged, errors, details
    from sweep_runs order by id desc limit ${limit}`);
  return rows.map((r) => ({
    id: Number(r.id),
    trigger: String(r.trigger),
    startedAt: toDate(r.started_ms as number)!.toISOString(),
    finishedAt: toDate(r.finished_ms as number | null)?.toISOString() ?? null,
    windowFrom: toDate(r.from_ms as number)!.toISOString(),
    windowTo: toDate(r.to_ms as number)!.toISOString(),
    transactions: Number(r.transactions),
    backfilledKwh: (Number(r.backfilled_mwh) / 1_000_000).toFixed(6),
    flagged: Number(r.flagged),
    errors: r.errors === null ? null : String(r.errors),
    details: r.details ? JSON.parse(String(r.details)) : null,
  }));
}
