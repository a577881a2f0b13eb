import assert from "node:assert/strict";
import { opensslHmacHex } from "../../tests/_support/openssl.ts";
import { decodeHex, encodeHex, signHex, verifyHex } from "./hex.ts";
import type { HmacSubtle } from "./result.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const KEY = "k".repeat(40);
const BODY = '{"idTag":"TEST","chargeBoxId":"TEST","connectorId":1,"isStartTx":false,"ts":0}';
const opts = {};

Deno.test("signHex - RFC 4231 test case 2 known answer", async () => {
  assert.equal(
    await signHex("Jefe", bytes("what do ya want for nothing?")),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

Deno.test("signHex - matches the runbook's openssl one-liner for its example body", async () => {
  // printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$KEY" -hex
  assert.equal(await signHex(KEY, bytes(BODY)), await opensslHmacHex(KEY, BODY));
});

Deno.test("decodeHex - even-length hex only, either case", () => {
  assert.deepEqual(decodeHex("00ff7F"), new Uint8Array([0, 255, 127]));
  assert.deepEqual(decodeHex(""), new Uint8Array([]));
  assert.equal(decodeHex("abc"), null);
  assert.equal(decodeHex("zz"), null);
  assert.equal(decodeHex("sha256=00"), null);
  assert.equal(decodeHex(" 00"), null);
});

Deno.test("encodeHex - lower case, two digits a byte", () => {
  assert.equal(encodeHex(new Uint8Array([0, 255, 10])), "00ff0a");
});

Deno.test("verifyHex - the RFC 4231 answer matches its key", async () => {
  const sig = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  assert.deepEqual(
    await verifyHex(sig, bytes("what do ya want for nothing?"), ["Jefe"], opts),
    { ok: true, secretIndex: 0 },
  );
});

Deno.test("verifyHex - upper-case hex verifies too", async () => {
  const sig = (await signHex(KEY, bytes(BODY))).toUpperCase();
  assert.deepEqual(await verifyHex(sig, bytes(BODY), [KEY], opts), { ok: true, secretIndex: 0 });
});

Deno.test("verifyHex - reports which secret of the list matched", async () => {
  const sig = await signHex(KEY, bytes(BODY));
  assert.deepEqual(
    await verifyHex(sig, bytes(BODY), ["n".repeat(40), KEY], opts),
    { ok: true, secretIndex: 1 },
  );
});

// One change per case from a valid call; each must be refused for its reason.
const failures: Array<[string, (sig: string) => [string, string, string[]], string]> = [
  ["empty signature", () => ["", BODY, [KEY]], "missing_signature"],
  ["no secret", (sig) => [sig, BODY, []], "no_secret"],
  ["odd length", (sig) => [sig.slice(1), BODY, [KEY]], "malformed"],
  ["not hex", () => ["zz".repeat(32), BODY, [KEY]], "malformed"],
  ["sha256= prefix", (sig) => [`sha256=${sig}`, BODY, [KEY]], "malformed"],
  ["one byte of the body changed", (sig) => [sig, BODY + " ", [KEY]], "mismatch"],
  ["another secret", (sig) => [sig, BODY, ["n".repeat(40)]], "mismatch"],
  ["signature truncated to 31 bytes (62 hex)", (sig) => [sig.slice(2), BODY, [KEY]], "malformed"],
  ["66 hex", (sig) => [sig + "00", BODY, [KEY]], "malformed"],
  ["one flipped digit", (sig) => [sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0"), BODY, [
    KEY,
  ]], "mismatch"],
];
for (const [name, change, reason] of failures) {
  Deno.test(`verifyHex - ${name} is ${reason}`, async () => {
    const [sig, body, secrets] = change(await signHex(KEY, bytes(BODY)));
    assert.deepEqual(await verifyHex(sig, bytes(body), secrets, opts), { ok: false, reason });
  });
}

Deno.test("verifyHex - a failing crypto engine rejects (the HTTP side answers 500)", async () => {
  const subtle: HmacSubtle = {
    importKey: crypto.subtle.importKey.bind(crypto.subtle),
    verify: () => Promise.reject(new Error("engine failure")),
    sign: () => Promise.reject(new Error("engine failure")),
  };
  const sig = await signHex("e".repeat(40), bytes(BODY));
  await assert.rejects(verifyHex(sig, bytes(BODY), ["e".repeat(40)], { subtle }), /engine failure/);
});
