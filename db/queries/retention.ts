/**
 * History past its retention (lib/retention.ts), deleted a bounded batch per
 * statement: each statement locks at most `limit` rows, briefly, and `SKIP
 * LOCKED` lets instances prune side by side. The caller repeats a statement
 * until it deletes fewer than `limit`. Each returns how many rows went.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { at, deleteOldestBatch } from "../sql.ts";

/**
 * Rows of transaction `pk` may go: its session is not open, and it neither
 * started nor ended at or after `keepFrom` (the reconciliation sweep may still
 * compare it with SteVe: what was queued for it must stay queued). A
 * transaction without a session has nothing that needs its rows.
 */
const sessionSettledBefore = (pk: SQL, keepFrom: Date) =>
  sql`not exists (
    select 1 from live_sessions l where l.transaction_pk = ${pk}
      and (l.ended_at is null or l.started_at >= ${at(keepFrom)}
        or l.ended_at >= ${at(keepFrom)}))`;

/**
 * Delivered usage events delivered before `before`, of settled sessions (see
 * above), oldest first through `usage_events_delivered_idx`. Never pending,
 * unbillable, held or dead ones: those are still owed to Lago or an admin.
 */
export async function deleteDeliveredUsageEvents(
  db: Executor,
  args: { before: Date; keepFrom: Date; limit: number },
): Promise<number> {
  const rows = await db.rows(sql`
    delete from usage_events
    where id in (
      select e.id from usage_events e
      where e.status = 'delivered' and e.delivered_at < ${at(args.before)}
        and ${sessionSettledBefore(sql`e.transaction_pk`, args.keepFrom)}
      order by e.delivered_at
      limit ${args.limit}
      for update skip locked)
      and status = 'delivered'
    returning 1`);
  return rows.length;
}

/**
 * Meter samples received before `before`, of settled sessions only: an open
 * session's samples (its power history, its next reading) are never deleted.
 * Rows are found through the BRIN index on `received_at` and deleted by
 * `ctid` (samples are never updated, so a row keeps its `ctid`).
 */
export async function deleteOldMeterSamples(
  db: Executor,
  args: { before: Date; keepFrom: Date; limit: number },
): Promise<number> {
  const rows = await db.rows(sql`
    delete from meter_samples
    where ctid = any(array(
      select m.ctid from meter_samples m
      where m.received_at < ${at(args.before)}
        and ${sessionSettledBefore(sql`m.transaction_pk`, args.keepFrom)}
      limit ${args.limit}
      for update skip locked))
    returning 1`);
  return rows.length;
}

/**
 * Plug&Charge events received before `before`, oldest first, except open ones
 * (flagged as needing action and not yet acknowledged): those wait for an admin.
 */
export const deleteOldPncEvents = (db: Executor, args: { before: Date; limit: number }) =>
  deleteOldestBatch(db, {
    table: "pnc_events",
    where: sql`received_at < ${at(args.before)} and not (needs_action and acknowledged_at is null)`,
    orderBy: sql`received_at`,
    limit: args.limit,
  });

/** A partner's inbound events received before `before`, oldest first through its index. */
export const deleteOldPartnerEvents = (
  db: Executor,
  args: { partnerId: string; before: Date; limit: number },
) =>
  deleteOldestBatch(db, {
    table: "partner_events",
    where: sql`partner_id = ${args.partnerId}::uuid and received_at < ${at(args.before)}`,
    orderBy: sql`received_at`,
    limit: args.limit,
  });

/**
 * Mail settled (sent or failed) and created before `before`, oldest first;
 * pending mail is never deleted. Ids stay unique while a cause can repeat:
 * receipts and alerts are queued by the one write that ends or raises, never
 * again months later.
 */
export const deleteOldEmailMessages = (db: Executor, args: { before: Date; limit: number }) =>
  deleteOldestBatch(db, {
    table: "email_messages",
    where: sql`created_at < ${at(args.before)} and status in ('sent', 'failed')`,
    orderBy: sql`created_at`,
    limit: args.limit,
  });
