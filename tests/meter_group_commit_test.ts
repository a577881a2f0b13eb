/**
 * Group commit of meter-values calls (issue 15 §2): calls arriving while a
 * commit is in flight go together in the next one; a call that fails fails
 * alone and writes nothing; an app killed mid-stream has stored every sample
 * it answered 200 for.
 */
import assert from "node:assert/strict";
import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { MeterCall } from "../db/queries/sessions.ts";
import { ManualClock } from "../lib/clock.ts";
import { logger } from "../lib/logging.ts";
import { meterGroupCommit, roundsOf } from "../lib/meter_group_commit.ts";
import { readMeterSamples } from "../lib/meter_values.ts";
import { appProcess } from "./_support/app_process.ts";
import { forEachDatabase, openTestDatabase, postgresAvailable } from "./_support/db.ts";
import { METER_KEY, signedPost } from "./_support/app.ts";

const T0 = Date.parse("2026-11-29T10:00:00Z");
let nextPk = 50_000;

/** A call of transaction `pk` at minute `minute` with register `wh` (and an optional raw value). */
function call(pk: number, minute: number, wh: string, extra: { ends?: boolean } = {}): MeterCall {
  return readMeterSamples({
    chargeBoxId: `CB-GC-${pk % 7}`,
    transactionPk: pk,
    connectorId: 1,
    timestamp: new Date(T0 + minute * 60_000).toISOString(),
    samples: [{
      value: wh,
      unit: "Wh",
      measurand: "Energy.Active.Import.Register",
      context: extra.ends ? "Transaction.End" : "Sample.Periodic",
    }],
  });
}

/** The database, counting its transactions and its unprepared statements (one per commit). */
function counted(db: Database) {
  const count = { transactions: 0, statements: 0 };
  const wrapped: Database = {
    ...db,
    unprepared: {
      ...db.unprepared,
      rows: <T>(q: SQL) => (count.statements++, db.unprepared.rows<T>(q)),
    },
    transaction: (fn) => (count.transactions++, db.transaction(fn)),
  };
  return { db: wrapped, count };
}

Deno.test("meter group commit - rounds hold at most one call per transaction, in arrival order", () => {
  const items = [1, 2, 1, 3, 1, 2].map((pk, i) => ({ call: call(pk, i, "1"), i }));
  assert.deepEqual(roundsOf(items).map((r) => r.map((x) => x.i)), [[0, 1, 3], [2, 5], [4]]);
});

forEachDatabase(
  "meter group commit - calls arriving during a commit go together in the next",
  async (_t, db) => {
    const { db: countedDb, count } = counted(db);
    const record = meterGroupCommit({
      db: countedDb,
      clock: new ManualClock(T0),
      log: logger("MeterGroupCommitTest"),
    });
    const pks = Array.from({ length: 40 }, () => ++nextPk);
    // The first call goes alone at once; the rest arrive while it commits: one batch, in
    // which 20 transactions have two readings (two rounds, one transaction).
    const first = record(call(pks[0], 0, "1000"));
    const rest = [
      ...pks.slice(1).map((pk) => record(call(pk, 0, "1000"))),
      ...pks.slice(0, 20).map((pk) => record(call(pk, 1, "3500"))),
    ];
    const sessions = await Promise.all([first, ...rest]);
    assert.ok(sessions.every((s) => s !== null));
    // The first alone (one statement), the rest one batch of two rounds (one transaction).
    assert.deepEqual(count, { statements: 1, transactions: 1 }, "alone, then one batch");
    const energy = await db.rows<{ pk: string; mwh: string }>(sql`
      select transaction_pk as pk, energy_mwh as mwh from live_sessions
      where transaction_pk between ${pks[0]} and ${pks.at(-1)!} order by transaction_pk`);
    assert.equal(energy.length, 40);
    for (const [i, row] of energy.entries()) {
      assert.equal(Number(row.mwh), i < 20 ? 2_500_000 : 0, `transaction ${row.pk}`);
    }
    const [{ n }] = await db.rows<{ n: number }>(sql`
      select count(*)::int as n from meter_samples
      where transaction_pk between ${pks[0]} and ${pks.at(-1)!}`);
    assert.equal(Number(n), 60);

    // A repeated call changes nothing and answers null, in a batch as alone.
    const again = await Promise.all([
      record(call(pks[0], 1, "3500")),
      record(call(pks[1], 0, "1000")),
    ]);
    assert.deepEqual(again, [null, null]);
  },
);

forEachDatabase(
  "meter group commit - a call that fails fails alone, and writes nothing",
  async (_t, db) => {
    const record = meterGroupCommit({
      db,
      clock: new ManualClock(T0),
      log: logger("MeterGroupCommitTest"),
    });
    const good = Array.from({ length: 6 }, () => ++nextPk);
    const bad = ++nextPk;
    const first = record(call(good[0], 0, "100"));
    // PostgreSQL text cannot hold NUL: the schema lets the value through, the statement fails.
    const poisoned = record(call(bad, 0, "12\u0000"));
    const others = good.slice(1).map((pk) => record(call(pk, 0, "100", { ends: true })));
    const results = await Promise.allSettled([first, poisoned, ...others]);
    assert.deepEqual(results.map((r) => r.status), [
      "fulfilled",
      "rejected",
      ...others.map(() => "fulfilled"),
    ]);
    const [{ samples, sessions }] = await db.rows<{ samples: number; sessions: number }>(sql`
      select (select count(*)::int from meter_samples where transaction_pk = ${bad}) as samples,
        (select count(*)::int from live_sessions where transaction_pk = ${bad}) as sessions`);
    assert.deepEqual([Number(samples), Number(sessions)], [0, 0]);
    const [{ ended }] = await db.rows<{ ended: number }>(sql`
      select count(*)::int as ended from live_sessions
      where transaction_pk between ${good[1]} and ${good.at(-1)!} and ended_at is not null`);
    assert.equal(Number(ended), 5, "the batch-mates were committed");
  },
);

Deno.test({
  name: "[postgres] meter group commit - killed mid-stream, every answered sample is stored",
  ignore: !postgresAvailable,
  async fn() {
    await using db = await openTestDatabase("postgres");
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const { start, ready, base } = appProcess({
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DATABASE_URL: db.url!,
      STEVE_METERVALUE_HMAC_KEY: METER_KEY,
      LOG_LEVEL: "warning",
    }, port);
    const child = start();
    const answered: number[] = [];
    try {
      await ready();
      let stop = false;
      // 16 clients, each sending its own transactions' readings back to back.
      const clients = Array.from({ length: 16 }, async () => {
        while (!stop) {
          const pk = ++nextPk;
          const body = JSON.stringify({
            chargeBoxId: "CB-KILL",
            transactionPk: pk,
            connectorId: 1,
            timestamp: new Date(T0).toISOString(),
            samples: [{ value: "1000", unit: "Wh" }, { value: "7", measurand: "Current.Import" }],
          });
          const res = await signedPost(`${base}/api/ocpp/meter-values`, METER_KEY, body).catch(
            () => null,
          );
          if (!res) return;
          await res.body?.cancel();
          if (res.status === 200) answered.push(pk);
        }
      });
      while (answered.length < 300) await new Promise((r) => setTimeout(r, 10));
      child.kill("SIGKILL");
      stop = true;
      await Promise.all(clients);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    }
    const rows = await db.rows<{ pk: string; n: number }>(sql`
      select transaction_pk as pk, count(*)::int as n from meter_samples
      where charge_box_id = 'CB-KILL' group by transaction_pk`);
    const stored = new Map(rows.map((r) => [Number(r.pk), Number(r.n)]));
    const lost = answered.filter((pk) => stored.get(pk) !== 2);
    assert.deepEqual(lost, [], "every call answered 200 has both samples stored");
  },
});
