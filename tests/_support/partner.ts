/**
 * A fake partner for outbound webhook tests: a loopback server that records
 * every request (headers and raw body bytes) and answers from a script, and
 * helpers to subscribe a partner to it and drive the delivery worker.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { deliverPartnerRound, type PartnerRound } from "../../lib/partner_deliveries/worker.ts";
import { type FakeHttpServer, serveFake } from "../fakes/fake_http.ts";
import { jsonOf, type TestApp } from "./app.ts";

export interface ReceivedRequest {
  path: string;
  headers: Headers;
  body: Uint8Array;
  text: string;
}

/** What the fake answers: a status (optionally with headers), or "hang" until the server closes. */
export type Answer = number | { status: number; headers?: Record<string, string> } | "hang";

export interface FakePartner extends FakeHttpServer, AsyncDisposable {
  received: ReceivedRequest[];
  /** Answers for the next requests, in order; when empty, 200. */
  answers: Answer[];
}

export function startFakePartner(): FakePartner {
  const received: ReceivedRequest[] = [];
  const answers: Answer[] = [];
  const server: FakeHttpServer = serveFake(async (request) => {
    const body = new Uint8Array(await request.arrayBuffer());
    received.push({
      path: new URL(request.url).pathname,
      headers: request.headers,
      body,
      text: new TextDecoder().decode(body),
    });
    const answer = answers.shift() ?? 200;
    if (answer === "hang") {
      await server.pause(60_000);
      return new Response("late");
    }
    const { status, headers } = typeof answer === "number" ? { status: answer } : answer;
    return new Response(status === 204 || status === 304 ? null : "ok", { status, headers });
  });
  return { ...server, received, answers, [Symbol.asyncDispose]: () => server.close() };
}

/** Creates a partner subscribed to `events` at `url`; answers its id and secret. */
export async function subscribedPartner(
  app: TestApp,
  args: { url: string; events: string[]; scheme?: "sha256" | "timestamped"; name?: string },
): Promise<{ id: string; secret: string; signatureHeader: string }> {
  const res = await jsonOf(
    await app.admin("POST", "/api/admin/partners", {
      name: args.name ?? "Fleet",
      signatureScheme: args.scheme ?? "sha256",
      url: args.url,
      events: args.events,
    }),
  );
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: res.body.id, secret: res.body.secret, signatureHeader: res.body.signatureHeader };
}

/** One worker round of the app's worker. */
export const round = (app: TestApp): Promise<PartnerRound> =>
  deliverPartnerRound(app.deps.partnerDeliveries.worker);

/** A partner's deliveries as the admin API lists them. */
export async function deliveriesOf(
  app: TestApp,
  partnerId: string,
  status?: string,
  // deno-lint-ignore no-explicit-any
): Promise<any[]> {
  const res = await jsonOf(
    await app.admin(
      "GET",
      `/api/admin/partners/${partnerId}/deliveries${status ? `?status=${status}` : ""}`,
    ),
  );
  assert.equal(res.status, 200);
  return res.body.deliveries;
}

/** How many deliveries of each type are queued, over all partners. */
export async function queuedByType(db: Database): Promise<Record<string, number>> {
  const rows = await db.rows<{ type: string; n: number }>(sql`
    select type, count(*)::int as n from partner_deliveries group by type order by type`);
  return Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
}
