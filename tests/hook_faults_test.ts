/**
 * Hooks when the database misbehaves: errors answer 500 internal (SteVe then
 * fails open), and a pre-authorize stuck behind a lock is cut off at its
 * deadline instead of outliving SteVe's ~200 ms budget.
 */
import assert from "node:assert/strict";
import pg from "pg";
import { forEachDatabase, openTestDatabase, postgresAvailable } from "./_support/db.ts";
import {
  CookieClient,
  createCharger,
  jsonOf,
  meterValues,
  preAuthorize,
  startTestApp,
} from "./_support/app.ts";

forEachDatabase("hooks with the database gone", async (t, db) => {
  await t.step("both hooks answer 500 internal, publish nothing", async () => {
    // A database of its own, closed under the running app.
    await using broken = await openTestDatabase(
      db.driver === "pglite" ? "pglite" : "postgres",
    );
    await using app = await startTestApp({ db: broken });
    await broken.close();
    const pre = await jsonOf(
      await preAuthorize(app, { idTag: "T", chargeBoxId: "CB" }),
    );
    assert.equal(pre.status, 500);
    assert.equal(pre.type, "application/json");
    assert.deepEqual(pre.body, { error: "internal" });
    const meter = await jsonOf(
      await meterValues(app, {
        chargeBoxId: "CB",
        transactionPk: 1,
        connectorId: 1,
        timestamp: "2026-11-23T10:00:00Z",
        samples: [{ value: "1" }],
      }),
    );
    assert.equal(meter.status, 500);
    assert.deepEqual(meter.body, { error: "internal" });
    assert.deepEqual(app.events, []);
  });
});

/** `PREAUTH_DEADLINE_MS` for the lock test: its default, set here so the bound below follows it. */
const DEADLINE_MS = 150;

Deno.test({
  name: "[postgres] pre-authorize stuck behind a row lock answers 500 at its deadline, not late",
  ignore: !postgresAvailable,
  async fn() {
    await using db = await openTestDatabase("postgres");
    await using app = await startTestApp({
      db,
      env: { PREAUTH_DEADLINE_MS: String(DEADLINE_MS) },
    });
    const { token } = await createCharger(app, "LOCKED");
    const browser = new CookieClient(app.url);
    await (await browser.request("POST", "/api/auth/scan-pair", {
      chargeBoxId: "LOCKED",
      k: token,
    })).body?.cancel();

    // Another session holds the armed row for 2 s (think: a vacuum, a stuck admin query).
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query("begin");
    await locker.query(
      "select * from scan_pairs where charge_box_id = 'LOCKED' for update",
    );
    const release = setTimeout(() => locker.query("rollback"), 2_000);
    try {
      const sentAt = performance.now();
      const res = await jsonOf(
        await preAuthorize(app, { idTag: "T", chargeBoxId: "LOCKED" }),
      );
      const elapsed = performance.now() - sentAt;
      // Without the deadline this would wait for the lock and answer BLOCKED after 2 s.
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, { error: "internal" });
      // It waited for the lock up to the deadline, and answered soon after it, far from 2 s.
      assert.ok(elapsed >= DEADLINE_MS - 10, `answered after ${Math.round(elapsed)} ms`);
      assert.ok(
        elapsed < DEADLINE_MS + 400,
        `answered ${Math.round(elapsed)} ms after the call, deadline ${DEADLINE_MS} ms`,
      );
    } finally {
      await new Promise((r) => setTimeout(r, 2_100));
      clearTimeout(release);
      await locker.end();
    }
  },
});
