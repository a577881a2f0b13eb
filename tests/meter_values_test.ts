/**
 * The meter-values hook over real HTTP: samples stored durably and
 * idempotently, the live session's kWh from its start register, power over
 * phases, Transaction.End, out-of-order readings, and the session's tag from
 * the StartTransaction pre-authorize.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { ManualClock } from "../lib/clock.ts";
import type { TransactionMeter } from "../lib/event_bus.ts";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import {
  jsonOf,
  meterValues,
  preAuthorize,
  startTestApp,
  type TestApp,
  uniqueId,
} from "./_support/app.ts";

let nextTx = 1000;
const T0 = Date.parse("2026-11-23T10:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

type Sample = {
  value: string;
  measurand?: string;
  unit?: string;
  context?: string;
  phase?: string;
  format?: string;
};

async function send(
  app: TestApp,
  tx: { pk: number; box: string; connector?: number },
  minutes: number,
  samples: Sample[],
) {
  const res = await jsonOf(
    await meterValues(app, {
      chargeBoxId: tx.box,
      transactionPk: tx.pk,
      connectorId: tx.connector ?? 1,
      timestamp: at(minutes),
      samples,
    }),
  );
  assert.equal(res.status, 200);
  assert.equal(res.type, "application/json");
  assert.deepEqual(res.body, { ok: true });
}

const lastMeter = (app: TestApp, pk: number) =>
  app.events.filter((e) =>
    e.topic === "transaction.meter" &&
    (e.payload as TransactionMeter).transactionPk === pk
  )
    .at(-1)?.payload as TransactionMeter | undefined;

const sampleCount = async (db: Database, pk: number) =>
  (await db.rows<{ n: number }>(
    sql`select count(*)::int as n from meter_samples where transaction_pk = ${pk}`,
  ))[0].n;

const newTx = () => ({ pk: ++nextTx, box: uniqueId("MV") });

forEachDatabase("meter-values hook", async (t, db) => {
  await t.step(
    "kWh is the register delta from Transaction.Begin, Wh and kWh alike; publishes transaction.meter",
    async () => {
      await using app = await startTestApp({ db, clock: new ManualClock(T0) });
      const tx = newTx();
      await send(app, tx, 0, [{
        value: "10000",
        context: "Transaction.Begin",
        unit: "Wh",
      }]);
      assert.deepEqual(lastMeter(app, tx.pk), {
        transactionPk: tx.pk,
        chargeBoxId: tx.box,
        chargerName: null,
        connectorId: 1,
        customerId: null,
        customerName: null,
        kwh: 0,
        kw: null,
        at: at(0),
        endedAt: null,
        startedAt: at(0),
        version: 1,
      });
      await send(app, tx, 1, [{
        value: "12.5",
        unit: "kWh",
        context: "Sample.Periodic",
      }]);
      assert.equal(lastMeter(app, tx.pk)?.kwh, 2.5);
      await send(app, tx, 2, [{
        value: "13250.5",
        context: "Sample.Periodic",
      }]);
      assert.equal(lastMeter(app, tx.pk)?.kwh, 3.2505);
    },
  );

  await t.step(
    "power is summed over phases (W and kW); the register ignores phases when a total exists",
    async () => {
      await using app = await startTestApp({ db, clock: new ManualClock(T0) });
      const tx = newTx();
      await send(app, tx, 0, [
        { value: "500", context: "Transaction.Begin" },
        {
          value: "2.3",
          measurand: "Power.Active.Import",
          unit: "kW",
          phase: "L1",
        },
        {
          value: "2300",
          measurand: "Power.Active.Import",
          unit: "W",
          phase: "L2",
        },
        {
          value: "2400",
          measurand: "Power.Active.Import",
          unit: "W",
          phase: "L3",
        },
      ]);
      assert.equal(lastMeter(app, tx.pk)?.kw, 7);
      await send(app, tx, 1, [{
        value: "11000",
        measurand: "Power.Active.Import",
        unit: "W",
      }]);
      assert.equal(lastMeter(app, tx.pk)?.kw, 11);
      assert.equal(lastMeter(app, tx.pk)?.kwh, 0);
    },
  );

  await t.step(
    "SignedData and garbage are stored but never move kWh or kW",
    async () => {
      await using app = await startTestApp({ db, clock: new ManualClock(T0) });
      const tx = newTx();
      await send(app, tx, 0, [{ value: "1000", context: "Transaction.Begin" }]);
      await send(app, tx, 1, [
        { value: "2000" },
        { value: "AP///////wEAAAAA…", format: "SignedData" },
      ]);
      await send(app, tx, 2, [
        { value: "not-a-number" },
        { value: "lots", measurand: "Power.Active.Import" },
      ]);
      assert.equal(await sampleCount(db, tx.pk), 5);
      assert.equal(lastMeter(app, tx.pk)?.kwh, 1);
      assert.equal(lastMeter(app, tx.pk)?.kw, null);
    },
  );

  await t.step(
    "Transaction.End ends the session and carries the final register",
    async () => {
      await using app = await startTestApp({ db, clock: new ManualClock(T0) });
      const tx = newTx();
      await send(app, tx, 0, [{ value: "1000", context: "Transaction.Begin" }]);
      await send(app, tx, 30, [{
        value: "8.5",
        unit: "kWh",
        context: "Transaction.End",
      }]);
      const last = lastMeter(app, tx.pk)!;
      assert.equal(last.kwh, 7.5);
      assert.equal(last.endedAt, at(30));
      const live = await jsonOf(
        await app.admin("GET", "/api/admin/sessions/live"),
      );
      const row = live.body.sessions.find((s: TransactionMeter) => s.transactionPk === tx.pk);
      // The API item is the event's payload plus the power chart (no power sent: empty).
      assert.deepEqual(row, { ...last, history: [] });
    },
  );

  await t.step(
    "a repeated call (SteVe retry) stores nothing new and publishes nothing",
    async () => {
      await using app = await startTestApp({ db, clock: new ManualClock(T0) });
      const tx = newTx();
      const samples = [{ value: "1000", context: "Transaction.Begin" }, {
        value: "7000",
        measurand: "Power.Active.Import",
      }];
      await send(app, tx, 0, samples);
      const events = app.events.length;
      const before = await databaseFingerprint(db);
      await send(app, tx, 0, samples);
      assert.deepEqual(await databaseFingerprint(db), before);
      assert.equal(app.events.length, events);
    },
  );

  await t.step(
    "older or lower readings are stored but never move kWh backwards",
    async () => {
      await using app = await startTestApp({ db, clock: new ManualClock(T0) });
      const tx = newTx();
      await send(app, tx, 0, [{ value: "1000", context: "Transaction.Begin" }]);
      await send(app, tx, 10, [{ value: "5000" }]);
      await send(app, tx, 5, [{ value: "3000" }]); // late but consistent
      assert.equal(lastMeter(app, tx.pk)?.kwh, 4);
      await send(app, tx, 11, [{ value: "4500" }]); // newer but lower: a meter glitch
      assert.equal(lastMeter(app, tx.pk)?.kwh, 4);
      await send(app, tx, 12, [{ value: "6000" }]);
      assert.equal(lastMeter(app, tx.pk)?.kwh, 5);
      assert.equal(await sampleCount(db, tx.pk), 5);
    },
  );

  await t.step(
    "without Transaction.Begin the first reading received is the start; a late Begin corrects it",
    async () => {
      await using app = await startTestApp({ db, clock: new ManualClock(T0) });
      const tx = newTx();
      await send(app, tx, 5, [{ value: "20000" }]);
      await send(app, tx, 6, [{ value: "21000" }]);
      assert.equal(lastMeter(app, tx.pk)?.kwh, 1);
      await send(app, tx, 0, [{
        value: "18000",
        context: "Transaction.Begin",
      }]);
      assert.equal(lastMeter(app, tx.pk)?.kwh, 3);
      const live = await jsonOf(
        await app.admin("GET", "/api/admin/sessions/live"),
      );
      assert.equal(
        live.body.sessions.find((s: TransactionMeter) => s.transactionPk === tx.pk).startedAt,
        at(0),
      );
    },
  );

  await t.step(
    "a power-only first call starts the session; the first energy reading becomes the start",
    async () => {
      await using app = await startTestApp({ db, clock: new ManualClock(T0) });
      const tx = newTx();
      await send(app, tx, 0, [{
        value: "7000",
        measurand: "Power.Active.Import",
      }]);
      await send(app, tx, 1, [{ value: "100" }]);
      await send(app, tx, 2, [{ value: "300" }]);
      assert.equal(lastMeter(app, tx.pk)?.kwh, 0.2);
    },
  );
});

forEachDatabase(
  "sessions learn their tag from StartTransaction",
  async (t, db) => {
    await t.step(
      "first reading takes the pending start at its charger and connector, and the tag's customer",
      async () => {
        await using app = await startTestApp({ db, clock: new ManualClock(T0) });
        await app.admin("PUT", "/api/admin/customers/c-ann", { name: "Ann" });
        await app.admin("PUT", "/api/admin/tags/CARD-ANN", {
          customerId: "c-ann",
        });
        const tx = { ...newTx(), connector: 2 };
        const start = await jsonOf(
          await preAuthorize(app, {
            idTag: "CARD-ANN",
            chargeBoxId: tx.box,
            connectorId: 2,
            isStartTx: true,
          }),
        );
        assert.deepEqual(start.body, { override: null });
        // A transaction at another connector does not take it.
        const other = { pk: ++nextTx, box: tx.box, connector: 1 };
        await send(app, other, 0, [{ value: "1" }]);
        assert.equal(lastMeter(app, other.pk)?.customerId, null);

        await send(app, tx, 0, [{
          value: "1000",
          context: "Transaction.Begin",
        }]);
        assert.equal(lastMeter(app, tx.pk)?.customerId, "c-ann");
        // The next transaction there needs its own StartTransaction.
        const next = { pk: ++nextTx, box: tx.box, connector: 2 };
        await send(app, next, 1, [{ value: "1" }]);
        assert.equal(lastMeter(app, next.pk)?.customerId, null);
      },
    );

    await t.step(
      "a tag linked to a customer mid-session moves the open session to that customer",
      async () => {
        await using app = await startTestApp({ db, clock: new ManualClock(T0) });
        const tx = newTx();
        await preAuthorize(app, {
          idTag: "CARD-NEW",
          chargeBoxId: tx.box,
          connectorId: 1,
          isStartTx: true,
        });
        await send(app, tx, 0, [{
          value: "1000",
          context: "Transaction.Begin",
        }]);
        assert.equal(lastMeter(app, tx.pk)?.customerId, null);
        await app.admin("PUT", "/api/admin/customers/c-bob", { name: "Bob" });
        await app.admin("PUT", "/api/admin/tags/CARD-NEW", {
          customerId: "c-bob",
        });
        await send(app, tx, 1, [{ value: "2000" }]);
        assert.equal(lastMeter(app, tx.pk)?.customerId, "c-bob");
      },
    );

    await t.step(
      "a pending start older than 10 minutes is not used",
      async () => {
        const clock = new ManualClock();
        await using app = await startTestApp({ db, clock });
        await app.admin("PUT", "/api/admin/customers/c-cy", { name: "Cy" });
        await app.admin("PUT", "/api/admin/tags/CARD-CY", {
          customerId: "c-cy",
        });
        const tx = newTx();
        await preAuthorize(app, {
          idTag: "CARD-CY",
          chargeBoxId: tx.box,
          connectorId: 1,
          isStartTx: true,
        });
        clock.advance(10 * 60_000 + 1_000);
        await send(app, tx, 0, [{ value: "1000" }]);
        assert.equal(lastMeter(app, tx.pk)?.customerId, null);
      },
    );
  },
);
