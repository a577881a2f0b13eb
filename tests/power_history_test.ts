/**
 * Each live session's power chart from the stored readings: the items of
 * `GET /api/admin/sessions/live` and of both streams' snapshots carry
 * `history` — `[epochMs, kW]`, oldest first, the 30 minutes before the
 * injected clock's now, at most 120 points, kW worked out as the live `kw`.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { ManualClock } from "../lib/clock.ts";
import { forEachDatabase } from "./_support/db.ts";
import {
  ADMIN_TOKEN,
  cookieHeader,
  jsonOf,
  loginCustomerByScan,
  meterValues,
  preAuthorize,
  startTestApp,
  type TestApp,
  uniqueId,
} from "./_support/app.ts";
import { openSse } from "./_support/sse.ts";

const NOW = Date.parse("2026-11-23T12:00:00Z");
const MINUTE = 60_000;
const WINDOW_MS = 30 * MINUTE;
const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
let nextTx = 70_000;

type Point = [number, number];

/**
 * A session of `tag` whose readings run every 5 s from 40 minutes before NOW
 * to 5 s before it: a Begin reading through the hook (which opens the live
 * session), then power samples written straight to meter_samples.
 */
async function sessionWithReadings(
  app: TestApp,
  db: Database,
  args: { tag: string; samples: "phases" | "total-kw" | "none" },
) {
  const box = uniqueId("CB");
  const pk = ++nextTx;
  await (await preAuthorize(app, {
    idTag: args.tag,
    chargeBoxId: box,
    connectorId: 1,
    isStartTx: true,
  }))
    .body?.cancel();
  const res = await meterValues(app, {
    chargeBoxId: box,
    transactionPk: pk,
    connectorId: 1,
    timestamp: new Date(NOW - 40 * MINUTE).toISOString(),
    samples: [{ value: "1000", context: "Transaction.Begin" }],
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const times = sql`generate_series(${new Date(NOW - 40 * MINUTE).toISOString()}::timestamptz,
    ${new Date(NOW - 5_000).toISOString()}::timestamptz, interval '5 seconds')`;
  const insert = (
    measurand: string,
    phase: string,
    value: string,
    unit: string,
    location = "Outlet",
  ) =>
    db.rows(sql`
      insert into meter_samples (transaction_pk, sampled_at, measurand, phase, format, charge_box_id,
        connector_id, value, unit, context, location, received_at)
      select ${pk}, t, ${measurand}, ${phase}, 'Raw', ${box}, 1, ${value}, ${unit}, 'Sample.Periodic',
        ${location}, t
      from ${times} as t`);
  if (args.samples === "phases") {
    // 3 × 3.7 kW = 11.1 kW; the EV's own measurement and the neutral do not count.
    for (const phase of ["L1", "L2", "L3"]) await insert("Power.Active.Import", phase, "3700", "W");
    await insert("Power.Active.Import", "N", "999", "W");
    await insert("Power.Active.Import", "", "99000", "W", "EV");
  } else if (args.samples === "total-kw") {
    // The phase-less total wins over the phases, as in the live `kw`.
    await insert("Power.Active.Import", "", "7.4", "kW");
    await insert("Power.Active.Import", "L1", "1000", "W");
  }
  // A reading after the clock's now is not in the last 30 minutes.
  await db.rows(sql`
    insert into meter_samples (transaction_pk, sampled_at, measurand, phase, format, charge_box_id,
      connector_id, value, unit, context, location, received_at)
    values (${pk}, ${
    new Date(NOW + MINUTE).toISOString()
  }, 'Power.Active.Import', '', 'Raw', ${box},
      1, '1', 'kW', 'Sample.Periodic', 'Outlet', ${new Date(NOW).toISOString()})`);
  return { pk, box };
}

function assertHistoryShape(history: unknown, clockNow: number): Point[] {
  assert.ok(Array.isArray(history), "history is an array");
  const points = history as Point[];
  assert.ok(points.length <= 120, `at most 120 points, got ${points.length}`);
  for (const point of points) {
    assert.equal(point.length, 2);
    assert.ok(point.every((n) => typeof n === "number" && Number.isFinite(n)));
    assert.ok(point[0] > clockNow - WINDOW_MS && point[0] <= clockNow, "inside the window");
  }
  for (let i = 1; i < points.length; i++) {
    assert.ok(points[i - 1][0] < points[i][0], "oldest first, one point per time");
  }
  return points;
}

const itemOf = (sessions: Array<{ transactionPk: number }>, pk: number) =>
  sessions.find((s) => s.transactionPk === pk) as unknown as { history: Point[]; kw: number };

forEachDatabase("power history", async (t, db) => {
  const clock = new ManualClock(NOW);
  await using app = await startTestApp({ db, clock });
  const customer = uniqueId("c");
  const tag = uniqueId("TAG");
  await (await app.admin("PUT", `/api/admin/customers/${customer}`, { name: "Ann" })).body
    ?.cancel();
  await (await app.admin("PUT", `/api/admin/tags/${tag}`, { customerId: customer })).body
    ?.cancel();
  const phases = await sessionWithReadings(app, db, { tag, samples: "phases" });
  const total = await sessionWithReadings(app, db, { tag: uniqueId("TAG"), samples: "total-kw" });
  const none = await sessionWithReadings(app, db, { tag: uniqueId("TAG"), samples: "none" });

  const list = async () => {
    const res = await jsonOf(await app.admin("GET", "/api/admin/sessions/live"));
    assert.equal(res.status, 200);
    assert.match(res.type, /^application\/json/);
    return res.body.sessions as Array<{ transactionPk: number }>;
  };

  await t.step("the API item carries 120 points of the last 30 minutes, oldest first", async () => {
    const sessions = await list();
    const points = assertHistoryShape(itemOf(sessions, phases.pk).history, NOW);
    // A reading every 5 s for the whole window: every one of the 120 slices has some.
    assert.equal(points.length, 120);
    assert.ok(points[0][0] < NOW - WINDOW_MS + 15_000, "starts at the window's start");
    assert.equal(points[points.length - 1][0], NOW - 5_000, "ends at the newest reading");
    assert.deepEqual(new Set(points.map(([, kw]) => kw)), new Set([11.1]));
  });

  await t.step("kW as the live kw: the phase-less total wins; no power, no points", async () => {
    const sessions = await list();
    const points = assertHistoryShape(itemOf(sessions, total.pk).history, NOW);
    assert.equal(points.length, 120);
    assert.deepEqual(new Set(points.map(([, kw]) => kw)), new Set([7.4]));
    assert.deepEqual(itemOf(sessions, none.pk).history, []);
  });

  await t.step("the window follows the injected clock, not the wall clock", async () => {
    clock.advance(10 * MINUTE);
    try {
      const sessions = await list();
      const points = assertHistoryShape(itemOf(sessions, phases.pk).history, NOW + 10 * MINUTE);
      assert.ok(
        points.length >= 70 && points.length <= 81,
        `20 minutes of readings: ${points.length}`,
      );
      assert.ok(points[0][0] > NOW - 20 * MINUTE);
    } finally {
      clock.advance(-10 * MINUTE);
    }
  });

  await t.step("both streams' snapshots carry the same history", async () => {
    const expected = itemOf(await list(), phases.pk).history;
    const admin = await openSse(app.url + "/api/admin/sessions/live/events", bearer);
    const adminSnapshot = await admin.next();
    await admin.close();
    assert.equal(adminSnapshot.event, "snapshot");
    assert.deepEqual(itemOf(adminSnapshot.data.sessions, phases.pk).history, expected);

    const browser = await loginCustomerByScan(app, tag);
    const me = await openSse(app.url + "/api/me/events", cookieHeader(browser));
    const meSnapshot = await me.next();
    await me.close();
    assert.equal(meSnapshot.event, "snapshot");
    assert.deepEqual(
      meSnapshot.data.sessions.map((s: { transactionPk: number }) => s.transactionPk),
      [
        phases.pk,
      ],
    );
    assert.deepEqual(meSnapshot.data.sessions[0].history, expected);
  });
});
