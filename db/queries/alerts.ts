/**
 * Operator alert state (`alerts`): one row per cause. Raising and clearing
 * are single conditional statements, so of several instances evaluating the
 * same cause at once exactly one sees the transition (and mails it).
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { at, epochMs, toDate } from "../sql.ts";

export interface AlertRow {
  cause: string;
  active: boolean;
  raisedAt: Date;
  lastMailedAt: Date | null;
  clearedAt: Date | null;
  /** JSON, as raised. */
  detail: string;
}

type Row = Record<string, string | number | boolean | null>;

const toAlert = (r: Row): AlertRow => ({
  cause: String(r.cause),
  active: r.active === true || r.active === "t",
  raisedAt: toDate(r.raised_ms as number)!,
  lastMailedAt: toDate(r.mailed_ms as number | null),
  clearedAt: toDate(r.cleared_ms as number | null),
  detail: String(r.detail),
});

const COLUMNS = sql`cause, active, ${epochMs(sql`raised_at`)} as raised_ms,
  ${epochMs(sql`last_mailed_at`)} as mailed_ms, ${epochMs(sql`cleared_at`)} as cleared_ms, detail`;

/** Every cause ever raised, active first, newest first. */
export async function listAlerts(db: Executor): Promise<AlertRow[]> {
  const rows = await db.rows<Row>(sql`
    select ${COLUMNS} from alerts order by active desc, raised_at desc, cause`);
  return rows.map(toAlert);
}

/** The causes that hold now (a handful at most). */
export async function activeAlertCauses(db: Executor): Promise<string[]> {
  const rows = await db.rows<{ cause: string }>(sql`
    select cause from alerts where active order by cause`);
  return rows.map((r) => String(r.cause));
}

/**
 * Raises `cause` at `now` unless it is active already (then: null, nothing
 * changes). The episode is mailed (`mailed: true`, `last_mailed_at = now`)
 * when `mailing` and no raise mail went out after `quietBefore` (one mail per
 * cause per hour); otherwise it is tracked without a mail.
 */
export async function raiseAlert(
  db: Executor,
  args: { cause: string; now: Date; detail: string; mailing: boolean; quietBefore: Date },
): Promise<{ raisedAt: Date; mailed: boolean } | null> {
  const now = at(args.now);
  const rows = await db.rows<Row>(sql`
    insert into alerts as a (cause, active, raised_at, last_mailed_at, cleared_at, detail)
    values (${args.cause}, true, ${now}, ${args.mailing ? now : null}::timestamptz, null,
      ${args.detail})
    on conflict (cause) do update set
      active = true, raised_at = excluded.raised_at, cleared_at = null, detail = excluded.detail,
      last_mailed_at = case
        when ${args.mailing}::boolean
          and (a.last_mailed_at is null or a.last_mailed_at <= ${at(args.quietBefore)})
        then excluded.raised_at else a.last_mailed_at end
    where not a.active
    returning ${epochMs(sql`raised_at`)} as raised_ms,
      coalesce(last_mailed_at = raised_at, false) as mailed`);
  if (!rows.length) return null;
  const r = rows[0];
  return {
    raisedAt: toDate(r.raised_ms as number)!,
    mailed: r.mailed === true || r.mailed === "t",
  };
}

/**
 * Clears `cause` at `now` if it is active (else null). `mailed`: this
 * episode's raise was mailed, so its recovery is mailed too.
 */
export async function clearAlert(
  db: Executor,
  args: { cause: string; now: Date },
): Promise<{ raisedAt: Date; mailed: boolean; detail: string } | null> {
  const rows = await db.rows<Row>(sql`
    update alerts set active = false, cleared_at = ${at(args.now)}
    where cause = ${args.cause} and active
    returning ${epochMs(sql`raised_at`)} as raised_ms,
      coalesce(last_mailed_at = raised_at, false) as mailed, detail`);
  if (!rows.length) return null;
  const r = rows[0];
  return {
    raisedAt: toDate(r.raised_ms as number)!,
    mailed: r.mailed === true || r.mailed === "t",
    detail: String(r.detail),
  };
}
