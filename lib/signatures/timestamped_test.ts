import assert from "node:assert/strict";
import { encodeHex } from "./hex.ts";
import { signHmacSha256 } from "./hmac.ts";
import type { SignatureFailure } from "./result.ts";
import { parseTimestampedHeader, signTimestamped, verifyTimestamped } from "./timestamped.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

// Seed 004's worked example, byte for byte.
const ENVASE_KEY = "R$4m726fYFo{d7w4";
const ENVASE_BODY =
  '{"action":"SHOWING","type":"EXAMPLE","payload":{"id":"123Test","info":"Example data"}}';
const ENVASE_HEADER =
  "t=1660929593448,v1=8506bcdc106d9db53eba0dfbbcc14c4ad2ce9c89783747d58807ad565747243c";
const ENVASE_NOW = 1660929593448 + 1000;

Deno.test("verifyTimestamped - seed 004's worked example verifies (13-digit milliseconds)", async () => {
  assert.deepEqual(
    await verifyTimestamped(ENVASE_HEADER, bytes(ENVASE_BODY), [ENVASE_KEY], {
      now: () => ENVASE_NOW,
    }),
    { ok: true, secretIndex: 0 },
  );
});

const KEY = "partner-secret-" + "a".repeat(49);
const BODY = '{"event_type":"entry.granted","timestamp":"2026-11-29T10:00:00Z"}';
const NOW = Date.parse("2026-11-29T10:00:00Z");
const T = String(NOW / 1000);
const mac = async (t: string, key = KEY, body = BODY) =>
  encodeHex(await signHmacSha256(key, bytes(`${t}.${body}`)));

Deno.test("signTimestamped - `t=<unix seconds>,v1=<hex of t.body>` and it verifies", async () => {
  const header = await signTimestamped(KEY, bytes(BODY), { now: () => NOW });
  assert.equal(header, `t=${T},v1=${await mac(T)}`);
  assert.deepEqual(await verifyTimestamped(header, bytes(BODY), [KEY], { now: () => NOW }), {
    ok: true,
    secretIndex: 0,
  });
});

Deno.test("verifyTimestamped - any one v1 is enough; spaces, unknown entries and bad v1s skipped", async () => {
  const header = ` t=${T} , v0=abc, v1=${"0".repeat(64)},v1=nothex, x , v1=${
    (await mac(T)).toUpperCase()
  } `;
  assert.deepEqual(await verifyTimestamped(header, bytes(BODY), [KEY], { now: () => NOW }), {
    ok: true,
    secretIndex: 0,
  });
});

Deno.test("verifyTimestamped - the previous secret during a rotation is reported as index 1", async () => {
  const header = `t=${T},v1=${await mac(T, "old-" + KEY)}`;
  assert.deepEqual(
    await verifyTimestamped(header, bytes(BODY), [KEY, "old-" + KEY], { now: () => NOW }),
    { ok: true, secretIndex: 1 },
  );
});

Deno.test("verifyTimestamped - the window: 300 s back and 60 s ahead pass, one more second does not", async () => {
  const header = `t=${T},v1=${await mac(T)}`;
  const at = (offsetS: number) =>
    verifyTimestamped(header, bytes(BODY), [KEY], { now: () => NOW + offsetS * 1000 });
  assert.equal((await at(300)).ok, true);
  assert.deepEqual(await at(301), { ok: false, reason: "stale" });
  assert.equal((await at(-60)).ok, true);
  assert.deepEqual(await at(-61), { ok: false, reason: "future" });
});

Deno.test("verifyTimestamped - a forged signature is a mismatch, never stale", async () => {
  const old = String(NOW / 1000 - 3600);
  const header = `t=${old},v1=${await mac(old, "another-key")}`;
  assert.deepEqual(await verifyTimestamped(header, bytes(BODY), [KEY], { now: () => NOW }), {
    ok: false,
    reason: "mismatch",
  });
});

const failures: Array<[string, (good: string) => string, string[], SignatureFailure]> = [
  ["an empty header", () => "", [KEY], "missing_signature"],
  ["no secret configured", (g) => g, [], "no_secret"],
  ["no t", (g) => g.replace(/t=\d+,/, ""), [KEY], "malformed"],
  ["two t", (g) => `t=${T},${g}`, [KEY], "malformed"],
  ["a signed t", (g) => g.replace("t=", "t=+"), [KEY], "malformed"],
  ["a t with a point", (g) => g.replace(`t=${T}`, `t=${T}.5`), [KEY], "malformed"],
  ["a t with a suffix", (g) => g.replace(`t=${T}`, `t=${T}abc`), [KEY], "malformed"],
  ["a t with a space inside", (g) => g.replace(`t=${T}`, `t=${T.slice(0, 5)} ${T.slice(5)}`), [
    KEY,
  ], "malformed"],
  ["a 9-digit t", (g) => g.replace(`t=${T}`, `t=${T.slice(1)}`), [KEY], "malformed"],
  ["an 11-digit t", (g) => g.replace(`t=${T}`, `t=${T}0`), [KEY], "malformed"],
  ["no v1", (g) => g.replace(/,v1=.*/, ""), [KEY], "malformed"],
  ["only a 63-hex v1", (g) => g.slice(0, -1), [KEY], "malformed"],
  ["another key", (g) => g, ["x" + KEY], "mismatch"],
  ["the body's t changed", (g) => g.replace(`t=${T}`, `t=${Number(T) + 1}`), [KEY], "mismatch"],
];
for (const [name, change, secrets, reason] of failures) {
  Deno.test(`verifyTimestamped - ${name} is ${reason}`, async () => {
    const good = `t=${T},v1=${await mac(T)}`;
    assert.deepEqual(
      await verifyTimestamped(change(good), bytes(BODY), secrets, { now: () => NOW }),
      { ok: false, reason },
    );
  });
}

Deno.test("verifyTimestamped - stale and future follow a custom tolerance", async () => {
  const header = `t=${T},v1=${await mac(T)}`;
  const options = (offsetS: number) => ({
    now: () => NOW + offsetS * 1000,
    toleranceSeconds: { past: 10, future: 5 },
  });
  assert.deepEqual(await verifyTimestamped(header, bytes(BODY), [KEY], options(11)), {
    ok: false,
    reason: "stale",
  });
  assert.deepEqual(await verifyTimestamped(header, bytes(BODY), [KEY], options(-6)), {
    ok: false,
    reason: "future",
  });
});

Deno.test("parseTimestampedHeader - 10 digits are seconds, 13 milliseconds", () => {
  const v1 = "a".repeat(64);
  assert.equal(parseTimestampedHeader(`t=1614265330,v1=${v1}`)?.ms, 1614265330000);
  assert.equal(parseTimestampedHeader(`t=1660929593448,v1=${v1}`)?.ms, 1660929593448);
  assert.equal(parseTimestampedHeader(`t=1614265330abc,v1=${v1}`), null);
});

Deno.test("verifyTimestamped - without a clock it refuses to guess (a programming error)", async () => {
  await assert.rejects(verifyTimestamped(ENVASE_HEADER, bytes(ENVASE_BODY), [ENVASE_KEY], {}));
});
