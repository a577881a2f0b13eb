/** An app wired to a fake Lago and a fake SteVe, plus helpers to drive billing in tests. */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { deliverOnce, type LagoWorkerDeps } from "../../lib/billing/lago_worker.ts";
import { createLagoSender } from "../../lib/billing/lago_client.ts";
import type { Clock } from "../../lib/clock.ts";
import { type FakeLago, startFakeLago } from "../fakes/fake_lago.ts";
import { type FakeSteve, startFakeSteve } from "../fakes/fake_steve.ts";
import { meterValues, startTestApp, type TestApp, uniqueId } from "./app.ts";

export interface BillingRig extends AsyncDisposable {
  app: TestApp;
  lago: FakeLago;
  steve: FakeSteve;
}

export async function startBillingRig(
  options: {
    db: Database;
    clock?: Clock;
    lagoTimeoutMs?: number;
    /** More settings for the app (e.g. partner webhooks). */
    env?: Record<string, string>;
  },
): Promise<BillingRig> {
  const lago = startFakeLago();
  const steve = startFakeSteve();
  const app = await startTestApp({
    db: options.db,
    clock: options.clock,
    env: {
      LAGO_API_URL: lago.url,
      LAGO_API_KEY: lago.apiKey,
      STEVE_API_URL: steve.url,
      STEVE_API_USER: steve.user,
      STEVE_API_PASSWORD: steve.password,
      ...options.env,
    },
  });
  if (options.lagoTimeoutMs) {
    app.deps.billing.worker.sender = createLagoSender({
      apiUrl: lago.url,
      apiKey: lago.apiKey,
      timeoutMs: options.lagoTimeoutMs,
    });
  }
  return {
    app,
    lago,
    steve,
    async [Symbol.asyncDispose]() {
      await app.close();
      await lago[Symbol.asyncDispose]();
      await steve[Symbol.asyncDispose]();
    },
  };
}

/** A customer billed to a fresh Lago subscription, with a card. */
export async function billedCustomer(rig: BillingRig, withSubscription = true) {
  const id = uniqueId("cust");
  const tag = uniqueId("TAG");
  const subscription = `sub-${id}`;
  rig.lago.addSubscription(subscription);
  const res = await rig.app.admin("PUT", `/api/admin/customers/${id}`, {
    name: "Billed Customer",
    lagoSubscriptionId: withSubscription ? subscription : null,
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  await (await rig.app.admin("PUT", `/api/admin/tags/${tag}`, {
    customerId: id,
  })).body?.cancel();
  return { id, tag, subscription };
}

/** Runs delivery rounds until nothing is claimable (or `maxRounds`). */
export async function drain(
  worker: LagoWorkerDeps,
  maxRounds = 200,
): Promise<void> {
  for (let i = 0; i < maxRounds; i++) {
    const round = await deliverOnce(worker);
    // A round that only set unbillable events aside may have billable ones behind them.
    if (round.claimed === 0 && round.parked === 0) return;
  }
  throw new Error("the queue did not drain");
}

/** Sends one signed meter reading (energy in Wh, a string as OCPP sends it). */
export async function reading(
  app: TestApp,
  tx: { pk: number; box: string },
  at: Date,
  wh: string,
  context = "Sample.Periodic",
): Promise<number> {
  const res = await meterValues(app, {
    chargeBoxId: tx.box,
    transactionPk: tx.pk,
    connectorId: 1,
    timestamp: at.toISOString(),
    samples: [{ value: wh, context, unit: "Wh" }],
  });
  await res.body?.cancel();
  return res.status;
}

/** Every session's queued events add up to its energy: the outbox invariant. */
export async function assertOutboxMatchesSessions(db: Database): Promise<void> {
  const rows = await db.rows<
    { transaction_pk: string; energy_mwh: string; queued: string }
  >(sql`
    select s.transaction_pk, s.energy_mwh, coalesce(e.queued, 0) as queued
    from live_sessions s
    left join (select transaction_pk, sum(delta_mwh) as queued from usage_events group by 1) e
      using (transaction_pk)
    where s.energy_mwh <> coalesce(e.queued, 0)`);
  assert.deepEqual(
    rows,
    [],
    "queued events must add up to each session's energy",
  );
}

/** The session's kWh as a six-decimal string (what Lago must have summed). */
export async function sessionKwh(
  db: Database,
  transactionPk: number,
): Promise<string> {
  const [row] = await db.rows<{ kwh: string }>(sql`
    select to_char(energy_mwh / 1000000.0, 'FM999999990.000000') as kwh from live_sessions
    where transaction_pk = ${transactionPk}`);
  return row.kwh;
}
