import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openDatabase } from "../db/client.ts";
import { insertLoginFailure } from "../db/queries/admins.ts";
import { ManualClock } from "./clock.ts";
import { pruneOnce } from "./maintenance.ts";

Deno.test("maintenance - prunes finished pairs, stale pending starts and old failed logins only", async () => {
  await using db = await (async () => {
    const d = await openDatabase({});
    return Object.assign(d, { [Symbol.asyncDispose]: () => d.close() });
  })();
  const now = Date.parse("2026-11-23T12:00:00Z");
  const clock = new ManualClock(now);
  const day = 24 * 3600 * 1000;
  await db.rows(sql`
    insert into scan_pairs (charge_box_id, browser_hash, status, created_at, expires_at) values
      ('A', 'h', 'consumed', ${new Date(now - 2 * day).toISOString()}, ${
    new Date(now - 2 * day).toISOString()
  }),
      ('B', 'h', 'expired', ${new Date(now - 3600_000).toISOString()}, ${
    new Date(now - 3600_000).toISOString()
  }),
      ('C', 'h', 'armed', ${new Date(now - 60_000).toISOString()}, ${
    new Date(now + 60_000).toISOString()
  })`);
  await db.rows(sql`
    insert into pending_starts (charge_box_id, connector_id, id_tag, recorded_at) values
      ('A', 1, 'T', ${new Date(now - 2 * 3600_000).toISOString()}),
      ('A', 1, 'T', ${new Date(now - 60_000).toISOString()})`);
  await insertLoginFailure(db, { email: "a@b.c", failedAt: new Date(now - 20 * 60_000) });
  await insertLoginFailure(db, { email: "a@b.c", failedAt: new Date(now - 60_000) });
  await pruneOnce({ db, clock });
  const count = async (table: string) =>
    (await db.rows<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`)))[0].n;
  assert.deepEqual(
    (await db.rows<{ charge_box_id: string }>(sql`select charge_box_id from scan_pairs order by 1`))
      .map((r) => r.charge_box_id),
    ["B", "C"],
  );
  assert.equal(await count("pending_starts"), 1);
  assert.equal(await count("login_failures"), 1);
});

Deno.test("maintenance - expired admin and customer sessions go, live ones stay", async () => {
  await using db = await (async () => {
    const d = await openDatabase({});
    return Object.assign(d, { [Symbol.asyncDispose]: () => d.close() });
  })();
  const now = Date.parse("2026-11-23T12:00:00Z");
  const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();
  const [admin] = await db.rows<{ id: number }>(sql`
    insert into admin_users (email, password_hash, created_at)
    values ('ops@example.com', 'x', ${iso(-86_400_000)}) returning id`);
  await db.rows(sql`
    insert into customers (id, name, created_at, updated_at)
    values ('c1', 'Ann', ${iso(-86_400_000)}, ${iso(-86_400_000)})`);
  // Expired an hour ago, a millisecond ago; expiring in a millisecond, in a day.
  const offsets = {
    "expired-1h": -3_600_000,
    "expired-1ms": -1,
    "live-1ms": 1,
    "live-1d": 86_400_000,
  };
  for (const [hash, offset] of Object.entries(offsets)) {
    await db.rows(sql`
      insert into admin_sessions (token_hash, admin_id, created_at, expires_at)
      values (${hash}, ${admin.id}, ${iso(-7_200_000)}, ${iso(offset)})`);
    await db.rows(sql`
      insert into customer_sessions (token_hash, customer_id, created_at, expires_at)
      values (${hash}, 'c1', ${iso(-7_200_000)}, ${iso(offset)})`);
  }
  await pruneOnce({ db, clock: new ManualClock(now) });
  for (const table of ["admin_sessions", "customer_sessions"]) {
    const left = await db.rows<{ token_hash: string }>(
      sql.raw(`select token_hash from ${table} order by 1`),
    );
    assert.deepEqual(left.map((r) => r.token_hash), ["live-1d", "live-1ms"], table);
  }
});
