import assert from "node:assert/strict";
import { outboundTransport } from "./transport.ts";

/** A loopback server for one test; `using` closes it. */
function serve(handler: (r: Request) => Response | Promise<Response>) {
  const closing = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    closing: closing.signal,
    async [Symbol.asyncDispose]() {
      closing.abort();
      await server.shutdown();
    },
  };
}

const request = (url: string) => ({
  url,
  headers: { "content-type": "application/json" },
  body: new TextEncoder().encode("{}"),
});

Deno.test("outboundTransport - answers the status and Retry-After; reads a body of any length at most 64 KiB", async () => {
  await using server = serve(() =>
    new Response(
      new ReadableStream({
        pull(controller) {
          controller.enqueue(new Uint8Array(16 * 1024));
        },
      }),
      { status: 503, headers: { "retry-after": "7" } },
    )
  );
  // An endless body read whole would run into the timeout: a response means it stopped at the cap.
  const result = await outboundTransport({ allowLocal: true, timeoutMs: 2_000 })(
    request(server.url),
  );
  assert.equal(result.kind, "response");
  assert.deepEqual(
    result.kind === "response" && [result.status, result.retryAfter],
    [503, "7"],
  );
  assert.ok(result.kind === "response" && result.ms < 2_000);
});

Deno.test("outboundTransport - a redirect is answered, never followed", async () => {
  let followed = false;
  await using target = serve(() => {
    followed = true;
    return new Response("no");
  });
  await using server = serve(() =>
    new Response(null, { status: 307, headers: { location: target.url } })
  );
  const result = await outboundTransport({ allowLocal: true, timeoutMs: 2_000 })(
    request(server.url),
  );
  assert.deepEqual(result.kind === "response" && result.status, 307);
  assert.equal(followed, false);
});

Deno.test("outboundTransport - a partner that never answers times out", async () => {
  await using server = serve(() =>
    new Promise<Response>((resolve) =>
      server.closing.addEventListener("abort", () => resolve(new Response("late")))
    )
  );
  const started = performance.now();
  const result = await outboundTransport({ allowLocal: true, timeoutMs: 300 })(request(server.url));
  assert.equal(result.kind, "timeout");
  assert.ok(performance.now() - started < 2_000);
});

Deno.test("outboundTransport - a refused connection is a network error without the URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const result = await outboundTransport({ allowLocal: true, timeoutMs: 2_000 })(
    request(`http://127.0.0.1:${port}/secret-path`),
  );
  assert.equal(result.kind, "network");
  assert.ok(result.kind === "network" && !result.error.includes("secret-path"));
});
