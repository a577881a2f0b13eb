/**
 * The SteVe stand-in against the real app over HTTP: a whole session lands as
 * a live session with the kWh it sent, and each hook only accepts its own key.
 */
import assert from "node:assert/strict";
import type { Clock } from "../lib/clock.ts";
import type { MeterValuesBody } from "../lib/meter_values.ts";
import {
  buildPreAuthorizeBody,
  createSteveSender,
  DEFAULT_SESSION,
  runSession,
  type SteveSender,
} from "../lib/steve_stand_in.ts";
import { forEachDatabase } from "./_support/db.ts";
import { jsonOf, METER_KEY, PREAUTH_KEY, startTestApp, uniqueId } from "./_support/app.ts";

/** A clock that moves one minute per reading, so a session sent at once still charges. */
function steppingClock(start: number, stepMs: number): Clock {
  let ticks = 0;
  return { now: () => new Date(start + stepMs * ticks++) };
}

/** The register a meter-values body carries, in mWh (parsed apart from the stand-in). */
function registerMwh(body: MeterValuesBody): number {
  const energy = body.samples.find((s) => s.measurand === "Energy.Active.Import.Register");
  const [whole, fraction = ""] = energy!.value.split(".");
  return Number(whole) * 1000 + Number(fraction.padEnd(3, "0"));
}

forEachDatabase(
  "steve stand-in - a session ends as a live session with the kWh it sent",
  async (_t, db) => {
    await using app = await startTestApp({ db });
    const real = createSteveSender({
      baseUrl: app.url,
      keys: { preAuthorize: PREAUTH_KEY, meterValues: METER_KEY },
    });
    const sent: MeterValuesBody[] = [];
    const send: SteveSender = {
      preAuthorize: real.preAuthorize,
      meterValues: (body) => (sent.push(body), real.meterValues(body)),
    };
    const chargeBoxId = uniqueId("CB");
    const result = await runSession(
      { send, clock: steppingClock(Date.now() - 10 * 60_000, 60_000) },
      {
        ...DEFAULT_SESSION,
        chargeBoxId,
        idTag: uniqueId("CARD"),
        connectorId: 2,
        readings: 3,
        intervalMs: 0,
      },
    );

    assert.deepEqual(
      result.calls.map((c) => [c.step, c.status]),
      [
        ["Authorize", 200],
        ["StartTransaction", 200],
        ["MeterValues Transaction.Begin", 200],
        ["MeterValues Sample.Periodic", 200],
        ["MeterValues Sample.Periodic", 200],
        ["MeterValues Sample.Periodic", 200],
        ["MeterValues Transaction.End", 200],
      ],
    );
    assert.deepEqual(result.calls[0].answer, { override: null });
    assert.deepEqual(result.calls[1].answer, { override: null });
    assert.equal(result.ok, true);

    // 7.4 kW for the 4 minutes between Begin and End: 493.333 Wh.
    const sentKwh = (registerMwh(sent.at(-1)!) - registerMwh(sent[0])) / 1e6;
    assert.equal(sentKwh, 0.493333);
    assert.equal(result.kwh, sentKwh);
    const periodic = sent[1].samples.filter((s) => s.phase);
    assert.deepEqual(periodic.map((s) => s.phase), ["L1", "L2", "L3"]);
    assert.ok(periodic.every((s) => typeof s.value === "string"));

    const live = await jsonOf(
      await app.admin("GET", "/api/admin/sessions/live"),
    );
    assert.equal(live.status, 200);
    assert.match(live.type, /application\/json/);
    const session = live.body.sessions.find((
      s: { transactionPk: number },
    ) => s.transactionPk === result.transactionPk);
    assert.ok(session, "the stand-in's transaction is listed");
    assert.equal(session.chargeBoxId, chargeBoxId);
    assert.equal(session.connectorId, 2);
    assert.equal(session.kwh, sentKwh);
    assert.notEqual(session.endedAt, null);

    // The per-phase strings sum to the power sent: the first periodic reading's event says 7.4 kW.
    const meters = app.events.filter((e) =>
      e.topic === "transaction.meter" &&
      (e.payload as { transactionPk: number }).transactionPk ===
        result.transactionPk
    );
    assert.equal(meters.length, 5);
    assert.equal((meters[1].payload as { kw: number | null }).kw, 7.4);
  },
);

forEachDatabase(
  "steve stand-in - pre-authorize signed with the meter-values key is 401",
  async (_t, db) => {
    await using app = await startTestApp({ db });
    const send = createSteveSender({
      baseUrl: app.url,
      keys: { preAuthorize: METER_KEY, meterValues: METER_KEY },
    });
    const answer = await send.preAuthorize(buildPreAuthorizeBody({
      chargeBoxId: "TEST",
      idTag: "TEST",
      connectorId: 1,
      isStartTx: false,
      at: new Date(),
    }));
    assert.deepEqual(answer, {
      status: 401,
      ok: false,
      answer: { error: "unauthorized" },
    });
  },
);

Deno.test("steve stand-in - a BLOCKED tap starts no transaction", async () => {
  const meterCalls: MeterValuesBody[] = [];
  const result = await runSession({
    send: {
      preAuthorize: () =>
        Promise.resolve({
          status: 200,
          ok: true,
          answer: { override: "BLOCKED" },
        }),
      meterValues: (body) => {
        meterCalls.push(body);
        return Promise.resolve({ status: 200, ok: true, answer: { ok: true } });
      },
    },
    clock: steppingClock(Date.now(), 60_000),
  }, { ...DEFAULT_SESSION, chargeBoxId: "CB", idTag: "CARD", intervalMs: 0 });
  assert.equal(result.blocked, true);
  assert.deepEqual(result.calls.map((c) => c.step), ["Authorize"]);
  assert.equal(meterCalls.length, 0);
  assert.equal(result.kwh, 0);
});

Deno.test("steve stand-in - an abort ends a session mid-wait, before its next call", async () => {
  const stop = new AbortController();
  const steps: string[] = [];
  const startedAt = performance.now();
  const result = await runSession({
    send: {
      preAuthorize: () => Promise.resolve({ status: 200, ok: true, answer: {} }),
      meterValues: () => {
        // Abort during the first long wait after Transaction.Begin.
        setTimeout(() => stop.abort(), 50);
        return Promise.resolve({ status: 200, ok: true, answer: { ok: true } });
      },
    },
    clock: steppingClock(Date.parse("2026-11-23T10:00:00Z"), 60_000),
    signal: stop.signal,
    onCall: (call) => steps.push(call.step),
  }, { ...DEFAULT_SESSION, chargeBoxId: "CB", idTag: "CARD", intervalMs: 60_000 });
  assert.ok(performance.now() - startedAt < 5_000, "the 60 s wait ended on the abort");
  assert.deepEqual(steps, ["Authorize", "StartTransaction", "MeterValues Transaction.Begin"]);
  assert.equal(result.ok, true);
});
