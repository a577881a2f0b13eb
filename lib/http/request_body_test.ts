import assert from "node:assert/strict";
import { AppError } from "../errors.ts";
import { readBoundedBody } from "./request_body.ts";

const isStatus = (status: number, code: string) => (e: unknown) =>
  e instanceof AppError && e.status === status && e.code === code;

Deno.test("readBoundedBody - an unreadable body is 400 invalid_body", async () => {
  const broken = new ReadableStream({
    pull(c) {
      c.error(new Error("connection reset"));
    },
  });
  const request = new Request("http://x/", { method: "POST", body: broken });
  await assert.rejects(readBoundedBody(request, 100), isStatus(400, "invalid_body"));
});

Deno.test("readBoundedBody - a declared length over the limit is refused before a byte is read", async () => {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(10));
    },
  });
  const request = new Request("http://x/", {
    method: "POST",
    body,
    headers: { "content-length": "101" },
  });
  await assert.rejects(readBoundedBody(request, 100), isStatus(413, "payload_too_large"));
  // A ReadableStream pulls once to fill its queue when it is created; nothing more.
  assert.ok(pulled <= 1, `pulled ${pulled} chunks`);
});

Deno.test("readBoundedBody - a body with no length stops being read at the limit", async () => {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(10));
    },
  });
  const request = new Request("http://x/", { method: "POST", body });
  await assert.rejects(readBoundedBody(request, 100), isStatus(413, "payload_too_large"));
  assert.ok(pulled <= 12, `pulled ${pulled} chunks of 10 bytes for a 100-byte limit`);
});

Deno.test("readBoundedBody - an empty body is zero bytes", async () => {
  const request = new Request("http://x/", { method: "POST" });
  assert.equal((await readBoundedBody(request, 100)).byteLength, 0);
});
