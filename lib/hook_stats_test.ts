import assert from "node:assert/strict";
import { FINGERPRINT_LABEL, HookStats, keyFingerprint } from "./hook_stats.ts";

Deno.test("keyFingerprint - what docs/operations.md's openssl line prints, never the key", async () => {
  const key = "f".repeat(64);
  const openssl = new Deno.Command("openssl", {
    args: ["dgst", "-sha256", "-hmac", key],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = openssl.stdin.getWriter();
  await writer.write(new TextEncoder().encode(FINGERPRINT_LABEL));
  await writer.close();
  const out = new TextDecoder().decode((await openssl.output()).stdout).trim()
    .split(" ").at(-1)!;
  assert.equal(keyFingerprint(key), out.slice(0, 16));
  assert.notEqual(keyFingerprint(key), keyFingerprint(key + "x"));
});

Deno.test("HookStats - counts per hook and outcome", () => {
  const stats = new HookStats();
  stats.record("PreAuthorize", "ok");
  stats.record("PreAuthorize", "ok");
  stats.record("PreAuthorize", "unauthorized:mismatch");
  assert.deepEqual(stats.counts("PreAuthorize"), {
    ok: 2,
    "unauthorized:mismatch": 1,
  });
  assert.deepEqual(stats.counts("MeterValues"), {});
});
