import assert from "node:assert/strict";
import { settlementOf } from "./worker.ts";
import type { SendResult } from "./transport.ts";

const NOW = new Date("2026-11-29T12:00:00Z");
const args = (attemptsMade: number) => ({
  attemptsMade,
  schedule: [5, 300],
  now: NOW,
  random: () => 0.5,
});
const response = (status: number, retryAfter: string | null = null): SendResult => ({
  kind: "response",
  status,
  retryAfter,
  ms: 3,
});

Deno.test("settlementOf - the outcome table of issue 13 §3, row by row", () => {
  const rows: Array<[string, SendResult, string, boolean?]> = [
    ["200", response(200), "delivered"],
    ["204", response(204), "delivered"],
    ["299", response(299), "delivered"],
    ["301", response(301), "failed"],
    ["308", response(308), "failed"],
    ["400", response(400), "failed"],
    ["401", response(401), "failed"],
    ["404", response(404), "failed"],
    ["410", response(410), "failed", true],
    ["408", response(408), "pending"],
    ["429", response(429), "pending"],
    ["500", response(500), "pending"],
    ["503", response(503), "pending"],
    ["timeout", { kind: "timeout", ms: 10_000 }, "pending"],
    ["network", { kind: "network", error: "ECONNREFUSED", ms: 1 }, "pending"],
    ["blocked", { kind: "blocked", detail: "10.0.0.1" }, "failed"],
  ];
  for (const [name, result, status, gone] of rows) {
    const s = settlementOf(result, args(1));
    assert.equal(s.outcome.status, status, name);
    assert.equal(s.gone ?? false, gone ?? false, name);
  }
});

Deno.test("settlementOf - retryable after the last step: failed, saying so", () => {
  const s = settlementOf(response(503), args(3));
  assert.equal(s.outcome.status, "failed");
  assert.match((s.outcome as { error: string }).error, /HTTP 503; no attempts left/);
  const next = settlementOf(response(503), args(2)).outcome;
  assert.equal(next.status, "pending");
  assert.equal((next as { nextAttemptAt: Date }).nextAttemptAt.getTime() - NOW.getTime(), 300_000);
});

Deno.test("settlementOf - errors name the cause: redirects, blocked destinations", () => {
  const redirect = settlementOf(response(302), args(1)).outcome as { error: string };
  assert.match(redirect.error, /redirects/);
  const blocked = settlementOf({ kind: "blocked", detail: "private address" }, args(1))
    .outcome as { error: string };
  assert.equal(blocked.error, "blocked_destination: private address");
});
