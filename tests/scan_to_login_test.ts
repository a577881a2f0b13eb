/**
 * Scan-to-login over real HTTP: arming with the charger's QR token, the
 * pre-authorize steal-or-match, status, expiry, cancel, login, the 503 flag,
 * and the pending start a StartTransaction leaves for the meter-values hook.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { ManualClock } from "../lib/clock.ts";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import {
  CookieClient,
  createCharger,
  jsonOf,
  meterValues,
  preAuthorize,
  startTestApp,
  startTestApp as startApp,
  type TestApp,
  uniqueId,
} from "./_support/app.ts";

const intercepts = (app: TestApp) => app.events.filter((e) => e.topic === "scan.intercepted");

async function armedCharger(app: TestApp) {
  const chargeBoxId = uniqueId("CB");
  const { token } = await createCharger(app, chargeBoxId);
  const browser = new CookieClient(app.url);
  const armed = await jsonOf(
    await browser.request("POST", "/api/auth/scan-pair", {
      chargeBoxId,
      k: token,
    }),
  );
  assert.equal(armed.status, 201);
  return { chargeBoxId, token, browser, pairId: armed.body.pairId as string };
}

async function customerWithTag(app: TestApp, name = "Ada Lovelace") {
  const customerId = uniqueId("cust");
  const idTag = uniqueId("TAG");
  assert.equal(
    (await app.admin("PUT", `/api/admin/customers/${customerId}`, { name }))
      .status,
    200,
  );
  assert.equal(
    (await app.admin("PUT", `/api/admin/tags/${idTag}`, { customerId })).status,
    200,
  );
  return { customerId, idTag };
}

forEachDatabase("arming a scan-pair", async (t, db) => {
  // The arming limit is shared through the database (all instances count together):
  // each step starts with no hits counted from earlier steps' loopback address.
  const startTestApp = async (options: Parameters<typeof startApp>[0]) => {
    await db.rows(sql`delete from rate_limit_counters`);
    return await startApp(options);
  };
  await t.step(
    "without, or with a wrong, QR token, or for an unknown charger: 404, nothing written",
    async () => {
      await using app = await startTestApp({ db });
      const chargeBoxId = uniqueId("CB");
      const { token } = await createCharger(app, chargeBoxId);
      const before = await databaseFingerprint(db);
      const browser = new CookieClient(app.url);
      for (
        const body of [
          { chargeBoxId },
          { chargeBoxId, k: "" },
          { chargeBoxId, k: token.slice(1) },
          { chargeBoxId: uniqueId("nope"), k: token },
        ]
      ) {
        const res = await jsonOf(
          await browser.request("POST", "/api/auth/scan-pair", body),
        );
        assert.equal(res.status, 404);
        assert.equal(res.type, "application/json");
        assert.deepEqual(res.body, { error: "unknown_charger" });
      }
      assert.deepEqual(await databaseFingerprint(db), before);
    },
  );

  await t.step(
    "armed pair: 201 with an HttpOnly SameSite=Lax cookie; same browser gets it back with 200",
    async () => {
      await using app = await startTestApp({ db });
      const chargeBoxId = uniqueId("CB");
      const { token } = await createCharger(app, chargeBoxId);
      const browser = new CookieClient(app.url);
      const first = await jsonOf(
        await browser.request("POST", "/api/auth/scan-pair", {
          chargeBoxId,
          k: token,
        }),
      );
      assert.equal(first.status, 201);
      assert.match(first.body.pairId, /^[0-9a-f-]{36}$/);
      assert.ok(Date.parse(first.body.expiresAt) > Date.now());
      const cookie = browser.setCookies.find((c) => c.startsWith("es_browser="));
      assert.ok(cookie);
      assert.match(cookie, /HttpOnly/i);
      assert.match(cookie, /SameSite=Lax/i);
      const again = await jsonOf(
        await browser.request("POST", "/api/auth/scan-pair", {
          chargeBoxId,
          k: token,
        }),
      );
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, first.body);
    },
  );

  await t.step(
    "another browser cannot arm a charger with an armed or matched pair: 409",
    async () => {
      await using app = await startTestApp({ db });
      const { chargeBoxId, token } = await armedCharger(app);
      const other = new CookieClient(app.url);
      const busy = await jsonOf(
        await other.request("POST", "/api/auth/scan-pair", {
          chargeBoxId,
          k: token,
        }),
      );
      assert.equal(busy.status, 409);
      assert.deepEqual(busy.body, { error: "charger_busy" });
      await preAuthorize(app, { idTag: "SOMEONE", chargeBoxId });
      const stillBusy = await other.request("POST", "/api/auth/scan-pair", {
        chargeBoxId,
        k: token,
      });
      assert.equal(stillBusy.status, 409);
      await stillBusy.body?.cancel();
    },
  );

  await t.step("rotating the QR token stops the old one", async () => {
    await using app = await startTestApp({ db });
    const chargeBoxId = uniqueId("CB");
    const { token } = await createCharger(app, chargeBoxId);
    const rotated = await jsonOf(
      await app.admin("POST", `/api/admin/chargers/${chargeBoxId}/rotate-qr`),
    );
    assert.equal(rotated.status, 200);
    const newToken = new URL(rotated.body.qrUrl).searchParams.get("k")!;
    assert.notEqual(newToken, token);
    const browser = new CookieClient(app.url);
    const old = await browser.request("POST", "/api/auth/scan-pair", {
      chargeBoxId,
      k: token,
    });
    assert.equal(old.status, 404);
    await old.body?.cancel();
    const fresh = await browser.request("POST", "/api/auth/scan-pair", {
      chargeBoxId,
      k: newToken,
    });
    assert.equal(fresh.status, 201);
    await fresh.body?.cancel();
  });

  await t.step(
    "more than SCAN_PAIR_RATE_PER_MINUTE arms from one address: 429 with Retry-After",
    async () => {
      await using app = await startTestApp({
        db,
        env: { SCAN_PAIR_RATE_PER_MINUTE: "3" },
      });
      const chargeBoxId = uniqueId("CB");
      const { token } = await createCharger(app, chargeBoxId);
      const browser = new CookieClient(app.url);
      for (let i = 0; i < 3; i++) {
        const ok = await browser.request("POST", "/api/auth/scan-pair", {
          chargeBoxId,
          k: token,
        });
        assert.ok(ok.status === 201 || ok.status === 200);
        await ok.body?.cancel();
      }
      const before = await databaseFingerprint(db);
      const limited = await browser.request("POST", "/api/auth/scan-pair", {
        chargeBoxId,
        k: token,
      });
      assert.equal(limited.status, 429);
      const retryAfter = Number(limited.headers.get("retry-after"));
      assert.ok(
        retryAfter >= 1 && retryAfter <= 60,
        `Retry-After ${retryAfter}`,
      );
      assert.deepEqual(await limited.json(), { error: "rate_limited" });
      assert.deepEqual(await databaseFingerprint(db), before);
    },
  );

  await t.step(
    "X-Forwarded-For is ignored unless TRUST_PROXY=true",
    async () => {
      for (
        const [trust, expected] of [["false", 429], ["true", 404]] as const
      ) {
        await using app = await startTestApp({
          db,
          env: { SCAN_PAIR_RATE_PER_MINUTE: "1", TRUST_PROXY: trust },
        });
        let status = 0;
        for (const address of ["203.0.113.1", "203.0.113.2"]) {
          const browser = new CookieClient(app.url, {
            "x-forwarded-for": address,
          });
          const res = await browser.request("POST", "/api/auth/scan-pair", {
            chargeBoxId: "x",
            k: "y",
          });
          status = res.status;
          await res.body?.cancel();
        }
        assert.equal(status, expected, `TRUST_PROXY=${trust}`);
      }
    },
  );
});

forEachDatabase("pre-authorize steal-or-match", async (t, db) => {
  await t.step(
    "armed pair: the tap is BLOCKED once published; the same tag again is BLOCKED without a second publish",
    async () => {
      await using app = await startTestApp({ db });
      const { chargeBoxId, browser, pairId } = await armedCharger(app);
      const first = await jsonOf(
        await preAuthorize(app, { idTag: "W1", chargeBoxId, connectorId: 1 }),
      );
      assert.equal(first.status, 200);
      assert.equal(first.type, "application/json");
      assert.deepEqual(first.body, { override: "BLOCKED" });
      assert.deepEqual(intercepts(app).map((e) => e.payload), [{
        pairId,
        chargeBoxId,
      }]);

      const before = await databaseFingerprint(db);
      const start = await jsonOf(
        await preAuthorize(app, {
          idTag: "W1",
          chargeBoxId,
          connectorId: 1,
          isStartTx: true,
        }),
      );
      assert.deepEqual(start.body, { override: "BLOCKED" });
      assert.equal(intercepts(app).length, 1);
      assert.deepEqual(
        await databaseFingerprint(db),
        before,
        "a blocked start records no pending start",
      );

      const status = await jsonOf(
        await browser.request("GET", `/api/auth/scan-pair/${pairId}`),
      );
      assert.deepEqual(status.body, { status: "matched" });
    },
  );

  await t.step(
    "a different tag on a matched pair, or a charger with no pair, gets null",
    async () => {
      await using app = await startTestApp({ db });
      const { chargeBoxId } = await armedCharger(app);
      await preAuthorize(app, { idTag: "WINNER", chargeBoxId });
      const other = await jsonOf(
        await preAuthorize(app, { idTag: "OTHER", chargeBoxId }),
      );
      assert.deepEqual(other.body, { override: null });
      const none = await jsonOf(
        await preAuthorize(app, { idTag: "X", chargeBoxId: uniqueId("idle") }),
      );
      assert.deepEqual(none.body, { override: null });
      assert.equal(intercepts(app).length, 1);
    },
  );

  await t.step(
    "after login the winning tag starts charging normally (null) and leaves a pending start",
    async () => {
      await using app = await startTestApp({ db });
      const { customerId, idTag } = await customerWithTag(app, "Grace Hopper");
      const { chargeBoxId, browser, pairId } = await armedCharger(app);
      assert.deepEqual(
        (await jsonOf(await preAuthorize(app, { idTag, chargeBoxId }))).body,
        {
          override: "BLOCKED",
        },
      );

      const login = await jsonOf(
        await browser.request("POST", "/api/auth/scan-login", { pairId }),
      );
      assert.equal(login.status, 200);
      assert.deepEqual(login.body, {
        customer: { id: customerId, name: "Grace Hopper" },
      });
      const session = browser.setCookies.find((c) => c.startsWith("es_session="));
      assert.ok(session);
      assert.match(session, /HttpOnly/i);
      assert.deepEqual(
        (await jsonOf(
          await browser.request("GET", `/api/auth/scan-pair/${pairId}`),
        )).body,
        {
          status: "consumed",
        },
      );
      const twice = await jsonOf(
        await browser.request("POST", "/api/auth/scan-login", { pairId }),
      );
      assert.equal(twice.status, 409);
      assert.equal(twice.body.error, "not_matched");

      const start = await jsonOf(
        await preAuthorize(app, {
          idTag,
          chargeBoxId,
          connectorId: 2,
          isStartTx: true,
        }),
      );
      assert.deepEqual(start.body, { override: null });
      // The transaction's first reading at that connector learns the tag and its customer.
      const mv = await jsonOf(
        await meterValues(app, {
          chargeBoxId,
          transactionPk: 9001,
          connectorId: 2,
          timestamp: new Date().toISOString(),
          samples: [{ value: "5000", context: "Transaction.Begin" }],
        }),
      );
      assert.deepEqual(mv.body, { ok: true });
      const live = await jsonOf(
        await app.admin("GET", "/api/admin/sessions/live"),
      );
      const mine = live.body.sessions.find((s: { transactionPk: number }) =>
        s.transactionPk === 9001
      );
      assert.equal(mine.customerId, customerId);
    },
  );

  await t.step(
    "login before a match is refused; an unknown tag answers 404 and frees the charger",
    async () => {
      await using app = await startTestApp({ db });
      const { chargeBoxId, token, browser, pairId } = await armedCharger(app);
      const early = await jsonOf(
        await browser.request("POST", "/api/auth/scan-login", { pairId }),
      );
      assert.equal(early.status, 409);
      assert.deepEqual(early.body, { error: "not_matched", status: "armed" });

      await preAuthorize(app, { idTag: uniqueId("UNKNOWN"), chargeBoxId });
      const unknown = await jsonOf(
        await browser.request("POST", "/api/auth/scan-login", { pairId }),
      );
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.body, { error: "unknown_tag" });
      assert.ok(!browser.setCookies.some((c) => c.startsWith("es_session=")));
      const rearm = await browser.request("POST", "/api/auth/scan-pair", {
        chargeBoxId,
        k: token,
      });
      assert.equal(rearm.status, 201);
      await rearm.body?.cancel();
    },
  );

  await t.step(
    "another browser can neither see, cancel, stream nor log in with a pair: 404",
    async () => {
      await using app = await startTestApp({ db });
      const { pairId } = await armedCharger(app);
      const stranger = new CookieClient(app.url);
      for (
        const [method, path, body] of [
          ["GET", `/api/auth/scan-pair/${pairId}`],
          ["DELETE", `/api/auth/scan-pair/${pairId}`],
          ["GET", `/api/auth/scan-pair/${pairId}/events`],
          ["POST", "/api/auth/scan-login", { pairId }],
          ["GET", "/api/auth/scan-pair/not-a-uuid"],
        ] as const
      ) {
        const res = await jsonOf(await stranger.request(method, path, body));
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.deepEqual(res.body, { error: "unknown_pair" });
      }
    },
  );

  await t.step(
    "cancel: the pair is cancelled, the next tap is not intercepted",
    async () => {
      await using app = await startTestApp({ db });
      const { chargeBoxId, browser, pairId } = await armedCharger(app);
      const cancelled = await jsonOf(
        await browser.request("DELETE", `/api/auth/scan-pair/${pairId}`),
      );
      assert.equal(cancelled.status, 200);
      assert.deepEqual(cancelled.body, { status: "cancelled" });
      assert.deepEqual(
        (await jsonOf(await preAuthorize(app, { idTag: "T", chargeBoxId })))
          .body,
        {
          override: null,
        },
      );
      assert.equal(intercepts(app).length, 0);
    },
  );

  await t.step(
    "expiry: an armed pair past its TTL is expired, not intercepted, and frees the charger",
    async () => {
      const clock = new ManualClock();
      await using app = await startTestApp({
        db,
        clock,
        env: { SCAN_PAIR_TTL_SECONDS: "90" },
      });
      const { chargeBoxId, token, browser, pairId } = await armedCharger(app);
      clock.advance(89_000);
      assert.deepEqual(
        (await jsonOf(
          await browser.request("GET", `/api/auth/scan-pair/${pairId}`),
        )).body,
        {
          status: "armed",
        },
      );
      clock.advance(1_000);
      assert.deepEqual(
        (await jsonOf(
          await browser.request("GET", `/api/auth/scan-pair/${pairId}`),
        )).body,
        {
          status: "expired",
        },
      );
      assert.deepEqual(
        (await jsonOf(await preAuthorize(app, { idTag: "LATE", chargeBoxId })))
          .body,
        {
          override: null,
        },
      );
      const other = new CookieClient(app.url);
      const rearm = await other.request("POST", "/api/auth/scan-pair", {
        chargeBoxId,
        k: token,
      });
      assert.equal(rearm.status, 201);
      await rearm.body?.cancel();
    },
  );

  await t.step(
    "a matched pair not logged in with expires too: the winning tag then gets null",
    async () => {
      const clock = new ManualClock();
      await using app = await startTestApp({ db, clock });
      const { chargeBoxId } = await armedCharger(app);
      await preAuthorize(app, { idTag: "SLOW", chargeBoxId });
      clock.advance(91_000);
      assert.deepEqual(
        (await jsonOf(await preAuthorize(app, { idTag: "SLOW", chargeBoxId })))
          .body,
        {
          override: null,
        },
      );
    },
  );
});

forEachDatabase("pre-authorize switch", async (t, db) => {
  await t.step(
    "disabled: 503 disabled, nothing written or published; survives a restart",
    async () => {
      {
        await using app = await startTestApp({ db });
        const flag = await jsonOf(
          await app.admin("PUT", "/api/admin/flags/pre-authorize", {
            enabled: false,
          }),
        );
        assert.deepEqual(flag.body, { name: "pre-authorize", enabled: false });
      }
      await using app = await startTestApp({ db });
      const { chargeBoxId } = await armedCharger(app);
      const before = await databaseFingerprint(db);
      const res = await jsonOf(
        await preAuthorize(app, {
          idTag: "T",
          chargeBoxId,
          connectorId: 1,
          isStartTx: true,
        }),
      );
      assert.equal(res.status, 503);
      assert.equal(res.type, "application/json");
      assert.deepEqual(res.body, { error: "disabled" });
      assert.deepEqual(await databaseFingerprint(db), before);
      assert.deepEqual(app.events, []);

      const on = await app.admin("PUT", "/api/admin/flags/pre-authorize", {
        enabled: true,
      });
      await on.body?.cancel();
      assert.deepEqual(
        (await jsonOf(await preAuthorize(app, { idTag: "T", chargeBoxId })))
          .body,
        {
          override: "BLOCKED",
        },
      );
    },
  );

  await t.step(
    "PREAUTH_ENABLED=false is the default until an admin sets the switch",
    async () => {
      await using app = await startTestApp({
        db,
        env: { PREAUTH_ENABLED: "false" },
      });
      // The previous step stored `true`, which wins over the environment.
      assert.equal(
        (await preAuthorize(app, { idTag: "T", chargeBoxId: "Z" })).status,
        200,
      );
    },
  );
});

forEachDatabase("scan-pair events stream", async (t, db) => {
  await t.step(
    "sends matched when the tap is intercepted, then ends; no subscriber is left",
    async () => {
      await using app = await startTestApp({ db });
      const { chargeBoxId, browser, pairId } = await armedCharger(app);
      const res = await browser.request(
        "GET",
        `/api/auth/scan-pair/${pairId}/events`,
      );
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
      const text = res.text();
      await new Promise((r) => setTimeout(r, 100));
      await preAuthorize(app, { idTag: "T", chargeBoxId });
      const body = await text;
      assert.match(
        body,
        new RegExp(`event: matched\ndata: \\{"pairId":"${pairId}"\\}`),
      );
      assert.equal(
        app.deps.bus.listenerCount("scan.intercepted"),
        1,
        "only the test recorder remains",
      );
    },
  );

  await t.step("sends expired when the TTL runs out", async () => {
    await using app = await startTestApp({
      db,
      env: { SCAN_PAIR_TTL_SECONDS: "1" },
    });
    const { pairId, browser } = await armedCharger(app);
    const res = await browser.request(
      "GET",
      `/api/auth/scan-pair/${pairId}/events`,
    );
    assert.match(await res.text(), /event: expired/);
  });

  await t.step(
    "a client that goes away leaves no subscriber behind",
    async () => {
      await using app = await startTestApp({ db });
      const { pairId, browser } = await armedCharger(app);
      const res = await browser.request(
        "GET",
        `/api/auth/scan-pair/${pairId}/events`,
      );
      const reader = res.body!.getReader();
      await reader.read();
      assert.equal(app.deps.bus.listenerCount("scan.intercepted"), 2);
      await reader.cancel();
      for (
        let i = 0;
        i < 50 && app.deps.bus.listenerCount("scan.intercepted") > 1;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(app.deps.bus.listenerCount("scan.intercepted"), 1);
    },
  );
});
