import { systemClock } from "./clock.ts";
import assert from "node:assert/strict";
import { opensslHmacHex } from "../tests/_support/openssl.ts";
import { FINGERPRINT_LABEL, HookStats, keyFingerprint } from "./hook_stats.ts";

Deno.test("keyFingerprint - what docs/operations.md's openssl line prints, never the key", async () => {
  const key = "f".repeat(64);
  const out = await opensslHmacHex(key, FINGERPRINT_LABEL);
  assert.equal(keyFingerprint(key), out.slice(0, 16));
  assert.notEqual(keyFingerprint(key), keyFingerprint(key + "x"));
});

Deno.test("HookStats - counts per hook and outcome", () => {
  const stats = new HookStats(systemClock);
  stats.record("PreAuthorize", "ok");
  stats.record("PreAuthorize", "ok");
  stats.record("PreAuthorize", "unauthorized:mismatch");
  assert.deepEqual(stats.counts("PreAuthorize"), {
    ok: 2,
    "unauthorized:mismatch": 1,
  });
  assert.deepEqual(stats.counts("MeterValues"), {});
});
