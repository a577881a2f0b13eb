import assert from "node:assert/strict";
import { nextRetryDelayMs, retryAfterMs } from "./retry.ts";

const NOW = new Date("2026-11-29T12:00:00Z");
const SCHEDULE = [5, 300, 1800];

Deno.test("nextRetryDelayMs - each step with ±20 % jitter; none after the last", () => {
  const at = (attemptsMade: number, r: number, retryAfter: string | null = null) =>
    nextRetryDelayMs({ schedule: SCHEDULE, attemptsMade, retryAfter, now: NOW, random: () => r });
  assert.equal(at(1, 0.5), 5_000);
  assert.equal(at(1, 0), 4_000);
  assert.equal(at(1, 1), 6_000);
  assert.equal(at(2, 0.5), 300_000);
  assert.equal(at(3, 0), 1_440_000);
  assert.equal(at(4, 0.5), null, "schedule used up: the delivery fails");
});

Deno.test("nextRetryDelayMs - Retry-After is honoured up to twice the step, without jitter", () => {
  const at = (attemptsMade: number, retryAfter: string) =>
    nextRetryDelayMs({ schedule: SCHEDULE, attemptsMade, retryAfter, now: NOW, random: () => 0 });
  assert.equal(at(2, "120"), 120_000);
  assert.equal(at(2, "0"), 0);
  assert.equal(at(2, "9999"), 600_000);
  assert.equal(at(2, new Date(NOW.getTime() + 42_000).toUTCString()), 42_000);
  assert.equal(at(2, "tomorrow"), 240_000, "junk is ignored: the step with its jitter");
  assert.equal(at(4, "1"), null, "no step left: Retry-After does not add one");
});

Deno.test("retryAfterMs - seconds, an HTTP date (past: now), junk", () => {
  const rows: Array<[string | null, number | null]> = [
    [null, null],
    ["30", 30_000],
    [" 7 ", 7_000],
    ["1.5", null],
    ["-3", null],
    ["Sun, 29 Nov 2026 12:01:00 GMT", 60_000],
    ["Sun, 29 Nov 2026 11:00:00 GMT", 0],
    ["2026-11-29T12:01:00Z", null],
  ];
  for (const [value, expected] of rows) assert.equal(retryAfterMs(value, NOW), expected, value!);
});
