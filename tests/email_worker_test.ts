/**
 * The email worker's contract (issue [4/5] section 1), row by row, in real
 * workerd through miniflare against a fake Resend-shaped API on loopback.
 * Every refusal answers its status and JSON error, and the fake's request
 * log proves nothing went out. One set of workers serves all steps (their
 * start costs seconds): each step owns its message ids and nonces.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signHex } from "../lib/signatures/hex.ts";
import { type RunningEmailWorker, startEmailWorker } from "../workers/email/local.ts";
import type { SendRequest } from "../workers/email/send_request.ts";
import { chunkedBody } from "./_support/bodies.ts";
import { until } from "./_support/real_email_worker.ts";
import { type FakeEmailApi, startFakeEmailApi } from "./fakes/fake_email_api.ts";

const SECRET_A = "polaris-secret-a-" + "a".repeat(32);
const SECRET_B = "polaris-secret-b-" + "b".repeat(32);
const FROM = "ExpresSync <no-reply@expressync.test>";
// Short enough to keep the timeout step quick, long enough for a loaded CI machine.
const TIMEOUT_MS = 1_500;
const LIMIT = 256 * 1024;
const encoder = new TextEncoder();

/** A request body: the worker's definition, plus whatever a test adds to probe the shape check. */
type Message = SendRequest & { [extra: string]: unknown };

const nowS = () => Math.floor(Date.now() / 1000);
const unique = () => crypto.randomUUID().replaceAll("-", "");

/** A valid message; every call a new id and nonce. */
function message(overrides: Partial<Message> = {}): Message {
  return {
    id: `test-${unique()}`,
    ts: nowS(),
    nonce: unique(),
    to: "alice.private@example.test",
    subject: "Your charging receipt (private subject)",
    text: "PRIVATE BODY TEXT",
    html: "<p>PRIVATE BODY HTML</p>",
    ...overrides,
  };
}

/** POSTs `body` (a message or raw bytes) to `/send`, signed with `secret` unless `sig` is given. */
async function send(
  worker: RunningEmailWorker,
  body: Message | string | Uint8Array<ArrayBuffer>,
  options: { secret?: string; sig?: string | null; chunked?: boolean } = {},
): Promise<Response> {
  const bytes = typeof body === "object" && !(body instanceof Uint8Array)
    ? encoder.encode(JSON.stringify(body))
    : typeof body === "string"
    ? encoder.encode(body)
    : body;
  const sig = options.sig === undefined
    ? await signHex(options.secret ?? SECRET_A, bytes)
    : options.sig;
  return await fetch(`${worker.url}/send`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(sig === null ? {} : { "x-polaris-sig": sig }),
    },
    body: options.chunked ? chunkedBody(bytes) : bytes,
  });
}

/**
 * `send` of a body the worker refuses before reading it all. workerd may then
 * reset the connection while the client is still writing (a race of the test
 * client, not the contract): such a try is made again, a few times at most.
 */
async function sendRefusedEarlyTo(
  worker: RunningEmailWorker,
  body: Uint8Array<ArrayBuffer>,
  chunked: boolean,
): Promise<Response> {
  for (let attempt = 1;; attempt++) {
    try {
      return await send(worker, body, { chunked });
    } catch (error) {
      const reset = String((error as Error)?.cause ?? error).includes("reset");
      if (!reset || attempt === 3) throw error;
    }
  }
}

/** Asserts status, content type and the whole JSON body, in that order. */
async function expectAnswer(response: Response, status: number, body: unknown): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(JSON.parse(text), body);
}

/** `body` padded with trailing JSON whitespace to exactly `size` bytes. */
function paddedTo(body: Message, size: number): Uint8Array<ArrayBuffer> {
  const json = JSON.stringify(body);
  return encoder.encode(json + " ".repeat(size - encoder.encode(json).byteLength));
}

/** A body cut short: the client promises 1000 bytes, sends a few, then closes its side. */
async function sendTruncated(
  worker: RunningEmailWorker,
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(worker.url);
  using conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(encoder.encode(
    "POST /send HTTP/1.1\r\nHost: email-worker\r\nContent-Type: application/json\r\n" +
      `Content-Length: 1000\r\nX-Polaris-Sig: ${"0".repeat(64)}\r\n\r\n{"id":"trunc`,
  ));
  await conn.closeWrite();
  let raw = "";
  const decoder = new TextDecoder();
  for await (const chunk of conn.readable) raw += decoder.decode(chunk, { stream: true });
  const [head, body] = raw.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), body };
}

/** A loopback port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

interface Setup {
  api: FakeEmailApi;
  logs: string[];
  /** A and B set. */
  main: RunningEmailWorker;
  /** Only B set. */
  bOnly: RunningEmailWorker;
  /** Neither set (A too short to count). */
  noSecret: RunningEmailWorker;
  /** A set; the API's address refuses connections. */
  deadApi: RunningEmailWorker;
}

Deno.test("email worker - the contract of POST /send, in workerd", async (t) => {
  await using api = startFakeEmailApi({ slowMs: 5_000 });
  const logs: string[] = [];
  const common = {
    emailApiUrl: api.url,
    emailApiKey: api.apiKey,
    emailFrom: FROM,
    emailApiTimeoutMs: TIMEOUT_MS,
    onLog: (line: string) => logs.push(line),
  };
  const [main, bOnly, noSecret, deadApi] = await Promise.all([
    startEmailWorker({ ...common, secretA: SECRET_A, secretB: SECRET_B }),
    startEmailWorker({ ...common, secretB: SECRET_B }),
    startEmailWorker({ ...common, secretA: "too-short" }),
    startEmailWorker({
      ...common,
      secretA: SECRET_A,
      emailApiUrl: `http://127.0.0.1:${closedPort()}`,
    }),
  ]);
  await using _workers = {
    [Symbol.asyncDispose]: () =>
      Promise.all([main, bOnly, noSecret, deadApi].map((w) => w.close())).then(() => {}),
  };
  const s: Setup = { api, logs, main, bOnly, noSecret, deadApi };

  /** Runs `act` and asserts the fake API received no request meanwhile. */
  async function nothingSent(act: () => Promise<void>): Promise<void> {
    const before = s.api.requests.length;
    await act();
    assert.equal(s.api.requests.length, before, "the email API was called");
  }

  await t.step(
    "a valid request is sent: 200 sent, from EMAIL_FROM, with its Idempotency-Key",
    async () => {
      const m = message({ from: "attacker@evil.test", reply_to: "attacker@evil.test" });
      await expectAnswer(await send(s.main, m), 200, { status: "sent", id: m.id });
      const [request] = s.api.requestsFor(m.id);
      assert.equal(s.api.requestsFor(m.id).length, 1);
      assert.equal(request.authorization, `Bearer ${s.api.apiKey}`);
      assert.deepEqual(request.body, {
        from: FROM,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
      });
    },
  );

  await t.step("html is optional", async () => {
    const m = message();
    delete m.html;
    await expectAnswer(await send(s.main, m), 200, { status: "sent", id: m.id });
    assert.deepEqual(Object.keys(s.api.requestsFor(m.id)[0].body!).sort(), [
      "from",
      "subject",
      "text",
      "to",
    ]);
  });

  await t.step(
    "1. a body of exactly 256 KiB passes; one byte more is 413, declared or chunked",
    async () => {
      const fits = message();
      await expectAnswer(await send(s.main, paddedTo(fits, LIMIT)), 200, {
        status: "sent",
        id: fits.id,
      });
      for (const chunked of [false, true]) {
        const over = message();
        await nothingSent(async () => {
          await expectAnswer(
            await sendRefusedEarlyTo(s.main, paddedTo(over, LIMIT + 1), chunked),
            413,
            {
              error: "payload_too_large",
            },
          );
        });
      }
    },
  );

  await t.step("1. a body that cannot be read to its end is 400 invalid_body", async () => {
    await nothingSent(async () => {
      const { status, body } = await sendTruncated(s.main);
      assert.equal(status, 400);
      assert.deepEqual(JSON.parse(body), { error: "invalid_body" });
    });
  });

  await t.step("2. no X-Polaris-Sig, or an empty one, is 401", async () => {
    for (const sig of [null, ""]) {
      await nothingSent(async () => {
        await expectAnswer(await send(s.main, message(), { sig }), 401, { error: "unauthorized" });
      });
    }
  });

  await t.step(
    "2. neither secret set (A too short to count): 401, even signed with it",
    async () => {
      for (const secret of [SECRET_A, "too-short"]) {
        await nothingSent(async () => {
          await expectAnswer(await send(s.noSecret, message(), { secret }), 401, {
            error: "unauthorized",
          });
        });
      }
    },
  );

  await t.step("3. a signature that is not 64 hex is 401", async () => {
    const m = message();
    const good = await signHex(SECRET_A, encoder.encode(JSON.stringify(m)));
    for (
      const sig of [
        good.slice(1),
        good + "0",
        `sha256=${good}`,
        "z".repeat(64),
        good.slice(0, 62) + "zz",
      ]
    ) {
      await nothingSent(async () => {
        await expectAnswer(await send(s.main, m, { sig }), 401, { error: "unauthorized" });
      });
    }
  });

  await t.step("4. a signature by neither A nor B, or over other bytes, is 401", async () => {
    const m = message();
    const bytes = encoder.encode(JSON.stringify(m));
    const other = await signHex("another-secret-".padEnd(48, "x"), bytes);
    const ofOtherBytes = await signHex(SECRET_A, encoder.encode(JSON.stringify(m) + " "));
    for (const sig of [other, ofOtherBytes]) {
      await nothingSent(async () => {
        await expectAnswer(await send(s.main, m, { sig }), 401, { error: "unauthorized" });
      });
    }
  });

  await t.step("upper-case hex verifies too", async () => {
    const m = message();
    const sig = (await signHex(SECRET_A, encoder.encode(JSON.stringify(m)))).toUpperCase();
    await expectAnswer(await send(s.main, m, { sig }), 200, { status: "sent", id: m.id });
  });

  await t.step(
    "5. signed bytes that are not JSON (or not UTF-8) are 400 invalid_json",
    async () => {
      for (const body of [encoder.encode("not json"), new Uint8Array([0x22, 0xff, 0x22])]) {
        await nothingSent(async () => {
          await expectAnswer(await send(s.main, body), 400, { error: "invalid_json" });
        });
      }
    },
  );

  await t.step("5. each shape error is 400 invalid_body naming its field", async () => {
    const cases: Array<[string, (m: Message) => unknown, string | undefined]> = [
      ["an array", () => [1], undefined],
      ["null", () => null, undefined],
      ["no id", (m) => ({ ...m, id: undefined }), "id"],
      ["an empty id", (m) => ({ ...m, id: "" }), "id"],
      ["a 129-character id", (m) => ({ ...m, id: "i".repeat(129) }), "id"],
      ["an id with a space", (m) => ({ ...m, id: "receipt 1" }), "id"],
      ["a numeric id", (m) => ({ ...m, id: 42 }), "id"],
      ["ts as a string", (m) => ({ ...m, ts: String(m.ts) }), "ts"],
      ["a fractional ts", (m) => ({ ...m, ts: m.ts + 0.5 }), "ts"],
      ["a 15-character nonce", (m) => ({ ...m, nonce: "n".repeat(15) }), "nonce"],
      ["a 129-character nonce", (m) => ({ ...m, nonce: "n".repeat(129) }), "nonce"],
      ["two addresses", (m) => ({ ...m, to: "a@example.test, b@example.test" }), "to"],
      ["a list of addresses", (m) => ({ ...m, to: ["a@example.test"] }), "to"],
      ["a display name", (m) => ({ ...m, to: "Alice <a@example.test>" }), "to"],
      ["no @", (m) => ({ ...m, to: "alice.example.test" }), "to"],
      ["an empty subject", (m) => ({ ...m, subject: "" }), "subject"],
      ["a 201-character subject", (m) => ({ ...m, subject: "s".repeat(201) }), "subject"],
      ["no text", (m) => ({ ...m, text: undefined }), "text"],
      // 50,001 characters, 100,002 bytes: the limit counts bytes.
      ["text over 100 KB of UTF-8", (m) => ({ ...m, text: "é".repeat(50_001) }), "text"],
      ["html over 200 KB", (m) => ({ ...m, html: "h".repeat(200_001) }), "html"],
      ["html not a string", (m) => ({ ...m, html: 1 }), "html"],
    ];
    for (const [name, change, field] of cases) {
      const m = message();
      await nothingSent(async () => {
        const response = await send(s.main, JSON.stringify(change(m)));
        const text = await response.text();
        assert.equal(response.status, 400, `${name}: ${text}`);
        const body = JSON.parse(text);
        assert.equal(body.error, "invalid_body", name);
        assert.equal(body.field, field, name);
        assert.equal(typeof body.message, "string", name);
      });
    }
  });

  await t.step(
    "5. the limits themselves pass: 128-char id, 16-char nonce, 100 KB text, 200-char subject",
    async () => {
      const m = message({
        id: "i".repeat(120) + unique().slice(0, 8),
        nonce: unique().slice(0, 16),
        subject: "s".repeat(200),
        text: "t".repeat(100_000),
      });
      await expectAnswer(await send(s.main, m), 200, { status: "sent", id: m.id });
    },
  );

  await t.step(
    "6. a ts more than 300 s away, either way, is 401 stale; 290 s is fine",
    async () => {
      for (const offset of [-310, 310]) {
        await nothingSent(async () => {
          await expectAnswer(await send(s.main, message({ ts: nowS() + offset })), 401, {
            error: "stale",
          });
        });
      }
      for (const offset of [-290, 290]) {
        const m = message({ ts: nowS() + offset });
        await expectAnswer(await send(s.main, m), 200, { status: "sent", id: m.id });
      }
    },
  );

  await t.step(
    "7. the same request again is 409 replayed; so is its nonce with another id",
    async () => {
      const m = message();
      const bytes = encoder.encode(JSON.stringify(m));
      await expectAnswer(await send(s.main, bytes), 200, { status: "sent", id: m.id });
      await nothingSent(async () => {
        await expectAnswer(await send(s.main, bytes), 409, { error: "replayed" });
        await expectAnswer(await send(s.main, { ...m, id: `other-${unique()}` }), 409, {
          error: "replayed",
        });
      });
    },
  );

  await t.step(
    "7. twenty concurrent copies of one signed request: one mail, nineteen replayed",
    async () => {
      const m = message();
      const bytes = encoder.encode(JSON.stringify(m));
      const responses = await Promise.all(Array.from({ length: 20 }, () => send(s.main, bytes)));
      const answers = await Promise.all(
        responses.map(async (r) => `${r.status} ${await r.text()}`),
      );
      assert.equal(answers.filter((a) => a.startsWith("200 ")).length, 1, answers.join("\n"));
      assert.equal(
        answers.filter((a) => a === '409 {"error":"replayed"}').length,
        19,
        answers.join("\n"),
      );
      assert.equal(s.api.requestsFor(m.id).length, 1);
    },
  );

  await t.step("8. a sent id with a fresh nonce is 200 duplicate and not sent again", async () => {
    const m = message();
    await expectAnswer(await send(s.main, m), 200, { status: "sent", id: m.id });
    await nothingSent(async () => {
      await expectAnswer(await send(s.main, { ...m, nonce: unique(), ts: nowS() }), 200, {
        status: "duplicate",
        id: m.id,
      });
    });
    assert.equal(s.api.mails.filter((mail) => mail.idempotencyKey === m.id).length, 1);
  });

  await t.step(
    "8. ten concurrent requests with one id and different nonces mail once; the others wait",
    async () => {
      const id = `test-${unique()}`;
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => send(s.main, message({ id }))),
      );
      const bodies = await Promise.all(responses.map((r) => r.json()));
      assert.equal(bodies.filter((b) => b.status === "sent").length, 1, JSON.stringify(bodies));
      // The others find it sent (200 duplicate) or still being sent (409 in_flight: try again).
      for (const [i, r] of responses.entries()) {
        if (bodies[i].status === "sent") continue;
        assert.ok(
          (r.status === 200 && bodies[i].status === "duplicate") ||
            (r.status === 409 && bodies[i].error === "in_flight"),
          JSON.stringify(bodies[i]),
        );
      }
      assert.equal(s.api.requestsFor(id).length, 1);
      // Asked again once it is done, every one of them hears "duplicate".
      const again = await send(s.main, message({ id }));
      assert.deepEqual([again.status, (await again.json()).status], [200, "duplicate"]);
    },
  );

  await t.step(
    "9. provider 4xx is 422 rejected with its status; the id may be tried again",
    async () => {
      for (const status of [400, 403, 422]) {
        const m = message({ to: `status-${status}@example.test` });
        await expectAnswer(await send(s.main, m), 422, {
          error: "rejected",
          providerStatus: status,
        });
        assert.equal(s.api.requestsFor(m.id).length, 1);
        // Released: a corrected retry of the same message id is sent, not called a duplicate.
        await expectAnswer(
          await send(s.main, { ...m, nonce: unique(), to: "bob@example.test" }),
          200,
          {
            status: "sent",
            id: m.id,
          },
        );
      }
    },
  );

  await t.step(
    "9. provider 5xx, 429, timeout: 502 provider_unavailable, and a retry sends",
    async () => {
      for (
        const to of [
          "status-500@example.test",
          "status-503@example.test",
          "status-429@example.test",
          "slow@example.test",
        ]
      ) {
        const m = message({ to });
        await expectAnswer(await send(s.main, m), 502, { error: "provider_unavailable" });
        assert.equal(s.api.requestsFor(m.id).length, 1, to);
        await expectAnswer(
          await send(s.main, { ...m, nonce: unique(), to: "bob@example.test" }),
          200,
          {
            status: "sent",
            id: m.id,
          },
        );
      }
    },
  );

  await t.step(
    "8. an id still being sent is 409 in_flight, never duplicate: if that send fails, a retry mails",
    async () => {
      const first = message({ to: "slow@example.test" }); // the provider hangs until the timeout
      const sending = send(s.main, first);
      await until(
        "the first request to reach the provider",
        () => s.api.requestsFor(first.id).length === 1,
      );
      await expectAnswer(
        await send(s.main, { ...first, nonce: unique(), to: "bob@example.test" }),
        409,
        { error: "in_flight", id: first.id },
      );
      await expectAnswer(await sending, 502, { error: "provider_unavailable" });
      // Had the second been told "duplicate", its caller would have marked a mail sent that
      // never went out.
      await expectAnswer(
        await send(s.main, { ...first, nonce: unique(), to: "bob@example.test" }),
        200,
        { status: "sent", id: first.id },
      );
    },
  );

  await t.step("9. the provider unreachable: 502 provider_unavailable", async () => {
    await nothingSent(async () => {
      await expectAnswer(await send(s.deadApi, message()), 502, { error: "provider_unavailable" });
    });
  });

  await t.step(
    "rotation: A and B both verify; with B alone, B sends and A is refused",
    async () => {
      const viaB = message();
      await expectAnswer(await send(s.main, viaB, { secret: SECRET_B }), 200, {
        status: "sent",
        id: viaB.id,
      });
      const onlyB = message();
      await expectAnswer(await send(s.bOnly, onlyB, { secret: SECRET_B }), 200, {
        status: "sent",
        id: onlyB.id,
      });
      await nothingSent(async () => {
        await expectAnswer(await send(s.bOnly, message(), { secret: SECRET_A }), 401, {
          error: "unauthorized",
        });
      });
    },
  );

  await t.step("other paths are 404, other methods on /send 405", async () => {
    await nothingSent(async () => {
      await expectAnswer(await fetch(`${s.main.url}/`), 404, { error: "not_found" });
      const get = await fetch(`${s.main.url}/send`);
      assert.equal(get.headers.get("allow"), "POST");
      await expectAnswer(get, 405, { error: "method_not_allowed" });
    });
  });

  await t.step(
    "logs carry outcomes and a hash of to, never an address, subject, body, nonce or secret",
    () => {
      const all = s.logs.join("\n");
      assert.ok(s.logs.length > 40, `only ${s.logs.length} log lines`);
      for (
        const secret of [
          "alice.private",
          "bob@",
          "status-",
          "slow@",
          "PRIVATE",
          SECRET_A,
          SECRET_B,
          s.api.apiKey,
        ]
      ) {
        assert.ok(!all.includes(secret), `the logs contain ${secret}`);
      }
      for (const m of s.api.mails) assert.ok(!all.includes(m.subject.slice(0, 20)));
      const sent = s.logs.map((l) => JSON.parse(l)).find((l) => l.outcome === "sent");
      assert.match(sent.to, /^[0-9a-f]{12}$/);
      const outcomes = new Set(s.logs.map((l) => JSON.parse(l).outcome));
      for (
        const outcome of [
          "sent",
          "duplicate",
          "replayed",
          "stale",
          "unauthorized",
          "invalid_json",
          "invalid_body",
          "payload_too_large",
          "rejected",
          "provider_unavailable",
        ]
      ) assert.ok(outcomes.has(outcome), `no ${outcome} line`);
    },
  );
});

Deno.test("email worker - nonces and sent ids survive a restart with a state folder", async () => {
  await using api = startFakeEmailApi();
  const dir = await mkdtemp(join(tmpdir(), "email-worker-"));
  try {
    const options = {
      secretA: SECRET_A,
      emailApiUrl: api.url,
      emailApiKey: api.apiKey,
      emailFrom: FROM,
      persistDir: dir,
      onLog: () => {},
    };
    const m = message();
    const bytes = encoder.encode(JSON.stringify(m));
    {
      await using worker = await startEmailWorker(options);
      await expectAnswer(await send(worker, bytes), 200, { status: "sent", id: m.id });
    }
    await using worker = await startEmailWorker(options);
    await expectAnswer(await send(worker, bytes), 409, { error: "replayed" });
    await expectAnswer(await send(worker, { ...m, nonce: unique() }), 200, {
      status: "duplicate",
      id: m.id,
    });
    assert.equal(api.requests.length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test("email worker - `deno task email-worker` serves it with secrets from the environment", async () => {
  await using api = startFakeEmailApi();
  const dataDir = await mkdtemp(join(tmpdir(), "email-worker-task-"));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "email-worker"],
    cwd: new URL("..", import.meta.url),
    env: {
      EMAIL_WORKER_PORT: "0",
      DATA_DIR: dataDir,
      POLARIS_SECRET_A: SECRET_A,
      EMAIL_API_URL: api.url,
      EMAIL_API_KEY: api.apiKey,
      EMAIL_FROM: FROM,
    },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let seen = "";
    let url: string | undefined;
    while (!url) {
      const { done, value } = await lines.read();
      if (done) throw new Error(`the task ended before listening:\n${seen}`);
      seen += value;
      url = seen.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    }
    const m = message();
    const worker = { url, close: () => Promise.resolve(), [Symbol.asyncDispose]: async () => {} };
    await expectAnswer(await send(worker, m), 200, { status: "sent", id: m.id });
    assert.equal(api.mails[0].from, FROM);
    child.kill("SIGTERM");
    await lines.cancel();
    // miniflare's exit hook stops workerd and exits with 128 + 15.
    assert.equal((await child.status).code, 143);
    await assert.rejects(fetch(`${url}/send`), "workerd still listens after the task ended");
    const state = [...Deno.readDirSync(join(dataDir, "email-worker"))].map((e) => e.name);
    assert.ok(state.length > 0, "no state under $DATA_DIR/email-worker");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already ended */ }
    await child.status;
    await rm(dataDir, { recursive: true, force: true });
  }
});
