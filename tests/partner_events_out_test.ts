/**
 * Outbound partner events fire once per real occurrence (issue 13 §1), queued
 * with their cause: `session.started` on a transaction's first reading,
 * `session.ended` on Transaction.End (a repeated End sends nothing more),
 * `scan.login` on a scan-to-login, `pnc.action_needed` when such a PnC event
 * is first stored. Data shapes as documented; a non-ASCII name arrives as
 * raw UTF-8. And a refused partner input changes nothing.
 */
import assert from "node:assert/strict";
import canonicalize from "canonicalize";
import { ManualClock } from "../lib/clock.ts";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import {
  CookieClient,
  createCharger,
  jsonOf,
  pncPost,
  preAuthorize,
  startTestApp,
  type TestApp,
  uniqueId,
} from "./_support/app.ts";
import { reading } from "./_support/billing.ts";
import {
  queuedByType,
  type ReceivedRequest,
  round,
  startFakePartner,
  subscribedPartner,
} from "./_support/partner.ts";

const T0 = Date.parse("2026-11-29T11:00:00Z");
const ENV = { PARTNER_WEBHOOKS_ALLOW_LOCAL: "true", PARTNER_WEBHOOK_RETRY_SCHEDULE: "1" };
const NAME = 'Zoë "Ñandú" 東京';

async function customerWithTag(app: TestApp, name: string) {
  const customerId = uniqueId("cust");
  const idTag = uniqueId("TAG");
  await (await app.admin("PUT", `/api/admin/customers/${customerId}`, { name })).body?.cancel();
  await (await app.admin("PUT", `/api/admin/tags/${idTag}`, { customerId })).body?.cancel();
  return { customerId, idTag };
}

async function drain(app: TestApp) {
  for (let i = 0; i < 20; i++) if ((await round(app)).claimed === 0) return;
  throw new Error("the partner outbox did not drain");
}

const bodiesOf = (received: ReceivedRequest[], type: string) =>
  received.filter((r) => r.headers.get("x-expressync-event") === type).map((r) =>
    JSON.parse(r.text)
  );

forEachDatabase("partner events out - each fires once per real occurrence", async (t, db) => {
  const clock = new ManualClock(T0);
  await using app = await startTestApp({ db, clock, env: ENV });
  await using fake = startFakePartner();
  const all = await subscribedPartner(app, {
    url: `${fake.origin}/all`,
    events: ["session.started", "session.ended", "scan.login", "pnc.action_needed"],
  });
  await subscribedPartner(app, { url: `${fake.origin}/ended`, events: ["session.ended"] });
  // Subscribed but without a URL: gets nothing.
  const silent = await jsonOf(
    await app.admin("POST", "/api/admin/partners", { name: "No URL", events: ["scan.login"] }),
  );
  assert.equal(silent.status, 201);
  const fromAll = () => fake.received.filter((r) => r.path === "/all");

  await t.step(
    "session.started once, session.ended once (a repeated Transaction.End adds nothing)",
    async () => {
      const { customerId, idTag } = await customerWithTag(app, NAME);
      const box = uniqueId("CB");
      const tx = { pk: 7_700_001, box };
      const start = await preAuthorize(app, {
        idTag,
        chargeBoxId: box,
        connectorId: 1,
        isStartTx: true,
      });
      await start.body?.cancel();
      const t1 = new Date(T0 + 1_000);
      await reading(app, tx, t1, "1000", "Transaction.Begin");
      assert.deepEqual(await queuedByType(db), { "session.started": 1 });
      await reading(app, tx, new Date(T0 + 60_000), "5000");
      await reading(app, tx, new Date(T0 + 60_000), "5000"); // a SteVe retry
      assert.deepEqual(await queuedByType(db), { "session.started": 1 });
      const tEnd = new Date(T0 + 120_000);
      await reading(app, tx, tEnd, "13345.678", "Transaction.End");
      await reading(app, tx, tEnd, "13345.678", "Transaction.End"); // the same End again
      await reading(app, tx, new Date(T0 + 121_000), "13345.678", "Transaction.End");
      assert.deepEqual(await queuedByType(db), { "session.started": 1, "session.ended": 2 });

      await drain(app);
      const [started] = bodiesOf(fromAll(), "session.started");
      assert.deepEqual(started.data, {
        transactionPk: tx.pk,
        chargeBoxId: box,
        connectorId: 1,
        startedAt: t1.toISOString(),
        customerId,
        customerName: NAME,
      });
      const ended = bodiesOf(fromAll(), "session.ended");
      assert.equal(ended.length, 1);
      assert.deepEqual(ended[0].data, {
        transactionPk: tx.pk,
        chargeBoxId: box,
        connectorId: 1,
        startedAt: t1.toISOString(),
        endedAt: tEnd.toISOString(),
        kwh: "12.346",
        customerId,
        customerName: NAME,
      });
      assert.equal(
        bodiesOf(fake.received.filter((r) => r.path === "/ended"), "session.ended")
          .length,
        1,
      );
      assert.equal(
        bodiesOf(fake.received.filter((r) => r.path === "/ended"), "session.started")
          .length,
        0,
        "only what it subscribed to",
      );
      const endedCopies = fake.received.filter((r) =>
        r.headers.get("x-expressync-event") === "session.ended"
      );
      assert.equal(endedCopies[0].text, endedCopies[1].text, "both partners get the same bytes");
      for (const r of fromAll()) assert.equal(canonicalize(JSON.parse(r.text)), r.text);
      const raw = fromAll().find((r) => r.headers.get("x-expressync-event") === "session.started")!;
      const utf8 = new TextEncoder().encode('Zoë \\"Ñandú\\" 東京');
      assert.ok(includesBytes(raw.body, utf8), "the name arrives as raw UTF-8");
      assert.ok(!raw.text.includes("\\u"), "no \\u escapes");
    },
  );

  await t.step("session.started with an unknown customer: nulls", async () => {
    const tx = { pk: 7_700_002, box: uniqueId("CB") };
    await reading(app, tx, new Date(T0 + 5_000), "100", "Transaction.Begin");
    await drain(app);
    const started = bodiesOf(fromAll(), "session.started").find((b) =>
      b.data.transactionPk === tx.pk
    );
    assert.equal(started.data.customerId, null);
    assert.equal(started.data.customerName, null);
  });

  await t.step("scan.login once per login", async () => {
    const { customerId, idTag } = await customerWithTag(app, "Grace Hopper");
    const chargeBoxId = uniqueId("CB");
    const { token } = await createCharger(app, chargeBoxId);
    const browser = new CookieClient(app.url);
    const armed = await jsonOf(
      await browser.request("POST", "/api/auth/scan-pair", { chargeBoxId, k: token }),
    );
    await (await preAuthorize(app, { idTag, chargeBoxId })).body?.cancel();
    const login = await browser.request("POST", "/api/auth/scan-login", {
      pairId: armed.body.pairId,
    });
    assert.equal(login.status, 200);
    await login.body?.cancel();
    const again = await browser.request("POST", "/api/auth/scan-login", {
      pairId: armed.body.pairId,
    });
    assert.equal(again.status, 409);
    await again.body?.cancel();
    await drain(app);
    const logins = bodiesOf(fromAll(), "scan.login");
    assert.equal(logins.length, 1);
    assert.deepEqual(logins[0].data, {
      chargeBoxId,
      customerId,
      customerName: "Grace Hopper",
      at: clock.now().toISOString(),
    });
  });

  await t.step("pnc.action_needed once per stored event that needs action", async () => {
    const eventId = uniqueId("evt");
    for (let i = 0; i < 2; i++) {
      const res = await pncPost(app, { eventId, eventType: "root.cert.added", payload: {} });
      await res.body?.cancel();
    }
    const quiet = await pncPost(app, {
      eventId: uniqueId("evt"),
      eventType: "root.cert.expired",
      payload: {},
    });
    await quiet.body?.cancel();
    await drain(app);
    const pnc = bodiesOf(fromAll(), "pnc.action_needed");
    assert.equal(pnc.length, 1);
    assert.deepEqual(pnc[0].data, {
      eventId,
      eventType: "root.cert.added",
      message: "New root in RCP available",
    });
  });

  await t.step("a partner without a URL got no delivery", async () => {
    const res = await jsonOf(
      await app.admin("GET", `/api/admin/partners/${silent.body.id}/deliveries`),
    );
    assert.deepEqual(res.body, { deliveries: [] });
    assert.ok(all.id);
  });
});

forEachDatabase("partner input - a refused create or change leaves every table unchanged", async (
  t,
  db,
) => {
  await using app = await startTestApp({ db, env: { PARTNER_WEBHOOK_RETRY_SCHEDULE: "1" } });
  const ok = await jsonOf(
    await app.admin("POST", "/api/admin/partners", {
      name: "Fleet",
      url: "https://fleet.example/hook",
      events: ["scan.login", "session.ended", "scan.login"],
    }),
  );
  assert.equal(ok.status, 201);
  assert.equal(ok.body.url, "https://fleet.example/hook");
  assert.deepEqual(ok.body.events, ["session.ended", "scan.login"], "known order, no duplicates");
  const cases: Array<[string, string, string, unknown, string, string]> = [
    [
      "unknown event",
      "POST",
      "",
      { name: "X", events: ["session.paused"] },
      "invalid_body",
      "events",
    ],
    ["empty events", "POST", "", { name: "X", events: [] }, "invalid_body", "events"],
    ["events not a list", "PUT", ok.body.id, { events: "scan.login" }, "invalid_body", "events"],
    [
      "http without the flag",
      "POST",
      "",
      { name: "X", url: "http://fleet.example/" },
      "blocked_destination",
      "url",
    ],
    [
      "user info",
      "PUT",
      ok.body.id,
      { url: "https://u:p@fleet.example/" },
      "blocked_destination",
      "url",
    ],
    ["not absolute", "PUT", ok.body.id, { url: "/hooks" }, "blocked_destination", "url"],
    ["ftp", "POST", "", { name: "X", url: "ftp://fleet.example/" }, "blocked_destination", "url"],
    ["url not a string", "PUT", ok.body.id, { url: 5 }, "invalid_body", "url"],
  ];
  for (const [name, method, id, body, error, field] of cases) {
    await t.step(`${name}: 400 ${error} naming ${field}`, async () => {
      const before = await databaseFingerprint(db);
      const res = await jsonOf(
        await app.admin(method, `/api/admin/partners${id ? `/${id}` : ""}`, body),
      );
      assert.equal(res.status, 400);
      assert.equal(res.type, "application/json");
      assert.equal(res.body.error, error);
      assert.equal(res.body.field, field);
      if (error === "blocked_destination") {
        assert.deepEqual(res.body, { error, field });
      }
      assert.deepEqual(await databaseFingerprint(db), before);
    });
  }
  await t.step("PUT url null removes it; events stay", async () => {
    const res = await jsonOf(
      await app.admin("PUT", `/api/admin/partners/${ok.body.id}`, { url: null }),
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.url, null);
    assert.deepEqual(res.body.events, ["session.ended", "scan.login"]);
  });
});

function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
