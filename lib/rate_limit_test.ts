import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { forEachDatabase } from "../tests/_support/db.ts";
import { ManualClock } from "./clock.ts";
import { createRateLimiter } from "./rate_limit.ts";

// Windows are aligned to the epoch: this start is a window boundary for 60 s windows.
const T0 = Date.parse("2026-11-23T10:00:00Z");

forEachDatabase("rate limiter", async (t, db) => {
  await t.step(
    "N per window per key, then Retry-After until the estimate lets one in",
    async () => {
      const clock = new ManualClock(T0);
      const limiter = createRateLimiter({ db, name: "t1", limit: 3, windowMs: 60_000, clock });
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await limiter.hit("a"), { allowed: true });
        clock.advance(10_000);
      }
      // At 30 s: 3 counted in this window; the next window starts with all 3 weighing fully.
      assert.deepEqual(await limiter.hit("a"), { allowed: false, retryAfterSeconds: 31 });
      assert.deepEqual(await limiter.hit("b"), { allowed: true }, "keys are independent");
      clock.advance(30_000);
      assert.equal(
        (await limiter.hit("a")).allowed,
        false,
        "at the boundary the old window weighs 3",
      );
      // 30 s into the next window the previous 3 weigh 1.5: one more fits (1.5 + 1 < 3)…
      clock.advance(30_000);
      assert.deepEqual(await limiter.hit("a"), { allowed: true });
      // …then 1 + 1.5 = 2.5 < 3 lets a second in, and 2 + 1.5 refuses the third.
      assert.deepEqual(await limiter.hit("a"), { allowed: true });
      const refused = await limiter.hit("a");
      assert.equal(refused.allowed, false);
      // 2 + 3·(1 − e/60) < 3 from e > 40 s: 10 s from now (30 s in).
      assert.deepEqual(refused, { allowed: false, retryAfterSeconds: 11 });
      clock.advance(11_000);
      assert.deepEqual(await limiter.hit("a"), { allowed: true });
    },
  );

  await t.step(
    "refused hits are not counted, and limiters of different names do not share",
    async () => {
      const clock = new ManualClock(T0 + 3_600_000);
      const one = createRateLimiter({ db, name: "t2", limit: 1, windowMs: 60_000, clock });
      const other = createRateLimiter({ db, name: "t3", limit: 1, windowMs: 60_000, clock });
      assert.equal((await one.hit("k")).allowed, true);
      for (let i = 0; i < 5; i++) assert.equal((await one.hit("k")).allowed, false);
      assert.equal((await other.hit("k")).allowed, true);
      const [row] = await db.rows<{ hits: number }>(
        sql`select hits from rate_limit_counters where key like 't2:%'`,
      );
      assert.equal(row.hits, 1);
    },
  );

  await t.step("racing hits never pass more than the limit", async () => {
    const clock = new ManualClock(T0 + 7_200_000);
    const limiter = createRateLimiter({ db, name: "t4", limit: 5, windowMs: 60_000, clock });
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.hit("k")));
    assert.equal(decisions.filter((d) => d.allowed).length, 5);
  });

  await t.step("the client key is stored only as a hash", async () => {
    const clock = new ManualClock(T0);
    const limiter = createRateLimiter({ db, name: "t5", limit: 1, windowMs: 60_000, clock });
    await limiter.hit("203.0.113.9");
    const rows = await db.rows<{ key: string }>(sql`select key from rate_limit_counters`);
    assert.ok(rows.every((r) => !r.key.includes("203.0.113.9")));
  });
});
