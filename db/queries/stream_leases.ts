/** Open SSE streams of all instances, per login (lib/live_streams.ts). */
import { eq, inArray, lt, sql } from "drizzle-orm";
import type { Database, Executor } from "../client.ts";
import { streamLeases } from "../schema.ts";

/** Advisory-lock class of the per-login stream count (the object id is the login's hash). */
const STREAM_LOCK_CLASS = 727_401_003;

/**
 * Takes a lease for `loginKey` unless it already holds `limit` unexpired
 * ones. Answers whether it was taken. Count-then-insert would let two
 * instances both take the last slot; a transaction-scoped advisory lock on
 * the login serializes them, so the count each sees is final.
 */
export async function acquireStreamLease(
  db: Database,
  args: {
    id: string;
    loginKey: string;
    instanceId: string;
    limit: number;
    now: Date;
    expiresAt: Date;
  },
): Promise<boolean> {
  return await db.transaction(async (tx) => {
    await tx.rows(
      sql`select pg_advisory_xact_lock(${STREAM_LOCK_CLASS}, hashtext(${args.loginKey}))`,
    );
    const rows = await tx.rows<{ id: string }>(sql`
      insert into stream_leases (id, login_key, instance_id, expires_at)
      select ${args.id}, ${args.loginKey}, ${args.instanceId}, ${args.expiresAt.toISOString()}
      where (
        select count(*) from stream_leases
        where login_key = ${args.loginKey} and expires_at > ${args.now.toISOString()}
      ) < ${args.limit}
      returning id`);
    return rows.length === 1;
  });
}

export async function releaseStreamLease(db: Executor, id: string): Promise<void> {
  await db.orm.delete(streamLeases).where(eq(streamLeases.id, id));
}

/** Pushes the expiry of these leases (the ones this instance still holds) to `expiresAt`. */
export async function renewStreamLeases(
  db: Executor,
  args: { ids: string[]; expiresAt: Date },
): Promise<void> {
  if (args.ids.length === 0) return;
  await db.orm.update(streamLeases).set({ expiresAt: args.expiresAt })
    .where(inArray(streamLeases.id, args.ids));
}

/** Deletes leases that lapsed before `before` (a crashed instance's); returns how many. */
export async function pruneStreamLeases(db: Executor, before: Date): Promise<number> {
  const rows = await db.orm.delete(streamLeases)
    .where(lt(streamLeases.expiresAt, before))
    .returning({ id: streamLeases.id });
  return rows.length;
}
