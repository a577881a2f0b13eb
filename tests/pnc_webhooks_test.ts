/**
 * Hubject's Plug&Charge webhooks (issue 12 §2) over real HTTP: the pipeline's
 * contract table (every refusal answers its status and changes nothing), both
 * headers and both spellings of the signature, secret rotation, one row per
 * eventId even when copies race, and the admin API's acknowledge flow.
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { ManualClock } from "../lib/clock.ts";
import { hashForLog, setupLogging, teardownLogging } from "../lib/logging.ts";
import { signBody } from "../lib/signed_request.ts";
import { PNC_EVENT_TYPES } from "../lib/pnc/event_types.ts";
import { csrfOf, loggedInAdmin } from "./_support/admin_web.ts";
import { bodyOf } from "./_support/bodies.ts";
import { databaseFingerprint, forEachDatabase, openTestDatabase } from "./_support/db.ts";
import {
  HUBJECT_PREVIOUS_SECRET,
  HUBJECT_SECRET,
  jsonOf,
  pncPost,
  PREAUTH_KEY,
  startTestApp,
} from "./_support/app.ts";

const PATH = "/api/pnc/webhooks";
const LIMIT = 256 * 1024;
// What must never reach a log: the payload's identifiers and certificate, the eventId, secrets.
const EMAID = "DE-EMAID-SHOULD-NOT-BE-LOGGED";
const PCID = "PCID-SHOULD-NOT-BE-LOGGED";
const CERT = "CONTRACT-CERT-SHOULD-NOT-BE-LOGGED";
const EVENT_ID = "caf56bee-f90d-4e81-a862-7e0d0f21d306";
const NEVER_LOGGED = [EMAID, PCID, CERT, EVENT_ID, HUBJECT_SECRET, HUBJECT_PREVIOUS_SECRET];

/** Seed 002's sample body, with our markers in the payload. */
const valid = {
  eventId: EVENT_ID,
  eventType: "oem.contract.created",
  payload: { emaid: EMAID, pcid: PCID, contractCert: CERT },
};
const BODY = JSON.stringify(valid);

const raw = (url: string, body: BodyInit, headers: Record<string, string>) =>
  fetch(url + PATH, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
const hexOf = (body: string, secret = HUBJECT_SECRET) => signBody(secret, body);

interface RejectRow {
  name: string;
  env?: Record<string, string | undefined>;
  send: (url: string) => Promise<Response>;
  status: number;
  error: string;
  field?: string;
  /** The reason a 401 must log (and count in stats). */
  reason?: string;
}

const shape = (name: string, body: Record<string, unknown>, field: string): RejectRow => ({
  name: `shape: ${name}`,
  send: (url) => pncPost({ url }, body),
  status: 400,
  error: "invalid_body",
  field,
});

const ROWS: RejectRow[] = [
  {
    name: "body one byte over 256 KiB (declared length)",
    send: (url) => {
      const bare = JSON.stringify({ ...valid, pad: "" });
      const over = JSON.stringify({ ...valid, pad: "x".repeat(LIMIT + 1 - bare.length) });
      assert.equal(over.length, LIMIT + 1);
      return pncPost({ url }, over);
    },
    status: 413,
    error: "payload_too_large",
  },
  {
    name: "body one byte over 256 KiB (chunked, no length)",
    send: async (url) => {
      const stream = bodyOf(LIMIT + 1, true);
      return raw(url, stream, { "X-Hubject-Signature": `sha256=${await hexOf("x")}` });
    },
    status: 413,
    error: "payload_too_large",
  },
  {
    name: "no signature header",
    send: (url) => raw(url, BODY, {}),
    status: 401,
    error: "unauthorized",
    reason: "missing_signature",
  },
  {
    name: "both signature headers empty",
    send: (url) => raw(url, BODY, { "X-Hubject-Signature": "", "X-Operator-Signature": "" }),
    status: 401,
    error: "unauthorized",
    reason: "missing_signature",
  },
  {
    name: "HUBJECT_WEBHOOK_SECRET not set",
    env: { HUBJECT_WEBHOOK_SECRET: undefined },
    send: (url) => pncPost({ url }, BODY),
    status: 401,
    error: "unauthorized",
    reason: "missing_key",
  },
  {
    name: "only HUBJECT_WEBHOOK_SECRET_PREVIOUS set, signed with it (no secret)",
    env: {
      HUBJECT_WEBHOOK_SECRET: undefined,
      HUBJECT_WEBHOOK_SECRET_PREVIOUS: HUBJECT_PREVIOUS_SECRET,
    },
    send: (url) => pncPost({ url }, BODY, { secret: HUBJECT_PREVIOUS_SECRET }),
    status: 401,
    error: "unauthorized",
    reason: "missing_key",
  },
  {
    name: "secret shorter than 16 characters (signed with it)",
    env: { HUBJECT_WEBHOOK_SECRET: "fifteen-chars-x" },
    send: (url) => pncPost({ url }, BODY, { secret: "fifteen-chars-x" }),
    status: 401,
    error: "unauthorized",
    reason: "weak_key",
  },
  {
    name: "sha256= with 63 hex",
    send: async (url) =>
      raw(url, BODY, { "X-Hubject-Signature": `sha256=${(await hexOf(BODY)).slice(1)}` }),
    status: 401,
    error: "unauthorized",
    reason: "malformed",
  },
  {
    name: "sha256= with 65 hex",
    send: async (url) => raw(url, BODY, { "X-Hubject-Signature": `sha256=${await hexOf(BODY)}0` }),
    status: 401,
    error: "unauthorized",
    reason: "malformed",
  },
  {
    name: "sha256= followed by non-hex",
    send: (url) => raw(url, BODY, { "X-Hubject-Signature": `sha256=${"zz".repeat(32)}` }),
    status: 401,
    error: "unauthorized",
    reason: "malformed",
  },
  {
    name: "another algorithm's prefix",
    send: async (url) => raw(url, BODY, { "X-Hubject-Signature": `sha1=${await hexOf(BODY)}` }),
    status: 401,
    error: "unauthorized",
    reason: "malformed",
  },
  {
    name: "bare hex of 62 characters",
    send: async (url) => raw(url, BODY, { "X-Operator-Signature": (await hexOf(BODY)).slice(2) }),
    status: 401,
    error: "unauthorized",
    reason: "malformed",
  },
  {
    name: "signature of another body",
    send: async (url) =>
      raw(url, BODY, { "X-Hubject-Signature": `sha256=${await hexOf(BODY + " ")}` }),
    status: 401,
    error: "unauthorized",
    reason: "mismatch",
  },
  {
    name: "signed with SteVe's pre-authorize key",
    send: (url) => pncPost({ url }, BODY, { secret: PREAUTH_KEY }),
    status: 401,
    error: "unauthorized",
    reason: "mismatch",
  },
  {
    name: "signed with a previous secret no longer configured",
    send: (url) => pncPost({ url }, BODY, { secret: HUBJECT_PREVIOUS_SECRET }),
    status: 401,
    error: "unauthorized",
    reason: "mismatch",
  },
  {
    name: "signature covers re-serialized JSON, not the bytes sent",
    send: async (url) =>
      raw(url, JSON.stringify(valid, null, 2), {
        "X-Hubject-Signature": `sha256=${await hexOf(BODY)}`,
      }),
    status: 401,
    error: "unauthorized",
    reason: "mismatch",
  },
  {
    name: "X-Hubject-Signature wrong, X-Operator-Signature right: the first present is read",
    send: async (url) =>
      raw(url, BODY, {
        "X-Hubject-Signature": `sha256=${"0".repeat(64)}`,
        "X-Operator-Signature": `sha256=${await hexOf(BODY)}`,
      }),
    status: 401,
    error: "unauthorized",
    reason: "mismatch",
  },
  {
    name: "signed body is not JSON",
    send: (url) => pncPost({ url }, "{not json"),
    status: 400,
    error: "invalid_json",
  },
  {
    name: "signed body is not UTF-8",
    send: async (url) => {
      const bytes = new Uint8Array([0x7b, 0xff, 0x7d]);
      const hex = await signBody(HUBJECT_SECRET, bytes);
      return raw(url, bytes, { "X-Hubject-Signature": `sha256=${hex}` });
    },
    status: 400,
    error: "invalid_json",
  },
  {
    name: "signed body is a JSON array",
    send: (url) => pncPost({ url }, "[]"),
    status: 400,
    error: "invalid_body",
  },
  shape("eventId missing", { ...valid, eventId: undefined }, "eventId"),
  shape("eventId empty", { ...valid, eventId: "" }, "eventId"),
  shape("eventId of 129 characters", { ...valid, eventId: "e".repeat(129) }, "eventId"),
  shape("eventId a number", { ...valid, eventId: 7 }, "eventId"),
  shape("eventType missing", { ...valid, eventType: undefined }, "eventType"),
  shape("eventType empty", { ...valid, eventType: "" }, "eventType"),
  shape("eventType of 101 characters", { ...valid, eventType: "t".repeat(101) }, "eventType"),
  shape("payload missing", { ...valid, payload: undefined }, "payload"),
  shape("payload an array", { ...valid, payload: [] }, "payload"),
  shape("payload a string", { ...valid, payload: "x" }, "payload"),
  shape("payload null", { ...valid, payload: null }, "payload"),
  shape("timestamp a number", { ...valid, timestamp: 1 }, "timestamp"),
];

const records: LogRecord[] = [];
const captureSink = (record: LogRecord) => void records.push(record);
const logged = () => JSON.stringify(records.map((r) => [r.message, r.properties]));
function assertNothingSecretLogged() {
  const text = logged();
  for (const secret of NEVER_LOGGED) assert.ok(!text.includes(secret), `a log line has ${secret}`);
}

forEachDatabase(
  "PnC webhooks - every rejected call answers its status and changes nothing",
  async (t, db) => {
    await setupLogging("debug", captureSink);
    try {
      for (const row of ROWS) {
        await t.step(row.name, async () => {
          await using app = await startTestApp({ db, env: row.env });
          const before = await databaseFingerprint(db);
          records.length = 0;

          const res = await jsonOf(await row.send(app.url));

          assert.equal(res.status, row.status);
          assert.equal(res.type, "application/json");
          assert.equal(res.body.error, row.error);
          if (row.field) assert.equal(res.body.field, row.field);
          assert.deepEqual(await databaseFingerprint(db), before, "database changed");
          if (row.reason) {
            const warning = records.find((r) => r.level === "warning" && r.properties.reason);
            assert.ok(warning, "a 401 logs a warning");
            assert.equal(warning.category.at(-1), "PncWebhooks");
            assert.equal(warning.properties.reason, row.reason);
            const hooks = await jsonOf(await app.admin("GET", "/api/admin/hooks"));
            const mine = hooks.body.hooks.find((h: { name: string }) => h.name === "PncWebhooks");
            assert.deepEqual(mine.counts, { [`unauthorized:${row.reason}`]: 1 });
          }
          assertNothingSecretLogged();
        });
      }

      await t.step("verify throwing answers 500 internal", async () => {
        const fail = () => Promise.reject(new Error("engine failure"));
        const subtle = {
          importKey: crypto.subtle.importKey.bind(crypto.subtle),
          verify: fail,
          sign: fail,
        };
        await using app = await startTestApp({ db, subtle });
        const before = await databaseFingerprint(db);
        const res = await jsonOf(await pncPost(app, BODY));
        assert.equal(res.status, 500);
        assert.equal(res.type, "application/json");
        assert.deepEqual(res.body, { error: "internal" });
        assert.deepEqual(await databaseFingerprint(db), before);
      });
    } finally {
      await teardownLogging();
    }
  },
);

/** A fresh event of `eventType` with its own id. */
const event = (eventType: string, extra: Record<string, unknown> = {}) => ({
  eventId: crypto.randomUUID(),
  eventType,
  payload: { emaid: EMAID, pcid: PCID },
  ...extra,
});

forEachDatabase("PnC webhooks - accepted deliveries", async (t, db) => {
  const clock = new ManualClock(new Date("2026-11-29T10:00:00Z"));
  await setupLogging("debug", captureSink);
  try {
    await t.step("first delivery is processed and stored with its role and message", async () => {
      await using app = await startTestApp({ db, clock });
      records.length = 0;
      // Unknown fields ignored, whatever Content-Type says.
      const res = await jsonOf(
        await pncPost(app, {
          ...valid,
          somethingNew: { nested: true },
          timestamp: "2026-11-29T09:59:58Z",
        }),
      );
      assert.equal(res.status, 200);
      assert.equal(res.type, "application/json");
      assert.deepEqual(res.body, { status: "processed", eventId: EVENT_ID });
      const list = await jsonOf(await app.admin("GET", "/api/admin/pnc/events"));
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.events.map((e: { eventId: string }) => e.eventId), [EVENT_ID]);
      const [stored] = list.body.events;
      assert.deepEqual(
        { ...stored, id: typeof stored.id },
        {
          id: "number",
          eventId: EVENT_ID,
          eventType: "oem.contract.created",
          role: "OEM",
          message: PNC_EVENT_TYPES["oem.contract.created"].message,
          needsAction: false,
          acknowledgedAt: null,
          receivedAt: "2026-11-29T10:00:00.000Z",
          payload: valid.payload,
        },
      );
      // The event type and a hash of the eventId, nothing of the payload.
      const line = records.find((r) => r.message.join("") === "PnC event received");
      assert.ok(line, "the event is logged");
      assert.equal(line.properties.eventType, "oem.contract.created");
      assert.equal(line.properties.eventIdHash, hashForLog(EVENT_ID));
      assertNothingSecretLogged();
    });

    await t.step("the same eventId again is a duplicate and stores nothing", async () => {
      await using app = await startTestApp({ db, clock });
      const before = await databaseFingerprint(db);
      // Hubject may sign a retry with the other header or spelling: still the same event.
      const res = await jsonOf(
        await pncPost(app, BODY, { header: "X-Operator-Signature", bareHex: true }),
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { status: "duplicate", eventId: EVENT_ID });
      assert.deepEqual(await databaseFingerprint(db), before);
    });

    const signings: Array<[string, { header?: string; bareHex?: boolean }]> = [
      ["X-Hubject-Signature, sha256=", {}],
      ["X-Hubject-Signature, bare hex", { bareHex: true }],
      ["X-Operator-Signature, sha256=", { header: "X-Operator-Signature" }],
      ["X-Operator-Signature, bare hex", { header: "X-Operator-Signature", bareHex: true }],
    ];
    for (const [name, options] of signings) {
      await t.step(`signed in ${name}: processed`, async () => {
        await using app = await startTestApp({ db, clock });
        const body = event("root.cert.expired");
        const res = await jsonOf(await pncPost(app, body, options));
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, { status: "processed", eventId: body.eventId });
      });
    }

    await t.step("upper-case hex and both headers (the first is read) verify", async () => {
      await using app = await startTestApp({ db, clock });
      const body = JSON.stringify(event("root.cert.expired"));
      const res = await raw(app.url, body, {
        "X-Hubject-Signature": `sha256=${(await hexOf(body)).toUpperCase()}`,
        "X-Operator-Signature": "garbage",
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });

    await t.step("while rotating, the current and the previous secret both pass", async () => {
      await using app = await startTestApp({
        db,
        clock,
        env: { HUBJECT_WEBHOOK_SECRET_PREVIOUS: HUBJECT_PREVIOUS_SECRET },
      });
      for (const secret of [HUBJECT_SECRET, HUBJECT_PREVIOUS_SECRET]) {
        const body = event("root.cert.expired");
        const res = await jsonOf(await pncPost(app, body, { secret }));
        assert.equal(res.status, 200);
        assert.equal(res.body.status, "processed");
      }
      const stranger = await pncPost(app, event("root.cert.expired"), { secret: PREAUTH_KEY });
      assert.equal(stranger.status, 401);
      await stranger.body?.cancel();
    });

    await t.step(
      "an unknown event type is stored and processed, without role, message or action",
      async () => {
        await using app = await startTestApp({ db, clock });
        const body = event("mo.something.new.next.year");
        const res = await jsonOf(await pncPost(app, body));
        assert.deepEqual(res.body, { status: "processed", eventId: body.eventId });
        const list = await jsonOf(await app.admin("GET", "/api/admin/pnc/events"));
        const stored = list.body.events.find((e: { eventId: string }) =>
          e.eventId === body.eventId
        );
        assert.deepEqual(
          [stored.eventType, stored.role, stored.message, stored.needsAction],
          ["mo.something.new.next.year", null, null, false],
        );
        const open = await jsonOf(await app.admin("GET", "/api/admin/pnc/events?needsAction=true"));
        assert.deepEqual(open.body.events, []);
      },
    );

    await t.step(
      "a payload JSON allows but jsonb refuses (\\u0000) is stored as sent",
      async () => {
        await using app = await startTestApp({ db, clock });
        const body = event("oem.contract.updated", { payload: { note: "a\u0000b", n: [1, 2.5] } });
        assert.equal((await jsonOf(await pncPost(app, body))).status, 200);
        const list = await jsonOf(await app.admin("GET", "/api/admin/pnc/events"));
        const stored = list.body.events.find((e: { eventId: string }) =>
          e.eventId === body.eventId
        );
        assert.deepEqual(stored.payload, body.payload);
      },
    );

    const hooks = async () => {
      await using app = await startTestApp({ db, clock });
      const res = await jsonOf(await app.admin("GET", "/api/admin/hooks"));
      return res.body.hooks.find((h: { name: string }) => h.name === "PncWebhooks");
    };
    await t.step("GET /api/admin/hooks lists the endpoint and its secret variable", async () => {
      const mine = await hooks();
      assert.deepEqual(
        [mine.path, mine.header, mine.envVar, mine.key.configured],
        [PATH, "X-Hubject-Signature", "HUBJECT_WEBHOOK_SECRET", true],
      );
    });
  } finally {
    await teardownLogging();
  }
});

forEachDatabase("PnC webhooks - 20 racing copies of one event store one row", async (_t, db) => {
  await using app = await startTestApp({ db });
  const body = JSON.stringify(event("root.cert.revoked"));
  const answers = await Promise.all(
    Array.from({ length: 20 }, async () => await jsonOf(await pncPost(app, body))),
  );
  assert.deepEqual(answers.map((a) => a.status), Array(20).fill(200));
  const processed = answers.filter((a) => a.body.status === "processed").length;
  const duplicate = answers.filter((a) => a.body.status === "duplicate").length;
  assert.deepEqual([processed, duplicate], [1, 19]);
  const open = await jsonOf(await app.admin("GET", "/api/admin/pnc/events?needsAction=true"));
  assert.equal(open.body.events.length, 1, "flagged once");
});

forEachDatabase("PnC events - acknowledge flow and the needsAction filter", async (t, db) => {
  const clock = new ManualClock(new Date("2026-11-29T10:00:00Z"));
  await using app = await startTestApp({ db, clock });
  const send = async (eventType: string) => {
    const body = event(eventType);
    const res = await pncPost(app, body);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    clock.advance(1_000);
    return body.eventId;
  };
  const actionTypes = Object.entries(PNC_EVENT_TYPES).filter(([, t]) => t.needsAction)
    .map(([name]) => name);

  await t.step("exactly the seven types of the issue need action", () => {
    assert.deepEqual(actionTypes.sort(), [
      "mo.contract.rejected.by.oem",
      "mo.prov.cert.deleted",
      "mo.prov.cert.factory.reset",
      "mo.prov.cert.updated",
      "mo.prov.cert.updated.factory.reset",
      "root.cert.added",
      "root.cert.revoked",
    ]);
  });

  const quiet = await send("mo.contract.delivered.to.oem");
  const added = await send("root.cert.added");
  const rejected = await send("mo.contract.rejected.by.oem");

  const list = async (query = "") => {
    const res = await jsonOf(await app.admin("GET", `/api/admin/pnc/events${query}`));
    assert.equal(res.status, 200);
    assert.equal(res.type, "application/json");
    return res.body.events as Array<{ id: number; eventId: string; acknowledgedAt: string | null }>;
  };

  await t.step("all events newest first; ?needsAction=true only the open ones", async () => {
    assert.deepEqual((await list()).map((e) => e.eventId), [rejected, added, quiet]);
    assert.deepEqual((await list("?needsAction=true")).map((e) => e.eventId), [rejected, added]);
    assert.deepEqual((await list("?needsAction=false")).length, 3);
  });

  await t.step("an unreadable needsAction is 400 invalid_body naming it", async () => {
    const res = await jsonOf(await app.admin("GET", "/api/admin/pnc/events?needsAction=yes"));
    assert.equal(res.status, 400);
    assert.deepEqual([res.body.error, res.body.field], ["invalid_body", "needsAction"]);
  });

  await t.step("acknowledging answers the event; again keeps the first time", async () => {
    const [target] = (await list()).filter((e) => e.eventId === added);
    clock.advance(60_000);
    const first = await jsonOf(
      await app.admin("POST", `/api/admin/pnc/events/${target.id}/acknowledge`),
    );
    assert.equal(first.status, 200);
    assert.equal(first.type, "application/json");
    assert.equal(first.body.eventId, added);
    assert.equal(first.body.needsAction, false);
    assert.equal(first.body.acknowledgedAt, clock.now().toISOString());
    clock.advance(60_000);
    const again = await jsonOf(
      await app.admin("POST", `/api/admin/pnc/events/${target.id}/acknowledge`),
    );
    assert.equal(again.status, 200);
    assert.equal(again.body.acknowledgedAt, first.body.acknowledgedAt);
    assert.deepEqual((await list("?needsAction=true")).map((e) => e.eventId), [rejected]);
  });

  await t.step("an unknown or malformed id is 404 and changes nothing", async () => {
    const before = await databaseFingerprint(db);
    for (const id of ["999999", "0", "-1", "abc", "1e3", "99999999999999999999"]) {
      const res = await jsonOf(await app.admin("POST", `/api/admin/pnc/events/${id}/acknowledge`));
      assert.equal(res.status, 404, id);
      assert.deepEqual(res.body, { error: "not_found" });
    }
    assert.deepEqual(await databaseFingerprint(db), before);
  });

  await t.step("the admin API needs the bearer", async () => {
    const res = await fetch(`${app.url}/api/admin/pnc/events`);
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });
});

forEachDatabase(
  "PnC webhooks - a failure to store answers 500 so Hubject retries",
  async (_t, db) => {
    // A database of its own, closed under the running app.
    await using broken = await openTestDatabase(db.driver === "pglite" ? "pglite" : "postgres");
    await using app = await startTestApp({ db: broken });
    await broken.close();
    const res = await jsonOf(await pncPost(app, event("root.cert.added")));
    assert.equal(res.status, 500);
    assert.equal(res.type, "application/json");
    assert.deepEqual(res.body, { error: "internal" });
  },
);

forEachDatabase(
  "PnC page - list, CSRF-protected acknowledge form, and the nav count on every admin page",
  async (t, db) => {
    await using app = await startTestApp({ db });
    const flagged = event("root.cert.added");
    await (await pncPost(app, flagged)).body?.cancel();
    const browser = await loggedInAdmin(app);
    const [stored] = (await (await app.admin("GET", "/api/admin/pnc/events")).json()).events;

    await t.step("every admin page's nav shows the count", async () => {
      for (const path of ["/admin", "/admin/billing", "/admin/pnc"]) {
        const html = await (await browser.get(path)).text();
        assert.match(
          html,
          /Plug&amp;Charge<span[^>]*class="badge badge-warn nav-count"[^>]*>1<\/span>/,
          path,
        );
      }
    });

    await t.step("without the CSRF field the form is 403 and nothing changes", async () => {
      const before = await databaseFingerprint(db);
      const res = await browser.form("/admin/pnc/acknowledge", { id: String(stored.id) });
      assert.equal(res.status, 403);
      await res.body?.cancel();
      assert.deepEqual(await databaseFingerprint(db), before);
    });

    await t.step("an unknown id is a 404 page", async () => {
      const _csrf = await csrfOf(browser, "/admin/pnc");
      const res = await browser.form("/admin/pnc/acknowledge", { _csrf, id: "424242" });
      assert.equal(res.status, 404);
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
      await res.body?.cancel();
    });

    await t.step("acknowledging goes back to the page, and the count is gone", async () => {
      const _csrf = await csrfOf(browser, "/admin/pnc");
      const res = await browser.form("/admin/pnc/acknowledge", { _csrf, id: String(stored.id) });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/admin/pnc");
      await res.body?.cancel();
      const html = await (await browser.get("/admin/pnc")).text();
      assert.doesNotMatch(html, /nav-count/);
      assert.match(html, /Nothing needs action\./);
    });
  },
);
