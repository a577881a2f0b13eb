import assert from "node:assert/strict";
import { sseResponse } from "./sse.ts";

Deno.test("sse - events are framed, cleanup runs once when the client cancels", async () => {
  let cleanups = 0;
  const response = sseResponse({
    heartbeatMs: 10,
    start(stream) {
      stream.onClose(() => cleanups++);
      stream.send("session", { kwh: 1.5 });
    },
  });
  assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
  const reader = response.body!.getReader();
  let text = "";
  while (!text.includes(": heartbeat")) {
    text += new TextDecoder().decode((await reader.read()).value);
  }
  assert.match(
    text,
    /^retry: 3000\n\nevent: session\ndata: \{"kwh":1\.5\}\n\n/,
  );
  await reader.cancel();
  await reader.cancel().catch(() => {});
  assert.equal(cleanups, 1);
});

Deno.test("sse - an aborted request signal closes the stream and cleans up", async () => {
  const abort = new AbortController();
  let cleaned = false;
  const response = sseResponse({
    signal: abort.signal,
    start(stream) {
      stream.onClose(() => cleaned = true);
    },
  });
  const text = response.text();
  abort.abort();
  assert.equal(await text, "retry: 3000\n\n");
  assert.equal(cleaned, true);
});

Deno.test("sse - the server's stop closes a stream whose client is still there", async () => {
  const client = new AbortController();
  const closing = new AbortController();
  let cleaned = false;
  const response = sseResponse({
    signal: client.signal,
    closing: closing.signal,
    start(stream) {
      stream.onClose(() => cleaned = true);
    },
  });
  const text = response.text();
  closing.abort();
  assert.equal(await text, "retry: 3000\n\n");
  assert.equal(cleaned, true);
  assert.equal(client.signal.aborted, false);
});

Deno.test("sse - event names with line breaks are refused", async () => {
  let error: unknown;
  const response = sseResponse({
    start(stream) {
      try {
        stream.send("a\nb", {});
      } catch (e) {
        error = e;
      }
      stream.close();
    },
  });
  await response.text();
  assert.ok(error instanceof Error);
});
