/**
 * Billing on PostgreSQL against a fake Lago and a fake SteVe (real HTTP):
 * the outbox adds up, every event is delivered once through failures, the
 * sweep backfills what the hooks lost, and unbillable events wait for their
 * link.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { claimEvents } from "../db/queries/usage_events.ts";
import { deliverOnce } from "../lib/billing/lago_worker.ts";
import { pruneOnce } from "../lib/maintenance.ts";
import { resolveSessionsOnce } from "../lib/billing/session_resolver.ts";
import { ManualClock } from "../lib/clock.ts";
import { signBody } from "../lib/signed_request.ts";
import { forEachDatabase } from "./_support/db.ts";
import { preAuthorize, uniqueId } from "./_support/app.ts";
import {
  assertOutboxMatchesSessions,
  billedCustomer,
  type BillingRig,
  drain,
  reading,
  sessionKwh,
  startBillingRig,
} from "./_support/billing.ts";

let nextPk = 3_000_000;
const T0 = Date.parse("2026-11-23T08:00:00Z");
const minute = (n: number) => new Date(T0 + n * 60_000);

/** StartTransaction for the customer's card, then a Begin reading: a billable session. */
async function startSession(rig: BillingRig, tag: string, beginWh: string) {
  const tx = { pk: ++nextPk, box: uniqueId("BILL") };
  await (await preAuthorize(rig.app, {
    idTag: tag,
    chargeBoxId: tx.box,
    connectorId: 1,
    isStartTx: true,
  }))
    .body?.cancel();
  assert.equal(
    await reading(rig.app, tx, minute(0), beginWh, "Transaction.Begin"),
    200,
  );
  return tx;
}

const PG_ONLY = { kinds: ["postgres" as const] };

/** The statuses of a transaction's usage events, by id. */
const statuses = async (db: Database, pk: number) =>
  (await db.rows<{ status: string }>(sql`
    select status from usage_events where transaction_pk = ${pk} order by id`))
    .map((r) => r.status);

forEachDatabase(
  "billing: unbillable events are set aside, out of the claim's way, until their link is set",
  async (t, db) => {
    await t.step(
      "a card without a customer: set aside, back to pending with the link, then delivered",
      async () => {
        await using rig = await startBillingRig({ db });
        const worker = rig.app.deps.billing.worker;
        // Small batches, so the claim meets the unbillable events before the billable one.
        worker.batchLimit = 2;
        const loose = uniqueId("LOOSE");
        const unbillable = [];
        for (let i = 0; i < 5; i++) {
          const tx = await startSession(rig, loose, "1000");
          assert.equal(await reading(rig.app, tx, minute(1), "3000"), 200);
          unbillable.push(tx);
        }
        const ann = await billedCustomer(rig);
        const billable = await startSession(rig, ann.tag, "1000");
        await reading(rig.app, billable, minute(1), "2500");

        await drain(worker);
        assert.equal(rig.lago.sum(ann.subscription), "1.500000", "the billable one went out");
        for (const tx of unbillable) assert.deepEqual(await statuses(db, tx.pk), ["unbillable"]);
        // Nothing pending is left: a claim reads none of the set-aside events again.
        const claim = await claimEvents(db, {
          owner: "probe",
          now: new Date(),
          leaseUntil: new Date(Date.now() + 30_000),
          limit: 100,
        });
        assert.deepEqual(claim, { events: [], parked: 0 });
        const before = await (await rig.app.admin("GET", "/api/admin/billing")).json();
        assert.equal(before.unbillable.tagWithoutCustomer, 5);
        assert.equal(before.unbillable.setAside, 5);
        assert.equal(before.queue.pending, 0);

        // Linking the card returns its sessions' events in the same transaction as the link.
        const res = await rig.app.admin("PUT", `/api/admin/tags/${loose}`, { customerId: ann.id });
        assert.equal(res.status, 200);
        await res.body?.cancel();
        for (const tx of unbillable) assert.deepEqual(await statuses(db, tx.pk), ["pending"]);
        await drain(worker);
        assert.equal(rig.lago.sum(ann.subscription), "11.500000");
        for (const tx of unbillable) assert.deepEqual(await statuses(db, tx.pk), ["delivered"]);
      },
    );

    await t.step(
      "a link set without returning them (a racing claim) is caught up by maintenance",
      async () => {
        await using rig = await startBillingRig({ db });
        const ann = await billedCustomer(rig);
        const loose = uniqueId("RACE");
        const tx = await startSession(rig, loose, "1000");
        await reading(rig.app, tx, minute(1), "4000");
        await drain(rig.app.deps.billing.worker);
        assert.deepEqual(await statuses(db, tx.pk), ["unbillable"]);
        // As if the claim had read the card unlinked just before this committed.
        await db.rows(sql`
          insert into tags (id_tag, customer_id, created_at, updated_at)
          values (${loose}, ${ann.id}, now(), now())
          on conflict (id_tag) do update set customer_id = excluded.customer_id`);
        await drain(rig.app.deps.billing.worker);
        assert.deepEqual(await statuses(db, tx.pk), ["unbillable"], "nothing claims it by itself");
        await pruneOnce(rig.app.deps);
        assert.deepEqual(await statuses(db, tx.pk), ["pending"]);
        await drain(rig.app.deps.billing.worker);
        assert.equal(rig.lago.sum(ann.subscription), "3.000000");
      },
    );
  },
);

forEachDatabase(
  "billing: the usage outbox and Lago delivery",
  async (t, db) => {
    await t.step(
      "a session's events add up to exactly its kWh and each reaches Lago once",
      async () => {
        await using rig = await startBillingRig({ db });
        const ann = await billedCustomer(rig);
        const tx = await startSession(rig, ann.tag, "100000.001");
        for (
          const [i, wh] of [
            "100333.334",
            "100666.667",
            "101000.002",
            "101000.002",
            "102345.678",
          ].entries()
        ) {
          assert.equal(await reading(rig.app, tx, minute(i + 1), wh), 200);
        }
        await assertOutboxMatchesSessions(db);
        await drain(rig.app.deps.billing.worker);
        assert.equal(await sessionKwh(db, tx.pk), "2.345677");
        assert.equal(rig.lago.sum(ann.subscription), "2.345677");
        assert.equal(rig.lago.duplicatesRejected, 0);
        const [{ n }] = await db.rows<{ n: number }>(
          sql`select count(*)::int as n from usage_events where transaction_pk = ${tx.pk}`,
        );
        assert.equal(rig.lago.events.size >= n, true);
        const stored = [...rig.lago.events.values()].filter((e) =>
          e.external_subscription_id === ann.subscription
        );
        assert.equal(stored.length, n, "one Lago event per queued event");
        for (const e of stored) {
          assert.match(
            String(e.properties.kwh),
            /^\d+\.\d{6}$/,
            "fixed decimals, never exponent notation",
          );
          assert.equal(e.code, "kwh");
          assert.equal(typeof e.timestamp, "number");
        }
      },
    );

    await t.step(
      "Lago failing with 500, 429 and timeouts for a while: nothing lost, nothing doubled",
      async () => {
        const clock = new ManualClock(T0);
        await using rig = await startBillingRig({
          db,
          clock,
          lagoTimeoutMs: 300,
        });
        const ann = await billedCustomer(rig);
        const tx = await startSession(rig, ann.tag, "5000");
        for (let i = 1; i <= 30; i++) {
          await reading(rig.app, tx, minute(i), String(5000 + i * 123.457));
        }
        rig.lago.failNext(2, { status: 500 });
        rig.lago.failNext(1, { status: 429, retryAfterSeconds: 7 });
        const worker = rig.app.deps.billing.worker;
        for (let i = 0; i < 3; i++) {
          const round = await deliverOnce(worker);
          assert.equal(round.delivered, 0, `failure round ${i}`);
          clock.advance(10 * 60_000);
        }
        rig.lago.hang(600); // answers after our 300 ms timeout, but stores the batch
        const timedOut = await deliverOnce(worker);
        assert.equal(timedOut.retried, timedOut.claimed);
        await new Promise((r) => setTimeout(r, 700)); // the hung batch lands after our timeout
        rig.lago.reset();
        clock.advance(10 * 60_000);
        await drain(worker);
        assert.equal(
          rig.lago.sum(ann.subscription),
          await sessionKwh(db, tx.pk),
        );
        assert.ok(
          rig.lago.duplicatesRejected > 0,
          "the resend after the timeout met value_already_exist",
        );
        const [{ pending }] = await db.rows<{ pending: number }>(
          sql`select count(*)::int as pending from usage_events where status <> 'delivered' and transaction_pk = ${tx.pk}`,
        );
        assert.equal(pending, 0);
        assert.ok(rig.app.deps.billing.lagoStatus.lastSuccessAt);
      },
    );

    await t.step(
      "a batch that keeps failing is split down to the poisoned event; the rest goes through",
      async () => {
        const clock = new ManualClock(T0);
        await using rig = await startBillingRig({ db, clock });
        const ann = await billedCustomer(rig);
        const tx = await startSession(rig, ann.tag, "0");
        for (let i = 1; i <= 12; i++) {
          await reading(rig.app, tx, minute(i), String(i * 1000));
        }
        const [poisoned] = await db.rows<{ event_id: string }>(
          sql`select event_id from usage_events where transaction_pk = ${tx.pk} order by id offset 5 limit 1`,
        );
        rig.lago.poison(poisoned.event_id, 500);
        for (let i = 0; i < 40; i++) {
          await deliverOnce(rig.app.deps.billing.worker);
          clock.advance(10 * 60_000);
        }
        const delivered = [...rig.lago.events.keys()];
        assert.equal(delivered.includes(poisoned.event_id), false);
        assert.equal(
          rig.lago.sum(ann.subscription),
          "11.000000",
          "all but the poisoned 1 kWh",
        );
        rig.lago.reset();
        await drain(rig.app.deps.billing.worker);
        assert.equal(rig.lago.sum(ann.subscription), "12.000000");
      },
    );

    await t.step(
      "an event Lago refuses (4xx) is dead-lettered with its reason; an admin retry sends it",
      async () => {
        await using rig = await startBillingRig({ db });
        const ann = await billedCustomer(rig);
        const tx = await startSession(rig, ann.tag, "0");
        await reading(rig.app, tx, minute(1), "1500");
        rig.lago.failNext(1, {
          status: 400,
          body: { status: 400, error: "Bad Request" },
        });
        await drain(rig.app.deps.billing.worker);
        const overview = await (await rig.app.admin("GET", "/api/admin/billing")).json();
        assert.equal(overview.deadLetters, 1);
        assert.match(overview.problems[0].reason, /HTTP 400/);
        const retried = await (await rig.app.admin("POST", "/api/admin/billing/retry", {}))
          .json();
        assert.deepEqual(retried, { retried: 1 });
        await drain(rig.app.deps.billing.worker);
        assert.equal(rig.lago.sum(ann.subscription), "1.500000");
      },
    );

    await t.step(
      "unbillable events wait, visible to the admin, and go out once the link is set",
      async () => {
        await using rig = await startBillingRig({ db });
        const bea = await billedCustomer(rig, false);
        const tx = await startSession(rig, bea.tag, "1000");
        await reading(rig.app, tx, minute(1), "3000");
        await drain(rig.app.deps.billing.worker);
        assert.equal(rig.lago.sum(bea.subscription), "0.000000");
        const waiting = await (await rig.app.admin("GET", "/api/admin/billing"))
          .json();
        assert.equal(waiting.unbillable.customerWithoutSubscription, 1);
        // The claim set it aside: no longer pending, out of every later claim's way.
        assert.equal(waiting.unbillable.setAside, 1);
        assert.equal(waiting.queue.pending, 0);
        await (await rig.app.admin("PUT", `/api/admin/customers/${bea.id}`, {
          name: "Billed Customer",
          lagoSubscriptionId: bea.subscription,
        })).body?.cancel();
        await drain(rig.app.deps.billing.worker);
        assert.equal(rig.lago.sum(bea.subscription), "2.000000");
      },
    );

    await t.step(
      "a session whose tag was unknown until SteVe's API answered bills the right subscription",
      async () => {
        await using rig = await startBillingRig({ db });
        const cy = await billedCustomer(rig);
        // No StartTransaction pre-authorize reached us: the session starts without a tag.
        const tx = { pk: ++nextPk, box: uniqueId("NOTAG") };
        await reading(rig.app, tx, minute(0), "10000", "Transaction.Begin");
        await reading(rig.app, tx, minute(5), "14000");
        await drain(rig.app.deps.billing.worker);
        assert.equal(rig.lago.sum(cy.subscription), "0.000000");
        assert.deepEqual(await statuses(db, tx.pk), ["unbillable"], "set aside: no card yet");
        rig.steve.addTransaction({
          id: tx.pk,
          chargeBoxId: tx.box,
          connectorId: 1,
          ocppIdTag: cy.tag,
          startTimestamp: minute(0).toISOString(),
          startValue: "9500",
        });
        const resolved = await resolveSessionsOnce(
          rig.app.deps.billing.resolver!,
        );
        assert.ok(resolved >= 1);
        await assertOutboxMatchesSessions(db);
        await drain(rig.app.deps.billing.worker);
        // SteVe's start register (9500 Wh) corrects ours (10000 Wh): 4.5 kWh, not 4.
        assert.equal(rig.lago.sum(cy.subscription), "4.500000");
        assert.equal(await sessionKwh(db, tx.pk), "4.500000");
      },
    );
  },
  PG_ONLY,
);

forEachDatabase("billing: the reconciliation sweep", async (t, db) => {
  /** A meter-values call that SteVe sent but we answered 401 (wrong key on its side). */
  const lostReading = async (
    rig: BillingRig,
    tx: { pk: number; box: string },
    at: Date,
    wh: string,
  ) => {
    const body = JSON.stringify({
      chargeBoxId: tx.box,
      transactionPk: tx.pk,
      connectorId: 1,
      timestamp: at.toISOString(),
      samples: [{ value: wh, unit: "Wh" }],
    });
    const res = await fetch(`${rig.app.url}/api/ocpp/meter-values`, {
      method: "POST",
      headers: { "x-signature": await signBody("x".repeat(40), body) },
      body,
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  };

  await t.step(
    "a 401 window in the middle and at the end of a session: billed to SteVe's exact Wh",
    async () => {
      const clock = new ManualClock(T0 + 3 * 3_600_000);
      await using rig = await startBillingRig({ db, clock });
      const ann = await billedCustomer(rig);
      const tx = await startSession(rig, ann.tag, "200000.5");
      await reading(rig.app, tx, minute(10), "201000.5");
      await lostReading(rig, tx, minute(20), "202000");
      await lostReading(rig, tx, minute(30), "203333.3");
      await lostReading(rig, tx, minute(40), "204777.7"); // Transaction.End lost too
      rig.steve.addTransaction({
        id: tx.pk,
        chargeBoxId: tx.box,
        connectorId: 1,
        ocppIdTag: ann.tag,
        startTimestamp: minute(0).toISOString(),
        startValue: "200000.5",
        stopTimestamp: minute(40).toISOString(),
        stopValue: "204777.7",
      });
      const run = await (await rig.app.admin("POST", "/api/admin/billing/sweep")).json();
      assert.equal(run.errors, null);
      assert.equal(run.transactions, 1);
      assert.equal(run.backfilledKwh, "3.777200");
      await assertOutboxMatchesSessions(db);
      await drain(rig.app.deps.billing.worker);
      assert.equal(rig.lago.sum(ann.subscription), "4.777200");

      const again = await (await rig.app.admin("POST", "/api/admin/billing/sweep")).json();
      assert.equal(
        again.backfilledKwh,
        "0.000000",
        "a second sweep never bills twice",
      );
      await drain(rig.app.deps.billing.worker);
      assert.equal(rig.lago.sum(ann.subscription), "4.777200");
    },
  );

  await t.step(
    "a whole session inside a 401 window is billed from SteVe's record alone",
    async () => {
      const clock = new ManualClock(T0 + 3 * 3_600_000);
      await using rig = await startBillingRig({ db, clock });
      const bo = await billedCustomer(rig);
      const pk = ++nextPk;
      rig.steve.addTransaction({
        id: pk,
        chargeBoxId: "NEVER-HEARD",
        connectorId: 2,
        ocppIdTag: bo.tag,
        startTimestamp: minute(0).toISOString(),
        startValue: "1000",
        stopTimestamp: minute(50).toISOString(),
        stopValue: "12345.678",
      });
      const run = await rig.app.deps.billing.sweepNow("test");
      assert.equal(run.backfilledKwh, "11.345678");
      await drain(rig.app.deps.billing.worker);
      assert.equal(rig.lago.sum(bo.subscription), "11.345678");
      await assertOutboxMatchesSessions(db);
    },
  );

  await t.step(
    "more queued than SteVe recorded is flagged, never sent as a negative",
    async () => {
      const clock = new ManualClock(T0 + 3 * 3_600_000);
      await using rig = await startBillingRig({ db, clock });
      const cy = await billedCustomer(rig);
      const tx = await startSession(rig, cy.tag, "0");
      await reading(rig.app, tx, minute(5), "5000");
      rig.steve.addTransaction({
        id: tx.pk,
        chargeBoxId: tx.box,
        connectorId: 1,
        ocppIdTag: cy.tag,
        startTimestamp: minute(0).toISOString(),
        startValue: "0",
        stopTimestamp: minute(6).toISOString(),
        stopValue: "4000",
      });
      const run = await rig.app.deps.billing.sweepNow("test");
      assert.equal(run.flagged, 1);
      assert.deepEqual((run.details as { flagged: unknown[] }).flagged, [
        { transactionPk: tx.pk, differenceKwh: "-1.000000" },
      ]);
      await drain(rig.app.deps.billing.worker);
      assert.equal(rig.lago.sum(cy.subscription), "5.000000");
    },
  );

  await t.step(
    "SteVe unreachable or refusing the credentials: recorded, visible, nothing billed",
    async () => {
      await using rig = await startBillingRig({ db });
      rig.steve.setCredentials("someone", "else");
      const run = await rig.app.deps.billing.sweepNow("test");
      assert.match(run.errors ?? "", /refused the credentials/);
      const overview = await (await rig.app.admin("GET", "/api/admin/billing"))
        .json();
      assert.equal(overview.steve.state, "unauthorized");
      assert.equal(overview.sweeps[0].id, run.id);
    },
  );

  await t.step("soon after a Transaction.End the sweep bills what SteVe recorded", async () => {
    await using rig = await startBillingRig({ db });
    const stop = rig.app.deps.billing.start({ workerIdleMs: 50, sweepAfterEndMs: 100 });
    try {
      const dee = await billedCustomer(rig);
      const tx = await startSession(rig, dee.tag, "1000");
      const now = Date.now();
      rig.steve.addTransaction({
        id: tx.pk,
        chargeBoxId: tx.box,
        connectorId: 1,
        ocppIdTag: dee.tag,
        startTimestamp: new Date(now - 3_600_000).toISOString(),
        startValue: "1000",
        stopTimestamp: new Date(now).toISOString(),
        stopValue: "9999.999",
      });
      // The End reading carries a lower register than SteVe's stop value (a lost last sample).
      await reading(rig.app, tx, minute(30), "9000", "Transaction.End");
      for (let i = 0; i < 100 && rig.lago.sum(dee.subscription) !== "8.999999"; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(rig.lago.sum(dee.subscription), "8.999999");
      const overview = await (await rig.app.admin("GET", "/api/admin/billing")).json();
      assert.equal(overview.sweeps[0].trigger, "transaction_end");
    } finally {
      await stop();
    }
  });
}, PG_ONLY);
