/**
 * `GET /api/admin/hooks` reads the stored minutes (issue 15 §4): two
 * instances on one database take calls at different times; either one
 * answers the sums of both — last hour (12 five-minute buckets), last 24
 * hours, 401s by cause with the runbook's meaning and fix, the last good
 * call, failing or not, per-key passes, and open sessions SteVe went silent on.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { emailReplyOutcome } from "../lib/email/sender.ts";
import { UNAUTHORIZED_ADVICE } from "../lib/hook_runbook.ts";
import { keyFingerprint } from "../lib/hook_stats.ts";
import {
  jsonOf,
  METER_KEY,
  meterValues,
  PREAUTH_KEY,
  preAuthorize,
  signedPost,
  startTestApp,
  type TestApp,
} from "./_support/app.ts";
import { forEachDatabase } from "./_support/db.ts";

const MIN = 60_000;
/** Now: 10:02:30, so the hour's buckets run 09:05 … 10:00 and the failing window 09:58 … 10:02. */
const NOW = Date.parse("2026-12-01T10:02:30Z");
const BODY = { idTag: "T", chargeBoxId: "CB-7", connectorId: 1, isStartTx: false, ts: 0 };

async function call(app: TestApp, how: "ok" | "mismatch" | "missing_signature" | "bad_hex") {
  const url = `${app.url}/api/ocpp/pre-authorize`;
  const raw = JSON.stringify(BODY);
  const res = how === "ok"
    ? await preAuthorize(app, BODY)
    : how === "mismatch"
    ? await signedPost(url, METER_KEY, raw)
    : await fetch(url, {
      method: "POST",
      headers: how === "bad_hex" ? { "x-signature": "zz".repeat(32) } : {},
      body: raw,
    });
  assert.equal(res.status, how === "ok" ? 200 : 401);
  await res.body?.cancel();
}

forEachDatabase(
  "hook health - two instances' stored calls, summed in the hour, the day and by cause",
  async (t, db) => {
    const clock = new ManualClock(NOW - 70 * MIN);
    await using a = await startTestApp({ db, clock });
    await using b = await startTestApp({ db, clock });
    const hooks = async () => {
      await a.deps.hookStats.flush(db);
      await b.deps.hookStats.flush(db);
      const res = await jsonOf(await b.admin("GET", "/api/admin/hooks"));
      assert.equal(res.status, 200);
      assert.match(res.type, /application\/json/);
      return res.body;
    };

    // 09:52:30 (outside the hour, inside the day): two good calls on A.
    await call(a, "ok");
    await call(a, "ok");
    // 09:32:30: one good call and three mismatches on B.
    clock.advance(40 * MIN);
    await call(b, "ok");
    for (let i = 0; i < 3; i++) await call(b, "mismatch");
    // 09:52:30: a meter value opens a session on A; nothing comes after it.
    clock.advance(20 * MIN);
    const mv = await meterValues(a, {
      chargeBoxId: "CB-7",
      transactionPk: 4242,
      connectorId: 1,
      timestamp: "2026-12-01T09:52:30Z",
      samples: [{ value: "1000", measurand: "Energy.Active.Import.Register", unit: "Wh" }],
    });
    assert.equal(mv.status, 200);
    await mv.body?.cancel();
    // 10:00:30: refusals on both, no good call.
    clock.advance(8 * MIN);
    await call(a, "missing_signature");
    await call(a, "missing_signature");
    await call(b, "bad_hex");
    clock.advance(2 * MIN);

    await t.step("last hour, last day, by bucket: both instances summed", async () => {
      const body = await hooks();
      assert.deepEqual(body.hooks.map((h: { name: string }) => h.name), [
        "PreAuthorize",
        "MeterValues",
        "PncWebhooks",
        "PartnerEvents",
        "EmailWorker",
      ]);
      const pre = body.hooks[0];
      assert.deepEqual(pre.last24Hours, {
        ok: 3,
        "unauthorized:bad_hex": 1,
        "unauthorized:mismatch": 3,
        "unauthorized:missing_signature": 2,
      });
      assert.deepEqual(pre.lastHour, {
        ok: 1,
        "unauthorized:bad_hex": 1,
        "unauthorized:mismatch": 3,
        "unauthorized:missing_signature": 2,
      });
      assert.equal(pre.lastHourBuckets.length, 12);
      assert.equal(pre.lastHourBuckets[0].start, "2026-12-01T09:05:00.000Z");
      const nonEmpty = pre.lastHourBuckets.filter((b: { counts: object }) =>
        Object.keys(b.counts).length
      );
      assert.deepEqual(nonEmpty, [
        { start: "2026-12-01T09:30:00.000Z", counts: { ok: 1, "unauthorized:mismatch": 3 } },
        {
          start: "2026-12-01T10:00:00.000Z",
          counts: { "unauthorized:bad_hex": 1, "unauthorized:missing_signature": 2 },
        },
      ]);
      assert.equal(pre.lastOkAt, "2026-12-01T09:32:30.000Z");
      assert.equal(pre.failing, true);
      assert.deepEqual(pre.keys, [{
        name: "current",
        variable: "STEVE_PREAUTH_HMAC_KEY",
        fingerprint: keyFingerprint(PREAUTH_KEY),
        passes: 3,
      }]);
      // Today's in-memory counts stay: this instance's own since its start.
      assert.deepEqual(pre.counts, {
        ok: 1,
        "unauthorized:mismatch": 3,
        "unauthorized:bad_hex": 1,
      });
    });

    await t.step("401s by cause, most first, with the runbook's meaning and fix", async () => {
      const pre = (await hooks()).hooks[0];
      assert.deepEqual(pre.unauthorized, [
        { reason: "mismatch", lastHour: 3, last24Hours: 3, ...UNAUTHORIZED_ADVICE.mismatch },
        {
          reason: "missing_signature",
          lastHour: 2,
          last24Hours: 2,
          ...UNAUTHORIZED_ADVICE.missing_signature,
        },
        { reason: "bad_hex", lastHour: 1, last24Hours: 1, ...UNAUTHORIZED_ADVICE.bad_hex },
      ]);
    });

    await t.step("an open session without a meter value for 5 minutes is listed", async () => {
      const body = await hooks();
      assert.deepEqual(body.silentSessions, {
        total: 1,
        sessions: [{
          chargeBoxId: "CB-7",
          transactionPk: 4242,
          lastMeterValueAt: "2026-12-01T09:52:30.000Z",
        }],
      });
      const meter = body.hooks[1];
      assert.deepEqual(meter.lastHour, { ok: 1 });
      assert.equal(meter.failing, false);
      assert.equal(body.storedSince, "2026-12-01T08:52:00.000Z");
    });

    await t.step("one good call ends 'failing'; the hour moves on with the clock", async () => {
      await call(a, "ok");
      assert.equal((await hooks()).hooks[0].failing, false);
      clock.advance(60 * MIN);
      const pre = (await hooks()).hooks[0];
      assert.deepEqual(pre.lastHour, {});
      assert.equal(pre.last24Hours.ok, 4);
      assert.equal(pre.lastOkAt, "2026-12-01T10:02:30.000Z");
    });
  },
);

Deno.test("hook health - the email worker's replies, as the hook page counts them", () => {
  const body = (json: unknown) => new TextEncoder().encode(JSON.stringify(json));
  const reply = (status: number, json: unknown = {}) =>
    emailReplyOutcome({ kind: "response", status, retryAfter: null, ms: 1, body: body(json) });
  assert.equal(reply(202), "ok");
  assert.equal(reply(401, { error: "unauthorized" }), "unauthorized:mismatch");
  assert.equal(reply(401, { error: "stale" }), "unauthorized:stale");
  assert.equal(reply(502, { error: "provider_unavailable" }), "502");
  assert.equal(emailReplyOutcome({ kind: "timeout", ms: 10_000 }), "timeout");
  assert.equal(emailReplyOutcome({ kind: "network", error: "refused", ms: 1 }), "unreachable");
});
