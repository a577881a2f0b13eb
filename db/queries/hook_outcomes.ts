/**
 * Stored hook outcomes (`hook_outcome_buckets`): per endpoint, minute and
 * outcome, summed over every instance; and the hook keys instances report
 * missing or weak (`hook_key_reports`).
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { at, epochMs } from "../sql.ts";

/** One instance's calls of one endpoint, minute and outcome since its last flush. */
export interface OutcomeDelta {
  endpoint: string;
  bucketStart: Date;
  outcome: string;
  /** The secret that verified these calls (`current`, `next`, `previous`), '' when none. */
  signingKey: string;
  count: number;
  /** The latest of these calls. */
  lastAt: Date;
}

/**
 * Adds `deltas` to their buckets in one multi-row statement. The rows go in
 * one fixed order (endpoint, minute, outcome), so two instances adding to the
 * same buckets lock them in the same order and never deadlock.
 */
export async function addOutcomeDeltas(db: Executor, deltas: OutcomeDelta[]): Promise<void> {
  if (!deltas.length) return;
  const key = (d: OutcomeDelta) =>
    `${d.endpoint}\u0000${String(d.bucketStart.getTime()).padStart(15, "0")}\u0000${d.outcome}` +
    `\u0000${d.signingKey}`;
  const sorted = deltas.map((d) => [key(d), d] as const)
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([, d]) => d);
  const values = sorted.map((d) =>
    sql`(${d.endpoint}, ${at(d.bucketStart)}, ${d.outcome}, ${d.signingKey}, ${d.count}::bigint,
      ${at(d.lastAt)})`
  );
  await db.rows(sql`
    insert into hook_outcome_buckets (endpoint, bucket_start, outcome, signing_key, count, last_at)
    values ${sql.join(values, sql`, `)}
    on conflict (endpoint, bucket_start, outcome, signing_key)
    do update set count = hook_outcome_buckets.count + excluded.count,
      last_at = greatest(hook_outcome_buckets.last_at, excluded.last_at)`);
}

/**
 * Calls of `endpoint` per outcome in the minutes starting in `[from, to)`,
 * all instances together (the hook-health page's hour and day, issue 15 §4).
 */
export async function outcomeCounts(
  db: Executor,
  args: { endpoint: string; from: Date; to: Date },
): Promise<Record<string, number>> {
  const rows = await db.rows<{ outcome: string; n: number | string }>(sql`
    select outcome, sum(count)::float8 as n from hook_outcome_buckets
    where endpoint = ${args.endpoint} and bucket_start >= ${at(args.from)}
      and bucket_start < ${at(args.to)}
    group by outcome order by outcome`);
  return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
}

/**
 * Calls of `endpoint` per bucket of `bucketMinutes` and outcome in `[from, to)`
 * (the page's 5-minute buckets). Buckets are aligned to the epoch; empty ones
 * are absent.
 */
export async function outcomeCountsByBucket(
  db: Executor,
  args: { endpoint: string; from: Date; to: Date; bucketMinutes: number },
): Promise<Array<{ bucketStart: Date; counts: Record<string, number> }>> {
  const width = args.bucketMinutes * 60_000;
  const rows = await db.rows<{ ms: number | string; outcome: string; n: number | string }>(sql`
    select floor(${epochMs(sql`bucket_start`)} / ${width}) * ${width} as ms, outcome,
      sum(count)::float8 as n
    from hook_outcome_buckets
    where endpoint = ${args.endpoint} and bucket_start >= ${at(args.from)}
      and bucket_start < ${at(args.to)}
    group by 1, 2 order by 1, 2`);
  const buckets = new Map<number, Record<string, number>>();
  for (const r of rows) {
    const ms = Number(r.ms);
    const counts = buckets.get(ms) ?? {};
    counts[r.outcome] = Number(r.n);
    buckets.set(ms, counts);
  }
  return [...buckets].map(([ms, counts]) => ({ bucketStart: new Date(ms), counts }));
}

/** Refused calls (`unauthorized:*`) per endpoint and outcome in minutes starting at `from` or later. */
export async function unauthorizedCountsSince(
  db: Executor,
  from: Date,
): Promise<Array<{ endpoint: string; outcome: string; count: number }>> {
  const rows = await db.rows<{ endpoint: string; outcome: string; n: number | string }>(sql`
    select endpoint, outcome, sum(count)::float8 as n from hook_outcome_buckets
    where bucket_start >= ${at(from)} and outcome like 'unauthorized:%'
    group by endpoint, outcome order by endpoint, outcome`);
  return rows.map((r) => ({ endpoint: r.endpoint, outcome: r.outcome, count: Number(r.n) }));
}

/** Deletes the buckets of minutes before `before`; answers how many went. */
export async function pruneOutcomeBuckets(db: Executor, before: Date): Promise<number> {
  const rows = await db.rows(sql`
    delete from hook_outcome_buckets where bucket_start < ${at(before)} returning 1`);
  return rows.length;
}

/** Records this instance's unusable hook keys as seen `now`, in one statement (none: nothing). */
export async function reportHookKeyProblems(
  db: Executor,
  args: { instanceId: string; problems: Array<{ endpoint: string; problem: string }>; now: Date },
): Promise<void> {
  if (args.problems.length) {
    const values = args.problems.map((p) =>
      sql`(${args.instanceId}, ${p.endpoint}, ${p.problem}, ${at(args.now)})`
    );
    await db.rows(sql`
      insert into hook_key_reports (instance_id, endpoint, problem, seen_at)
      values ${sql.join(values, sql`, `)}
      on conflict (instance_id, endpoint)
      do update set problem = excluded.problem, seen_at = excluded.seen_at`);
  }
}

/** Forgets this instance's reports (it stops). */
export async function withdrawHookKeyReports(db: Executor, instanceId: string): Promise<void> {
  await db.rows(sql`delete from hook_key_reports where instance_id = ${instanceId}`);
}

/** Unusable keys reported since `since`, per endpoint: the problem and how many instances have it. */
export async function hookKeyProblemsSince(
  db: Executor,
  since: Date,
): Promise<Array<{ endpoint: string; problem: string; instances: number }>> {
  const rows = await db.rows<{ endpoint: string; problem: string; n: number | string }>(sql`
    select endpoint, min(problem) as problem, count(*)::int as n from hook_key_reports
    where seen_at >= ${at(since)}
    group by endpoint order by endpoint`);
  return rows.map((r) => ({ endpoint: r.endpoint, problem: r.problem, instances: Number(r.n) }));
}

/** Deletes reports not refreshed since `before` (instances gone without a clean stop). */
export async function pruneHookKeyReports(db: Executor, before: Date): Promise<number> {
  const rows = await db.rows(sql`
    delete from hook_key_reports where seen_at < ${at(before)} returning 1`);
  return rows.length;
}

/** Per endpoint and outcome: the calls of the last hour and day (all instances), and the latest. */
export interface OutcomeSummaryRow {
  endpoint: string;
  outcome: string;
  hour: number;
  day: number;
  lastAt: Date;
}

/**
 * Calls per endpoint and outcome in the minutes starting at `dayFrom` or
 * later, and of those at `hourFrom` or later, with the latest call of each:
 * the hook page's and `GET /api/admin/hooks`' `last24Hours` and `lastHour`,
 * in one pass over the bucket index.
 */
export async function outcomeSummary(
  db: Executor,
  args: { hourFrom: Date; dayFrom: Date },
): Promise<OutcomeSummaryRow[]> {
  const rows = await db.rows<
    {
      endpoint: string;
      outcome: string;
      hour: number | string | null;
      day: number | string;
      ms: number | string;
    }
  >(sql`
    select endpoint, outcome,
      sum(count) filter (where bucket_start >= ${at(args.hourFrom)})::float8 as hour,
      sum(count)::float8 as day, ${epochMs(sql`max(last_at)`)} as ms
    from hook_outcome_buckets where bucket_start >= ${at(args.dayFrom)}
    group by endpoint, outcome order by endpoint, outcome`);
  return rows.map((r) => ({
    endpoint: r.endpoint,
    outcome: r.outcome,
    hour: Number(r.hour ?? 0),
    day: Number(r.day),
    lastAt: new Date(Number(r.ms)),
  }));
}

/** Calls per endpoint, 5-minute (or `bucketMinutes`) bucket and outcome in `[from, to)`, all endpoints. */
export async function outcomeBucketsOfAll(
  db: Executor,
  args: { from: Date; to: Date; bucketMinutes: number },
): Promise<Array<{ endpoint: string; bucketStart: Date; outcome: string; count: number }>> {
  const width = args.bucketMinutes * 60_000;
  const rows = await db.rows<
    { endpoint: string; ms: number | string; outcome: string; n: number | string }
  >(sql`
    select endpoint, floor(${epochMs(sql`bucket_start`)} / ${width}) * ${width} as ms, outcome,
      sum(count)::float8 as n
    from hook_outcome_buckets
    where bucket_start >= ${at(args.from)} and bucket_start < ${at(args.to)}
    group by 1, 2, 3 order by 1, 2, 3`);
  return rows.map((r) => ({
    endpoint: r.endpoint,
    bucketStart: new Date(Number(r.ms)),
    outcome: r.outcome,
    count: Number(r.n),
  }));
}

/**
 * What is stored for the hook page's "since": per endpoint, the latest good
 * call and the calls each secret verified (`current`, `next`, …), over every
 * stored minute (pruned after 48 hours), and the earliest stored minute.
 */
export async function storedKeyPasses(db: Executor): Promise<{
  since: Date | null;
  lastOk: Map<string, Date>;
  passes: Array<{ endpoint: string; signingKey: string; passes: number }>;
}> {
  const rows = await db.rows<{
    endpoint: string;
    signing_key: string;
    ok_ms: number | string | null;
    passes: number | string;
    first_ms: number | string;
  }>(sql`
    select endpoint, signing_key,
      ${epochMs(sql`max(last_at) filter (where outcome = 'ok')`)} as ok_ms,
      sum(count)::float8 as passes, ${epochMs(sql`min(bucket_start)`)} as first_ms
    from hook_outcome_buckets group by endpoint, signing_key order by endpoint, signing_key`);
  const lastOk = new Map<string, Date>();
  let since: number | null = null;
  const passes: Array<{ endpoint: string; signingKey: string; passes: number }> = [];
  for (const r of rows) {
    since = since === null ? Number(r.first_ms) : Math.min(since, Number(r.first_ms));
    if (r.ok_ms !== null) {
      const ok = new Date(Number(r.ok_ms));
      const seen = lastOk.get(r.endpoint);
      if (!seen || ok > seen) lastOk.set(r.endpoint, ok);
    }
    if (r.signing_key !== "") {
      passes.push({ endpoint: r.endpoint, signingKey: r.signing_key, passes: Number(r.passes) });
    }
  }
  return { since: since === null ? null : new Date(since), lastOk, passes };
}

/**
 * Calls per endpoint and outcome in the minutes starting at `from` or later:
 * the admin banner's one query per page (the bucket index; a few rows).
 */
export async function recentOutcomes(
  db: Executor,
  from: Date,
): Promise<Array<{ endpoint: string; outcome: string; count: number }>> {
  const rows = await db.rows<{ endpoint: string; outcome: string; n: number | string }>(sql`
    select endpoint, outcome, sum(count)::float8 as n from hook_outcome_buckets
    where bucket_start >= ${at(from)} group by endpoint, outcome order by endpoint, outcome`);
  return rows.map((r) => ({ endpoint: r.endpoint, outcome: r.outcome, count: Number(r.n) }));
}
