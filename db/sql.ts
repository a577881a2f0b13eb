/**
 * Small SQL helpers shared by the query modules. Raw statements pass times as
 * ISO strings and read them back as epoch milliseconds, which every driver
 * (PGlite, node-postgres, postgres.js) returns the same way.
 */
import { type SQL, sql } from "drizzle-orm";

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
