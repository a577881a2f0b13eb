/** Scan-pair rows: arming, the pre-authorize steal-or-match, status, cancel, login. */
import { sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { at, epochMs, toDate } from "../sql.ts";

export type StoredPairStatus =
  | "armed"
  | "matched"
  | "expired"
  | "cancelled"
  | "consumed";

export interface ScanPair {
  id: string;
  chargeBoxId: string;
  browserHash: string;
  status: StoredPairStatus;
  idTag: string | null;
  expiresAt: Date;
}

interface PairRow {
  id: string;
  charge_box_id: string;
  browser_hash: string;
  status: StoredPairStatus;
  id_tag: string | null;
  expires_ms: number;
}

const PAIR_COLUMNS = sql`id, charge_box_id, browser_hash, status, id_tag, ${
  epochMs(sql`expires_at`)
} as expires_ms`;

const toPair = (r: PairRow): ScanPair => ({
  id: r.id,
  chargeBoxId: r.charge_box_id,
  browserHash: r.browser_hash,
  status: r.status,
  idTag: r.id_tag,
  expiresAt: toDate(r.expires_ms)!,
});

/** Marks this charger's armed/matched pairs whose time ran out as expired, freeing the charger. */
export async function expireStalePairs(
  db: Executor,
  args: { chargeBoxId: string; now: Date },
): Promise<void> {
  await db.rows(sql`
    update scan_pairs set status = 'expired', finished_at = ${at(args.now)}
    where charge_box_id = ${args.chargeBoxId} and status in ('armed', 'matched')
      and expires_at <= ${at(args.now)}`);
}

/**
 * Inserts an armed pair unless the charger already has an active one; the
 * partial unique index makes two concurrent arms race safely (one wins).
 */
export async function insertArmedPair(
  db: Executor,
  args: { chargeBoxId: string; browserHash: string; expiresAt: Date; now: Date },
): Promise<ScanPair | null> {
  const rows = await db.rows<PairRow>(sql`
    insert into scan_pairs (charge_box_id, browser_hash, status, expires_at, created_at)
    values (${args.chargeBoxId}, ${args.browserHash}, 'armed', ${at(args.expiresAt)},
      ${at(args.now)})
    on conflict (charge_box_id) where status in ('armed', 'matched') do nothing
    returning ${PAIR_COLUMNS}`);
  return rows[0] ? toPair(rows[0]) : null;
}

export async function getActivePairForCharger(
  db: Executor,
  chargeBoxId: string,
): Promise<ScanPair | null> {
  const rows = await db.rows<PairRow>(sql`
    select ${PAIR_COLUMNS} from scan_pairs
    where charge_box_id = ${chargeBoxId} and status in ('armed', 'matched')`);
  return rows[0] ? toPair(rows[0]) : null;
}

/** A pair, only when `browserHash` armed it (others must not learn it exists). */
export async function getPairForBrowser(
  db: Executor,
  args: { pairId: string; browserHash: string },
): Promise<ScanPair | null> {
  const rows = await db.rows<PairRow>(sql`
    select ${PAIR_COLUMNS} from scan_pairs
    where id = ${args.pairId}::uuid and browser_hash = ${args.browserHash}`);
  return rows[0] ? toPair(rows[0]) : null;
}

export type StealOrMatch =
  /** An armed pair was stolen by this tag now: publish once, answer BLOCKED. */
  | { outcome: "stolen"; pairId: string }
  /** Already matched to this same tag (StartTransaction, or a retry): BLOCKED, no publish. */
  | { outcome: "rematched"; pairId: string }
  /** No pair to block for: matched to another tag, consumed, expired, cancelled, or none. */
  | { outcome: "none" };

/**
 * The pre-authorize decision in one statement.
 *
 * Race it closes: `FOR UPDATE` makes concurrent taps on one armed pair queue
 * on its row lock; after the winner commits, READ COMMITTED re-checks the
 * newest row version for each waiter. Waiters with the winning tag still
 * match (`matched` with their tag) and answer BLOCKED; the others no longer
 * match and answer null at once, without taking the lock. So exactly one tag
 * steals the pair, no call with the winning tag slips through as null
 * because another request held the row, and losers do not queue behind each
 * other. The lookup only touches the partial unique index of active pairs,
 * so finished rows do not slow it down.
 */
export async function stealOrMatchPair(
  db: Executor,
  args: {
    chargeBoxId: string;
    idTag: string;
    now: Date;
    loginWindowSeconds: number;
  },
): Promise<StealOrMatch> {
  const loginDeadline = new Date(
    args.now.getTime() + args.loginWindowSeconds * 1000,
  );
  const rows = await db.rows<
    { id: string; status: string; id_tag: string | null; stolen: boolean }
  >(
    sql`
    with target as (
      select id, status, id_tag from scan_pairs
      where charge_box_id = ${args.chargeBoxId} and status in ('armed', 'matched')
        and expires_at > ${at(args.now)}
        and (status = 'armed' or id_tag = ${args.idTag})
      for update
    ), stolen as (
      update scan_pairs p
      set status = 'matched', id_tag = ${args.idTag}, matched_at = ${at(args.now)},
          expires_at = ${at(loginDeadline)}
      from target t
      where p.id = t.id and t.status = 'armed'
      returning p.id
    )
    select t.id, t.status, t.id_tag, exists (select 1 from stolen) as stolen from target t`,
  );
  const row = rows[0];
  if (!row) return { outcome: "none" };
  if (row.stolen) return { outcome: "stolen", pairId: row.id };
  if (row.status === "matched" && row.id_tag === args.idTag) {
    return { outcome: "rematched", pairId: row.id };
  }
  return { outcome: "none" };
}

/** Cancels an active pair of this browser; returns whether one was cancelled. */
export async function cancelPair(
  db: Executor,
  args: { pairId: string; browserHash: string; now: Date },
): Promise<boolean> {
  const rows = await db.rows(sql`
    update scan_pairs set status = 'cancelled', finished_at = ${at(args.now)}
    where id = ${args.pairId}::uuid and browser_hash = ${args.browserHash}
      and status in ('armed', 'matched') and expires_at > ${at(args.now)}
    returning id`);
  return rows.length > 0;
}

/**
 * Ends a matched pair for a login attempt: `consumed` when its tag belongs to
 * a customer (returned), else `cancelled` so the customer can arm again.
 * Returns null when the pair is not matched (or not this browser's).
 */
export async function finishMatchedPair(
  db: Executor,
  args: { pairId: string; browserHash: string; now: Date },
): Promise<{ customer: { id: string; name: string } | null } | null> {
  const rows = await db.rows<
    { customer_id: string | null; customer_name: string | null }
  >(sql`
    with pair as (
      select p.id, c.id as customer_id, c.name as customer_name
      from scan_pairs p
      left join tags t on t.id_tag = p.id_tag
      left join customers c on c.id = t.customer_id
      where p.id = ${args.pairId}::uuid and p.browser_hash = ${args.browserHash}
        and p.status = 'matched' and p.expires_at > ${at(args.now)}
      for update of p
    ), done as (
      update scan_pairs s
      set status = case when pair.customer_id is null then 'cancelled' else 'consumed' end,
          finished_at = ${at(args.now)}
      from pair where s.id = pair.id
      returning s.id
    )
    select customer_id, customer_name from pair where exists (select 1 from done)`);
  const row = rows[0];
  if (!row) return null;
  return {
    customer: row.customer_id ? { id: row.customer_id, name: row.customer_name ?? "" } : null,
  };
}

/** Deletes finished pairs older than `before`: they only cost disk. */
export async function pruneFinishedPairs(
  db: Executor,
  before: Date,
): Promise<number> {
  const rows = await db.rows(sql`
    delete from scan_pairs
    where created_at < ${at(before)}
      and (status not in ('armed', 'matched') or expires_at < ${at(before)})
    returning 1`);
  return rows.length;
}

/** Active (armed or matched, unexpired) pairs by charger, for the admin's charger list. */
export async function listActivePairs(
  db: Executor,
  now: Date,
): Promise<Map<string, { status: StoredPairStatus; expiresAt: Date }>> {
  const rows = await db.rows<
    { charge_box_id: string; status: StoredPairStatus; expires_ms: number }
  >(
    sql`select charge_box_id, status, ${epochMs(sql`expires_at`)} as expires_ms from scan_pairs
        where status in ('armed', 'matched') and expires_at > ${at(now)}`,
  );
  return new Map(
    rows.map((
      r,
    ) => [r.charge_box_id, {
      status: r.status,
      expiresAt: toDate(r.expires_ms)!,
    }]),
  );
}
