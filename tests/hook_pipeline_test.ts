/**
 * The five-step verification pipeline, row by row, for both SteVe hooks over
 * real HTTP: every rejected call answers its documented status and JSON error
 * and leaves the database and the bus untouched.
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { setupLogging, teardownLogging } from "../lib/logging.ts";
import { ENV_SIGNED_ENDPOINT_LIST } from "../lib/signed_endpoints.ts";
import { signBody } from "../lib/signed_request.ts";
import { bodyOf } from "./_support/bodies.ts";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import { jsonOf, METER_KEY, PREAUTH_KEY, signedPost, startTestApp } from "./_support/app.ts";

const SECRET_TAG = "TAG-SHOULD-NOT-BE-LOGGED";
const SECRET_BOX = "BOX-SHOULD-NOT-BE-LOGGED";

interface HookCase {
  name: "PreAuthorize" | "MeterValues";
  path: string;
  header: string;
  /** Bytes a body may have; one more is 413. */
  limit: number;
  key: string;
  otherKey: string;
  keyVar: string;
  valid: Record<string, unknown>;
  /** Bodies that are JSON objects but break the shape, each naming the field. */
  badShapes: Array<[string, Record<string, unknown>, string]>;
}

const preAuthValid = {
  idTag: SECRET_TAG,
  chargeBoxId: SECRET_BOX,
  connectorId: 1,
  isStartTx: false,
  ts: 0,
};
const meterValid = {
  chargeBoxId: SECRET_BOX,
  transactionPk: 42,
  connectorId: 1,
  timestamp: "2026-11-23T10:00:00Z",
  samples: [{
    value: "1000",
    measurand: "Energy.Active.Import.Register",
    unit: "Wh",
  }],
};

const HOOKS: HookCase[] = [
  {
    name: "PreAuthorize",
    path: "/api/ocpp/pre-authorize",
    header: "X-Signature",
    limit: 64 * 1024,
    key: PREAUTH_KEY,
    otherKey: METER_KEY,
    keyVar: "STEVE_PREAUTH_HMAC_KEY",
    valid: preAuthValid,
    badShapes: [
      ["idTag missing", { ...preAuthValid, idTag: undefined }, "idTag"],
      ["idTag blank", { ...preAuthValid, idTag: "   " }, "idTag"],
      ["idTag too long", { ...preAuthValid, idTag: "x".repeat(256) }, "idTag"],
      ["idTag a number", { ...preAuthValid, idTag: 7 }, "idTag"],
      [
        "chargeBoxId missing",
        { ...preAuthValid, chargeBoxId: undefined },
        "chargeBoxId",
      ],
      [
        "chargeBoxId empty",
        { ...preAuthValid, chargeBoxId: "" },
        "chargeBoxId",
      ],
      [
        "connectorId negative",
        { ...preAuthValid, connectorId: -1 },
        "connectorId",
      ],
      [
        "connectorId fractional",
        { ...preAuthValid, connectorId: 1.5 },
        "connectorId",
      ],
      [
        "connectorId a string",
        { ...preAuthValid, connectorId: "1" },
        "connectorId",
      ],
      [
        "isStartTx a string",
        { ...preAuthValid, isStartTx: "true" },
        "isStartTx",
      ],
      ["ts a string", { ...preAuthValid, ts: "0" }, "ts"],
    ],
  },
  {
    name: "MeterValues",
    path: "/api/ocpp/meter-values",
    header: "X-Signature",
    limit: 64 * 1024,
    key: METER_KEY,
    otherKey: PREAUTH_KEY,
    keyVar: "STEVE_METERVALUE_HMAC_KEY",
    valid: meterValid,
    badShapes: [
      ["chargeBoxId blank", { ...meterValid, chargeBoxId: " " }, "chargeBoxId"],
      [
        "transactionPk a string",
        { ...meterValid, transactionPk: "42" },
        "transactionPk",
      ],
      [
        "transactionPk fractional",
        { ...meterValid, transactionPk: 4.2 },
        "transactionPk",
      ],
      [
        "connectorId missing",
        { ...meterValid, connectorId: undefined },
        "connectorId",
      ],
      [
        "timestamp not ISO",
        { ...meterValid, timestamp: "yesterday" },
        "timestamp",
      ],
      ["samples missing", { ...meterValid, samples: undefined }, "samples"],
      ["samples empty", { ...meterValid, samples: [] }, "samples"],
      [
        "sample value a number",
        { ...meterValid, samples: [{ value: 1000 }] },
        "samples.0.value",
      ],
      [
        "sample without value",
        { ...meterValid, samples: [{ unit: "Wh" }] },
        "samples.0.value",
      ],
    ],
  },
];

/** One rejected call: what we send, and what must come back. */
interface RejectRow {
  name: string;
  env?: Record<string, string | undefined>;
  send: (url: string, hook: HookCase) => Promise<Response>;
  status: number;
  error: string;
  field?: string;
  /** The warning a 401 must log. */
  warn?: { reason: string; hasKey: boolean; hasSig: boolean; message?: string };
}

const raw = (url: string, body: BodyInit, headers: Record<string, string>) =>
  fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });

function rejectRows(hook: HookCase): RejectRow[] {
  const body = JSON.stringify(hook.valid);
  const missing = "Missing HMAC key or signature";
  return [
    {
      name: "body one byte over 64 KiB (declared length)",
      send: (url) => {
        const bare = JSON.stringify({ ...hook.valid, pad: "" });
        const over = JSON.stringify({
          ...hook.valid,
          pad: "x".repeat(hook.limit + 1 - bare.length),
        });
        assert.equal(over.length, hook.limit + 1);
        return signedPost(url, hook.key, over);
      },
      status: 413,
      error: "payload_too_large",
    },
    {
      name: "body one byte over 64 KiB (chunked, no length)",
      send: async (url) => {
        const stream = bodyOf(hook.limit + 1, true);
        return raw(url, stream, {
          [hook.header]: await signBody(hook.key, "x"),
        });
      },
      status: 413,
      error: "payload_too_large",
    },
    {
      name: "signature header missing",
      send: (url) => raw(url, body, {}),
      status: 401,
      error: "unauthorized",
      warn: {
        reason: "missing_signature",
        hasKey: true,
        hasSig: false,
        message: missing,
      },
    },
    {
      name: "signature header empty",
      send: (url) => raw(url, body, { [hook.header]: "" }),
      status: 401,
      error: "unauthorized",
      warn: {
        reason: "missing_signature",
        hasKey: true,
        hasSig: false,
        message: missing,
      },
    },
    {
      name: "server key missing",
      env: { [hook.keyVar]: undefined },
      send: (url) => signedPost(url, hook.key, body),
      status: 401,
      error: "unauthorized",
      warn: {
        reason: "missing_key",
        hasKey: false,
        hasSig: true,
        message: missing,
      },
    },
    {
      name: "server key shorter than 32 characters (signed with it)",
      env: { [hook.keyVar]: "short-key-31-characters-long-xx" },
      send: (url) => signedPost(url, "short-key-31-characters-long-xx", body),
      status: 401,
      error: "unauthorized",
      warn: {
        reason: "weak_key",
        hasKey: false,
        hasSig: true,
        message: missing,
      },
    },
    {
      name: "signature of odd length",
      send: async (url) =>
        raw(url, body, {
          [hook.header]: (await signBody(hook.key, body)).slice(1),
        }),
      status: 401,
      error: "unauthorized",
      warn: { reason: "bad_hex", hasKey: true, hasSig: true },
    },
    {
      name: "signature not hex",
      send: (url) => raw(url, body, { [hook.header]: "zz".repeat(32) }),
      status: 401,
      error: "unauthorized",
      warn: { reason: "bad_hex", hasKey: true, hasSig: true },
    },
    {
      name: "signature does not match",
      send: async (url) => raw(url, body, { [hook.header]: await signBody(hook.key, body + " ") }),
      status: 401,
      error: "unauthorized",
      warn: { reason: "mismatch", hasKey: true, hasSig: true },
    },
    {
      name: "signed with the other hook's key",
      send: (url) => signedPost(url, hook.otherKey, body),
      status: 401,
      error: "unauthorized",
      warn: { reason: "mismatch", hasKey: true, hasSig: true },
    },
    {
      name: "signature covers re-serialized JSON, not the bytes sent",
      send: async (url) =>
        raw(url, JSON.stringify(hook.valid, null, 2), {
          [hook.header]: await signBody(hook.key, body),
        }),
      status: 401,
      error: "unauthorized",
      warn: { reason: "mismatch", hasKey: true, hasSig: true },
    },
    {
      name: "signed body is not JSON",
      send: (url) => signedPost(url, hook.key, "{not json"),
      status: 400,
      error: "invalid_json",
    },
    {
      name: "signed body is a JSON array",
      send: (url) => signedPost(url, hook.key, "[]"),
      status: 400,
      error: "invalid_body",
    },
    {
      name: "signed body is a JSON string",
      send: (url) => signedPost(url, hook.key, '"hello"'),
      status: 400,
      error: "invalid_body",
    },
    ...hook.badShapes.map(([name, shape, field]): RejectRow => ({
      name: `shape: ${name}`,
      send: (url) => signedPost(url, hook.key, JSON.stringify(shape)),
      status: 400,
      error: "invalid_body",
      field,
    })),
  ];
}

Deno.test("hook pipeline - every env-keyed registry entry has its contract row, spelled as above", () => {
  // The rows are literal so a registry typo fails the HTTP cases; this makes a
  // new entry without rows fail too. Partner events: tests/partner_events_test.ts.
  assert.deepEqual(
    ENV_SIGNED_ENDPOINT_LIST.map(([, e]) => [
      e.name,
      e.path,
      e.headers[0],
      e.bodyLimitBytes,
      e.secretVariables[0],
    ]),
    [
      ...HOOKS.map((h) => [h.name, h.path, h.header, h.limit, h.keyVar]),
      // Its contract table is tests/pnc_webhooks_test.ts (two headers, two secrets, sha256).
      [
        "PncWebhooks",
        "/api/pnc/webhooks",
        "X-Hubject-Signature",
        256 * 1024,
        "HUBJECT_WEBHOOK_SECRET",
      ],
    ],
  );
});

const records: LogRecord[] = [];
const captureSink = (record: LogRecord) => void records.push(record);

for (const hook of HOOKS) {
  forEachDatabase(
    `${hook.name} - every rejected call answers its status and changes nothing`,
    async (t, db) => {
      await setupLogging("debug", captureSink);
      try {
        for (const row of rejectRows(hook)) {
          await t.step(row.name, async () => {
            await using app = await startTestApp({ db, env: row.env });
            const before = await databaseFingerprint(db);
            records.length = 0;

            const res = await jsonOf(await row.send(app.url + hook.path, hook));

            assert.equal(res.status, row.status);
            assert.equal(res.type, "application/json");
            assert.equal(res.body.error, row.error);
            if (row.field) assert.equal(res.body.field, row.field);
            assert.deepEqual(
              await databaseFingerprint(db),
              before,
              "database changed",
            );
            assert.deepEqual(app.events, [], "an event was published");
            if (row.warn) {
              const warning = records.find((r) => r.level === "warning" && r.properties.reason);
              assert.ok(warning, "a 401 must log a warning");
              assert.equal(warning.category.at(-1), hook.name);
              assert.deepEqual(
                {
                  reason: warning.properties.reason,
                  hasKey: warning.properties.hasKey,
                  hasSig: warning.properties.hasSig,
                },
                {
                  reason: row.warn.reason,
                  hasKey: row.warn.hasKey,
                  hasSig: row.warn.hasSig,
                },
              );
              if (row.warn.message) {
                assert.equal(warning.message.join(""), row.warn.message);
              }
            }
            const logged = JSON.stringify(
              records.map((r) => [r.message, r.properties]),
            );
            for (const secret of [SECRET_TAG, SECRET_BOX, hook.key]) {
              assert.ok(
                !logged.includes(secret),
                `a log line contains ${secret}`,
              );
            }
          });
        }

        await t.step("verify throwing answers 500 internal", async () => {
          const throwing = {
            importKey: crypto.subtle.importKey.bind(crypto.subtle),
            verify: () => Promise.reject(new Error("engine failure")),
            sign: () => Promise.reject(new Error("engine failure")),
          };
          await using app = await startTestApp({ db, subtle: throwing });
          const before = await databaseFingerprint(db);
          const res = await jsonOf(
            await signedPost(
              app.url + hook.path,
              hook.key,
              JSON.stringify(hook.valid),
            ),
          );
          assert.equal(res.status, 500);
          assert.equal(res.type, "application/json");
          assert.deepEqual(res.body, { error: "internal" });
          assert.deepEqual(await databaseFingerprint(db), before);
          assert.deepEqual(app.events, []);
        });

        await t.step(
          "valid call passes whatever Content-Type says, unknown fields ignored",
          async () => {
            await using app = await startTestApp({ db });
            const body = JSON.stringify({
              ...hook.valid,
              somethingNew: { nested: true },
            });
            const res = await jsonOf(
              await signedPost(app.url + hook.path, hook.key, body, {
                "content-type": "text/plain",
              }),
            );
            assert.equal(res.status, 200);
            assert.equal(res.type, "application/json");
            const hooks = await jsonOf(
              await app.admin("GET", "/api/admin/hooks"),
            );
            const mine = hooks.body.hooks.find((h: { name: string }) => h.name === hook.name);
            assert.deepEqual(mine.counts, { ok: 1 });
          },
        );

        await t.step("upper-case hex signatures verify too", async () => {
          await using app = await startTestApp({ db });
          const body = JSON.stringify(hook.valid);
          const sig = (await signBody(hook.key, body)).toUpperCase();
          const res = await raw(app.url + hook.path, body, {
            [hook.header]: sig,
          });
          assert.equal(res.status, 200);
          await res.body?.cancel();
        });
      } finally {
        await teardownLogging();
      }
    },
  );
}
