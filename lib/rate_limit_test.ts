import assert from "node:assert/strict";
import { ManualClock } from "./clock.ts";
import { createRateLimiter } from "./rate_limit.ts";

Deno.test("rate limiter - N per window per key, then Retry-After until the oldest hit leaves", () => {
  const clock = new ManualClock(0);
  const limiter = createRateLimiter({ limit: 3, windowMs: 60_000, clock });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(limiter.hit("a"), { allowed: true });
    clock.advance(10_000);
  }
  assert.deepEqual(limiter.hit("a"), { allowed: false, retryAfterSeconds: 30 });
  assert.deepEqual(limiter.hit("b"), { allowed: true }, "keys are independent");
  clock.advance(30_000);
  assert.deepEqual(limiter.hit("a"), { allowed: true });
  assert.equal(limiter.hit("a").allowed, false);
});
