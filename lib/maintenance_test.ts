import assert from "node:assert/strict";
import { type SQL, sql } from "drizzle-orm";
import { openDatabase } from "../db/client.ts";
import { insertLoginFailure } from "../db/queries/admins.ts";
import { pruneSettledDeliveries } from "../db/queries/partner_deliveries.ts";
import { insertPartner } from "../db/queries/partners.ts";
import { forEachDatabase } from "../tests/_support/db.ts";
import { ManualClock } from "./clock.ts";
import { DELIVERY_PRUNE_BATCH, pruneOnce } from "./maintenance.ts";

/** The retention settings' defaults (lib/retention.ts has its own tests). */
const HISTORY = { retentionDays: 90, reconcileLookbackHours: 48 };

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
  await pruneOnce({ db, clock, config: { partnerDeliveriesRetentionDays: 30, ...HISTORY } });
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
  await pruneOnce({
    db,
    clock: new ManualClock(now),
    config: { partnerDeliveriesRetentionDays: 30, ...HISTORY },
  });
  for (const table of ["admin_sessions", "customer_sessions"]) {
    const left = await db.rows<{ token_hash: string }>(
      sql.raw(`select token_hash from ${table} order by 1`),
    );
    assert.deepEqual(left.map((r) => r.token_hash), ["live-1d", "live-1ms"], table);
  }
});

forEachDatabase(
  "maintenance - prunes settled partner deliveries past retention, in batches; pending never",
  async (
    _t,
    db,
  ) => {
    const now = Date.parse("2026-11-23T12:00:00Z");
    const day = 24 * 3600 * 1000;
    const iso = (daysAgo: number) => new Date(now - daysAgo * day).toISOString();
    const partner = async (name: string) =>
      (await insertPartner(db, {
        id: crypto.randomUUID(),
        name,
        signatureScheme: "sha256",
        signatureHeader: "X-ExpresSync-Signature",
        secret: "s".repeat(64),
        url: "https://fleet.example/hook",
        events: ["scan.login"],
        now: new Date(now - 90 * day),
      })).id;
    const [a, b] = [await partner("A"), await partner("B")];
    /** A delivery: created, last due and delivered that many days ago. */
    const delivery = (
      partnerId: string,
      label: string,
      status: "pending" | "delivered" | "failed",
      created: number,
      due: number,
      delivered: number | null = null,
      count = 1,
    ) =>
      db.rows(sql`
      insert into partner_deliveries (partner_id, event_id, type, body, status, attempts,
        next_attempt_at, created_at, delivered_at, last_error)
      select ${partnerId}::uuid, gen_random_uuid(), 'scan.login', '{}', ${status}, 1,
        ${iso(due)}::timestamptz, ${iso(created)}::timestamptz,
        ${delivered === null ? null : iso(delivered)}::timestamptz, ${label}
      from generate_series(1, ${count}::int)`);
    await delivery(a, "delivered-35d", "delivered", 40, 40, 35);
    await delivery(a, "delivered-10d-after-waiting", "delivered", 40, 40, 10);
    await delivery(a, "delivered-5d", "delivered", 5, 5, 5);
    await delivery(a, "failed-39d", "failed", 40, 39);
    await delivery(a, "failed-retried-2d-ago", "failed", 40, 2);
    await delivery(a, "pending-60d", "pending", 60, 60);
    await delivery(a, "pending-due-soon", "pending", 50, -1);
    await delivery(b, "b-delivered-31d", "delivered", 31, 31, 31);
    await delivery(b, "b-delivered-29d", "delivered", 29, 29, 29);
    await delivery(b, "b-bulk", "delivered", 45, 45, 45, 2_500);
    const left = async () =>
      (await db.rows<{ last_error: string }>(sql`
      select last_error from partner_deliveries group by last_error order by 1`))
        .map((r) => r.last_error);

    // One statement deletes at most its limit.
    assert.equal(
      await pruneSettledDeliveries(db, {
        partnerId: b,
        before: new Date(now - 30 * day),
        limit: 7,
      }),
      7,
    );

    // How many rows each statement answered: the deletes return one per row deleted.
    const answered: number[] = [];
    const counted = {
      ...db,
      rows: async <T>(q: SQL) => {
        const rows = await db.rows<T>(q);
        answered.push(rows.length);
        return rows;
      },
    };
    const config = { partnerDeliveriesRetentionDays: 30, ...HISTORY };
    await pruneOnce({ db: counted, clock: new ManualClock(now), config });
    assert.deepEqual(await left(), [
      "b-delivered-29d",
      "delivered-10d-after-waiting",
      "delivered-5d",
      "failed-retried-2d-ago",
      "pending-60d",
      "pending-due-soon",
    ]);
    assert.ok(
      Math.max(...answered) === DELIVERY_PRUNE_BATCH &&
        answered.filter((n) => n === DELIVERY_PRUNE_BATCH).length === 2,
      `statements answered ${answered}: the 2,500 went in batches of ${DELIVERY_PRUNE_BATCH}`,
    );

    await pruneOnce({
      db,
      clock: new ManualClock(now),
      config: { partnerDeliveriesRetentionDays: 7, ...HISTORY },
    });
    assert.deepEqual(await left(), [
      "delivered-5d",
      "failed-retried-2d-ago",
      "pending-60d",
      "pending-due-soon",
    ]);
  },
);

forEachDatabase("maintenance - shared state of several instances", async (t, db) => {
  await t.step(
    "old counters, lapsed leases, old claims and bus payloads go; current ones stay",
    async () => {
      const now = Date.parse("2026-11-23T12:00:00Z");
      const iso = (offsetMs: number) => new Date(now + offsetMs).toISOString();
      const day = 24 * 3600_000;
      await db.rows(sql`
      insert into rate_limit_counters (key, window_start, hits) values
        ('old', ${iso(-2 * 3600_000)}, 3), ('current', ${iso(-60_000)}, 1)`);
      await db.rows(sql`
      insert into stream_leases (id, login_key, instance_id, expires_at) values
        ('lapsed', 'bearer', 'gone', ${iso(-1_000)}), ('held', 'bearer', 'here', ${iso(30_000)})`);
      await db.rows(sql`
      insert into scheduled_runs (job, slot, instance_id, claimed_at) values
        ('j', 'old', 'a', ${iso(-8 * day)}), ('j', 'recent', 'a', ${iso(-day)})`);
      await db.rows(sql`
      insert into bus_payloads (topic, payload, created_at) values
        ('t', '{}', ${iso(-2 * 3600_000)}), ('t', '{"kept":true}', ${iso(-60_000)})`);
      await pruneOnce({
        db,
        clock: new ManualClock(now),
        config: { partnerDeliveriesRetentionDays: 30, ...HISTORY },
      });
      const left = async (query: SQL) => (await db.rows<{ v: string }>(query)).map((r) => r.v);
      assert.deepEqual(await left(sql`select key as v from rate_limit_counters`), ["current"]);
      assert.deepEqual(await left(sql`select id as v from stream_leases`), ["held"]);
      assert.deepEqual(await left(sql`select slot as v from scheduled_runs`), ["recent"]);
      assert.deepEqual(await left(sql`select payload as v from bus_payloads`), ['{"kept":true}']);
    },
  );
});
