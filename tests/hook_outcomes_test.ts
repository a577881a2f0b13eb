/**
 * Stored hook outcomes (`hook_outcome_buckets`): real calls counted in memory
 * land per minute by the injected clock, summed by endpoint and outcome; a
 * failed flush keeps its counts for the next; stopping the flusher flushes;
 * maintenance prunes buckets past 48 hours.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openDatabase } from "../db/client.ts";
import { outcomeCounts, outcomeCountsByBucket } from "../db/queries/hook_outcomes.ts";
import { ManualClock } from "../lib/clock.ts";
import { startHookStatsFlusher } from "../lib/hook_stats.ts";
import { pruneOnce } from "../lib/maintenance.ts";
import { forEachDatabase } from "./_support/db.ts";
import { METER_KEY, preAuthorize, signedPost, startTestApp } from "./_support/app.ts";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const MIN = 60_000;

forEachDatabase(
  "hook outcomes - counted per minute and outcome, summed between two times",
  async (t, db) => {
    const clock = new ManualClock(T0);
    await using app = await startTestApp({ db, clock });
    const call = async (signedWith?: string) => {
      const body = { idTag: "TEST", chargeBoxId: "TEST", connectorId: 1, isStartTx: false, ts: 0 };
      const res = signedWith
        ? await signedPost(`${app.url}/api/ocpp/pre-authorize`, signedWith, JSON.stringify(body))
        : await preAuthorize(app, body);
      assert.equal(res.status, signedWith ? 401 : 200);
      await res.body?.cancel();
    };

    await t.step("nothing is written per call; a flush writes what was counted", async () => {
      await call();
      await call(METER_KEY);
      const stored = () =>
        db.rows<{ n: number }>(sql`select count(*)::int as n from hook_outcome_buckets`);
      assert.deepEqual(await stored(), [{ n: 0 }]);
      assert.equal(await app.deps.hookStats.flush(db), 2, "two (minute, outcome) deltas");
      assert.equal(await app.deps.hookStats.flush(db), 0, "nothing pending: no statement");
      clock.advance(3 * MIN);
      await call(METER_KEY);
      clock.advance(4 * MIN);
      await call();
      await app.deps.hookStats.flush(db);
      const window = { endpoint: "PreAuthorize", from: new Date(T0), to: new Date(T0 + 10 * MIN) };
      assert.deepEqual(await outcomeCounts(db, window), { ok: 2, "unauthorized:mismatch": 2 });
      assert.deepEqual(
        await outcomeCounts(db, { ...window, from: new Date(T0 + MIN) }),
        { ok: 1, "unauthorized:mismatch": 1 },
      );
      assert.deepEqual(await outcomeCountsByBucket(db, { ...window, bucketMinutes: 5 }), [
        { bucketStart: new Date(T0), counts: { ok: 1, "unauthorized:mismatch": 2 } },
        { bucketStart: new Date(T0 + 5 * MIN), counts: { ok: 1 } },
      ]);
      assert.deepEqual(await outcomeCounts(db, { ...window, endpoint: "MeterValues" }), {});
    });

    await t.step("a failed flush keeps its counts for the next one", async () => {
      const closed = await openDatabase({});
      await closed.close();
      await call();
      await assert.rejects(app.deps.hookStats.flush(closed));
      await call();
      await app.deps.hookStats.flush(db);
      const all = { endpoint: "PreAuthorize", from: new Date(T0), to: new Date(T0 + 60 * MIN) };
      assert.deepEqual(await outcomeCounts(db, all), { ok: 4, "unauthorized:mismatch": 2 });
    });

    await t.step("stopping the flusher flushes what is left", async () => {
      const stop = startHookStatsFlusher(app.deps.hookStats, db, { everyMs: 3600_000 });
      await call(METER_KEY);
      await stop();
      const all = { endpoint: "PreAuthorize", from: new Date(T0), to: new Date(T0 + 60 * MIN) };
      assert.deepEqual(await outcomeCounts(db, all), { ok: 4, "unauthorized:mismatch": 3 });
    });

    await t.step("maintenance prunes buckets older than 48 hours, keeps the rest", async () => {
      // Now T0 + 48 h + 3.5 min: the minutes T0 and T0 + 3 min are past 48 hours, T0 + 7 min is not.
      clock.advance(48 * 3600_000 - 7 * MIN + 3 * MIN + 30_000);
      await pruneOnce({ db, clock, config: app.deps.config });
      const all = { endpoint: "PreAuthorize", from: new Date(T0), to: new Date(T0 + 60 * MIN) };
      assert.deepEqual(await outcomeCounts(db, all), { ok: 3, "unauthorized:mismatch": 1 });
    });
  },
);
