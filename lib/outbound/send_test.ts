import assert from "node:assert/strict";
import { sendOnce, type SendOptions } from "./send.ts";

const BODY = new TextEncoder().encode('{"id":"evt_1","type":"ping"}');
const JSON_HEADERS = { "content-type": "application/json", "x-expressync-event": "ping" };
const LOCAL: SendOptions = { allowLocal: true, timeoutMs: 5_000 };

interface Seen {
  method: string;
  url: string;
  host: string | null;
  headers: Headers;
  body: Uint8Array;
}

/** A loopback partner on its own port that records every request it receives. */
function partner(
  answer: (seen: Seen) => Response | Promise<Response> = () => new Response("ok"),
  tls?: { cert: string; key: string },
) {
  const seen: Seen[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...tls },
    async (req) => {
      const entry = {
        method: req.method,
        url: req.url,
        host: req.headers.get("host"),
        headers: req.headers,
        body: new Uint8Array(await req.arrayBuffer()),
      };
      seen.push(entry);
      return answer(entry);
    },
  );
  return { server, seen, port: server.addr.port, [Symbol.asyncDispose]: () => server.shutdown() };
}

Deno.test("send - 200: the POST arrives with its headers, bytes and query", async () => {
  await using p = partner(() => new Response("a body nobody stores"));
  const result = await sendOnce(
    { url: `http://127.0.0.1:${p.port}/hooks?tenant=7`, headers: JSON_HEADERS, body: BODY },
    LOCAL,
  );
  assert.equal(result.kind, "response");
  assert.ok(result.kind === "response");
  assert.equal(result.status, 200);
  assert.equal(result.retryAfter, null);
  assert.ok(result.ms >= 0);
  assert.equal(p.seen.length, 1);
  const [seen] = p.seen;
  assert.equal(seen.method, "POST");
  assert.equal(new URL(seen.url).pathname + new URL(seen.url).search, "/hooks?tenant=7");
  assert.equal(seen.headers.get("content-type"), "application/json");
  assert.equal(seen.headers.get("x-expressync-event"), "ping");
  assert.equal(seen.headers.get("content-length"), String(BODY.byteLength));
  assert.deepEqual(seen.body, BODY);
});

Deno.test("send - a 302 is a response; its Location target receives nothing", async () => {
  await using target = partner();
  await using p = partner(() =>
    new Response(null, {
      status: 302,
      headers: { location: `http://127.0.0.1:${target.port}/elsewhere` },
    })
  );
  const result = await sendOnce(
    { url: `http://127.0.0.1:${p.port}/hooks`, headers: JSON_HEADERS, body: BODY },
    LOCAL,
  );
  assert.equal(result.kind === "response" && result.status, 302);
  assert.equal(p.seen.length, 1);
  assert.equal(target.seen.length, 0);
});

Deno.test("send - Retry-After is handed back as sent", async () => {
  await using p = partner(() =>
    new Response("slow down", { status: 429, headers: { "retry-after": "120" } })
  );
  const result = await sendOnce(
    { url: `http://127.0.0.1:${p.port}/`, headers: JSON_HEADERS, body: BODY },
    LOCAL,
  );
  assert.deepEqual(
    result.kind === "response" && [result.status, result.retryAfter],
    [429, "120"],
  );
});

Deno.test("send - a partner that never answers ends as a timeout", async () => {
  const { promise: released, resolve: release } = Promise.withResolvers<void>();
  await using p = partner(async () => {
    await released;
    return new Response("too late");
  });
  const timeoutMs = 300;
  const result = await sendOnce(
    { url: `http://127.0.0.1:${p.port}/`, headers: JSON_HEADERS, body: BODY },
    { ...LOCAL, timeoutMs },
  );
  release();
  assert.equal(result.kind, "timeout");
  assert.ok(
    result.kind === "timeout" && result.ms >= timeoutMs - 5,
    `ms ${JSON.stringify(result)}`,
  );
  assert.equal(p.seen.length, 1);
});

Deno.test("send - a resolver that never answers ends as a timeout", async () => {
  const result = await sendOnce(
    { url: "https://slow-dns.test/", headers: JSON_HEADERS, body: BODY },
    { ...LOCAL, timeoutMs: 100, resolve: () => new Promise<string[]>(() => {}) },
  );
  assert.equal(result.kind, "timeout");
});

Deno.test("send - an endless body is read up to the cap, then the socket is closed", async () => {
  let cancelled = false;
  let sent = 0;
  const chunk = new Uint8Array(16 * 1024);
  await using p = partner(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        },
        cancel() {
          cancelled = true;
        },
      }),
      { status: 500 },
    )
  );
  const result = await sendOnce(
    { url: `http://127.0.0.1:${p.port}/`, headers: JSON_HEADERS, body: BODY },
    { ...LOCAL, timeoutMs: 10_000, maxResponseBytes: 64 * 1024 },
  );
  assert.equal(result.kind === "response" && result.status, 500);
  // The server notices the closed socket and stops streaming.
  for (let i = 0; i < 100 && !cancelled; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(cancelled, "the partner's stream was cancelled");
  assert.ok(sent < 64 * 1024 * 1024, `the partner stopped sending (${sent} bytes)`);
});

Deno.test("send - keepBody hands back the body, cut at the cap; off, none is kept", async () => {
  const big = new Uint8Array(100 * 1024).fill(0x61);
  await using p = partner((seen) =>
    new URL(seen.url).pathname === "/small"
      ? new Response('{"error":"stale"}', { status: 401 })
      : new Response(big, { status: 422 })
  );
  const url = (path: string) => `http://127.0.0.1:${p.port}${path}`;
  const small = await sendOnce(
    { url: url("/small"), headers: JSON_HEADERS, body: BODY },
    { ...LOCAL, keepBody: true },
  );
  assert.ok(small.kind === "response" && small.body);
  assert.equal(new TextDecoder().decode(small.body), '{"error":"stale"}');
  const cut = await sendOnce(
    { url: url("/big"), headers: JSON_HEADERS, body: BODY },
    { ...LOCAL, keepBody: true, maxResponseBytes: 64 * 1024 },
  );
  assert.ok(cut.kind === "response" && cut.body);
  assert.equal(cut.body.byteLength, 64 * 1024, "never more than the cap");
  const dropped = await sendOnce({ url: url("/small"), headers: JSON_HEADERS, body: BODY }, LOCAL);
  assert.ok(dropped.kind === "response");
  assert.equal(dropped.body, undefined, "without keepBody nothing is kept");
});

Deno.test("send - connection refused is a network error", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const result = await sendOnce(
    { url: `http://127.0.0.1:${port}/`, headers: JSON_HEADERS, body: BODY },
    LOCAL,
  );
  assert.deepEqual(result.kind === "network" && result.error, "ECONNREFUSED");
});

Deno.test("send - a name that does not resolve is a network error", async () => {
  const result = await sendOnce(
    { url: "https://nowhere.test/", headers: JSON_HEADERS, body: BODY },
    {
      ...LOCAL,
      resolve: () => Promise.reject(Object.assign(new Error("x"), { code: "ENOTFOUND" })),
    },
  );
  assert.deepEqual(result.kind === "network" && result.error, "dns ENOTFOUND");
});

Deno.test("send - with allowLocal off a loopback partner is blocked before any connection", async () => {
  await using p = partner();
  let resolved = 0;
  for (
    const url of [
      `http://127.0.0.1:${p.port}/`,
      `https://127.0.0.1:${p.port}/`,
      `https://loopback.test:${p.port}/`,
    ]
  ) {
    const result = await sendOnce(
      { url, headers: JSON_HEADERS, body: BODY },
      {
        allowLocal: false,
        timeoutMs: 5_000,
        resolve: () => {
          resolved++;
          return Promise.resolve(["127.0.0.1"]);
        },
      },
    );
    assert.equal(result.kind, "blocked", url);
  }
  assert.equal(resolved, 1);
  assert.equal(p.seen.length, 0);
});

Deno.test("send - resolves once and connects to the vetted address, Host unchanged", async () => {
  await using p = partner();
  // A rebinding resolver: the first answer passes, any later one would point elsewhere.
  const answers = [["127.0.0.1"], ["10.255.255.1"]];
  let calls = 0;
  const resolve = () => Promise.resolve(answers[Math.min(calls++, 1)]);
  const result = await sendOnce(
    { url: `http://partner.test:${p.port}/hooks`, headers: JSON_HEADERS, body: BODY },
    { ...LOCAL, resolve },
  );
  assert.equal(result.kind === "response" && result.status, 200);
  assert.equal(calls, 1);
  assert.equal(p.seen.length, 1);
  assert.equal(p.seen[0].host, `partner.test:${p.port}`);
});

Deno.test("send - TLS goes to the vetted address and checks the certificate of the name", async () => {
  const dir = new URL("./testdata/", import.meta.url);
  const cert = await Deno.readTextFile(new URL("partner_test_cert.pem", dir));
  const key = await Deno.readTextFile(new URL("partner_test_key.pem", dir));
  await using p = partner(undefined, { cert, key });
  const options = { ...LOCAL, ca: cert, resolve: () => Promise.resolve(["127.0.0.1"]) };
  const ok = await sendOnce(
    { url: `https://partner.test:${p.port}/hooks`, headers: JSON_HEADERS, body: BODY },
    options,
  );
  assert.equal(ok.kind === "response" && ok.status, 200);
  assert.equal(p.seen[0].host, `partner.test:${p.port}`);
  // Same address, another name: the certificate does not match it.
  const mismatch = await sendOnce(
    { url: `https://other.test:${p.port}/hooks`, headers: JSON_HEADERS, body: BODY },
    options,
  );
  assert.equal(mismatch.kind, "network");
  assert.equal(p.seen.length, 1);
});
