import assert from "node:assert/strict";
import { exponentialBackoffMs, jittered } from "./backoff.ts";

Deno.test("backoff - jitter spans exactly ±jitter around the step", () => {
  assert.equal(jittered(10_000, 0.2, () => 0), 8_000);
  assert.equal(jittered(10_000, 0.2, () => 0.5), 10_000);
  assert.equal(jittered(10_000, 0.2, () => 1), 12_000);
});

Deno.test("backoff - doubles from the base per failed attempt, capped", () => {
  const at = (attempts: number) =>
    exponentialBackoffMs({
      attempts,
      baseMs: 10_000,
      maxMs: 3_600_000,
      jitter: 0.2,
      random: () => 0.5,
    });
  assert.deepEqual([1, 2, 3, 4].map(at), [10_000, 20_000, 40_000, 80_000]);
  assert.equal(at(9), 2_560_000);
  assert.equal(at(10), 3_600_000, "capped");
  assert.equal(at(10_000), 3_600_000, "no overflow");
});
