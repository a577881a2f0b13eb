/**
 * The reconciliation sweep announces the sessions it creates or ends
 * (issue 13 §1: once per real occurrence): a session it creates from SteVe's
 * record gets `session.started`, a session it ends gets `session.ended`, with
 * the same data shapes as the meter-values hook's. Whichever of the hook and
 * the sweep sees a start or an end first announces it; the other adds
 * nothing. A transaction SteVe recorded as stopped is recorded ended even
 * when no energy is missing.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { ManualClock } from "../lib/clock.ts";
import { forEachDatabase } from "./_support/db.ts";
import { preAuthorize, uniqueId } from "./_support/app.ts";
import { billedCustomer, type BillingRig, reading, startBillingRig } from "./_support/billing.ts";
import { queuedByType, round, startFakePartner, subscribedPartner } from "./_support/partner.ts";

const T0 = Date.parse("2026-11-23T08:00:00Z");
const minute = (n: number) => new Date(T0 + n * 60_000);
const ENV = { PARTNER_WEBHOOKS_ALLOW_LOCAL: "true", PARTNER_WEBHOOK_RETRY_SCHEDULE: "1" };
let nextPk = 8_100_000;

/** The session.* deliveries queued for one transaction, by type. */
async function announced(db: Database, pk: number): Promise<Record<string, number>> {
  const rows = await db.rows<{ type: string; n: number }>(sql`
    select type, count(*)::int as n from partner_deliveries
    where coalesce(body, data_json)::json #>> '{data,transactionPk}' = ${String(pk)}
       or coalesce(body, data_json)::json ->> 'transactionPk' = ${String(pk)}
    group by type order by type`);
  return Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
}

async function drainPartners(rig: BillingRig) {
  for (let i = 0; i < 20; i++) if ((await round(rig.app)).claimed === 0) return;
  throw new Error("the partner outbox did not drain");
}

/** A stopped transaction in the fake SteVe. */
function steveRecord(
  rig: BillingRig,
  tx: { pk: number; box: string },
  tag: string,
  values: { start: string; stop: string; stoppedAt: Date },
) {
  rig.steve.addTransaction({
    id: tx.pk,
    chargeBoxId: tx.box,
    connectorId: 1,
    ocppIdTag: tag,
    startTimestamp: minute(0).toISOString(),
    startValue: values.start,
    stopTimestamp: values.stoppedAt.toISOString(),
    stopValue: values.stop,
  });
}

async function startedByHook(rig: BillingRig, tag: string, beginWh: string) {
  const tx = { pk: ++nextPk, box: uniqueId("SWEEP") };
  const start = await preAuthorize(rig.app, {
    idTag: tag,
    chargeBoxId: tx.box,
    connectorId: 1,
    isStartTx: true,
  });
  await start.body?.cancel();
  assert.equal(await reading(rig.app, tx, minute(0), beginWh, "Transaction.Begin"), 200);
  return tx;
}

forEachDatabase("sweep - announces the sessions it creates or ends, once", async (t, db) => {
  const clock = new ManualClock(T0 + 3 * 3_600_000);
  await using rig = await startBillingRig({ db, clock, env: ENV });
  await using fake = startFakePartner();
  await subscribedPartner(rig.app, {
    url: `${fake.origin}/hook`,
    events: ["session.started", "session.ended"],
  });
  const customer = await billedCustomer(rig);
  // deno-lint-ignore no-explicit-any
  const dataOf = (type: string, pk: number): any[] =>
    fake.received.filter((r) => r.headers.get("x-expressync-event") === type)
      .map((r) => JSON.parse(r.text).data).filter((d) => d.transactionPk === pk);

  await t.step("a session only SteVe saw: started and ended, each once", async () => {
    const tx = { pk: ++nextPk, box: uniqueId("SWEEP") };
    steveRecord(rig, tx, customer.tag, {
      start: "1000",
      stop: "12345.678",
      stoppedAt: minute(50),
    });
    await rig.app.deps.billing.sweepNow("test");
    assert.deepEqual(await announced(db, tx.pk), { "session.ended": 1, "session.started": 1 });
    await rig.app.deps.billing.sweepNow("test");
    // The hook's calls arrive late (SteVe retried them): nothing more.
    await reading(rig.app, tx, minute(0), "1000", "Transaction.Begin");
    await reading(rig.app, tx, minute(50), "12345.678", "Transaction.End");
    assert.deepEqual(await announced(db, tx.pk), { "session.ended": 1, "session.started": 1 });
    await drainPartners(rig);
    assert.deepEqual(dataOf("session.started", tx.pk), [{
      transactionPk: tx.pk,
      chargeBoxId: tx.box,
      connectorId: 1,
      startedAt: minute(0).toISOString(),
      customerId: customer.id,
      customerName: "Billed Customer",
    }]);
    assert.deepEqual(dataOf("session.ended", tx.pk), [{
      transactionPk: tx.pk,
      chargeBoxId: tx.box,
      connectorId: 1,
      startedAt: minute(0).toISOString(),
      endedAt: minute(50).toISOString(),
      kwh: "11.346",
      customerId: customer.id,
      customerName: "Billed Customer",
    }]);
    // Queued in the order they happened (a batch goes out side by side, so arrival may differ).
    const order = await db.rows<{ type: string }>(sql`
      select type from partner_deliveries
      where body::json #>> '{data,transactionPk}' = ${String(tx.pk)} order by id`);
    assert.deepEqual(order.map((r) => r.type), ["session.started", "session.ended"]);
  });

  await t.step("the hook's End was lost: the sweep ends it, with the backfilled kWh", async () => {
    const tx = await startedByHook(rig, customer.tag, "2000");
    await reading(rig.app, tx, minute(10), "3000");
    steveRecord(rig, tx, customer.tag, { start: "2000", stop: "7500.5", stoppedAt: minute(40) });
    await rig.app.deps.billing.sweepNow("test");
    assert.deepEqual(await announced(db, tx.pk), { "session.ended": 1, "session.started": 1 });
    await reading(rig.app, tx, minute(40), "7500.5", "Transaction.End"); // arrives after all
    await rig.app.deps.billing.sweepNow("test");
    assert.deepEqual(await announced(db, tx.pk), { "session.ended": 1, "session.started": 1 });
    await drainPartners(rig);
    const [ended] = dataOf("session.ended", tx.pk);
    assert.equal(ended.kwh, "5.501");
    assert.equal(ended.endedAt, minute(40).toISOString());
  });

  await t.step("no energy missing: still recorded ended, and announced", async () => {
    const tx = await startedByHook(rig, customer.tag, "500");
    await reading(rig.app, tx, minute(10), "2500");
    steveRecord(rig, tx, customer.tag, { start: "500", stop: "2500", stoppedAt: minute(20) });
    const run = await rig.app.deps.billing.sweepNow("test");
    assert.equal(run.backfilledKwh, "0.000000");
    const [row] = await db.rows<{ ended_ms: number | null }>(sql`
      select (extract(epoch from ended_at) * 1000)::float8 as ended_ms from live_sessions
      where transaction_pk = ${tx.pk}`);
    assert.equal(Number(row.ended_ms), minute(20).getTime());
    assert.deepEqual(await announced(db, tx.pk), { "session.ended": 1, "session.started": 1 });
    await drainPartners(rig);
    assert.equal(dataOf("session.ended", tx.pk)[0].kwh, "2.000");
  });

  await t.step("more queued than SteVe recorded (flagged): ended once, kWh as billed", async () => {
    const tx = await startedByHook(rig, customer.tag, "0");
    await reading(rig.app, tx, minute(5), "5000");
    steveRecord(rig, tx, customer.tag, { start: "0", stop: "4000", stoppedAt: minute(6) });
    const run = await rig.app.deps.billing.sweepNow("test");
    assert.equal(run.flagged, 1);
    assert.deepEqual(await announced(db, tx.pk), { "session.ended": 1, "session.started": 1 });
    await drainPartners(rig);
    assert.equal(dataOf("session.ended", tx.pk)[0].kwh, "5.000");
  });

  await t.step("the hook announced the end already: the sweep adds nothing", async () => {
    const tx = await startedByHook(rig, customer.tag, "100");
    await reading(rig.app, tx, minute(30), "900", "Transaction.End");
    // SteVe's stop register is higher (a lost last sample): backfilled, not re-announced.
    steveRecord(rig, tx, customer.tag, { start: "100", stop: "1000", stoppedAt: minute(30) });
    const run = await rig.app.deps.billing.sweepNow("test");
    assert.equal(run.backfilledKwh, "0.100000");
    await rig.app.deps.billing.sweepNow("test");
    assert.deepEqual(await announced(db, tx.pk), { "session.ended": 1, "session.started": 1 });
  });

  await t.step("every event went out exactly once in all", async () => {
    await drainPartners(rig);
    const ids = fake.received.map((r) => r.headers.get("x-expressync-event-id"));
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(await queuedByType(db), { "session.ended": 5, "session.started": 5 });
  });

  await t.step("the hook's End and the sweep at the same moment: one session.ended", async () => {
    const txs = await Promise.all(
      Array.from({ length: 12 }, () => startedByHook(rig, customer.tag, "0")),
    );
    for (const tx of txs) {
      steveRecord(rig, tx, customer.tag, { start: "0", stop: "3000", stoppedAt: minute(9) });
    }
    await Promise.all(txs.flatMap((tx) => [
      reading(rig.app, tx, minute(9), "3000", "Transaction.End"),
      rig.app.deps.billing.sweepNow("test", tx.pk),
    ]));
    for (const tx of txs) {
      assert.deepEqual(await announced(db, tx.pk), { "session.ended": 1, "session.started": 1 });
    }
  });
});
