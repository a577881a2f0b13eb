import assert from "node:assert/strict";
import { opensslHmacHex } from "../tests/_support/openssl.ts";
import { decodeHex, MAX_SIGNED_BODY_BYTES, readBodyBytes, signBody } from "./signed_request.ts";
import { AppError } from "./errors.ts";

Deno.test("signBody - RFC 4231 test case 2 known answer", async () => {
  assert.equal(
    await signBody("Jefe", "what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

Deno.test("signBody - matches the runbook's openssl one-liner for its example body", async () => {
  // printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$KEY" -hex
  const body = '{"idTag":"TEST","chargeBoxId":"TEST","connectorId":1,"isStartTx":false,"ts":0}';
  const out = await opensslHmacHex("k".repeat(40), body);
  assert.equal(await signBody("k".repeat(40), body), out);
});

Deno.test("decodeHex - even-length hex only, either case", () => {
  assert.deepEqual(decodeHex("00ff7F"), new Uint8Array([0, 255, 127]));
  assert.deepEqual(decodeHex(""), new Uint8Array([]));
  assert.equal(decodeHex("abc"), null);
  assert.equal(decodeHex("zz"), null);
  assert.equal(decodeHex("sha256=00"), null);
  assert.equal(decodeHex(" 00"), null);
});

Deno.test("readBodyBytes - an unreadable body is 400 invalid_body", async () => {
  const broken = new ReadableStream({
    pull(c) {
      c.error(new Error("connection reset"));
    },
  });
  const request = new Request("http://x/", { method: "POST", body: broken });
  await assert.rejects(
    readBodyBytes(request),
    (e) => e instanceof AppError && e.status === 400 && e.code === "invalid_body",
  );
});

Deno.test("readBodyBytes - exactly 64 KiB passes, one byte more is 413", async () => {
  const ok = new Request("http://x/", {
    method: "POST",
    body: "x".repeat(MAX_SIGNED_BODY_BYTES),
  });
  assert.equal((await readBodyBytes(ok)).byteLength, MAX_SIGNED_BODY_BYTES);
  const big = new Request("http://x/", {
    method: "POST",
    body: "x".repeat(MAX_SIGNED_BODY_BYTES + 1),
  });
  await assert.rejects(
    readBodyBytes(big),
    (e) => e instanceof AppError && e.status === 413,
  );
});
