/**
 * The admin pages and the admin API call the same lib/ rules, so the same bad
 * input gets the same outcome from both: the same status, nothing written,
 * and on the page the reason as an alert. Each row is one input sent both ways.
 */
import assert from "node:assert/strict";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import { createCharger, jsonOf, startTestApp } from "./_support/app.ts";
import { csrfOf, loggedInAdmin } from "./_support/admin_web.ts";

interface Row {
  name: string;
  api: [method: string, path: string, body?: unknown];
  page: [path: string, fields: Record<string, string>];
  status: number;
  /** The API's JSON error body. */
  error: Record<string, unknown>;
  /** What the page's alert says. */
  alert: RegExp;
}

const LONG_ID = "x".repeat(256);

const ROWS: Row[] = [
  {
    name: "linking a card to an unknown customer",
    api: ["PUT", "/api/admin/tags/CARD-9", { customerId: "nobody" }],
    page: ["/admin/customers/tags", { idTag: "CARD-9", customerId: "nobody" }],
    status: 400,
    error: { error: "invalid_body", field: "customerId", message: "no such customer" },
    alert: /Customer: no such customer\./,
  },
  {
    name: "linking a card id of 256 characters",
    api: ["PUT", `/api/admin/tags/${LONG_ID}`, { customerId: null }],
    page: ["/admin/customers/tags", { idTag: LONG_ID, customerId: "" }],
    status: 400,
    error: { error: "invalid_body", field: "idTag", message: "must be at most 255 characters" },
    alert: /Card ID: must be at most 255 characters\./,
  },
  {
    name: "saving a customer with a bad email",
    api: ["PUT", "/api/admin/customers/c-bad", { name: "Ann", email: "not-an-email" }],
    page: ["/admin/customers", { id: "c-bad", name: "Ann", email: "not-an-email" }],
    status: 400,
    error: { error: "invalid_body", field: "email", message: "must be a valid email address" },
    alert: /Email: must be a valid email address\./,
  },
  {
    name: "saving a customer without a name",
    api: ["PUT", "/api/admin/customers/c-bad", { name: "  " }],
    page: ["/admin/customers", { id: "c-bad", name: "  " }],
    status: 400,
    error: { error: "invalid_body", field: "name", message: "must not be empty" },
    alert: /Name: must not be empty\./,
  },
  {
    name: "saving a charger with a 256-character id",
    api: ["PUT", `/api/admin/chargers/${LONG_ID}`, { name: "Bay" }],
    page: ["/admin/chargers", { chargeBoxId: LONG_ID, name: "Bay" }],
    status: 400,
    error: {
      error: "invalid_body",
      field: "chargeBoxId",
      message: "must be at most 255 characters",
    },
    alert: /Charge box ID: must be at most 255 characters\./,
  },
  {
    name: "rotating the QR code of an unknown charger",
    api: ["POST", "/api/admin/chargers/NO-SUCH-CHARGER/rotate-qr"],
    page: ["/admin/chargers/rotate", { chargeBoxId: "NO-SUCH-CHARGER" }],
    status: 404,
    error: { error: "not_found" },
    alert: /Not found/,
  },
  {
    name: "rotating the QR code of a 256-character id",
    api: ["POST", `/api/admin/chargers/${LONG_ID}/rotate-qr`],
    page: ["/admin/chargers/rotate", { chargeBoxId: LONG_ID }],
    status: 400,
    error: {
      error: "invalid_body",
      field: "chargeBoxId",
      message: "must be at most 255 characters",
    },
    alert: /Charge box ID: must be at most 255 characters\./,
  },
  {
    name: "creating a partner that signs in a hop-by-hop header",
    api: ["POST", "/api/admin/partners", { name: "Gate", signatureHeader: "Connection" }],
    page: ["/admin/partners", {
      name: "Gate",
      signatureScheme: "sha256",
      signatureHeader: "Connection",
    }],
    status: 400,
    error: {
      error: "invalid_body",
      field: "signatureHeader",
      message: "is a standard or hop-by-hop header; pick your own, e.g. X-ExpresSync-Signature",
    },
    alert: /Header: is a standard or hop-by-hop header/,
  },
  {
    name: "creating a partner whose webhook URL carries a password",
    api: ["POST", "/api/admin/partners", { name: "Gate", url: "https://u:pw@gate.example/" }],
    page: ["/admin/partners", {
      name: "Gate",
      signatureScheme: "sha256",
      signatureHeader: "",
      url: "https://u:pw@gate.example/",
    }],
    status: 400,
    error: { error: "blocked_destination", field: "url" },
    alert: /Webhook URL: refused; use an absolute https: URL/,
  },
  {
    name: "creating a partner subscribed to an unknown event",
    api: ["POST", "/api/admin/partners", { name: "Gate", events: ["session.paused"] }],
    page: ["/admin/partners", {
      name: "Gate",
      signatureScheme: "sha256",
      signatureHeader: "",
      events: "session.paused",
    }],
    status: 400,
    error: {
      error: "invalid_body",
      field: "events",
      message:
        "has an unknown event; known: session.started, session.ended, scan.login, pnc.action_needed",
    },
    alert: /Events: has an unknown event/,
  },
  {
    name: "creating a partner without a name",
    api: ["POST", "/api/admin/partners", { name: " " }],
    page: ["/admin/partners", { name: " ", signatureScheme: "sha256", signatureHeader: "" }],
    status: 400,
    error: { error: "invalid_body", field: "name", message: "must not be empty" },
    alert: /Name: must not be empty\./,
  },
];

forEachDatabase("page and API - the same bad input gets the same outcome", async (t, db) => {
  await using app = await startTestApp({ db });
  const browser = await loggedInAdmin(app);
  const _csrf = await csrfOf(browser, "/admin/customers");
  for (const row of ROWS) {
    await t.step(row.name, async () => {
      const before = await databaseFingerprint(db);
      const api = await jsonOf(await app.admin(...row.api));
      assert.equal(api.status, row.status, "API status");
      assert.equal(api.type, "application/json");
      assert.deepEqual(api.body, row.error);

      const [path, fields] = row.page;
      const page = await browser.form(path, { ...fields, _csrf });
      assert.equal(page.status, row.status, "page status");
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      const alert = /<p class="alert" role="alert">([^<]*)<\/p>/.exec(await page.text())?.[1];
      assert.match(alert ?? "(no alert)", row.alert);
      assert.deepEqual(await databaseFingerprint(db), before, "nothing written");
    });
  }

  await t.step("partner deliveries: Retry and Test connection refuse as the API does", async () => {
    const created = await jsonOf(await app.admin("POST", "/api/admin/partners", { name: "Out" }));
    assert.equal(created.status, 201);
    const id: string = created.body.id;
    const unknown = "00000000-0000-4000-8000-000000000000";
    const rows: Row[] = [
      {
        name: "retrying a delivery id that is not a number",
        api: ["POST", `/api/admin/partners/${id}/deliveries/retry`, { ids: ["abc"] }],
        page: [`/admin/partners/${id}/deliveries/retry`, { id: "abc" }],
        status: 400,
        error: { error: "invalid_body", field: "ids.0", message: "must be delivery ids" },
        alert: /Delivery: must be delivery ids\./,
      },
      {
        name: "retrying a delivery id of 0",
        api: ["POST", `/api/admin/partners/${id}/deliveries/retry`, { ids: [0] }],
        page: [`/admin/partners/${id}/deliveries/retry`, { id: "0" }],
        status: 400,
        error: { error: "invalid_body", field: "ids.0", message: "must be delivery ids" },
        alert: /Delivery: must be delivery ids\./,
      },
      {
        name: "testing the connection of a partner without a URL",
        api: ["POST", `/api/admin/partners/${id}/ping`],
        page: [`/admin/partners/${id}/ping`, {}],
        status: 400,
        error: {
          error: "invalid_body",
          field: "url",
          message: "is not set: save the partner's webhook URL first",
        },
        alert: /Webhook URL: is not set/,
      },
      {
        name: "retrying the deliveries of an unknown partner",
        api: ["POST", `/api/admin/partners/${unknown}/deliveries/retry`, {}],
        page: [`/admin/partners/${unknown}/deliveries/retry`, {}],
        status: 404,
        error: { error: "not_found" },
        alert: /Check the address/,
      },
      {
        name: "testing the connection of an unknown partner",
        api: ["POST", `/api/admin/partners/${unknown}/ping`],
        page: [`/admin/partners/${unknown}/ping`, {}],
        status: 404,
        error: { error: "not_found" },
        alert: /Check the address/,
      },
    ];
    for (const row of rows) {
      const before = await databaseFingerprint(db);
      const api = await jsonOf(await app.admin(...row.api));
      assert.equal(api.status, row.status, `${row.name}: API status`);
      assert.deepEqual(api.body, row.error, row.name);
      const [path, fields] = row.page;
      const page = await browser.form(path, { ...fields, _csrf });
      assert.equal(page.status, row.status, `${row.name}: page status`);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      const html = await page.text();
      // A refusal shows as the page's alert; an unknown partner as the 404 page's.
      const alert = /<p (?:class="alert" )?role="alert">([^<]*)<\/p>/.exec(html)?.[1];
      assert.match(alert ?? "(no alert)", row.alert, row.name);
      assert.deepEqual(await databaseFingerprint(db), before, `${row.name}: nothing written`);
    }
  });

  await t.step(
    "a pre-authorize switch that is not a boolean is 400 on both and changes nothing",
    async () => {
      const api = await jsonOf(
        await app.admin("PUT", "/api/admin/flags/pre-authorize", { enabled: "yes" }),
      );
      assert.equal(api.status, 400);
      assert.deepEqual([api.body.error, api.body.field], ["invalid_body", "enabled"]);
      const page = await browser.form("/admin/flags/pre-authorize", { enabled: "yes", _csrf });
      assert.equal(page.status, 400);
      await page.body?.cancel();
      assert.equal(app.deps.flags.isEnabled("pre-authorize"), true);
    },
  );

  await t.step(
    "the billing page renders the API's figures; its forms run the same actions",
    async () => {
      const page = await browser.get("/admin/billing");
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<h1>Billing<\/h1>/);
      const api = await jsonOf(await app.admin("GET", "/api/admin/billing"));
      assert.match(html, new RegExp(`Dead letters \\(${api.body.deadLetters}\\)`));
      for (const path of ["/admin/billing/retry", "/admin/billing/sweep"]) {
        const res = await browser.form(path, { _csrf });
        assert.equal(res.status, 303, path);
        assert.equal(res.headers.get("location"), "/admin/billing");
        await res.body?.cancel();
      }
      const sweeps = await jsonOf(await app.admin("GET", "/api/admin/billing"));
      assert.equal(sweeps.body.sweeps[0]?.trigger, "admin", "the page's sweep is recorded");
    },
  );

  await t.step(
    "rotating a known charger on the page changes its QR code, as the API does",
    async () => {
      const charger = await createCharger(app, "CB-ROTATE");
      const res = await browser.form("/admin/chargers/rotate", { chargeBoxId: "CB-ROTATE", _csrf });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/admin/chargers");
      await res.body?.cancel();
      const after = await jsonOf(await app.admin("GET", "/api/admin/chargers/CB-ROTATE"));
      assert.notEqual(new URL(after.body.qrUrl).searchParams.get("k"), charger.token);
    },
  );

  await t.step("a card linked on the page shows on the API's customer, and unlinks", async () => {
    await app.admin("PUT", "/api/admin/customers/c-link", { name: "Lin" });
    const linked = await browser.form("/admin/customers/tags", {
      idTag: " CARD-LINK ",
      customerId: "c-link",
      _csrf,
    });
    assert.equal(linked.status, 303);
    await linked.body?.cancel();
    const page = await (await browser.get("/admin/customers")).text();
    assert.match(page, /<span class="mono">CARD-LINK<\/span>/);
    const api = await jsonOf(
      await app.admin("PUT", "/api/admin/tags/CARD-LINK", { customerId: null }),
    );
    assert.deepEqual(api.body, { idTag: "CARD-LINK", customerId: null });
  });
});
