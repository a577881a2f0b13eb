/**
 * Operator alerts (issue 14 §3) over real HTTP and real databases: a 401
 * storm of real signed-hook calls mails each recipient once an hour naming
 * the dominant cause, and once more when it clears; a storm split over two
 * instances on one database counts together and mails once; a hook key
 * missing at start, a partner failing for an hour and dead-lettered usage
 * events each raise and recover; without ALERT_EMAIL nothing is mailed.
 * The rows of `email_messages` are checked (the sender is tested elsewhere).
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import { type Database, openDatabase } from "../db/client.ts";
import { listAlerts } from "../db/queries/alerts.ts";
import { outcomeCounts } from "../db/queries/hook_outcomes.ts";
import { insertEventDeliveries } from "../db/queries/partner_deliveries.ts";
import { alertRound, type AlertRoundResult } from "../lib/alerts/service.ts";
import { ManualClock } from "../lib/clock.ts";
import { setupLogging, teardownLogging } from "../lib/logging.ts";
import { UNAUTHORIZED_ADVICE } from "../lib/hook_runbook.ts";
import { forEachDatabase } from "./_support/db.ts";
import { ADMIN_TOKEN, signedPost, startTestApp, type TestApp } from "./_support/app.ts";
import { round as partnerRound, startFakePartner, subscribedPartner } from "./_support/partner.ts";

const T0 = Date.parse("2026-12-01T10:00:30Z");
const MIN = 60_000;
const RECIPIENTS = "ops@example.test, oncall@example.test";
const PRE_AUTHORIZE = "/api/ocpp/pre-authorize";
const RUNBOOK_BODY =
  '{"idTag":"TEST","chargeBoxId":"TEST","connectorId":1,"isStartTx":false,"ts":0}';
const WRONG_KEY = "not-the-preauth-key-0123456789abcdef0123456789";

interface AlertMailRow {
  id: string;
  to: string;
  subject: string;
  text: string;
}

async function alertMails(db: Database): Promise<AlertMailRow[]> {
  const rows = await db.rows<Record<string, string>>(sql`
    select id, to_address, subject, text from email_messages where purpose = 'alert'
    order by created_at, id`);
  return rows.map((r) => ({ id: r.id, to: r.to_address, subject: r.subject, text: r.text }));
}

/** Refused calls: `mismatch` signed with another key, `missing_signature` without the header, `bad_hex` not hex. */
async function refusedCalls(
  app: TestApp,
  counts: { mismatch?: number; missing_signature?: number; bad_hex?: number },
): Promise<void> {
  const url = app.url + PRE_AUTHORIZE;
  const calls: Array<Promise<Response>> = [];
  for (let i = 0; i < (counts.mismatch ?? 0); i++) {
    calls.push(signedPost(url, WRONG_KEY, RUNBOOK_BODY));
  }
  for (let i = 0; i < (counts.missing_signature ?? 0); i++) {
    calls.push(fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: RUNBOOK_BODY,
    }));
  }
  for (let i = 0; i < (counts.bad_hex ?? 0); i++) {
    calls.push(signedPost(url, WRONG_KEY, RUNBOOK_BODY, { "x-signature": "zz".repeat(32) }));
  }
  for (const res of await Promise.all(calls)) {
    assert.equal(res.status, 401);
    await res.body?.cancel();
  }
}

const alertsRound = (app: TestApp): Promise<AlertRoundResult> => alertRound(app.deps.alerts.deps);

forEachDatabase(
  "alerts - a 401 storm: one mail per recipient an hour, naming the cause, recovered once",
  async (t, db) => {
    const clock = new ManualClock(T0);
    await using app = await startTestApp({ db, clock, env: { ALERT_EMAIL: RECIPIENTS } });

    await t.step("9 refusals in 5 minutes raise nothing", async () => {
      await refusedCalls(app, { mismatch: 9 });
      assert.deepEqual(await alertsRound(app), { raised: [], cleared: [], mailsQueued: 0 });
      assert.deepEqual(await alertMails(db), []);
    });

    let raisedMs = 0;
    await t.step(
      "the 10th and more raise it: one mail per recipient naming the dominant cause",
      async () => {
        clock.advance(MIN);
        await refusedCalls(app, { mismatch: 3, missing_signature: 2, bad_hex: 1 });
        const result = await alertsRound(app);
        assert.deepEqual(result, {
          raised: ["hook-401:PreAuthorize"],
          cleared: [],
          mailsQueued: 2,
        });
        const mails = await alertMails(db);
        raisedMs = clock.now().getTime();
        assert.deepEqual(mails.map((m) => [m.id, m.to]), [
          [`alert-hook-401-preauthorize-${raisedMs}-0`, "ops@example.test"],
          [`alert-hook-401-preauthorize-${raisedMs}-1`, "oncall@example.test"],
        ]);
        for (const mail of mails) {
          assert.equal(
            mail.subject,
            "ExpresSync alert: PreAuthorize refusing calls (401), mostly mismatch",
          );
          assert.match(mail.text, /refused 15 calls with 401 in the last 5 minutes/);
          assert.match(mail.text, /By cause: mismatch 12, missing_signature 2, bad_hex 1\./);
          for (const reason of ["mismatch", "missing_signature", "bad_hex"] as const) {
            assert.ok(mail.text.includes(UNAUTHORIZED_ADVICE[reason].meaning), reason);
            assert.ok(mail.text.includes(UNAUTHORIZED_ADVICE[reason].fix), reason);
          }
          assert.match(mail.text, /STEVE_PREAUTH_HMAC_KEY/);
          assert.match(mail.text, /http:\/\/charge\.example\.test\/api\/admin\/hooks/);
        }
        assert.deepEqual(
          await outcomeCounts(db, {
            endpoint: "PreAuthorize",
            from: new Date(T0 - 10 * MIN),
            to: new Date(T0 + 10 * MIN),
          }),
          {
            "unauthorized:bad_hex": 1,
            "unauthorized:mismatch": 12,
            "unauthorized:missing_signature": 2,
          },
        );
      },
    );

    await t.step("the storm goes on: nothing more", async () => {
      for (let i = 0; i < 4; i++) {
        clock.advance(MIN);
        await refusedCalls(app, { mismatch: 12 });
        assert.deepEqual(await alertsRound(app), { raised: [], cleared: [], mailsQueued: 0 });
      }
      assert.equal((await alertMails(db)).length, 2);
    });

    await t.step("5 minutes without reaching 10: one recovered mail per recipient", async () => {
      clock.advance(3 * MIN);
      await refusedCalls(app, { mismatch: 9 }); // the last 5 minutes hold 12 + 9: still a storm
      assert.deepEqual((await alertsRound(app)).cleared, []);
      clock.advance(5 * MIN); // only the 9 within the window now
      const result = await alertsRound(app);
      assert.deepEqual(result, { raised: [], cleared: ["hook-401:PreAuthorize"], mailsQueued: 2 });
      const recovered = (await alertMails(db)).slice(2);
      assert.deepEqual(recovered.map((m) => [m.id, m.to]), [
        [`alert-hook-401-preauthorize-recovered-${raisedMs}-0`, "ops@example.test"],
        [`alert-hook-401-preauthorize-recovered-${raisedMs}-1`, "oncall@example.test"],
      ]);
      assert.equal(
        recovered[0].subject,
        "ExpresSync recovered: PreAuthorize refusing calls (401), mostly mismatch",
      );
      assert.match(recovered[0].text, /Fewer than 10 calls were refused with 401/);
      assert.deepEqual(await alertsRound(app), { raised: [], cleared: [], mailsQueued: 0 });
    });

    await t.step(
      "again within the hour: tracked, not mailed, and its clearing not mailed either",
      async () => {
        clock.advance(MIN);
        await refusedCalls(app, { bad_hex: 10 });
        assert.deepEqual(await alertsRound(app), {
          raised: ["hook-401:PreAuthorize"],
          cleared: [],
          mailsQueued: 0,
        });
        const [state] = await listAlerts(db);
        assert.equal(state.active, true);
        assert.equal(state.lastMailedAt?.getTime(), raisedMs);
        clock.advance(6 * MIN);
        assert.deepEqual(await alertsRound(app), {
          raised: [],
          cleared: ["hook-401:PreAuthorize"],
          mailsQueued: 0,
        });
        assert.equal((await alertMails(db)).length, 4);
      },
    );

    await t.step("an hour after the last mail, a storm mails again", async () => {
      clock.advance(raisedMs + 60 * MIN - clock.now().getTime());
      await refusedCalls(app, { missing_signature: 10 });
      const result = await alertsRound(app);
      assert.deepEqual(result.mailsQueued, 2);
      const mails = (await alertMails(db)).slice(4);
      assert.deepEqual(mails.map((m) => m.id), [
        `alert-hook-401-preauthorize-${clock.now().getTime()}-0`,
        `alert-hook-401-preauthorize-${clock.now().getTime()}-1`,
      ]);
      assert.match(mails[0].subject, /mostly missing_signature$/);
      // Ids carry no address (the sender logs them).
      for (const mail of await alertMails(db)) assert.match(mail.id, /^alert-[a-z0-9-]+-\d$/);
    });
  },
);

forEachDatabase(
  "alerts - a storm split over two instances on one database counts together and mails once",
  async (_t, db, kind) => {
    const clock = new ManualClock(T0);
    // Each instance its own pool on PostgreSQL, as two processes would have.
    const second: Database = kind === "postgres"
      ? await openDatabase({ url: (db as Database & { url: string }).url, poolSize: 5 })
      : db;
    try {
      const env = { ALERT_EMAIL: RECIPIENTS };
      await using a = await startTestApp({ db, clock, env });
      await using b = await startTestApp({ db: second, clock, env });
      await refusedCalls(a, { mismatch: 6 });
      await refusedCalls(b, { mismatch: 3, missing_signature: 2 });
      assert.deepEqual(a.deps.hookStats.counts("PreAuthorize"), { "unauthorized:mismatch": 6 });

      // A alone has only its own 6 stored: nothing yet.
      assert.deepEqual(await alertsRound(a), { raised: [], cleared: [], mailsQueued: 0 });
      // Both rounds at once, B's flush bringing the total to 11: exactly one raises.
      await b.deps.hookStats.flush(second);
      const results = await Promise.all([alertsRound(a), alertsRound(b), alertsRound(a)]);
      assert.deepEqual(results.flatMap((r) => r.raised), ["hook-401:PreAuthorize"]);
      assert.equal(results.reduce((n, r) => n + r.mailsQueued, 0), 2);
      const mails = await alertMails(db);
      assert.deepEqual(mails.map((m) => m.to), ["ops@example.test", "oncall@example.test"]);
      assert.match(mails[0].text, /refused 11 calls with 401/);
      assert.match(mails[0].text, /By cause: mismatch 9, missing_signature 2\./);

      // The storm goes on at both: neither mails again.
      clock.advance(MIN);
      await refusedCalls(a, { mismatch: 10 });
      await refusedCalls(b, { mismatch: 10 });
      await Promise.all([alertsRound(a), alertsRound(b)]);
      assert.equal((await alertMails(db)).length, 2);

      // It clears once for both: one recovered mail per recipient.
      clock.advance(6 * MIN);
      const cleared = await Promise.all([alertsRound(a), alertsRound(b)]);
      assert.deepEqual(cleared.flatMap((r) => r.cleared), ["hook-401:PreAuthorize"]);
      assert.deepEqual(
        (await alertMails(db)).slice(2).map((m) => m.id.replace(/\d+-(\d)$/, "$1")),
        [
          "alert-hook-401-preauthorize-recovered-0",
          "alert-hook-401-preauthorize-recovered-1",
        ],
      );
    } finally {
      if (second !== db) await second.close();
    }
  },
);

forEachDatabase(
  "alerts - a hook key missing at start: raised while any running instance has it, recovered once none does",
  async (t, db) => {
    const clock = new ManualClock(T0);
    const env = { ALERT_EMAIL: "ops@example.test" };
    await using broken = await startTestApp({
      db,
      clock,
      env: { ...env, STEVE_METERVALUE_HMAC_KEY: "" },
    });
    await using fixed = await startTestApp({ db, clock, env });
    // The broken instance runs its rounds as main.ts starts them; stopped in the third step.
    const stopBroken = broken.deps.alerts.start({ everyMs: 3600_000 });

    await t.step(
      "the start of the broken instance raises it (its first round runs at once)",
      async () => {
        await waitFor(async () => (await alertMails(db)).length === 1);
        const [mail] = await alertMails(db);
        assert.equal(mail.id, `alert-hook-key-metervalues-${T0}-0`);
        assert.equal(
          mail.subject,
          "ExpresSync alert: STEVE_METERVALUE_HMAC_KEY is not set: MeterValues refuses every call",
        );
        assert.match(
          mail.text,
          /MeterValues \(\/api\/ocpp\/meter-values\) answers 401 to every call/,
        );
        assert.match(mail.text, /on 1 running instance\)/);
        assert.ok(mail.text.includes(UNAUTHORIZED_ADVICE.missing_key.fix));
        assert.match(mail.text, /SteVe fails open: charging goes on/);
      },
    );

    await t.step(
      "an instance with the key set does not clear it while the broken one runs",
      async () => {
        clock.advance(30_000);
        assert.deepEqual(await alertsRound(fixed), { raised: [], cleared: [], mailsQueued: 0 });
      },
    );

    await t.step(
      "the broken instance stops: the next round elsewhere clears it, mailed",
      async () => {
        await stopBroken();
        assert.deepEqual(await alertsRound(fixed), {
          raised: [],
          cleared: ["hook-key:meterValues"],
          mailsQueued: 1,
        });
        const [, recovered] = await alertMails(db);
        assert.equal(recovered.id, `alert-hook-key-metervalues-recovered-${T0}-0`);
        assert.match(
          recovered.text,
          /No running instance reports the key missing or weak any more/,
        );
      },
    );

    await t.step(
      "a weak key is named too; a crashed instance's report ages out after a minute",
      async () => {
        clock.advance(2 * 3600_000);
        await using weak = await startTestApp({
          db,
          clock,
          env: { ...env, STEVE_PREAUTH_HMAC_KEY: "short" },
        });
        assert.deepEqual((await alertsRound(weak)).raised, ["hook-key:preAuthorize"]);
        const mail = (await alertMails(db)).at(-1)!;
        assert.match(mail.subject, /STEVE_PREAUTH_HMAC_KEY is too short: PreAuthorize/);
        assert.match(mail.text, /shorter than 32 characters/);
        clock.advance(50_000);
        assert.deepEqual(
          (await alertsRound(fixed)).cleared,
          [],
          "reported 50 s ago: still running",
        );
        clock.advance(11_000); // no round of `weak` for 61 s: as good as gone
        assert.deepEqual((await alertsRound(fixed)).cleared, ["hook-key:preAuthorize"]);
      },
    );
  },
);

forEachDatabase(
  "alerts - a partner failing for an hour, by name in the body, never in the id",
  async (_t, db) => {
    const clock = new ManualClock(T0);
    await using fake = startFakePartner();
    await using app = await startTestApp({
      db,
      clock,
      env: {
        ALERT_EMAIL: "ops@example.test",
        PARTNER_WEBHOOKS_ALLOW_LOCAL: "true",
        PARTNER_WEBHOOK_RETRY_SCHEDULE: "60,60,60,60,60,60,60,60",
      },
    });
    const partner = await subscribedPartner(app, {
      url: `${fake.origin}/hook`,
      events: ["session.started"],
      name: "Fleet Ops GmbH",
    });
    await db.transaction((tx) =>
      insertEventDeliveries(tx, {
        eventId: crypto.randomUUID(),
        type: "session.started",
        body: "{}",
        now: clock.now(),
      })
    );
    fake.answers.push(500, 500);
    await partnerRound(app);
    clock.advance(59 * MIN);
    await partnerRound(app);
    assert.deepEqual((await alertsRound(app)).raised, [], "59 minutes: not yet");

    clock.advance(2 * MIN);
    assert.deepEqual(await alertsRound(app), {
      raised: [`partner-failing:${partner.id}`],
      cleared: [],
      mailsQueued: 1,
    });
    const [mail] = await alertMails(db);
    assert.equal(mail.id, `alert-partner-failing-${partner.id}-${clock.now().getTime()}-0`);
    assert.ok(!mail.id.toLowerCase().includes("fleet"));
    assert.equal(
      mail.subject,
      'ExpresSync alert: deliveries to partner "Fleet Ops GmbH" failing for over an hour',
    );
    assert.ok(mail.text.includes(`http://charge.example.test/admin/partners/${partner.id}`));

    // The partner answers again: delivered, the alert clears with one mail.
    await partnerRound(app);
    assert.equal(fake.received.length, 3);
    assert.deepEqual(await alertsRound(app), {
      raised: [],
      cleared: [`partner-failing:${partner.id}`],
      mailsQueued: 1,
    });
    assert.match((await alertMails(db))[1].subject, /^ExpresSync recovered: deliveries to partner/);
  },
);

forEachDatabase(
  "alerts - usage events dead-lettered raise it; retried, it recovers",
  async (_t, db) => {
    const clock = new ManualClock(T0);
    await using app = await startTestApp({ db, clock, env: { ALERT_EMAIL: "ops@example.test" } });
    const at = new Date(T0).toISOString();
    await db.rows(sql`
    insert into usage_events (transaction_pk, event_id, kind, delta_mwh, occurred_at, status,
      attempts, next_attempt_at, created_at, last_error)
    values (1, 'e-1', 'reading', 10, ${at}, 'dead', 1, ${at}, ${at}, 'customer not found'),
           (1, 'e-2', 'reading', 20, ${at}, 'dead', 1, ${at}, ${at}, 'customer not found')`);
    assert.deepEqual(await alertsRound(app), {
      raised: ["usage-dead-letters"],
      cleared: [],
      mailsQueued: 1,
    });
    const [mail] = await alertMails(db);
    assert.equal(mail.subject, "ExpresSync alert: usage events dead-lettered (not billed in Lago)");
    assert.match(mail.text, /^2 usage events are dead-lettered/);
    assert.match(mail.text, /http:\/\/charge\.example\.test\/admin\/billing/);

    const retried = await fetch(`${app.url}/api/admin/billing/retry`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: "{}",
    });
    assert.deepEqual(await retried.json(), { retried: 2 });
    clock.advance(10_000);
    assert.deepEqual((await alertsRound(app)).cleared, ["usage-dead-letters"]);
    assert.equal((await alertMails(db))[1].id, `alert-usage-dead-letters-recovered-${T0}-0`);
  },
);

forEachDatabase("alerts - ALERT_EMAIL unset: tracked, nothing mailed", async (_t, db) => {
  const clock = new ManualClock(T0);
  await using app = await startTestApp({ db, clock });
  await refusedCalls(app, { mismatch: 20 });
  assert.deepEqual(await alertsRound(app), {
    raised: ["hook-401:PreAuthorize"],
    cleared: [],
    mailsQueued: 0,
  });
  const [state] = await listAlerts(db);
  assert.equal(state.active, true);
  assert.equal(state.lastMailedAt, null);
  clock.advance(6 * MIN);
  assert.deepEqual((await alertsRound(app)).cleared, ["hook-401:PreAuthorize"]);
  const [{ n }] = await db.rows<{ n: number }>(sql`select count(*)::int as n from email_messages`);
  assert.equal(Number(n), 0);
});

forEachDatabase(
  "alerts - logs name the cause and the outcome, never an address",
  async (_t, db) => {
    const records: LogRecord[] = [];
    await setupLogging("debug", (record) => void records.push(record));
    try {
      const clock = new ManualClock(T0);
      await using app = await startTestApp({ db, clock, env: { ALERT_EMAIL: RECIPIENTS } });
      await refusedCalls(app, { mismatch: 10 });
      await alertsRound(app);
      clock.advance(6 * MIN);
      await alertsRound(app);
      const lines = records.filter((r) => r.category.includes("Alerts"))
        .map((r) => [r.message.join(""), r.properties]);
      assert.deepEqual(lines, [
        ["alert raised", { cause: "hook-401:PreAuthorize", outcome: "mailed", mails: 2 }],
        ["alert cleared", { cause: "hook-401:PreAuthorize", outcome: "mailed", mails: 2 }],
      ]);
      const everything = JSON.stringify(records.map((r) => [r.message, r.properties]));
      for (const address of ["ops@example.test", "oncall@example.test"]) {
        assert.ok(!everything.includes(address), "no address in any log line");
      }
    } finally {
      await teardownLogging();
    }
  },
  { kinds: ["pglite"] },
);

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
