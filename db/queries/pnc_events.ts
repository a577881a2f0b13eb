/** Hubject Plug&Charge webhook events (table `pnc_events`). */
import { and, desc, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { type PncEventRow, pncEvents } from "../schema.ts";

export type PncEvent = PncEventRow;

/** An open event: flagged as needing action and not acknowledged (pnc_events_open_idx). */
const OPEN: SQL = and(eq(pncEvents.needsAction, true), isNull(pncEvents.acknowledgedAt))!;

/**
 * Stores an event unless one with its `eventId` exists; true when this call
 * stored it. One statement, `INSERT … ON CONFLICT (event_id) DO NOTHING
 * RETURNING`: copies of a delivery that race (Hubject retries, a proxy
 * repeating a request) all reach the unique index, exactly one inserts, and
 * the others see no row back, with no window between a check and a write.
 */
export async function insertPncEventOnce(
  db: Executor,
  args: {
    eventId: string;
    eventType: string;
    role: string | null;
    message: string | null;
    needsAction: boolean;
    sentAt: string | null;
    payloadJson: string;
    now: Date;
  },
): Promise<boolean> {
  const { now, ...fields } = args;
  const rows = await db.orm.insert(pncEvents)
    .values({ ...fields, receivedAt: now })
    .onConflictDoNothing({ target: pncEvents.eventId })
    .returning({ id: pncEvents.id });
  return rows.length === 1;
}

/**
 * Events newest first, at most `limit`: all of them, or only the open ones.
 * `openFirst` puts the open ones before the rest (the admin page's order).
 */
export function listPncEvents(
  db: Executor,
  args: { onlyOpen: boolean; openFirst?: boolean; limit: number },
): Promise<PncEvent[]> {
  const order = [desc(pncEvents.receivedAt), desc(pncEvents.id)];
  if (args.openFirst) order.unshift(sql`(${OPEN}) desc`);
  return db.orm.select().from(pncEvents)
    .where(args.onlyOpen ? OPEN : undefined)
    .orderBy(...order)
    .limit(args.limit);
}

/** How many events are open: counted on the partial index, cheap enough for every admin page. */
export async function countOpenPncEvents(db: Executor): Promise<number> {
  const [row] = await db.orm.select({ n: sql<number>`count(*)::int` }).from(pncEvents)
    .where(OPEN);
  return Number(row.n);
}

/**
 * Marks event `id` acknowledged at `now`, keeping an earlier acknowledgement
 * (coalesce in one statement: two admins clicking at once both get the first
 * time back). Null when no event has that id.
 */
export async function acknowledgePncEvent(
  db: Executor,
  args: { id: number; now: Date },
): Promise<PncEvent | null> {
  const [row] = await db.orm.update(pncEvents)
    .set({
      acknowledgedAt:
        sql`coalesce(${pncEvents.acknowledgedAt}, ${args.now.toISOString()}::timestamptz)`,
    })
    .where(eq(pncEvents.id, args.id))
    .returning();
  return row ?? null;
}
