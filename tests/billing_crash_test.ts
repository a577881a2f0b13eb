/**
 * Delivery under concurrency and crashes, on PostgreSQL: two workers never
 * send one event twice, a crashed worker's batch is not stranded, and the app
 * killed with SIGKILL in the middle of a flush loses and doubles nothing.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { claimEvents } from "../db/queries/usage_events.ts";
import { deliverOnce, type LagoWorkerDeps } from "../lib/billing/lago_worker.ts";
import { ManualClock } from "../lib/clock.ts";
import { signBody } from "../lib/signed_request.ts";
import { appProcess } from "./_support/app_process.ts";
import { openTestDatabase, postgresAvailable } from "./_support/db.ts";
import { ADMIN_TOKEN, METER_KEY, PREAUTH_KEY, preAuthorize, uniqueId } from "./_support/app.ts";
import { billedCustomer, drain, reading, startBillingRig } from "./_support/billing.ts";
import { startFakeLago } from "./fakes/fake_lago.ts";

const T0 = Date.parse("2026-11-23T09:00:00Z");

function pgTest(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `[postgres] ${name}`, ignore: !postgresAvailable, fn });
}

pgTest(
  "billing - two workers on one database never deliver an event twice",
  async () => {
    await using db = await openTestDatabase("postgres");
    await using rig = await startBillingRig({ db });
    const customers = await Promise.all(
      [1, 2, 3].map(() => billedCustomer(rig)),
    );
    let pk = 4_000_000;
    for (const [i, customer] of customers.entries()) {
      for (let s = 0; s < 4; s++) {
        const tx = { pk: ++pk, box: uniqueId("W") };
        await (await preAuthorize(rig.app, {
          idTag: customer.tag,
          chargeBoxId: tx.box,
          connectorId: 1,
          isStartTx: true,
        }))
          .body?.cancel();
        for (let r = 0; r <= 25; r++) {
          await reading(
            rig.app,
            tx,
            new Date(T0 + r * 60_000),
            String(1000 * i + r * 251.5),
            r ? "Sample.Periodic" : "Transaction.Begin",
          );
        }
      }
    }
    const [{ queued }] = await db.rows<{ queued: number }>(
      sql`select count(*)::int as queued from usage_events`,
    );
    assert.equal(queued, 3 * 4 * 25);
    const base = rig.app.deps.billing.worker;
    const workers: LagoWorkerDeps[] = ["instance-a", "instance-b"].map((
      owner,
    ) => ({ ...base, owner, batchLimit: 7 }));
    await Promise.all(workers.map((w) => drain(w, 1000)));
    assert.equal(rig.lago.events.size, queued);
    assert.equal(rig.lago.duplicatesRejected, 0, "no event reached Lago twice");
    for (const c of customers) {
      const [{ kwh }] = await db.rows<{ kwh: string }>(sql`
      select to_char(sum(s.energy_mwh) / 1000000.0, 'FM999999990.000000') as kwh
      from live_sessions s join tags t on t.id_tag = s.id_tag where t.customer_id = ${c.id}`);
      assert.equal(rig.lago.sum(c.subscription), kwh);
    }
  },
);

pgTest(
  "billing - a batch leased by a worker that died goes out once its lease expires",
  async () => {
    await using db = await openTestDatabase("postgres");
    const clock = new ManualClock(T0);
    await using rig = await startBillingRig({ db, clock });
    const ann = await billedCustomer(rig);
    const tx = { pk: 4_100_000, box: uniqueId("LEASE") };
    await (await preAuthorize(rig.app, {
      idTag: ann.tag,
      chargeBoxId: tx.box,
      connectorId: 1,
      isStartTx: true,
    }))
      .body?.cancel();
    await reading(rig.app, tx, new Date(T0), "0", "Transaction.Begin");
    await reading(rig.app, tx, new Date(T0 + 60_000), "2500");
    const { events: leased } = await claimEvents(db, {
      owner: "crashed-instance",
      now: clock.now(),
      leaseUntil: new Date(T0 + 30_000),
      limit: 100,
    });
    assert.equal(leased.length, 1);
    const worker = rig.app.deps.billing.worker;
    assert.equal((await deliverOnce(worker)).claimed, 0, "still leased");
    clock.advance(31_000);
    await drain(worker);
    assert.equal(rig.lago.sum(ann.subscription), "2.500000");
  },
);

pgTest(
  "billing - SIGKILL in the middle of a flush, then a restart: no loss, no double billing",
  async () => {
    await using db = await openTestDatabase("postgres");
    await using lago = startFakeLago();
    const subscription = "sub-crash";
    lago.addSubscription(subscription);
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const env = {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DATABASE_URL: db.url!,
      STEVE_PREAUTH_HMAC_KEY: PREAUTH_KEY,
      STEVE_METERVALUE_HMAC_KEY: METER_KEY,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      LAGO_API_URL: lago.url,
      LAGO_API_KEY: lago.apiKey,
      LAGO_TIMEOUT_SECONDS: "1",
      LOG_LEVEL: "warning",
    };
    const { start, ready, base } = appProcess(env, port);
    const admin = (path: string, body: unknown) =>
      fetch(base + path, {
        method: "PUT",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify(body),
      }).then((r) => r.body?.cancel());
    const signed = async (path: string, key: string, body: unknown) => {
      const text = JSON.stringify(body);
      const res = await fetch(base + path, {
        method: "POST",
        headers: { "x-signature": await signBody(key, text) },
        body: text,
      });
      await res.body?.cancel();
      assert.equal(res.status, 200);
    };

    let child = start();
    try {
      await ready();
      await admin("/api/admin/customers/crash", {
        name: "Crash Test",
        lagoSubscriptionId: subscription,
      });
      await admin("/api/admin/tags/CRASH-CARD", { customerId: "crash" });
      lago.hang(3_000); // every batch the worker sends now stays in flight
      for (let s = 0; s < 5; s++) {
        const pk = 4_200_000 + s;
        await signed("/api/ocpp/pre-authorize", PREAUTH_KEY, {
          idTag: "CRASH-CARD",
          chargeBoxId: `CRASH-${s}`,
          connectorId: 1,
          isStartTx: true,
        });
        for (let r = 0; r <= 20; r++) {
          await signed("/api/ocpp/meter-values", METER_KEY, {
            chargeBoxId: `CRASH-${s}`,
            transactionPk: pk,
            connectorId: 1,
            timestamp: new Date(T0 + r * 60_000).toISOString(),
            samples: [{
              value: String(10_000 + r * 777.777),
              context: r ? "Sample.Periodic" : "Transaction.Begin",
            }],
          });
        }
      }
      // Wait until a batch is in flight (leased, its request hanging), then kill the app
      // without any chance to clean up.
      const inFlight = async () =>
        (await db.rows<{ n: number }>(
          sql`select count(*)::int as n from usage_events where lease_owner is not null`,
        ))[0].n > 0;
      for (let i = 0; i < 500 && !await inFlight(); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill("SIGKILL");
      await child.status;
      const [{ leased }] = await db.rows<{ leased: number }>(
        sql`select count(*)::int as leased from usage_events where lease_owner is not null and status = 'pending'`,
      );
      assert.ok(leased > 0, "the kill happened with a batch in flight");

      lago.reset();
      child = start();
      await ready();
      // The dead instance's lease (3 s) expires; the new instance delivers everything.
      for (let i = 0; i < 300; i++) {
        const [{ left }] = await db.rows<{ left: number }>(
          sql`select count(*)::int as left from usage_events where status <> 'delivered'`,
        );
        if (left === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const [{ total, events, kwh }] = await db.rows<
        { total: number; events: number; kwh: string }
      >(sql`
      select count(*) filter (where status = 'delivered')::int as total, count(*)::int as events,
        to_char(sum(delta_mwh) / 1000000.0, 'FM999999990.000000') as kwh
      from usage_events`);
      assert.equal(total, events, "every queued event was delivered");
      assert.equal(
        lago.events.size,
        events,
        "Lago stored each event exactly once",
      );
      assert.equal(lago.sum(subscription), kwh);
      const [{ energy }] = await db.rows<{ energy: string }>(sql`
      select to_char(sum(energy_mwh) / 1000000.0, 'FM999999990.000000') as energy from live_sessions`);
      assert.equal(
        lago.sum(subscription),
        energy,
        "billed exactly the sessions' energy",
      );
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    }
  },
);
