/**
 * A fake Cloudflare email worker on loopback, for the app's outbox tests: it
 * verifies `X-Polaris-Sig` with lib/signatures (A or B), records every request
 * (verified or not) and answers from a script; with no script left it answers
 * as the real worker does for a good request: 200 `sent`, or `duplicate` for
 * an id it already sent.
 */
import { verifyHex } from "../../lib/signatures/mod.ts";
import type { SendRequest } from "../../workers/email/send_request.ts";
import { type FakeHttpServer, serveFake } from "../fakes/fake_http.ts";

export const EMAIL_KEY = "email-worker-test-key-0123456789abcdef0123";

/** The body the app signs (issue 14 §1): the worker's own definition. */
export type SendBody = SendRequest;

export interface ReceivedSend {
  path: string;
  /** The signature verified against the worker's secrets. */
  verified: boolean;
  body: SendBody;
  raw: string;
}

/** A scripted answer: a status and JSON body, or "hang" until the server closes. */
export type WorkerAnswer = { status: number; body?: unknown } | "hang";

export interface FakeEmailWorker extends FakeHttpServer, AsyncDisposable {
  received: ReceivedSend[];
  /** Answers for the next verified requests, in order. */
  answers: WorkerAnswer[];
  /** Ids answered `sent`, in order: what a recipient would have got. */
  mailed: string[];
  /** The worker's secrets (A, optionally B); change to simulate a rotation or a mismatch. */
  secrets: string[];
  /** Delays every answer this long (concurrency tests). */
  delayMs: number;
}

export function startFakeEmailWorker(options: { secrets?: string[] } = {}): FakeEmailWorker {
  const fake = {
    received: [] as ReceivedSend[],
    answers: [] as WorkerAnswer[],
    mailed: [] as string[],
    secrets: options.secrets ?? [EMAIL_KEY],
    delayMs: 0,
  };
  const reply = (status: number, body: unknown) => Response.json(body, { status });
  const server: FakeHttpServer = serveFake(async (request) => {
    const raw = new Uint8Array(await request.arrayBuffer());
    const check = await verifyHex(
      request.headers.get("x-polaris-sig") ?? "",
      raw,
      fake.secrets,
      {},
    );
    const text = new TextDecoder().decode(raw);
    const body = JSON.parse(text) as SendBody;
    fake.received.push({
      path: new URL(request.url).pathname,
      verified: check.ok,
      body,
      raw: text,
    });
    if (fake.delayMs > 0) await server.pause(fake.delayMs);
    if (!check.ok) return reply(401, { error: "unauthorized" });
    const answer = fake.answers.shift();
    if (answer === "hang") {
      await server.pause(60_000);
      return reply(502, { error: "provider_unavailable" });
    }
    if (answer) return reply(answer.status, answer.body ?? {});
    if (fake.mailed.includes(body.id)) return reply(200, { status: "duplicate", id: body.id });
    fake.mailed.push(body.id);
    return reply(200, { status: "sent", id: body.id });
  });
  return Object.assign(fake, server, { [Symbol.asyncDispose]: () => server.close() });
}
