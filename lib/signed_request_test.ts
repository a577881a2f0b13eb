import assert from "node:assert/strict";
import { z } from "zod";
import type { HookKey } from "./config.ts";
import { AppError } from "./errors.ts";
import type { SignedEndpoint } from "./signed_endpoints.ts";
import {
  createSignedHook,
  SignatureRejected,
  signBody,
  verifySignedRequest,
} from "./signed_request.ts";
import { signHex } from "./signatures/mod.ts";

Deno.test("signBody - signs a string as its UTF-8 bytes, like signHex", async () => {
  const text = "what do ya want for nothing?";
  assert.equal(
    await signBody("Jefe", text),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  assert.equal(await signBody("Jefe", text), await signHex("Jefe", new TextEncoder().encode(text)));
});

// What the registry lets a wave-2 entry ask for that the SteVe hooks do not use:
// two headers, a rotation secret, its own body limit.
const TWO_HEADERS: SignedEndpoint = {
  name: "Example",
  path: "/api/example",
  headers: ["X-Primary-Signature", "X-Fallback-Signature"],
  scheme: "hex",
  secretVariables: ["EXAMPLE_SECRET", "EXAMPLE_SECRET_PREVIOUS"],
  logCategory: "Example",
  bodyLimitBytes: 100,
  failMode: "closed",
};
const CURRENT = "c".repeat(32);
const PREVIOUS = "p".repeat(32);
const KEY: HookKey = { usable: true, secret: CURRENT, previous: [PREVIOUS] };
const schema = z.object({ n: z.number() });
const hook = createSignedHook(TWO_HEADERS, KEY, schema);
const BODY = '{"n":1}';

const post = (body: string, headers: Record<string, string>) =>
  new Request("http://x/api/example", { method: "POST", body, headers });
const rejectedFor = (reason: string) => (e: unknown) =>
  e instanceof SignatureRejected && e.reason === reason;

Deno.test("verifySignedRequest - the second header is read when the first is absent or empty", async () => {
  const sig = await signBody(CURRENT, BODY);
  assert.deepEqual(
    await verifySignedRequest(hook, post(BODY, { "x-fallback-signature": sig })),
    { n: 1 },
  );
  assert.deepEqual(
    await verifySignedRequest(
      hook,
      post(BODY, { "x-primary-signature": "", "x-fallback-signature": sig }),
    ),
    { n: 1 },
  );
  await assert.rejects(
    verifySignedRequest(hook, post(BODY, { "x-other": sig })),
    rejectedFor("missing_signature"),
  );
});

Deno.test("verifySignedRequest - a rotation secret is accepted, an unknown one is not", async () => {
  assert.deepEqual(hook.secrets, [CURRENT, PREVIOUS]);
  const previous = await signBody(PREVIOUS, BODY);
  assert.deepEqual(
    await verifySignedRequest(hook, post(BODY, { "x-primary-signature": previous })),
    { n: 1 },
  );
  const unknown = await signBody("u".repeat(32), BODY);
  await assert.rejects(
    verifySignedRequest(hook, post(BODY, { "x-primary-signature": unknown })),
    rejectedFor("mismatch"),
  );
});

Deno.test("verifySignedRequest - the entry's body limit applies, not the SteVe hooks'", async () => {
  const body = JSON.stringify({ n: 1, pad: "x".repeat(100) });
  await assert.rejects(
    verifySignedRequest(
      hook,
      post(body, { "x-primary-signature": await signBody(CURRENT, body) }),
    ),
    (e) => e instanceof AppError && e.status === 413 && e.code === "payload_too_large",
  );
});

Deno.test("verifySignedRequest - hex that is not hex keeps its outward name bad_hex", async () => {
  await assert.rejects(
    verifySignedRequest(hook, post(BODY, { "x-primary-signature": "zz" })),
    rejectedFor("bad_hex"),
  );
});

Deno.test("verifySignedRequest - an unusable key refuses before the scheme runs", async () => {
  const weak = createSignedHook(TWO_HEADERS, { usable: false, problem: "weak_key" }, schema);
  assert.deepEqual(weak.secrets, []);
  await assert.rejects(
    verifySignedRequest(weak, post(BODY, { "x-primary-signature": "zz" })),
    rejectedFor("weak_key"),
  );
});
