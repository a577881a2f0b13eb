import assert from "node:assert/strict";
import { signHex } from "./hex.ts";
import type { SignatureFailure } from "./result.ts";
import { signSha256, verifySha256 } from "./sha256.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const KEY = "hubject-secret-0123456789abcdef";
const BODY = '{"eventId":"caf56bee","eventType":"root.cert.added","payload":{}}';

Deno.test("signSha256 - `sha256=` and the hex of the raw body's HMAC (RFC 4231 case 2)", async () => {
  assert.equal(
    await signSha256("Jefe", bytes("what do ya want for nothing?")),
    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

Deno.test("verifySha256 - the signature matches; upper case hex and prefix too", async () => {
  const sig = await signSha256(KEY, bytes(BODY));
  assert.deepEqual(await verifySha256(sig, bytes(BODY), [KEY], {}), { ok: true, secretIndex: 0 });
  assert.deepEqual(
    await verifySha256("SHA256=" + sig.slice(7).toUpperCase(), bytes(BODY), [KEY], {}),
    { ok: true, secretIndex: 0 },
  );
});

Deno.test("verifySha256 - reports which secret matched (current, then previous)", async () => {
  const sig = await signSha256("old-" + KEY, bytes(BODY));
  assert.deepEqual(
    await verifySha256(sig, bytes(BODY), [KEY, "old-" + KEY], {}),
    { ok: true, secretIndex: 1 },
  );
});

Deno.test("verifySha256 - bare hex only where the endpoint allows it", async () => {
  const bare = await signHex(KEY, bytes(BODY));
  assert.deepEqual(await verifySha256(bare, bytes(BODY), [KEY], {}), {
    ok: false,
    reason: "malformed",
  });
  assert.deepEqual(await verifySha256(bare, bytes(BODY), [KEY], { bareHex: true }), {
    ok: true,
    secretIndex: 0,
  });
});

const good = await signSha256(KEY, bytes(BODY));
const failures: Array<[string, string, string[], SignatureFailure]> = [
  ["an empty header", "", [KEY], "missing_signature"],
  ["no secret configured", good, [], "no_secret"],
  ["63 hex after the prefix", good.slice(0, -1), [KEY], "malformed"],
  ["65 hex after the prefix", good + "0", [KEY], "malformed"],
  ["a non-hex character", good.slice(0, -1) + "g", [KEY], "malformed"],
  ["another prefix", "sha1=" + good.slice(7), [KEY], "malformed"],
  ["a space inside", good.slice(0, 20) + " " + good.slice(21), [KEY], "malformed"],
  ["another key", good, ["x" + KEY], "mismatch"],
  ["one flipped digit", good.slice(0, -1) + (good.endsWith("0") ? "1" : "0"), [KEY], "mismatch"],
];
for (const [name, sig, secrets, reason] of failures) {
  Deno.test(`verifySha256 - ${name} is ${reason}`, async () => {
    assert.deepEqual(await verifySha256(sig, bytes(BODY), secrets, {}), { ok: false, reason });
  });
}
