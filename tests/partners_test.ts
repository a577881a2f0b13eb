/**
 * Partners' admin API and pages over real HTTP: the secret is shown once (the
 * create's and the rotation's answers) and never again by any API or page;
 * header names are validated; the pages call the same rules and need CSRF.
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { ManualClock } from "../lib/clock.ts";
import { setupLogging, teardownLogging } from "../lib/logging.ts";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import { jsonOf, startTestApp } from "./_support/app.ts";
import { csrfOf, loggedInAdmin } from "./_support/admin_web.ts";

const START = new Date("2026-11-29T12:00:00.000Z");
const PARTNER_KEYS = [
  "active",
  "createdAt",
  "deactivatedReason",
  "events",
  "id",
  "inboundUrl",
  "name",
  "previousSecretValidUntil",
  "secretRotatedAt",
  "signatureHeader",
  "url",
  "signatureScheme",
].sort();

const records: LogRecord[] = [];
const captureSink = (record: LogRecord) => void records.push(record);

forEachDatabase("partners API - create, read, change; the secret is shown once", async (t, db) => {
  const clock = new ManualClock(START);
  await setupLogging("debug", captureSink);
  await using app = await startTestApp({ db, clock });
  try {
    let created: Record<string, unknown> & { id: string; secret: string } = { id: "", secret: "" };

    await t.step(
      "POST creates with the defaults and answers 201 with a 64-hex secret",
      async () => {
        const res = await jsonOf(
          await app.admin("POST", "/api/admin/partners", { name: " Depot " }),
        );
        assert.equal(res.status, 201);
        assert.equal(res.type, "application/json");
        created = res.body;
        assert.deepEqual(Object.keys(res.body).sort(), [...PARTNER_KEYS, "secret"].sort());
        assert.match(created.secret, /^[0-9a-f]{64}$/);
        assert.match(
          created.id,
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        assert.deepEqual({ ...res.body, id: "", secret: "" }, {
          id: "",
          secret: "",
          name: "Depot",
          signatureScheme: "sha256",
          signatureHeader: "X-ExpresSync-Signature",
          active: true,
          deactivatedReason: null,
          url: null,
          events: [],
          inboundUrl: `http://charge.example.test/api/partners/${created.id}/events`,
          createdAt: START.toISOString(),
          secretRotatedAt: null,
          previousSecretValidUntil: null,
        });
        const other = await jsonOf(
          await app.admin("POST", "/api/admin/partners", { name: "Other" }),
        );
        assert.notEqual(other.body.secret, created.secret, "secrets are random");
      },
    );

    await t.step("no later answer carries the secret", async () => {
      const list = await jsonOf(await app.admin("GET", "/api/admin/partners"));
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.partners.map((p: { name: string }) => p.name), ["Depot", "Other"]);
      assert.deepEqual(Object.keys(list.body.partners[0]).sort(), PARTNER_KEYS);
      const one = await jsonOf(await app.admin("GET", `/api/admin/partners/${created.id}`));
      const put = await jsonOf(await app.admin("PUT", `/api/admin/partners/${created.id}`, {}));
      const events = await jsonOf(
        await app.admin("GET", `/api/admin/partners/${created.id}/events`),
      );
      const hooks = await jsonOf(await app.admin("GET", "/api/admin/hooks"));
      for (const res of [list, one, put, events, hooks]) {
        assert.equal(res.status, 200);
        assert.ok(!JSON.stringify(res.body).includes(created.secret), "secret shown again");
      }
      assert.deepEqual(one.body, omitSecret(created));
      assert.deepEqual(events.body, { events: [] });
    });

    await t.step("PUT changes only what it names", async () => {
      clock.advance(1000);
      const res = await jsonOf(
        await app.admin("PUT", `/api/admin/partners/${created.id}`, {
          signatureHeader: "X-Workshop-Lock-Signature",
        }),
      );
      assert.equal(res.status, 200);
      assert.equal(res.body.signatureHeader, "X-Workshop-Lock-Signature");
      assert.equal(res.body.name, "Depot");
      assert.equal(res.body.active, true);
      const off = await jsonOf(
        await app.admin("PUT", `/api/admin/partners/${created.id}`, {
          active: false,
          name: "Depot 2",
        }),
      );
      assert.deepEqual([off.body.active, off.body.name, off.body.signatureHeader], [
        false,
        "Depot 2",
        "X-Workshop-Lock-Signature",
      ]);
    });

    await t.step("unknown or non-UUID ids are 404 on every partner route", async () => {
      for (const id of [crypto.randomUUID(), "depot", "1"]) {
        for (
          const [method, path, body] of [
            ["GET", `/api/admin/partners/${id}`],
            ["PUT", `/api/admin/partners/${id}`, { name: "x" }],
            ["POST", `/api/admin/partners/${id}/secret`, { mode: "now" }],
            ["GET", `/api/admin/partners/${id}/events`],
          ] as Array<[string, string, unknown?]>
        ) {
          const before = await databaseFingerprint(db);
          const res = await jsonOf(await app.admin(method, path, body));
          assert.equal(res.status, 404, `${method} ${path}`);
          assert.deepEqual(res.body, { error: "not_found" });
          assert.deepEqual(await databaseFingerprint(db), before);
        }
      }
    });

    await t.step("bad input is 400 naming the field, and writes nothing", async () => {
      const cases: Array<[string, string, unknown, string]> = [
        ["POST", "/api/admin/partners", {}, "name"],
        ["POST", "/api/admin/partners", { name: "  " }, "name"],
        ["POST", "/api/admin/partners", { name: "x".repeat(201) }, "name"],
        ["POST", "/api/admin/partners", { name: "A", signatureScheme: "hex" }, "signatureScheme"],
        ["POST", "/api/admin/partners", { name: "A", signatureHeader: "X Sig" }, "signatureHeader"],
        [
          "POST",
          "/api/admin/partners",
          { name: "A", signatureHeader: "X-Sig:" },
          "signatureHeader",
        ],
        ["POST", "/api/admin/partners", { name: "A", signatureHeader: "" }, "signatureHeader"],
        [
          "POST",
          "/api/admin/partners",
          { name: "A", signatureHeader: "Ünïcode" },
          "signatureHeader",
        ],
        [
          "POST",
          "/api/admin/partners",
          { name: "A", signatureHeader: "x".repeat(65) },
          "signatureHeader",
        ],
        [
          "POST",
          "/api/admin/partners",
          { name: "A", signatureHeader: "Content-Type" },
          "signatureHeader",
        ],
        [
          "POST",
          "/api/admin/partners",
          { name: "A", signatureHeader: "connection" },
          "signatureHeader",
        ],
        [
          "POST",
          "/api/admin/partners",
          { name: "A", signatureHeader: "Transfer-Encoding" },
          "signatureHeader",
        ],
        [
          "POST",
          "/api/admin/partners",
          { name: "A", signatureHeader: "Authorization" },
          "signatureHeader",
        ],
        [
          "POST",
          "/api/admin/partners",
          { name: "A", signatureHeader: "Proxy-Signature" },
          "signatureHeader",
        ],
        [
          "POST",
          "/api/admin/partners",
          { name: "A", signatureHeader: "X-Forwarded-For" },
          "signatureHeader",
        ],
        [
          "PUT",
          `/api/admin/partners/${created.id}`,
          { signatureHeader: "Host" },
          "signatureHeader",
        ],
        ["PUT", `/api/admin/partners/${created.id}`, { active: "yes" }, "active"],
        ["PUT", `/api/admin/partners/${created.id}`, { name: "" }, "name"],
        ["POST", `/api/admin/partners/${created.id}/secret`, {}, "mode"],
        ["POST", `/api/admin/partners/${created.id}/secret`, { mode: "later" }, "mode"],
        ["POST", `/api/admin/partners/${created.id}/secret`, { mode: "grace" }, "graceSeconds"],
        [
          "POST",
          `/api/admin/partners/${created.id}/secret`,
          { mode: "grace", graceSeconds: 59 },
          "graceSeconds",
        ],
        [
          "POST",
          `/api/admin/partners/${created.id}/secret`,
          { mode: "grace", graceSeconds: 604_801 },
          "graceSeconds",
        ],
        [
          "POST",
          `/api/admin/partners/${created.id}/secret`,
          { mode: "grace", graceSeconds: 90.5 },
          "graceSeconds",
        ],
      ];
      for (const [method, path, body, field] of cases) {
        const before = await databaseFingerprint(db);
        const res = await jsonOf(await app.admin(method, path, body));
        assert.equal(res.status, 400, `${JSON.stringify(body)}`);
        assert.equal(res.body.error, "invalid_body");
        assert.equal(res.body.field, field, JSON.stringify(body));
        assert.deepEqual(await databaseFingerprint(db), before);
      }
    });

    await t.step("header names that are tokens and not reserved are kept as typed", async () => {
      for (const header of ["X-Workshop-Lock-Signature", "x-sig", "Signature", "X_Sig.v1~!"]) {
        const res = await jsonOf(
          await app.admin("POST", "/api/admin/partners", { name: "H", signatureHeader: header }),
        );
        assert.equal(res.status, 201, header);
        assert.equal(res.body.signatureHeader, header);
      }
    });

    await t.step("no log line carries a secret", () => {
      const logged = JSON.stringify(records.map((r) => [r.message, r.properties]));
      assert.ok(!logged.includes(created.secret));
    });
  } finally {
    await teardownLogging();
  }
});

function omitSecret(p: Record<string, unknown>) {
  const { secret: _secret, ...rest } = p;
  return rest;
}

forEachDatabase(
  "partners pages - secret in the POST's dialog only; same rules; CSRF",
  async (t, db) => {
    const clock = new ManualClock(START);
    await using app = await startTestApp({ db, clock });
    const browser = await loggedInAdmin(app);
    const _csrf = await csrfOf(browser, "/admin/partners");
    let id = "";
    let secret = "";

    await t.step("creating on the page shows the secret once, in a dialog", async () => {
      const res = await browser.form("/admin/partners", {
        _csrf,
        name: "Page partner",
        signatureScheme: "timestamped",
        signatureHeader: "",
      });
      assert.equal(res.status, 200);
      const html = await res.text();
      secret = /data-testid="secret">([0-9a-f]{64})</.exec(html)?.[1] ?? "";
      assert.ok(secret, "the dialog shows the secret");
      assert.match(html, /<dialog open class="secret-dialog"/);
      const list = await jsonOf(await app.admin("GET", "/api/admin/partners"));
      const [partner] = list.body.partners;
      id = partner.id;
      assert.deepEqual([partner.signatureScheme, partner.signatureHeader], [
        "timestamped",
        "X-ExpresSync-Signature",
      ]);
      assert.ok(html.includes(partner.inboundUrl), "the dialog names the inbound URL");
    });

    await t.step("no GET of either page shows it again", async () => {
      for (const path of ["/admin/partners", `/admin/partners/${id}`]) {
        const res = await browser.get(path);
        assert.equal(res.status, 200, path);
        const html = await res.text();
        assert.ok(!html.includes(secret), `${path} shows the secret`);
        assert.ok(!html.includes("<dialog"), `${path} shows a dialog`);
      }
    });

    await t.step(
      "regenerating with a grace window shows the new secret and the window's end",
      async () => {
        const res = await browser.form(`/admin/partners/${id}/secret`, {
          _csrf,
          mode: "grace",
          graceSeconds: "86400",
        });
        assert.equal(res.status, 200);
        const html = await res.text();
        const fresh = /data-testid="secret">([0-9a-f]{64})</.exec(html)?.[1] ?? "";
        assert.ok(fresh && fresh !== secret);
        assert.ok(html.includes(new Date(START.getTime() + 86_400_000).toISOString()));
        const view = await jsonOf(await app.admin("GET", `/api/admin/partners/${id}`));
        assert.equal(
          view.body.previousSecretValidUntil,
          new Date(START.getTime() + 86_400_000).toISOString(),
        );
        const again = await (await browser.get(`/admin/partners/${id}`)).text();
        assert.ok(!again.includes(fresh));
      },
    );

    await t.step("the settings form changes the partner as the API would", async () => {
      const res = await browser.form(`/admin/partners/${id}`, {
        _csrf,
        name: "Renamed",
        signatureHeader: "X-Gate-Signature",
        active: "false",
      });
      assert.equal(res.status, 303);
      await res.body?.cancel();
      const view = await jsonOf(await app.admin("GET", `/api/admin/partners/${id}`));
      assert.deepEqual([view.body.name, view.body.signatureHeader, view.body.active], [
        "Renamed",
        "X-Gate-Signature",
        false,
      ]);
    });

    await t.step(
      "the settings form sets the webhook URL and events; an empty URL removes it",
      async () => {
        const res = await browser.form(`/admin/partners/${id}`, {
          _csrf,
          name: "Renamed",
          signatureHeader: "X-Gate-Signature",
          active: "true",
          url: "https://gate.example/hooks",
          events: "scan.login",
        });
        assert.equal(res.status, 303);
        await res.body?.cancel();
        const view = await jsonOf(await app.admin("GET", `/api/admin/partners/${id}`));
        assert.deepEqual([view.body.url, view.body.events], [
          "https://gate.example/hooks",
          ["scan.login"],
        ]);
        const html = await (await browser.get(`/admin/partners/${id}`)).text();
        assert.match(html, /value="https:\/\/gate\.example\/hooks"/);
        assert.match(html, /name="events" value="scan\.login" checked/);
        const cleared = await browser.form(`/admin/partners/${id}`, {
          _csrf,
          name: "Renamed",
          signatureHeader: "X-Gate-Signature",
          active: "true",
          url: "",
        });
        assert.equal(cleared.status, 303);
        await cleared.body?.cancel();
        const after = await jsonOf(await app.admin("GET", `/api/admin/partners/${id}`));
        assert.deepEqual([after.body.url, after.body.events], [null, ["scan.login"]]);
      },
    );

    await t.step(
      "a reserved header is refused on the page as on the API, nothing written",
      async () => {
        const before = await databaseFingerprint(db);
        const page = await browser.form(`/admin/partners/${id}`, {
          _csrf,
          name: "Renamed",
          signatureHeader: "Cookie",
          active: "true",
        });
        assert.equal(page.status, 400);
        assert.match(
          await page.text(),
          /<p class="alert" role="alert">Signature header: is a standard/,
        );
        const api = await jsonOf(
          await app.admin("PUT", `/api/admin/partners/${id}`, { signatureHeader: "Cookie" }),
        );
        assert.equal(api.status, 400);
        assert.deepEqual(await databaseFingerprint(db), before);
      },
    );

    await t.step("every partner form needs the CSRF token", async () => {
      const before = await databaseFingerprint(db);
      for (
        const [path, fields] of [
          ["/admin/partners", { name: "No token" }],
          [`/admin/partners/${id}`, { name: "No token", signatureHeader: "X-A", active: "true" }],
          [`/admin/partners/${id}/secret`, { mode: "now" }],
        ] as Array<[string, Record<string, string>]>
      ) {
        const res = await browser.form(path, fields);
        assert.equal(res.status, 403, path);
        await res.body?.cancel();
      }
      assert.deepEqual(await databaseFingerprint(db), before);
    });

    await t.step("an unknown partner's page is a 404 page", async () => {
      const res = await browser.get(`/admin/partners/${crypto.randomUUID()}`);
      assert.equal(res.status, 404);
      await res.body?.cancel();
      const rotate = await browser.form(`/admin/partners/not-a-uuid/secret`, {
        _csrf,
        mode: "now",
      });
      assert.equal(rotate.status, 404);
      await rotate.body?.cancel();
    });
  },
);
