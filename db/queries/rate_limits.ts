/** Hit counters of the shared rate limits (lib/rate_limit.ts). */
import { lt, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { rateLimitCounters } from "../schema.ts";

/** What one hit saw: the counts of the current and previous windows, and whether it counted. */
export interface CounterHit {
  /** The current window's count including this hit; null when the hit was refused. */
  counted: number | null;
  current: number;
  previous: number;
}

/**
 * Counts one hit for `key` in the window starting at `windowStart` unless
 * `current + previous · previousWeight` already reaches `limit`; refused hits
 * are not counted. One statement: concurrent hits from any instance serialize
 * on the counter row (the upsert locks it and re-checks the limit against the
 * committed count), so N racing hits can never all pass a limit of N − 1.
 */
export async function countHit(
  db: Executor,
  args: {
    key: string;
    windowStart: Date;
    previousWindowStart: Date;
    previousWeight: number;
    limit: number;
  },
): Promise<CounterHit> {
  const [row] = await db.rows<{ counted: number | null; current: number; previous: number }>(sql`
    with prev as (
      select coalesce((
        select hits from rate_limit_counters
        where key = ${args.key} and window_start = ${args.previousWindowStart.toISOString()}
      ), 0) as hits
    ), hit as (
      insert into rate_limit_counters as c (key, window_start, hits)
      select ${args.key}, ${args.windowStart.toISOString()}, 1 from prev
      where prev.hits * ${args.previousWeight}::float8 < ${args.limit}
      on conflict (key, window_start) do update set hits = c.hits + 1
        where c.hits + (select hits from prev) * ${args.previousWeight}::float8 < ${args.limit}
      returning hits
    )
    select
      (select hits from hit) as counted,
      coalesce((
        select hits from rate_limit_counters
        where key = ${args.key} and window_start = ${args.windowStart.toISOString()}
      ), 0) as current,
      (select hits from prev) as previous`);
  return { counted: row.counted, current: row.current, previous: row.previous };
}

/** Deletes counters of windows that started before `before`; returns how many. */
export async function pruneRateLimitCounters(db: Executor, before: Date): Promise<number> {
  const rows = await db.orm.delete(rateLimitCounters)
    .where(lt(rateLimitCounters.windowStart, before))
    .returning({ key: rateLimitCounters.key });
  return rows.length;
}
