/**
 * Receipts (issue 14 §3): when a session ends, its customer (when they have an
 * email address) is mailed one receipt, `receipt-<transactionPk>`, however
 * often Transaction.End arrives: charger name, start, end, duration, kWh with
 * three decimals. Queued in the meter-values statement, or by the
 * reconciliation sweep when it is the one that ends the session (its
 * Transaction.End was lost), whichever comes first; sent to a fake email
 * worker over real HTTP.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { ManualClock } from "../lib/clock.ts";
import { sendEmailRound } from "../lib/email/sender.ts";
import { forEachDatabase } from "./_support/db.ts";
import {
  createCharger,
  jsonOf,
  preAuthorize,
  startTestApp,
  type TestApp,
  uniqueId,
} from "./_support/app.ts";
import { type BillingRig, reading, startBillingRig } from "./_support/billing.ts";
import { EMAIL_KEY, startFakeEmailWorker } from "./_support/email_worker.ts";

const T0 = Date.parse("2026-11-29T11:00:00Z");

async function customerWithTag(app: TestApp, fields: { name: string; email?: string }) {
  const customerId = uniqueId("cust");
  const idTag = uniqueId("TAG");
  const saved = await app.admin("PUT", `/api/admin/customers/${customerId}`, fields);
  assert.equal(saved.status < 300, true);
  await saved.body?.cancel();
  await (await app.admin("PUT", `/api/admin/tags/${idTag}`, { customerId })).body?.cancel();
  return { customerId, idTag };
}

/** A session by `idTag` at a new charger named `chargerName`: Begin at T0 + 1 s, a reading at T0 + 60 s. */
async function session(app: TestApp, idTag: string, pk: number, chargerName: string) {
  const box = uniqueId("CB");
  await createCharger(app, box, chargerName);
  const start = await preAuthorize(app, {
    idTag,
    chargeBoxId: box,
    connectorId: 1,
    isStartTx: true,
  });
  await start.body?.cancel();
  const tx = { pk, box };
  assert.equal(await reading(app, tx, new Date(T0 + 1_000), "1000", "Transaction.Begin"), 200);
  assert.equal(await reading(app, tx, new Date(T0 + 60_000), "5000"), 200);
  return { tx, box };
}

forEachDatabase(
  "email receipts - once per transaction, to the customer's address",
  async (t, db) => {
    const clock = new ManualClock(T0);
    await using fake = startFakeEmailWorker();
    await using app = await startTestApp({
      db,
      clock,
      env: { EMAIL_WORKER_URL: fake.origin, EMAIL_WORKER_HMAC_KEY: EMAIL_KEY },
    });
    const receipts = async () =>
      (await db.rows<{ id: string }>(
        sql`select id from email_messages where purpose = 'receipt' order by id`,
      )).map((r) => r.id);

    await t.step("Transaction.End twice (and a later End): one receipt, sent once", async () => {
      const { idTag } = await customerWithTag(app, {
        name: "Zoë <Ñandú>",
        email: "zoe@example.test",
      });
      const { tx, box } = await session(app, idTag, 8_800_001, "Garage left");
      assert.deepEqual(await receipts(), [], "nothing before the end");
      const tEnd = new Date(T0 + 5_401_000); // 1 h 30 min after the Begin
      assert.equal(await reading(app, tx, tEnd, "13345.678", "Transaction.End"), 200);
      assert.equal(await reading(app, tx, tEnd, "13345.678", "Transaction.End"), 200);
      assert.equal(
        await reading(app, tx, new Date(tEnd.getTime() + 1_000), "13345.678", "Transaction.End"),
        200,
      );
      assert.deepEqual(await receipts(), ["receipt-8800001"]);

      // The page reads it before any send: rendered from the stored data.
      const listed = await jsonOf(await app.admin("GET", "/api/admin/email"));
      const queued = listed.body.messages.find((m: { id: string }) => m.id === "receipt-8800001");
      assert.equal(queued.purpose, "receipt");
      assert.equal(queued.to, "zoe@example.test");
      assert.equal(queued.subject, `Charging receipt: 12.346 kWh at Garage left (${box})`);

      while ((await sendEmailRound(app.deps.email.sender)).claimed > 0) { /* drain */ }
      const sent = fake.received.filter((r) => r.body.id === "receipt-8800001");
      assert.equal(sent.length, 1, "mailed once");
      assert.equal(sent[0].verified, true);
      assert.equal(sent[0].body.to, "zoe@example.test");
      assert.equal(sent[0].body.subject, queued.subject);
      assert.equal(
        sent[0].body.text,
        [
          "Hello Zoë <Ñandú>,",
          "",
          "your charging session has ended. Your receipt:",
          "",
          `Charger:  Garage left (${box})`,
          "Start:    29 Nov 2026, 11:00 UTC",
          "End:      29 Nov 2026, 12:30 UTC",
          "Duration: 1 h 30 min",
          "Energy:   12.346 kWh",
          "",
          "Session 8800001",
          "",
        ].join("\n"),
      );
      assert.equal(sent[0].body.html, undefined);

      // Another End after the send: still nothing new.
      assert.equal(
        await reading(app, tx, new Date(tEnd.getTime() + 2_000), "13345.678", "Transaction.End"),
        200,
      );
      assert.deepEqual(await receipts(), ["receipt-8800001"]);
      assert.equal((await sendEmailRound(app.deps.email.sender)).claimed, 0);
    });

    await t.step("a customer without an email address gets no receipt", async () => {
      const { idTag } = await customerWithTag(app, { name: "No Mail" });
      const { tx } = await session(app, idTag, 8_800_002, "Bay 2");
      assert.equal(await reading(app, tx, new Date(T0 + 120_000), "2000", "Transaction.End"), 200);
      assert.deepEqual(await receipts(), ["receipt-8800001"]);
    });

    await t.step("a session without a customer gets no receipt", async () => {
      const tx = { pk: 8_800_003, box: uniqueId("CB") };
      assert.equal(await reading(app, tx, new Date(T0 + 1_000), "1000", "Transaction.Begin"), 200);
      assert.equal(await reading(app, tx, new Date(T0 + 120_000), "2000", "Transaction.End"), 200);
      assert.deepEqual(await receipts(), ["receipt-8800001"]);
    });
  },
);

/** A stopped transaction in the fake SteVe, started at T0. */
function steveStopped(
  rig: BillingRig,
  tx: { pk: number; box: string },
  idTag: string,
  values: { start: string; stop: string; stoppedAt: Date },
) {
  rig.steve.addTransaction({
    id: tx.pk,
    chargeBoxId: tx.box,
    connectorId: 1,
    ocppIdTag: idTag,
    startTimestamp: new Date(T0).toISOString(),
    startValue: values.start,
    stopTimestamp: values.stoppedAt.toISOString(),
    stopValue: values.stop,
  });
}

forEachDatabase(
  "email receipts - the sweep ends a session: its receipt, once, whichever end comes first",
  async (t, db) => {
    const clock = new ManualClock(T0 + 3 * 3_600_000);
    await using fake = startFakeEmailWorker();
    await using rig = await startBillingRig({
      db,
      clock,
      env: { EMAIL_WORKER_URL: fake.origin, EMAIL_WORKER_HMAC_KEY: EMAIL_KEY },
    });
    const app = rig.app;
    const { idTag } = await customerWithTag(app, { name: "Sam Sweep", email: "sam@example.test" });
    const receiptsOf = async (pk: number) =>
      (await db.rows<{ data_json: string }>(
        sql`select data_json from email_messages where id = ${`receipt-${pk}`}`,
      )).map((r) => JSON.parse(r.data_json));
    const drain = async () => {
      while ((await sendEmailRound(app.deps.email.sender)).claimed > 0) { /* drain */ }
    };

    await t.step(
      "the hook's End was lost: the sweep's end mails it, with SteVe's kWh",
      async () => {
        const { tx, box } = await session(app, idTag, 8_800_101, "Sweep bay");
        steveStopped(rig, tx, idTag, {
          start: "1000",
          stop: "13345.678",
          stoppedAt: new Date(T0 + 5_401_000),
        });
        await app.deps.billing.sweepNow("test");
        assert.deepEqual(await receiptsOf(tx.pk), [{
          transactionPk: tx.pk,
          chargeBoxId: box,
          chargerName: "Sweep bay",
          customerName: "Sam Sweep",
          startedAt: new Date(T0 + 1_000).toISOString(),
          endedAt: new Date(T0 + 5_401_000).toISOString(),
          kwh: "12.346",
        }]);
        // The End arrives after all, and the sweep runs again: nothing more.
        assert.equal(
          await reading(app, tx, new Date(T0 + 5_401_000), "13345.678", "Transaction.End"),
          200,
        );
        await app.deps.billing.sweepNow("test");
        assert.equal((await receiptsOf(tx.pk)).length, 1);
        await drain();
        const sent = fake.received.filter((r) => r.body.id === `receipt-${tx.pk}`);
        assert.equal(sent.length, 1);
        assert.equal(sent[0].body.to, "sam@example.test");
        assert.equal(sent[0].body.subject, `Charging receipt: 12.346 kWh at Sweep bay (${box})`);
        assert.match(sent[0].body.text, /^Duration: 1 h 30 min$/m);
      },
    );

    await t.step("a session only SteVe saw: the sweep creates, ends and receipts it", async () => {
      const tx = { pk: 8_800_102, box: uniqueId("CB") };
      steveStopped(rig, tx, idTag, { start: "0", stop: "2500", stoppedAt: new Date(T0 + 600_000) });
      await app.deps.billing.sweepNow("test");
      const [receipt] = await receiptsOf(tx.pk);
      assert.equal(receipt.kwh, "2.500");
      assert.equal(receipt.chargerName, null);
      assert.equal(receipt.endedAt, new Date(T0 + 600_000).toISOString());
    });

    await t.step("the hook's End came first: the sweep adds no second receipt", async () => {
      const { tx } = await session(app, idTag, 8_800_103, "Hook bay");
      assert.equal(await reading(app, tx, new Date(T0 + 120_000), "6000", "Transaction.End"), 200);
      // SteVe's stop register is higher (a lost last sample): backfilled, not receipted again.
      steveStopped(rig, tx, idTag, {
        start: "1000",
        stop: "6500",
        stoppedAt: new Date(T0 + 120_000),
      });
      await app.deps.billing.sweepNow("test");
      const receipts = await receiptsOf(tx.pk);
      assert.equal(receipts.length, 1);
      assert.equal(receipts[0].kwh, "5.000", "as the hook queued it");
    });

    await t.step("the hook's End and the sweep at the same moment: one receipt each", async () => {
      const sessions = await Promise.all(
        Array.from({ length: 8 }, (_, i) => session(app, idTag, 8_800_110 + i, "Race bay")),
      );
      for (const { tx } of sessions) {
        steveStopped(rig, tx, idTag, {
          start: "1000",
          stop: "9000",
          stoppedAt: new Date(T0 + 900_000),
        });
      }
      await Promise.all(sessions.flatMap(({ tx }) => [
        reading(app, tx, new Date(T0 + 900_000), "9000", "Transaction.End"),
        app.deps.billing.sweepNow("test", tx.pk),
      ]));
      for (const { tx } of sessions) {
        const receipts = await receiptsOf(tx.pk);
        assert.equal(receipts.length, 1);
        assert.equal(receipts[0].kwh, "8.000");
      }
      await drain();
      const ids = fake.received.map((r) => r.body.id);
      assert.equal(new Set(ids).size, ids.length, "every receipt mailed once");
    });
  },
);
