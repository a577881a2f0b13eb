/**
 * Sign-in links (`sign_in_links`): the per-address and per-client limits, the
 * one statement that records a request (and queues its mail when the address
 * has an account), the single use of a link, and pruning. lib/sign_in.ts holds
 * the rules; these are its statements.
 */
import { sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { at, epochMs, toDate } from "../sql.ts";

/**
 * Serializes sign-in requests for one address and for one client until the
 * transaction ends, so count-then-insert cannot overshoot a limit when
 * requests race (on one instance or several). Always the address first, then
 * the client: no two requests wait on each other in opposite order.
 */
export async function lockSignInKeys(
  tx: Executor,
  args: { addressHash: string; clientHash: string },
): Promise<void> {
  await tx.rows(sql`
    select 1 from (
      select pg_advisory_xact_lock(hashtextextended(${"sign-in:address:" + args.addressHash}, 0)),
        pg_advisory_xact_lock(hashtextextended(${"sign-in:client:" + args.clientHash}, 0))
    ) locked`);
}

/** Requests in the window for one key: how many, and when the oldest was made. */
export interface WindowCount {
  count: number;
  oldest: Date | null;
}

/** Requests since `since` for this address and for this client (run after {@link lockSignInKeys}). */
export async function countSignInRequests(
  tx: Executor,
  args: { addressHash: string; clientHash: string; since: Date },
): Promise<{ address: WindowCount; client: WindowCount }> {
  const [row] = await tx.rows<Record<string, number | string | null>>(sql`
    select a.n as address_n, ${epochMs(sql`a.oldest`)} as address_oldest,
      c.n as client_n, ${epochMs(sql`c.oldest`)} as client_oldest
    from (select count(*)::int as n, min(requested_at) as oldest from sign_in_links
          where address_hash = ${args.addressHash} and requested_at > ${at(args.since)}) a,
         (select count(*)::int as n, min(requested_at) as oldest from sign_in_links
          where client_hash = ${args.clientHash} and requested_at > ${at(args.since)}) c`);
  return {
    address: { count: Number(row.address_n), oldest: toDate(row.address_oldest) },
    client: { count: Number(row.client_n), oldest: toDate(row.client_oldest) },
  };
}

/**
 * Records a request and, only when `normalizedAddress` belongs to a customer,
 * queues the mail (id `sign-in-<row id>`, to the customer's address as
 * stored, trimmed): one statement whatever the answer, so a request for an
 * unknown address makes the same round trips and plans as one for a known
 * address; only whether the mail row is inserted differs. Several customers
 * with one address: the oldest account. Returns the row id and whether a mail
 * was queued.
 */
export async function insertSignInLink(
  tx: Executor,
  args: {
    normalizedAddress: string;
    addressHash: string;
    clientHash: string;
    tokenHash: string;
    now: Date;
    expiresAt: Date;
    mail: { subject: string; text: string; html: string };
  },
): Promise<{ id: number; mailed: boolean }> {
  const [row] = await tx.rows<{ id: number | string; mailed: number }>(sql`
    with customer as (
      select id, btrim(email) as email from customers
      where lower(btrim(email)) = ${args.normalizedAddress}
      order by created_at, id
      limit 1
    ), link as (
      insert into sign_in_links (address_hash, client_hash, token_hash, customer_id,
        requested_at, expires_at)
      values (${args.addressHash}, ${args.clientHash}, ${args.tokenHash},
        (select id from customer), ${at(args.now)}, ${at(args.expiresAt)})
      returning id, customer_id
    ), mail as (
      insert into email_messages (id, purpose, to_address, subject, text, html, status,
        attempts, next_attempt_at, created_at)
      select 'sign-in-' || link.id, 'sign_in', customer.email, ${args.mail.subject},
        ${args.mail.text}, ${args.mail.html}, 'pending', 0, ${at(args.now)}, ${at(args.now)}
      from link join customer on customer.id = link.customer_id
      on conflict (id) do nothing
      returning 1
    )
    select link.id, (select count(*) from mail)::int as mailed from link`);
  return { id: Number(row.id), mailed: Number(row.mailed) === 1 };
}

/** True when this token's link can still log someone in (read only: opening a link uses nothing up). */
export async function isSignInLinkUsable(
  db: Executor,
  args: { tokenHash: string; now: Date },
): Promise<boolean> {
  const rows = await db.rows(sql`
    select 1 from sign_in_links
    where token_hash = ${args.tokenHash} and used_at is null and customer_id is not null
      and expires_at > ${at(args.now)}`);
  return rows.length === 1;
}

/**
 * Uses the link up: one conditional update, so of two presses (two tabs, two
 * instances) exactly one gets the customer and the other finds it used.
 * Null for an unknown, used, expired or account-less link.
 */
export async function useSignInLink(
  tx: Executor,
  args: { tokenHash: string; now: Date },
): Promise<{ customerId: string; addressHash: string } | null> {
  const [row] = await tx.rows<{ customer_id: string; address_hash: string }>(sql`
    update sign_in_links set used_at = ${at(args.now)}
    where token_hash = ${args.tokenHash} and used_at is null and customer_id is not null
      and expires_at > ${at(args.now)}
    returning customer_id, address_hash`);
  return row ? { customerId: row.customer_id, addressHash: row.address_hash } : null;
}

/** Deletes links requested before `before` that have expired by `now`; returns how many. */
export async function pruneSignInLinks(
  db: Executor,
  args: { before: Date; now: Date },
): Promise<number> {
  const rows = await db.rows(sql`
    delete from sign_in_links
    where requested_at < ${at(args.before)} and expires_at <= ${at(args.now)}
    returning 1`);
  return rows.length;
}
