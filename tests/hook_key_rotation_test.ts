/**
 * Rotating a SteVe hook key without a coordinated restart (issue 15 §3), as
 * docs/operations.md "Rotating a SteVe hook key" tells it: two instances on
 * one database behind a round-robin "load balancer", SteVe's calls flowing
 * all along over real HTTP, and not one refused:
 *
 * 1. set `_NEXT` on ExpresSync, restarting one instance at a time;
 * 2. switch SteVe to the new key: `next` passes rise, `current` ones stop;
 * 3. move the value to the main variable, remove `_NEXT`, restart one at a time.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { keyFingerprint } from "../lib/hook_stats.ts";
import {
  jsonOf,
  METER_KEY,
  PREAUTH_KEY,
  signedPost,
  startTestApp,
  type TestApp,
} from "./_support/app.ts";
import { forEachDatabase } from "./_support/db.ts";
import type { Database } from "../db/client.ts";

const NEW_PREAUTH = "rotated-preauth-key-0123456789abcdef0123456789";
const NEW_METER = "rotated-metervalue-key-0123456789abcdef012345";
const T0 = Date.parse("2026-12-02T08:00:00Z");

/** One SteVe call per hook per tick, to whichever instances are in the pool, round robin. */
class SteVe {
  keys = { preAuthorize: PREAUTH_KEY, meterValues: METER_KEY };
  readonly answers: Array<{ hook: string; status: number }> = [];
  #next = 0;
  #inFlight: Promise<void> = Promise.resolve();
  #tx = 9000;
  constructor(readonly pool: TestApp[]) {}

  async tick(): Promise<void> {
    const app = this.pool[this.#next++ % this.pool.length];
    const pre = await signedPost(
      `${app.url}/api/ocpp/pre-authorize`,
      this.keys.preAuthorize,
      JSON.stringify({
        idTag: "TAG",
        chargeBoxId: "CB-1",
        connectorId: 1,
        isStartTx: false,
        ts: 0,
      }),
    );
    this.answers.push({ hook: "PreAuthorize", status: pre.status });
    await pre.body?.cancel();
    const meter = await signedPost(
      `${app.url}/api/ocpp/meter-values`,
      this.keys.meterValues,
      JSON.stringify({
        chargeBoxId: "CB-1",
        transactionPk: this.#tx++,
        connectorId: 1,
        timestamp: "2026-12-02T08:00:00Z",
        samples: [{ value: "1000", measurand: "Energy.Active.Import.Register", unit: "Wh" }],
      }),
    );
    this.answers.push({ hook: "MeterValues", status: meter.status });
    await meter.body?.cancel();
  }

  /** Resolves when the tick in flight is answered: an instance out of the pool is drained then. */
  drained(): Promise<void> {
    return this.#inFlight;
  }

  /** Calls flowing while `work` runs (a restart), then a few more. */
  async during(work: () => Promise<void>): Promise<void> {
    let done = false;
    const flowing = (async () => {
      while (!done) await (this.#inFlight = this.tick());
    })();
    try {
      await work();
    } finally {
      done = true;
      await flowing;
    }
    for (let i = 0; i < 4; i++) await this.tick();
  }
}

forEachDatabase(
  "hook key rotation - set _NEXT, switch SteVe, promote: calls flow and none is refused",
  async (t, db) => {
    const clock = new ManualClock(T0);
    const start = (env: Record<string, string | undefined>) => startTestApp({ db, clock, env });
    const pool = [await start({}), await start({})];
    const steve = new SteVe(pool);
    try {
      /** Replaces each instance in turn, as a rolling deploy does: out of the pool, stopped, back. */
      const rollingRestart = (env: Record<string, string | undefined>) =>
        steve.during(async () => {
          for (let i = 0; i < pool.length; i++) {
            const old = pool[i];
            pool.splice(i, 1);
            await steve.drained();
            await old.deps.hookStats.flush(db);
            await old.close();
            const fresh = await start(env);
            pool.splice(i, 0, fresh);
          }
        });
      const hooks = async () => {
        for (const app of pool) await app.deps.hookStats.flush(db);
        const res = await jsonOf(await pool[0].admin("GET", "/api/admin/hooks"));
        assert.equal(res.status, 200);
        return res.body.hooks as Array<
          {
            name: string;
            keys: Array<{ name: string; fingerprint: string | null; passes: number }>;
          }
        >;
      };
      const keysOf = async (name: string) => (await hooks()).find((h) => h.name === name)!.keys;

      await t.step("before: one key per hook, its passes counted", async () => {
        await steve.during(() => Promise.resolve());
        const keys = await keysOf("PreAuthorize");
        assert.deepEqual(keys.map((k) => [k.name, k.fingerprint]), [
          ["current", keyFingerprint(PREAUTH_KEY)],
        ]);
        assert.ok(keys[0].passes >= 4);
      });

      await t.step("1. _NEXT set on ExpresSync, one instance at a time", async () => {
        await rollingRestart({
          STEVE_PREAUTH_HMAC_KEY_NEXT: NEW_PREAUTH,
          STEVE_METERVALUE_HMAC_KEY_NEXT: NEW_METER,
        });
        const keys = await keysOf("MeterValues");
        assert.deepEqual(keys.map((k) => [k.name, k.fingerprint, k.passes === 0]), [
          ["current", keyFingerprint(METER_KEY), false],
          ["next", keyFingerprint(NEW_METER), true],
        ]);
      });

      let currentBefore: Record<string, number> = {};
      await t.step("2. SteVe switches: next passes rise, current ones stop", async () => {
        clock.advance(60_000);
        const before = await hooks();
        currentBefore = Object.fromEntries(before.map((h) => [h.name, h.keys[0]?.passes ?? 0]));
        steve.keys = { preAuthorize: NEW_PREAUTH, meterValues: NEW_METER };
        await steve.during(() => Promise.resolve());
        for (const hook of ["PreAuthorize", "MeterValues"]) {
          const [current, next] = (await hooks()).find((h) => h.name === hook)!.keys;
          assert.equal(current.passes, currentBefore[hook], `${hook}: current stopped`);
          assert.ok(next.passes >= 2, `${hook}: next rose (${next.passes})`);
        }
      });

      await t.step(
        "3. the new key becomes the key, _NEXT removed, one instance at a time",
        async () => {
          await rollingRestart({
            STEVE_PREAUTH_HMAC_KEY: NEW_PREAUTH,
            STEVE_METERVALUE_HMAC_KEY: NEW_METER,
          });
          const keys = await keysOf("PreAuthorize");
          assert.deepEqual(keys.map((k) => [k.name, k.fingerprint]), [
            ["current", keyFingerprint(NEW_PREAUTH)],
          ]);
          // Stored passes are per name: `current` now counts the new key's calls too.
          assert.ok(keys[0].passes > currentBefore.PreAuthorize);
        },
      );

      const refused = steve.answers.filter((a) => a.status !== 200);
      assert.deepEqual(refused, [], "every call answered 200");
      assert.ok(steve.answers.length >= 40, `calls flowed (${steve.answers.length})`);
      const json = JSON.stringify(await hooks());
      for (const key of [PREAUTH_KEY, METER_KEY, NEW_PREAUTH, NEW_METER]) {
        assert.ok(!json.includes(key), "no key in the API");
      }
    } finally {
      for (const app of pool) await app.close();
    }
  },
);

forEachDatabase(
  "hook key rotation - a weak _NEXT is not used, the current key goes on working",
  async (_t, db: Database) => {
    await using app = await startTestApp({
      db,
      env: { STEVE_PREAUTH_HMAC_KEY_NEXT: "short-next-key" },
    });
    const body = JSON.stringify({
      idTag: "T",
      chargeBoxId: "C",
      connectorId: 1,
      isStartTx: false,
      ts: 0,
    });
    const current = await signedPost(`${app.url}/api/ocpp/pre-authorize`, PREAUTH_KEY, body);
    assert.equal(current.status, 200);
    await current.body?.cancel();
    const weak = await jsonOf(
      await signedPost(`${app.url}/api/ocpp/pre-authorize`, "short-next-key", body),
    );
    assert.equal(weak.status, 401);
    assert.deepEqual(weak.body, { error: "unauthorized" });
    const res = await jsonOf(await app.admin("GET", "/api/admin/hooks"));
    const pre = res.body.hooks.find((h: { name: string }) => h.name === "PreAuthorize");
    assert.deepEqual(pre.keys, [
      {
        name: "current",
        variable: "STEVE_PREAUTH_HMAC_KEY",
        fingerprint: keyFingerprint(PREAUTH_KEY),
        passes: 0,
      },
      {
        name: "next",
        variable: "STEVE_PREAUTH_HMAC_KEY_NEXT",
        fingerprint: null,
        problem: "weak_key",
        passes: 0,
      },
    ]);
  },
);
