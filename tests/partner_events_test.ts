/**
 * `POST /api/partners/:partnerId/events` over real HTTP, row by row (seed
 * 003's inbound contract, docs/api.md): every refused call answers its status
 * and JSON body, changes no table and logs neither body nor secret; accepted
 * calls store once per dedup key, racing copies included; a grace window
 * passes then expires on the injected clock; both schemes end to end.
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import type { LogRecord } from "@logtape/logtape";
import { ManualClock } from "../lib/clock.ts";
import { setupLogging, teardownLogging } from "../lib/logging.ts";
import { SIGNED_ENDPOINTS } from "../lib/signed_endpoints.ts";
import { schemeOf } from "../lib/signatures/mod.ts";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import { jsonOf, startTestApp, type TestApp } from "./_support/app.ts";

const USER = "USER-SHOULD-NOT-BE-LOGGED";
const ZONE = "ZONE-SHOULD-NOT-BE-LOGGED";
const START = new Date("2026-11-29T12:00:00.000Z");
const encoder = new TextEncoder();

interface Created {
  id: string;
  secret: string;
  signatureHeader: string;
  signatureScheme: "sha256" | "timestamped";
}

async function createPartner(app: TestApp, body: Record<string, unknown>): Promise<Created> {
  const res = await jsonOf(await app.admin("POST", "/api/admin/partners", body));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

/** A valid body at the clock's time; `extra` overrides (undefined removes a field). */
function eventBody(clock: ManualClock, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event_type: "entry.unlock",
    user_id: USER,
    zone_id: ZONE,
    timestamp: clock.now().toISOString(),
    ...extra,
  });
}

/** The header value the partner's scheme gives `body` under `secret`, at the clock's time. */
function sign(p: Created, secret: string, body: string, clock: ManualClock, atMs?: number) {
  return schemeOf(p.signatureScheme).sign(secret, encoder.encode(body), {
    now: () => atMs ?? clock.now().getTime(),
  });
}

async function post(
  app: TestApp,
  partnerId: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string>,
): Promise<Response> {
  return await fetch(`${app.url}/api/partners/${partnerId}/events`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

/** Signs `body` with the partner's current secret (or `secret`) and posts it in its header. */
async function send(
  app: TestApp,
  p: Created,
  body: string,
  clock: ManualClock,
  secret = p.secret,
): Promise<Response> {
  return await post(app, p.id, body, { [p.signatureHeader]: await sign(p, secret, body, clock) });
}

interface Row {
  name: string;
  send: () => Promise<Response>;
  status: number;
  body: Record<string, unknown>;
}

const UNAUTHORIZED = { error: "unauthorized" };

const records: LogRecord[] = [];
const captureSink = (record: LogRecord) => void records.push(record);

forEachDatabase(
  "partner events - every refused call answers its row and changes nothing",
  async (t, db) => {
    const clock = new ManualClock(START);
    await setupLogging("debug", captureSink);
    await using app = await startTestApp({ db, clock });
    try {
      const sha = await createPartner(app, { name: "Depot", signatureHeader: "X-Depot-Signature" });
      const ts = await createPartner(app, { name: "Envase", signatureScheme: "timestamped" });
      const off = await createPartner(app, { name: "Gone" });
      await app.admin("PUT", `/api/admin/partners/${off.id}`, { active: false });
      const valid = eventBody(clock);
      const other = "0".repeat(64);
      const now = clock.now().getTime();

      const shape = (extra: Record<string, unknown>) => () =>
        send(app, sha, eventBody(clock, extra), clock);
      const invalidBody = (field: string) => ({ error: "invalid_body", field });
      const rows: Row[] = [
        {
          name: "unknown partner id",
          send: () => send(app, { ...sha, id: crypto.randomUUID() }, valid, clock),
          status: 404,
          body: { error: "unknown_partner" },
        },
        {
          name: "partner id not a UUID",
          send: () => send(app, { ...sha, id: "depot" }, valid, clock),
          status: 404,
          body: { error: "unknown_partner" },
        },
        {
          name: "inactive partner, correctly signed",
          send: () => send(app, off, valid, clock),
          status: 410,
          body: { error: "inactive_partner" },
        },
        {
          name: "body one byte over 256 KiB",
          send: () => {
            const limit = SIGNED_ENDPOINTS.partnerEvents.bodyLimitBytes;
            const pad = limit + 1 - eventBody(clock, { pad: "" }).length;
            return send(app, sha, eventBody(clock, { pad: "x".repeat(pad) }), clock);
          },
          status: 413,
          body: { error: "payload_too_large" },
        },
        {
          name: "signature header missing",
          send: () => post(app, sha.id, valid, {}),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "signature in the default header, partner uses its own",
          send: async () =>
            post(app, sha.id, valid, {
              "X-ExpresSync-Signature": await sign(sha, sha.secret, valid, clock),
            }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "signature header empty",
          send: () => post(app, sha.id, valid, { [sha.signatureHeader]: "" }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "sha256: bare hex without the prefix",
          send: async () =>
            post(app, sha.id, valid, {
              [sha.signatureHeader]: (await sign(sha, sha.secret, valid, clock)).slice(7),
            }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "sha256: 63 hex digits",
          send: async () =>
            post(app, sha.id, valid, {
              [sha.signatureHeader]: (await sign(sha, sha.secret, valid, clock)).slice(0, -1),
            }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "sha256: another partner's secret",
          send: () => send(app, sha, valid, clock, ts.secret),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "sha256: a secret nobody has",
          send: () => send(app, sha, valid, clock, other),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "sha256: one byte of the body changed after signing",
          send: async () =>
            post(app, sha.id, valid + " ", {
              [sha.signatureHeader]: await sign(sha, sha.secret, valid, clock),
            }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "timestamped: t 301 s old",
          send: async () =>
            post(app, ts.id, valid, {
              [ts.signatureHeader]: await sign(ts, ts.secret, valid, clock, now - 301_000),
            }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "timestamped: t 61 s ahead",
          send: async () =>
            post(app, ts.id, valid, {
              [ts.signatureHeader]: await sign(ts, ts.secret, valid, clock, now + 61_000),
            }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "timestamped: a sha256 header instead",
          send: async () =>
            post(app, ts.id, valid, {
              [ts.signatureHeader]: await schemeOf("sha256").sign(ts.secret, encoder.encode(valid)),
            }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "timestamped: another secret",
          send: () => send(app, ts, valid, clock, other),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "signed body is not JSON",
          send: () => send(app, sha, "{not json", clock),
          status: 400,
          body: { error: "invalid_json" },
        },
        {
          name: "replay: timestamp missing",
          send: shape({ timestamp: undefined, event_timestamp: clock.now().toISOString() }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "replay: timestamp naive (no offset)",
          send: shape({ timestamp: "2026-11-29T12:00:00" }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "replay: timestamp a number",
          send: shape({ timestamp: Math.floor(now / 1000) }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "replay: timestamp not a date",
          send: shape({ timestamp: "yesterday" }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "replay: timestamp 301 s old",
          send: shape({ timestamp: new Date(now - 301_000).toISOString() }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "replay: timestamp 61 s ahead (with an offset)",
          send: shape({ timestamp: "2026-11-29T13:01:01+01:00" }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "replay runs before the shape: bad event_type and no timestamp is 401",
          send: shape({ timestamp: undefined, event_type: 5 }),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "replay: a JSON array has no timestamp",
          send: () => send(app, sha, "[]", clock),
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "timestamped: a fresh header does not excuse a stale body timestamp",
          send: async () => {
            const body = eventBody(clock, { timestamp: new Date(now - 301_000).toISOString() });
            return post(app, ts.id, body, {
              [ts.signatureHeader]: await sign(ts, ts.secret, body, clock),
            });
          },
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "shape: event_type missing",
          send: shape({ event_type: undefined }),
          status: 400,
          body: invalidBody("event_type"),
        },
        {
          name: "shape: event_type empty",
          send: shape({ event_type: "" }),
          status: 400,
          body: invalidBody("event_type"),
        },
        {
          name: "shape: event_type of 51 characters",
          send: shape({ event_type: "e".repeat(51) }),
          status: 400,
          body: invalidBody("event_type"),
        },
        {
          name: "shape: webhook_event_id empty",
          send: shape({ webhook_event_id: "" }),
          status: 400,
          body: invalidBody("webhook_event_id"),
        },
        {
          name: "shape: webhook_event_id of 129 characters",
          send: shape({ webhook_event_id: "w".repeat(129) }),
          status: 400,
          body: invalidBody("webhook_event_id"),
        },
        {
          name: "shape: user_id an object",
          send: shape({ user_id: { id: 7 } }),
          status: 400,
          body: invalidBody("user_id"),
        },
        {
          name: "replay: an offset of +05:99 is no offset",
          send: shape({ timestamp: "2026-11-29T18:39:00+05:99" }), // 12:00Z if it were read
          status: 401,
          body: UNAUTHORIZED,
        },
        {
          name: "timestamped: a stale t on a body that is not JSON is invalid_json (JSON first)",
          send: async () =>
            post(app, ts.id, "{not json", {
              [ts.signatureHeader]: await sign(ts, ts.secret, "{not json", clock, now - 301_000),
            }),
          status: 400,
          body: { error: "invalid_json" },
        },
      ];

      for (const row of rows) {
        await t.step(row.name, async () => {
          const before = await databaseFingerprint(db);
          records.length = 0;
          const res = await jsonOf(await row.send());
          assert.equal(res.status, row.status);
          assert.equal(res.type, "application/json");
          const { message: _message, ...body } = res.body;
          assert.deepEqual(body, row.body);
          assert.deepEqual(await databaseFingerprint(db), before, "database changed");
          const logged = JSON.stringify(records.map((r) => [r.message, r.properties]));
          for (const secret of [USER, ZONE, sha.secret, ts.secret, off.secret, sha.id, ts.id]) {
            assert.ok(!logged.includes(secret), `a log line contains ${secret}`);
          }
          if (row.status === 401) {
            const warning = records.find((r) => r.level === "warning" && r.properties.reason);
            assert.ok(warning, "a 401 logs its reason");
          }
        });
      }

      await t.step(
        "the crypto engine failing answers 500 internal and stores nothing",
        async () => {
          await using broken = await startTestApp({
            db,
            clock,
            subtle: {
              importKey: crypto.subtle.importKey.bind(crypto.subtle),
              verify: () => Promise.reject(new Error("engine failure")),
              sign: () => Promise.reject(new Error("engine failure")),
            },
          });
          const before = await databaseFingerprint(db);
          const res = await jsonOf(await send(broken, sha, eventBody(clock), clock));
          assert.equal(res.status, 500);
          assert.deepEqual(res.body, { error: "internal" });
          assert.deepEqual(await databaseFingerprint(db), before);
        },
      );

      await t.step("stats count the partner endpoint's outcomes", async () => {
        const hooks = await jsonOf(await app.admin("GET", "/api/admin/hooks"));
        const entry = hooks.body.hooks.find((h: { name: string }) => h.name === "PartnerEvents");
        assert.equal(entry.path, "/api/partners/:partnerId/events");
        assert.deepEqual(entry.key, { configured: true, perPartner: true });
        assert.equal(entry.envVar, null);
        assert.equal(entry.counts.unknown_partner, 2);
        assert.equal(entry.counts.inactive_partner, 1);
        assert.ok(entry.counts["unauthorized:stale_timestamp"] >= 2);
        assert.ok(entry.counts["unauthorized:bad_timestamp"] >= 4);
        assert.ok(!JSON.stringify(hooks.body).includes(sha.secret));
      });
    } finally {
      await teardownLogging();
    }
  },
);

forEachDatabase("partner events - accepted, deduplicated, audited", async (t, db) => {
  const clock = new ManualClock(START);
  await using app = await startTestApp({ db, clock });
  const sha = await createPartner(app, { name: "Depot" });
  const ts = await createPartner(app, { name: "Envase", signatureScheme: "timestamped" });

  await t.step(
    "sha256: a new webhook_event_id is processed, the same again a duplicate",
    async () => {
      const body = eventBody(clock, { webhook_event_id: "dev-1", door: "north" });
      const first = await jsonOf(await send(app, sha, body, clock));
      assert.equal(first.status, 200);
      assert.equal(first.type, "application/json");
      assert.deepEqual(first.body, { status: "processed", event_id: "dev-1" });
      const before = await databaseFingerprint(db);
      clock.advance(30_000);
      const again = await jsonOf(
        await send(app, sha, eventBody(clock, { webhook_event_id: "dev-1" }), clock),
      );
      assert.deepEqual(again.body, { status: "duplicate", webhook_event_id: "dev-1" });
      assert.deepEqual(await databaseFingerprint(db), before, "a duplicate stores nothing");
    },
  );

  await t.step(
    "without an id the key hashes partner, type, user and zone, never the time",
    async () => {
      const expected = createHash("sha256")
        .update([sha.id, "entry.deny", USER, ""].join("\n"), "utf8").digest("hex").slice(0, 32);
      const first = await jsonOf(
        await send(
          app,
          sha,
          eventBody(clock, { event_type: "entry.deny", zone_id: undefined }),
          clock,
        ),
      );
      assert.deepEqual(first.body, { status: "processed", event_id: expected });
      clock.advance(120_000); // a retry with a new timestamp collapses
      const retry = await jsonOf(
        await send(
          app,
          sha,
          eventBody(clock, { event_type: "entry.deny", zone_id: undefined }),
          clock,
        ),
      );
      assert.deepEqual(retry.body, { status: "duplicate", webhook_event_id: expected });
      // Another partner with the same tuple is its own event.
      const elsewhere = await jsonOf(
        await send(
          app,
          ts,
          eventBody(clock, { event_type: "entry.deny", zone_id: undefined }),
          clock,
        ),
      );
      assert.equal(elsewhere.body.status, "processed");
      assert.notEqual(elsewhere.body.event_id, expected);
    },
  );

  await t.step("the replay window's edges: 300 s old and 60 s ahead pass", async () => {
    const now = clock.now().getTime();
    for (const [id, at] of [["edge-old", now - 300_000], ["edge-new", now + 60_000]] as const) {
      const body = eventBody(clock, {
        webhook_event_id: id,
        timestamp: new Date(at).toISOString(),
      });
      assert.equal((await jsonOf(await send(app, sha, body, clock))).body.status, "processed", id);
    }
  });

  await t.step(
    'timestamped: signed with schemeOf("timestamped").sign, seconds and ms',
    async () => {
      const body = eventBody(clock, { webhook_event_id: "ts-1" });
      const res = await jsonOf(await send(app, ts, body, clock));
      assert.deepEqual(res.body, { status: "processed", event_id: "ts-1" });
      // Envase's own example signs milliseconds: a 13-digit t verifies too.
      const ms = eventBody(clock, { webhook_event_id: "ts-2" });
      const t13 = String(clock.now().getTime());
      const v1 = createHmac("sha256", ts.secret).update(`${t13}.${ms}`).digest("hex");
      const res2 = await jsonOf(
        await post(app, ts.id, ms, { [ts.signatureHeader]: `t=${t13},v1=${v1}` }),
      );
      assert.deepEqual(res2.body, { status: "processed", event_id: "ts-2" });
    },
  );

  await t.step("racing copies of one event store one row", async () => {
    const body = eventBody(clock, { webhook_event_id: "race-1" });
    const header = { [sha.signatureHeader]: await sign(sha, sha.secret, body, clock) };
    const answers = await Promise.all(
      Array.from(
        { length: 12 },
        async () => (await jsonOf(await post(app, sha.id, body, header))).body,
      ),
    );
    assert.equal(answers.filter((a) => a.status === "processed").length, 1);
    assert.equal(answers.filter((a) => a.status === "duplicate").length, 11);
    const events = await jsonOf(await app.admin("GET", `/api/admin/partners/${sha.id}/events`));
    assert.equal(
      events.body.events.filter((e: { webhookEventId: string }) => e.webhookEventId === "race-1")
        .length,
      1,
    );
  });

  await t.step("the audit trail: newest first, body as received, unknown fields kept", async () => {
    const res = await jsonOf(await app.admin("GET", `/api/admin/partners/${sha.id}/events`));
    assert.equal(res.status, 200);
    const [newest] = res.body.events;
    assert.equal(newest.webhookEventId, "race-1");
    assert.deepEqual(Object.keys(newest).sort(), [
      "body",
      "eventType",
      "id",
      "receivedAt",
      "webhookEventId",
    ]);
    const first = res.body.events.at(-1);
    assert.equal(first.webhookEventId, "dev-1");
    assert.equal(first.body.door, "north");
    assert.equal(first.body.user_id, USER);
    assert.equal(first.receivedAt, START.toISOString());
    const missing = await jsonOf(
      await app.admin("GET", `/api/admin/partners/${crypto.randomUUID()}/events`),
    );
    assert.equal(missing.status, 404);
  });
});

forEachDatabase(
  "partner events - rotation: grace passes then expires, now stops at once",
  async (t, db) => {
    const clock = new ManualClock(START);
    await using app = await startTestApp({ db, clock });
    const p = await createPartner(app, { name: "Rotating" });
    let n = 0;
    const fresh = () => eventBody(clock, { webhook_event_id: `e-${++n}` });
    const statusWith = async (secret: string) =>
      (await send(app, p, fresh(), clock, secret)).status;

    await t.step(
      "grace: old and new both pass until the window ends, then only the new",
      async () => {
        const old = p.secret;
        const res = await jsonOf(
          await app.admin("POST", `/api/admin/partners/${p.id}/secret`, {
            mode: "grace",
            graceSeconds: 120,
          }),
        );
        assert.equal(res.status, 200);
        assert.deepEqual(Object.keys(res.body).sort(), ["previousSecretValidUntil", "secret"]);
        assert.match(res.body.secret, /^[0-9a-f]{64}$/);
        assert.equal(
          res.body.previousSecretValidUntil,
          new Date(START.getTime() + 120_000).toISOString(),
        );
        p.secret = res.body.secret;
        assert.equal(await statusWith(old), 200);
        assert.equal(await statusWith(p.secret), 200);
        clock.advance(119_999);
        assert.equal(await statusWith(old), 200, "still inside the window");
        clock.advance(1);
        assert.equal(await statusWith(old), 401, "the window ends at previousSecretValidUntil");
        assert.equal(await statusWith(p.secret), 200);
      },
    );

    await t.step(
      "a second grace rotation keeps only the then-current secret as previous",
      async () => {
        const first = p.secret;
        const a = await jsonOf(
          await app.admin("POST", `/api/admin/partners/${p.id}/secret`, {
            mode: "grace",
            graceSeconds: 600,
          }),
        );
        const second = a.body.secret;
        const b = await jsonOf(
          await app.admin("POST", `/api/admin/partners/${p.id}/secret`, {
            mode: "grace",
            graceSeconds: 600,
          }),
        );
        p.secret = b.body.secret;
        assert.equal(await statusWith(first), 401, "the older previous secret stops");
        assert.equal(await statusWith(second), 200);
        assert.equal(await statusWith(p.secret), 200);
      },
    );

    await t.step(
      "now: the old secret stops at once, also a previous one in its window",
      async () => {
        const current = p.secret;
        const res = await jsonOf(
          await app.admin("POST", `/api/admin/partners/${p.id}/secret`, { mode: "now" }),
        );
        assert.equal(res.body.previousSecretValidUntil, null);
        p.secret = res.body.secret;
        assert.equal(await statusWith(current), 401);
        assert.equal(await statusWith(p.secret), 200);
        const view = await jsonOf(await app.admin("GET", `/api/admin/partners/${p.id}`));
        assert.equal(view.body.previousSecretValidUntil, null);
        assert.equal(view.body.secretRotatedAt, clock.now().toISOString());
      },
    );
  },
);
