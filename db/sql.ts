/**
 * Small SQL helpers shared by the query modules. Raw statements pass times as
 * ISO strings and read them back as epoch milliseconds, which every driver
 * (PGlite, node-postgres, postgres.js) returns the same way.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "./client.ts";

/** A JS time as a `timestamptz` parameter. */
export const at = (time: Date): SQL => sql`${time.toISOString()}::timestamptz`;

/** A timestamptz as ISO-8601 UTC text, as `Date.prototype.toISOString` spells it. */
export const isoUtc = (t: SQL): SQL =>
  sql`to_char(${t} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A `timestamptz` expression read back as epoch milliseconds (float8). */
export const epochMs = (expression: SQL): SQL =>
  sql`(extract(epoch from ${expression}) * 1000)::float8`;

/** Epoch milliseconds from a row, or null. */
export const toDate = (ms: number | string | null | undefined): Date | null =>
  ms === null || ms === undefined ? null : new Date(Number(ms));

/** True for PostgreSQL's unique_violation, whatever the driver. */
export function isUniqueViolation(error: unknown): boolean {
  for (
    let e: unknown = error;
    e && typeof e === "object";
    e = (e as { cause?: unknown }).cause
  ) {
    if ((e as { code?: unknown }).code === "23505") return true;
  }
  return false;
}

/**
 * One bounded batch of a retention delete: up to `limit` rows of `table`
 * matching `where`, oldest first by `orderBy`, locked `SKIP LOCKED` so
 * instances pruning at once skip each other's rows and no statement holds
 * many locks for long. Answers how many went; callers repeat it until short.
 */
export async function deleteOldestBatch(
  db: Executor,
  args: { table: string; where: SQL; orderBy: SQL; limit: number },
): Promise<number> {
  const table = sql.identifier(args.table);
  const rows = await db.rows(sql`
    delete from ${table}
    where id in (
      select id from ${table}
      where ${args.where}
      order by ${args.orderBy}
      limit ${args.limit}
      for update skip locked)
    returning 1`);
  return rows.length;
}
