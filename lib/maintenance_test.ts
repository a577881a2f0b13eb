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
