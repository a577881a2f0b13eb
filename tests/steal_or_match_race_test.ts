/**
 * The steal-or-match race on a real PostgreSQL (and, serialized, on PGlite):
 * many taps at once on one armed pair. Exactly one tag may win; every call
 * with the winning tag — even those racing the steal itself — must answer
 * BLOCKED, never null because another request held the row.
 */
import assert from "node:assert/strict";
import { forEachDatabase } from "./_support/db.ts";
import {
  CookieClient,
  createCharger,
  jsonOf,
  preAuthorize,
  startTestApp,
  type TestApp,
  uniqueId,
} from "./_support/app.ts";

const ROUNDS = 5;
// This test is about atomicity, not latency: a loaded CI machine must not turn
// slow answers into 500s here (the deadline has its own test).
const RACE_ENV = {
  SCAN_PAIR_RATE_PER_MINUTE: "1000",
  PREAUTH_DEADLINE_MS: "10000",
};
const RIVALS = 60;

async function arm(app: TestApp) {
  const chargeBoxId = uniqueId("RACE");
  const { token } = await createCharger(app, chargeBoxId);
  const browser = new CookieClient(app.url);
  const res = await browser.request("POST", "/api/auth/scan-pair", {
    chargeBoxId,
    k: token,
  });
  assert.equal(res.status, 201);
  await res.body?.cancel();
  return chargeBoxId;
}

const tap = async (app: TestApp, chargeBoxId: string, idTag: string) =>
  (await jsonOf(
    await preAuthorize(app, { idTag, chargeBoxId, connectorId: 1 }),
  )).body.override;

forEachDatabase("steal-or-match under concurrency", async (t, db) => {
  await t.step(
    `${RIVALS} different tags at once: exactly one BLOCKED, one publish`,
    async () => {
      await using app = await startTestApp({
        db,
        env: RACE_ENV,
      });
      for (let round = 0; round < ROUNDS; round++) {
        const chargeBoxId = await arm(app);
        const before = app.events.length;
        const tags = Array.from(
          { length: RIVALS },
          (_, i) => `R${round}-T${i}`,
        );
        const answers = await Promise.all(
          tags.map((tag) => tap(app, chargeBoxId, tag)),
        );
        assert.equal(
          answers.filter((a) => a === "BLOCKED").length,
          1,
          `round ${round}: ${answers}`,
        );
        assert.equal(answers.filter((a) => a === null).length, RIVALS - 1);
        assert.equal(
          app.events.length - before,
          1,
          "scan.intercepted published exactly once",
        );
        // The winner keeps its pair: repeated taps stay BLOCKED, others stay null.
        const winner = tags[answers.indexOf("BLOCKED")];
        assert.equal(await tap(app, chargeBoxId, winner), "BLOCKED");
        assert.equal(
          await tap(app, chargeBoxId, tags.find((x) => x !== winner)!),
          null,
        );
      }
    },
  );

  await t.step(
    "the winning tag repeated concurrently, racing the steal itself: all BLOCKED",
    async () => {
      await using app = await startTestApp({
        db,
        env: RACE_ENV,
      });
      for (let round = 0; round < ROUNDS; round++) {
        const chargeBoxId = await arm(app);
        const before = app.events.length;
        // One tag only: whichever call steals, all the others with that tag must see BLOCKED.
        const answers = await Promise.all(
          Array.from({ length: 50 }, () => tap(app, chargeBoxId, `W${round}`)),
        );
        assert.deepEqual(
          new Set(answers),
          new Set(["BLOCKED"]),
          `round ${round}`,
        );
        assert.equal(app.events.length - before, 1, "published once");
      }
    },
  );

  await t.step(
    "winner and rivals interleaved: all winner calls BLOCKED once it has won",
    async () => {
      await using app = await startTestApp({
        db,
        env: RACE_ENV,
      });
      for (let round = 0; round < ROUNDS; round++) {
        const chargeBoxId = await arm(app);
        // The first call wins before the storm; then the winner and 40 rivals tap at once.
        assert.equal(await tap(app, chargeBoxId, "WIN"), "BLOCKED");
        const calls = Array.from(
          { length: 80 },
          (_, i) => i % 2 === 0 ? "WIN" : `RIVAL-${i}`,
        );
        const answers = await Promise.all(
          calls.map((tag) => tap(app, chargeBoxId, tag)),
        );
        calls.forEach((tag, i) =>
          assert.equal(
            answers[i],
            tag === "WIN" ? "BLOCKED" : null,
            `${tag} in round ${round}`,
          )
        );
      }
    },
  );
});
