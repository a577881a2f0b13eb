/**
 * A stand-in for the email API the worker sends through, in Resend's shape:
 * `POST /emails`, `Authorization: Bearer <key>`, JSON `{from, to, subject,
 * text, html}`, `Idempotency-Key`. Like Resend it delivers one mail per
 * idempotency key and answers a repeat with the first answer.
 *
 * The recipient steers the answer, so concurrent tests need no shared switch:
 * `status-<NNN>@…` answers NNN, `slow@…` answers only after `slowMs` (or when
 * the fake closes); any other address is delivered.
 */
import { fakeResponse, serveFake } from "./fake_http.ts";

/** One request the fake received, whatever it answered. */
export interface EmailApiRequest {
  authorization: string | null;
  idempotencyKey: string | null;
  /** The JSON body, or null when it was not JSON. */
  body: Record<string, unknown> | null;
  status: number;
}

/** One delivered mail. */
export interface DeliveredMail {
  id: string;
  idempotencyKey: string | null;
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface FakeEmailApi extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`: the worker's `EMAIL_API_URL`. */
  url: string;
  /** The key it accepts: the worker's `EMAIL_API_KEY`. */
  apiKey: string;
  /** Every request, in arrival order. */
  requests: EmailApiRequest[];
  /** Every mail delivered (one per idempotency key). */
  mails: DeliveredMail[];
  /** Requests that carried `idempotencyKey`. */
  requestsFor(idempotencyKey: string): EmailApiRequest[];
  close(): Promise<void>;
}

/** Starts the fake on a free loopback port. */
export function startFakeEmailApi(
  options: { apiKey?: string; slowMs?: number } = {},
): FakeEmailApi {
  const apiKey = options.apiKey ?? "re_test_" + "k".repeat(24);
  const requests: EmailApiRequest[] = [];
  const mails: DeliveredMail[] = [];
  const answered = new Map<string, { status: number; body: unknown }>();
  let next = 1;

  const server = serveFake(async (request) => {
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/emails") {
      await request.body?.cancel();
      return fakeResponse(404, { name: "not_found" });
    }
    let body: Record<string, unknown> | null = null;
    try {
      body = await request.json();
    } catch { /* recorded as null */ }
    const entry: EmailApiRequest = {
      authorization: request.headers.get("authorization"),
      idempotencyKey: request.headers.get("idempotency-key"),
      body,
      status: 0,
    };
    requests.push(entry);
    const reply = async (): Promise<{ status: number; body: unknown }> => {
      if (entry.authorization !== `Bearer ${apiKey}`) {
        return { status: 401, body: { name: "missing_api_key" } };
      }
      if (!body || typeof body.to !== "string" || typeof body.from !== "string") {
        return { status: 422, body: { name: "validation_error" } };
      }
      const to = body.to;
      const forced = to.match(/^status-(\d{3})@/);
      if (forced) return { status: Number(forced[1]), body: { name: "forced" } };
      if (to.startsWith("slow@") && await server.pause(options.slowMs ?? 5000) === false) {
        return { status: 503, body: { name: "closing" } };
      }
      const key = entry.idempotencyKey;
      const earlier = key ? answered.get(key) : undefined;
      if (earlier) return earlier;
      const id = `fake-${next++}`;
      mails.push({
        id,
        idempotencyKey: key,
        from: String(body.from),
        to,
        subject: String(body.subject),
        text: String(body.text),
        ...(typeof body.html === "string" ? { html: body.html } : {}),
      });
      const first = { status: 200, body: { id } };
      if (key) answered.set(key, first);
      return first;
    };
    const { status, body: answer } = await reply();
    entry.status = status;
    return fakeResponse(status, answer);
  });

  return {
    url: server.origin,
    apiKey,
    requests,
    mails,
    requestsFor: (key) => requests.filter((r) => r.idempotencyKey === key),
    close: () => server.close(),
    [Symbol.asyncDispose]: () => server.close(),
  };
}
