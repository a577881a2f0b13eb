/** Meter samples, live sessions, and the pending starts that give a session its tag. */
import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { at, epochMs, isoUtc, toDate } from "../sql.ts";
import { receiptInsert } from "./email_messages.ts";

/** How long a StartTransaction pre-authorize waits for its transaction's first reading. */
export const PENDING_START_WINDOW_MINUTES = 10;

export interface LiveSession {
  transactionPk: number;
  chargeBoxId: string;
  connectorId: number;
  idTag: string | null;
  customerId: string | null;
  energyMwh: number;
  powerW: number | null;
  startedAt: Date;
  lastReadingAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
  /** Increases with every change of the row. */
  version: number;
  chargerName: string | null;
  customerName: string | null;
}

interface SessionRow {
  transaction_pk: number | string;
  charge_box_id: string;
  connector_id: number;
  id_tag: string | null;
  customer_id: string | null;
  energy_mwh: number | string;
  last_power_w: number | null;
  started_ms: number;
  last_reading_ms: number;
  updated_ms: number;
  ended_ms: number | null;
  version: number | string;
  charger_name: string | null;
  customer_name: string | null;
}

const SESSION_COLUMNS = (t: SQL) =>
  sql`${t}.transaction_pk, ${t}.charge_box_id, ${t}.connector_id, ${t}.id_tag, ${t}.customer_id,
      ${t}.energy_mwh, ${t}.last_power_w,
      ${epochMs(sql`${t}.started_at`)} as started_ms,
      ${epochMs(sql`${t}.last_reading_at`)} as last_reading_ms,
      ${epochMs(sql`${t}.updated_at`)} as updated_ms,
      ${epochMs(sql`${t}.ended_at`)} as ended_ms, ${t}.version,
      (select name from chargers where charge_box_id = ${t}.charge_box_id) as charger_name,
      (select name from customers where id = ${t}.customer_id) as customer_name`;

const toSession = (r: SessionRow): LiveSession => ({
  transactionPk: Number(r.transaction_pk),
  chargeBoxId: r.charge_box_id,
  connectorId: r.connector_id,
  idTag: r.id_tag,
  customerId: r.customer_id,
  energyMwh: Number(r.energy_mwh),
  powerW: r.last_power_w === null ? null : Number(r.last_power_w),
  startedAt: toDate(r.started_ms)!,
  lastReadingAt: toDate(r.last_reading_ms)!,
  updatedAt: toDate(r.updated_ms)!,
  endedAt: toDate(r.ended_ms),
  version: Number(r.version),
  chargerName: r.charger_name,
  customerName: r.customer_name,
});

/** Records a StartTransaction pre-authorize answered `null`. */
export async function insertPendingStart(
  db: Executor,
  args: { chargeBoxId: string; connectorId: number; idTag: string; now: Date },
): Promise<void> {
  await db.rows(sql`
    insert into pending_starts (charge_box_id, connector_id, id_tag, recorded_at)
    values (${args.chargeBoxId}, ${args.connectorId}, ${args.idTag}, ${at(args.now)})`);
}

/** One sample as stored: values stay the strings OCPP sent. */
export interface StoredSample {
  measurand: string;
  phase: string;
  format: string;
  value: string;
  unit: string | null;
  context: string | null;
  location: string | null;
}

/** What one meter-values call contributes to its session. */
export interface SessionReading {
  transactionPk: number;
  chargeBoxId: string;
  connectorId: number;
  at: Date;
  /** Lifetime energy register in mWh, when the call carried a usable one. */
  registerMwh: number | null;
  /** The register is the Transaction.Begin reading. */
  isBegin: boolean;
  powerW: number | null;
  ends: boolean;
}

/** One meter-values call as stored: its reading and its samples. */
export interface MeterCall {
  reading: SessionReading;
  samples: StoredSample[];
}

/**
 * Stores one call's samples and folds its reading into the live session; see
 * {@link recordMeterReadings}.
 */
export async function recordMeterReading(
  db: Executor,
  args: MeterCall & { now: Date },
): Promise<LiveSession | null> {
  const [session] = await recordMeterReadings(db, {
    calls: [{ reading: args.reading, samples: args.samples }],
    now: args.now,
  });
  return session;
}

/**
 * Stores the samples of several calls, each of a different transaction, and
 * folds each reading into its live session, in one statement (so one round
 * trip, atomic without an explicit transaction, and one plan for the lot).
 * Answers each call's session in the calls' order, or null for a call that
 * changed nothing.
 *
 * - Samples are idempotent on (transaction, time, measurand, phase); when
 *   every sample of a call was already stored, its session is left alone and
 *   null is answered (a SteVe retry changes nothing and publishes nothing).
 * - The first reading of a transaction claims the newest unclaimed pending
 *   start at its charger and connector from the last 10 minutes, and takes
 *   that tag's customer. `SKIP LOCKED` keeps two first readings from claiming
 *   two starts; the loser's insert turns into the update below and keeps the
 *   winner's tag.
 * - Concurrent calls for one transaction serialize on the session row
 *   (ON CONFLICT DO UPDATE locks it), so each update reads the latest state.
 *   Rows are locked in transaction order, so two batches never deadlock on
 *   each other's sessions within one statement.
 * - Partner events are queued in the same statement: `session.started` by
 *   the write that inserts the session, `session.ended` by the one write
 *   that sets its `ended_at` (a repeated Transaction.End queues nothing).
 * - So is the customer's receipt mail (`receipt-<transactionPk>`), by that
 *   same write, when the session's customer has an email address
 *   (`receiptInsert`, the builder the reconciliation sweep uses too).
 * - The latest register only moves to a reading that is neither older nor
 *   lower; the start register is the Transaction.Begin reading once one
 *   arrives, else the first usable reading received; energy never decreases.
 */
export async function recordMeterReadings(
  db: Executor,
  args: { calls: MeterCall[]; now: Date },
): Promise<Array<LiveSession | null>> {
  const pks = new Set(args.calls.map((c) => c.reading.transactionPk));
  if (pks.size !== args.calls.length) {
    throw new TypeError("recordMeterReadings: one call per transaction");
  }
  // Inputs as JSON text: one parameter each, bound the same by every driver.
  const readings = JSON.stringify(args.calls.map(({ reading: r }) => ({
    transaction_pk: r.transactionPk,
    charge_box_id: r.chargeBoxId,
    connector_id: r.connectorId,
    reading_at: r.at.toISOString(),
    register_mwh: r.registerMwh,
    is_begin: r.isBegin && r.registerMwh !== null,
    power_w: r.powerW,
    ends: r.ends,
    event_prefix: readingEventId(r),
  })));
  const samples = JSON.stringify(args.calls.flatMap(({ reading, samples }) =>
    samples.map((x) => ({
      transaction_pk: reading.transactionPk,
      m: x.measurand,
      p: x.phase,
      f: x.format,
      v: x.value,
      u: x.unit,
      c: x.context,
      l: x.location,
    }))
  ));
  const now = at(args.now);

  // Values the update computes, each from the stored row (ls) and this call (excluded).
  const newStart = sql`case when excluded.start_from_begin and not ls.start_from_begin
      then excluded.start_register_mwh
      else coalesce(ls.start_register_mwh, excluded.start_register_mwh) end`;
  const advances = sql`(excluded.latest_register_mwh is not null and (ls.latest_register_mwh is null
      or (excluded.latest_register_at >= ls.latest_register_at
          and excluded.latest_register_mwh >= ls.latest_register_mwh)))`;
  const newLatest =
    sql`case when ${advances} then excluded.latest_register_mwh else ls.latest_register_mwh end`;
  const newEnergy = sql`greatest(ls.energy_mwh, coalesce(${newLatest} - ${newStart}, 0))`;
  const powerAdvances = sql`(excluded.last_power_w is not null
      and (ls.last_power_at is null or excluded.last_power_at >= ls.last_power_at))`;

  const rows = await db.rows<SessionRow>(sql`
    with readings as materialized (
      select * from json_to_recordset(${readings}::json) as r(transaction_pk bigint,
        charge_box_id text, connector_id int, reading_at timestamptz, register_mwh bigint,
        is_begin boolean, power_w float8, ends boolean, event_prefix text)
    ), inserted as (
      insert into meter_samples (transaction_pk, sampled_at, measurand, phase, format, charge_box_id,
                                 connector_id, value, unit, context, location, received_at)
      select r.transaction_pk, r.reading_at, x.m, x.p, x.f, r.charge_box_id, r.connector_id, x.v,
             x.u, x.c, x.l, ${now}
      from json_to_recordset(${samples}::json) as x(transaction_pk bigint, m text, p text, f text,
        v text, u text, c text, l text)
      join readings r on r.transaction_pk = x.transaction_pk
      on conflict do nothing
      returning transaction_pk
    ), fresh as materialized (
      -- The calls that stored at least one new sample; a call that stored none changes nothing.
      select * from readings where transaction_pk in (select transaction_pk from inserted)
    ), claimed as (
      update pending_starts ps set claimed_by = f.transaction_pk
      from (
        select f.transaction_pk, (
          select id from pending_starts
          where charge_box_id = f.charge_box_id and connector_id = f.connector_id
            and claimed_by is null
            and recorded_at > ${now} - interval '${
    sql.raw(String(PENDING_START_WINDOW_MINUTES))
  } minutes'
          order by recorded_at desc limit 1
          for update skip locked) as start_id
        from fresh f
        where not exists (select 1 from live_sessions where transaction_pk = f.transaction_pk)
      ) f
      where ps.id = f.start_id
      returning f.transaction_pk, ps.id_tag
    ), upserted as (
      insert into live_sessions as ls (transaction_pk, charge_box_id, connector_id, id_tag,
        customer_id, start_register_mwh, start_from_begin, latest_register_mwh, latest_register_at,
        energy_mwh, last_power_w, last_power_at, started_at, last_reading_at, updated_at, ended_at,
        ended_version, resolve_next_at)
      select f.transaction_pk, f.charge_box_id, f.connector_id, c.id_tag,
        (select customer_id from tags where id_tag = c.id_tag),
        f.register_mwh, f.is_begin,
        f.register_mwh, case when f.register_mwh is null then null else f.reading_at end,
        0, f.power_w, case when f.power_w is null then null else f.reading_at end,
        f.reading_at, f.reading_at, ${now}, case when f.ends then f.reading_at end,
        case when f.ends then 1::bigint end, ${now}
      from fresh f left join claimed c on c.transaction_pk = f.transaction_pk
      order by f.transaction_pk
      on conflict (transaction_pk) do update set
        id_tag = coalesce(ls.id_tag, excluded.id_tag),
        customer_id = case when ls.id_tag is null then excluded.customer_id else ls.customer_id end,
        start_register_mwh = ${newStart},
        start_from_begin = ls.start_from_begin or excluded.start_from_begin,
        latest_register_mwh = ${newLatest},
        latest_register_at = case when ${advances}
          then excluded.latest_register_at else ls.latest_register_at end,
        energy_mwh = ${newEnergy},
        last_delta_mwh = ${newEnergy} - ls.energy_mwh,
        last_power_w = case when ${powerAdvances} then excluded.last_power_w else ls.last_power_w end,
        last_power_at = case when ${powerAdvances}
          then excluded.last_power_at else ls.last_power_at end,
        started_at = least(ls.started_at, excluded.started_at),
        last_reading_at = greatest(ls.last_reading_at, excluded.last_reading_at),
        updated_at = excluded.updated_at,
        ended_at = coalesce(ls.ended_at, excluded.ended_at),
        -- Set by the one write that ends the session (the row lock orders racing Ends).
        ended_version = case when ls.ended_at is null and excluded.ended_at is not null
          then ls.version + 1 else ls.ended_version end,
        version = ls.version + 1
      returning ${SESSION_COLUMNS(sql`ls`)}, ls.last_delta_mwh, ls.ended_version,
        ls.started_at as started_ts, ls.ended_at as ended_ts
    ), queued as (
      -- The outbox: this change of energy, for Lago, in the same statement as the change.
      insert into usage_events (transaction_pk, event_id, kind, delta_mwh, occurred_at,
        next_attempt_at, created_at)
      select u.transaction_pk, f.event_prefix || u.energy_mwh::text, 'reading', u.last_delta_mwh,
             f.reading_at, ${now}, ${now}
      from upserted u join fresh f on f.transaction_pk = u.transaction_pk
      where u.last_delta_mwh <> 0
      returning 1
    ), born as materialized (
      -- Partner events: session.started when this write inserted the session (version 1),
      -- session.ended when this write set ended_at. Their data is captured now; the first
      -- claim turns it into the canonical body (lib/partner_deliveries/worker.ts).
      select gen_random_uuid() as event_id, u.transaction_pk, e.type, e.ord, e.data
      from upserted u
      cross join lateral (values
        ('session.started', 1, case when u.version = 1 then json_build_object(
          'transactionPk', u.transaction_pk, 'chargeBoxId', u.charge_box_id,
          'connectorId', u.connector_id, 'startedAt', ${isoUtc(sql`u.started_ts`)},
          'customerId', u.customer_id, 'customerName', u.customer_name)::text end),
        ('session.ended', 2, case when u.ended_version = u.version then json_build_object(
          'transactionPk', u.transaction_pk, 'chargeBoxId', u.charge_box_id,
          'connectorId', u.connector_id, 'startedAt', ${isoUtc(sql`u.started_ts`)},
          'endedAt', ${isoUtc(sql`u.ended_ts`)},
          'kwh', to_char(round(u.energy_mwh / 1000000.0, 3), 'FM999999999990.000'),
          'customerId', u.customer_id, 'customerName', u.customer_name)::text end)
      ) as e(type, ord, data)
      where e.data is not null
    ), announced as (
      -- The partner outbox, one row per subscribed partner with a URL, active or not.
      insert into partner_deliveries (partner_id, event_id, type, data_json, status, attempts,
        next_attempt_at, created_at)
      select p.id, b.event_id, b.type, b.data, 'pending', 0, ${now}, ${now}
      from born b join partners p on p.url is not null and b.type = any(p.events)
      order by b.transaction_pk, b.ord, p.id
      returning 1
    ), receipted as (
      -- The customer's receipt, queued by the one write that ended the session.
      ${receiptInsert(sql`(select * from upserted where ended_version = version)`, args.now)}
    )
    select * from upserted`);
  const byPk = new Map(rows.map((r) => [Number(r.transaction_pk), toSession(r)]));
  return args.calls.map((c) => byPk.get(c.reading.transactionPk) ?? null);
}

/**
 * Lago `transaction_id` prefix of a reading's usage event; the energy after
 * the reading completes it. Deterministic: a resend is a duplicate to Lago.
 */
const readingEventId = (r: SessionReading) => `es-${r.transactionPk}-${r.at.getTime()}-`;

/** Open sessions, and those ended within `endedSince` (so a card can show "ended"). */
export async function listLiveSessions(
  db: Executor,
  args: { endedSince: Date; customerId?: string },
): Promise<LiveSession[]> {
  const rows = await db.rows<SessionRow>(sql`
    select ${SESSION_COLUMNS(sql`s`)} from live_sessions s
    where (s.ended_at is null or s.ended_at >= ${at(args.endedSince)})
      ${args.customerId === undefined ? sql`` : sql`and s.customer_id = ${args.customerId}`}
    order by s.started_at desc
    limit 500`);
  return rows.map(toSession);
}

export async function getLiveSession(
  db: Executor,
  transactionPk: number,
): Promise<LiveSession | null> {
  const rows = await db.rows<SessionRow>(sql`
    select ${
    SESSION_COLUMNS(sql`s`)
  } from live_sessions s where s.transaction_pk = ${transactionPk}`);
  return rows[0] ? toSession(rows[0]) : null;
}

/**
 * Open sessions no meter value has reached since `before` (our clock, `updated_at`):
 * the hook page's "SteVe silent or failing" warning. Newest silence last; at most `limit`.
 */
export async function listSilentSessions(
  db: Executor,
  args: { before: Date; limit: number },
): Promise<
  { total: number; sessions: Array<{ chargeBoxId: string; transactionPk: number; lastAt: Date }> }
> {
  // The partial index on open sessions (live_sessions_open_idx) bounds the scan to open rows.
  const rows = await db.rows<
    { charge_box_id: string; transaction_pk: number | string; ms: number | string; total: number }
  >(sql`
    select charge_box_id, transaction_pk, ${epochMs(sql`updated_at`)} as ms,
      count(*) over ()::int as total
    from live_sessions where ended_at is null and updated_at < ${at(args.before)}
    order by updated_at, transaction_pk limit ${args.limit}`);
  return {
    total: rows[0]?.total ?? 0,
    sessions: rows.map((r) => ({
      chargeBoxId: r.charge_box_id,
      transactionPk: Number(r.transaction_pk),
      lastAt: new Date(Number(r.ms)),
    })),
  };
}

/** Deletes pending starts nobody claimed in time. */
export async function pruneStalePendingStarts(
  db: Executor,
  before: Date,
): Promise<number> {
  const rows = await db.rows(sql`
    delete from pending_starts where recorded_at < ${at(before)} returning 1`);
  return rows.length;
}

/** A customer's ended sessions, newest first. */
export async function listRecentSessions(
  db: Executor,
  args: { customerId: string; limit: number },
): Promise<LiveSession[]> {
  const rows = await db.rows<SessionRow>(sql`
    select ${SESSION_COLUMNS(sql`s`)} from live_sessions s
    where s.customer_id = ${args.customerId} and s.ended_at is not null
    order by s.ended_at desc limit ${args.limit}`);
  return rows.map(toSession);
}

/** One point of a power chart: epoch milliseconds and kW. */
export type PowerPoint = [atMs: number, kw: number];

/**
 * The import power of each listed transaction from its stored samples, in one
 * statement: readings in (`since`, `until`] fall into `buckets` equal slices
 * of that window, each slice giving its average kW at its newest reading
 * time, oldest first. A reading's kW is worked out as the live `kw` is
 * (`readMeterSamples`): Power.Active.Import not measured at the EV, plain
 * decimals in W or kW, the phase-less total when there is one, else the sum
 * of the phases without the neutral. The primary key (transaction, time, …)
 * serves the range.
 */
export async function listPowerHistory(
  db: Executor,
  args: { transactionPks: number[]; since: Date; until: Date; buckets: number },
): Promise<Map<number, PowerPoint[]>> {
  const history = new Map<number, PowerPoint[]>();
  if (args.transactionPks.length === 0) return history;
  const bucketMs = Math.max(1, (args.until.getTime() - args.since.getTime()) / args.buckets);
  // An array literal as one parameter: node-postgres, postgres.js and PGlite bind JS arrays
  // differently.
  const pks = `{${args.transactionPks.map((pk) => Math.trunc(pk)).join(",")}}`;
  const rows = await db.rows<{ transaction_pk: number | string; at_ms: number; kw: number }>(sql`
    with samples as (
      select transaction_pk, sampled_at, phase,
        case when coalesce(unit, 'W') = 'kW' then value::numeric else value::numeric / 1000 end
          as kw
      from meter_samples
      where transaction_pk = any(${pks}::bigint[])
        and sampled_at > ${at(args.since)} and sampled_at <= ${at(args.until)}
        and measurand = 'Power.Active.Import' and location is distinct from 'EV'
        and coalesce(unit, 'W') in ('W', 'kW')
        and value ~ '^\\s*[+-]?[0-9]+(\\.[0-9]+)?\\s*$'
    ), readings as (
      select transaction_pk, sampled_at,
        coalesce(min(kw) filter (where phase = ''),
                 sum(kw) filter (where phase not in ('', 'N'))) as kw
      from samples group by transaction_pk, sampled_at
    ), buckets as (
      select transaction_pk, max(sampled_at) as last_at, avg(kw) as kw
      from readings where kw is not null
      group by transaction_pk, least(${args.buckets - 1}::int,
        floor(extract(epoch from sampled_at - ${at(args.since)}) * 1000 / ${bucketMs}::float8))
    )
    select transaction_pk, ${epochMs(sql`last_at`)} as at_ms, round(kw, 3)::float8 as kw
    from buckets order by transaction_pk, last_at`);
  for (const r of rows) {
    const pk = Number(r.transaction_pk);
    const points = history.get(pk) ?? [];
    points.push([Number(r.at_ms), Number(r.kw)]);
    history.set(pk, points);
  }
  return history;
}
