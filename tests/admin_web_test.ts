/**
 * Admin and customer web sessions over real HTTP: login and its per-email
 * limit, cookies, CSRF on every form, logout ending the session on the
 * server, and the one-time setup link.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { prepareFirstAdmin, upsertAdmin } from "../lib/admin_accounts.ts";
import { ManualClock } from "../lib/clock.ts";
import { forEachDatabase } from "./_support/db.ts";
import {
  CookieClient,
  cookieHeader,
  loginCustomerByScan,
  startTestApp,
  type TestApp,
  uniqueId,
} from "./_support/app.ts";
import { databaseFingerprint } from "./_support/db.ts";
import { routeCases } from "./_support/routes.ts";

const PASSWORD = "correct-horse-battery";

/** Pages that open without a login (lib/admin_auth.ts). */
const PUBLIC_ADMIN_PAGES = ["/admin/login", "/admin/setup"];
// Every /admin route from routes/_manifest.ts: a new page or form is covered by the checks below.
const ADMIN_ROUTES = routeCases("/admin").filter((r) => !PUBLIC_ADMIN_PAGES.includes(r.pattern));
/** Form fields a logged-in admin would send, so only the check under test can refuse them. */
const FORM_FIELDS: Record<string, Record<string, string>> = {
  "/admin/flags/pre-authorize": { enabled: "false" },
  "/admin/chargers": { chargeBoxId: "CSRF-1", name: "x" },
  "/admin/chargers/rotate": { chargeBoxId: "CSRF-1" },
  "/admin/customers": { name: "Mallory" },
  "/admin/customers/tags": { idTag: "T", customerId: "" },
};

async function csrfOf(browser: CookieClient, path: string): Promise<string> {
  const res = await browser.get(path);
  const html = await res.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(token, `no CSRF field on ${path} (status ${res.status})`);
  return token;
}

async function newAdmin(app: TestApp) {
  const email = `${uniqueId("ops")}@example.com`;
  await upsertAdmin(app.deps, { email, password: PASSWORD });
  return email;
}

async function login(app: TestApp, email: string, password = PASSWORD) {
  const browser = new CookieClient(app.url);
  const _csrf = await csrfOf(browser, "/admin/login");
  const res = await browser.form("/admin/login", { _csrf, email, password });
  return { browser, res };
}

forEachDatabase("admin web login", async (t, db) => {
  await t.step(
    "admin pages redirect to the login form without a login",
    async () => {
      await using app = await startTestApp({ db });
      const pages = ADMIN_ROUTES.filter((r) => r.method === "GET").map((r) => r.path);
      assert.ok(pages.includes("/admin/billing"), "billing pages are in the list");
      for (const path of pages) {
        const res = await new CookieClient(app.url).get(path);
        assert.equal(res.status, 303, path);
        assert.equal(
          res.headers.get("location"),
          `/admin/login?next=${encodeURIComponent(path)}`,
        );
        await res.body?.cancel();
      }
    },
  );

  await t.step(
    "every admin form refuses a visitor without a login (valid CSRF token): to the login form, nothing written",
    async () => {
      await using app = await startTestApp({ db });
      const visitor = new CookieClient(app.url);
      const _csrf = await csrfOf(visitor, "/admin/login");
      const forms = ADMIN_ROUTES.filter((r) => r.method !== "GET");
      assert.ok(
        forms.some((r) => r.path === "/admin/billing/sweep"),
        "billing forms are in the list",
      );
      const before = await databaseFingerprint(db);
      for (const { method, path } of forms) {
        const res = await visitor.send(path, {
          method,
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ ...FORM_FIELDS[path], _csrf }).toString(),
          redirect: "manual",
        });
        assert.equal(res.status, 303, `${method} ${path}`);
        assert.equal(res.headers.get("location"), "/admin/login", `${method} ${path}`);
        await res.body?.cancel();
      }
      assert.deepEqual(await databaseFingerprint(db), before);
      assert.equal(app.deps.flags.isEnabled("pre-authorize"), true);
    },
  );

  await t.step(
    "a right password logs in with an HttpOnly SameSite=Lax cookie; the password is stored hashed",
    async () => {
      await using app = await startTestApp({ db });
      const email = await newAdmin(app);
      const { browser, res } = await login(app, email.toUpperCase());
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), "/admin");
      const cookie = browser.setCookies.find((c) => c.startsWith("es_admin="))!;
      assert.match(cookie, /HttpOnly/i);
      assert.match(cookie, /SameSite=Lax/i);
      assert.doesNotMatch(cookie, /Secure/i);
      const page = await browser.get("/admin");
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Live sessions/);
      const [row] = await db.rows<{ password_hash: string }>(
        sql`select password_hash from admin_users where email = ${email}`,
      );
      assert.match(row.password_hash, /^scrypt\$/);
      assert.ok(!row.password_hash.includes(PASSWORD));
    },
  );

  await t.step("cookies are Secure when PUBLIC_BASE_URL is https", async () => {
    await using app = await startTestApp({
      db,
      env: { PUBLIC_BASE_URL: "https://ev.example.test" },
    });
    const email = await newAdmin(app);
    const { browser } = await login(app, email);
    assert.match(
      browser.setCookies.find((c) => c.startsWith("es_admin="))!,
      /Secure/,
    );
  });

  await t.step(
    "five failures for one email in 15 minutes: 429 for the rest of the window, even when right",
    async () => {
      const clock = new ManualClock();
      await using app = await startTestApp({ db, clock });
      const email = await newAdmin(app);
      const other = await newAdmin(app);
      for (let i = 0; i < 5; i++) {
        const { res } = await login(app, email, "wrong-password-" + i);
        assert.equal(res.status, 401);
        assert.match(await res.text(), /Wrong email or password/);
        clock.advance(60_000);
      }
      const locked = (await login(app, email)).res;
      assert.equal(locked.status, 429);
      assert.ok(Number(locked.headers.get("retry-after")) > 0);
      assert.match(await locked.text(), /Too many failed attempts/);
      const elsewhere = (await login(app, other)).res;
      assert.equal(elsewhere.status, 303, "other emails are not locked");
      clock.advance(11 * 60_000); // the first failure is now 16 minutes old
      const again = (await login(app, email)).res;
      assert.equal(again.status, 303);
    },
  );

  await t.step(
    "every form refuses a missing, wrong or cross-site CSRF token: 403, nothing changes",
    async () => {
      await using app = await startTestApp({ db });
      const email = await newAdmin(app);
      const { browser } = await login(app, email);
      const _csrf = await csrfOf(browser, "/admin");
      const forms = ADMIN_ROUTES.filter((r) => r.method === "POST")
        .map((r) => [r.path, FORM_FIELDS[r.path] ?? {}] as const);
      assert.ok(
        forms.some(([path]) => path === "/admin/billing/retry"),
        "billing forms are in the list",
      );
      for (const [path, fields] of forms) {
        for (
          const [label, token, headers] of [
            ["missing", undefined, {}],
            ["wrong", "x".repeat(32), {}],
            ["cross-site", _csrf, { origin: "https://evil.example" }],
          ] as const
        ) {
          const res = await browser.form(
            path,
            token ? { ...fields, _csrf: token } : fields,
            headers,
          );
          assert.equal(res.status, 403, `${label} token on ${path}`);
          await res.body?.cancel();
        }
      }
      assert.equal(app.deps.flags.isEnabled("pre-authorize"), true);
      const chargers = await (await app.admin("GET", "/api/admin/chargers"))
        .json();
      assert.ok(
        !chargers.chargers.some((c: { chargeBoxId: string }) => c.chargeBoxId === "CSRF-1"),
      );
      assert.equal(
        (await browser.get("/admin")).status,
        200,
        "still logged in",
      );

      const login403 = await new CookieClient(app.url).form("/admin/login", {
        email,
        password: PASSWORD,
      });
      assert.equal(login403.status, 403, "the login form is protected too");
      await login403.body?.cancel();
    },
  );

  await t.step(
    "the dashboard switch flips the same flag as the admin API",
    async () => {
      await using app = await startTestApp({ db });
      const { browser } = await login(app, await newAdmin(app));
      const _csrf = await csrfOf(browser, "/admin");
      const res = await browser.form("/admin/flags/pre-authorize", {
        _csrf,
        enabled: "false",
      });
      assert.equal(res.status, 303);
      const flag = await (await app.admin("GET", "/api/admin/flags/pre-authorize")).json();
      assert.deepEqual(flag, { name: "pre-authorize", enabled: false });
      await browser.form("/admin/flags/pre-authorize", {
        _csrf,
        enabled: "true",
      });
      assert.equal(app.deps.flags.isEnabled("pre-authorize"), true);
    },
  );

  await t.step("logout ends the admin session on the server", async () => {
    await using app = await startTestApp({ db });
    const { browser } = await login(app, await newAdmin(app));
    const stolen = browser.cookies.get("es_admin")!;
    const _csrf = await csrfOf(browser, "/admin");
    const out = await browser.form("/admin/logout", { _csrf });
    assert.equal(out.status, 303);
    const replay = await fetch(app.url + "/admin", {
      headers: { cookie: `es_admin=${stolen}` },
      redirect: "manual",
    });
    assert.equal(replay.status, 303);
    await replay.body?.cancel();
    const api = await fetch(app.url + "/api/admin/sessions/live", {
      headers: { cookie: `es_admin=${stolen}` },
    });
    assert.equal(api.status, 401);
    await api.body?.cancel();
  });

  await t.step("customer logout ends the session on the server", async () => {
    await using app = await startTestApp({ db });
    const id = uniqueId("c");
    await app.admin("PUT", `/api/admin/customers/${id}`, { name: "Dee" });
    await app.admin("PUT", `/api/admin/tags/TAG-${id}`, { customerId: id });
    const browser = await loginCustomerByScan(app, `TAG-${id}`);
    const headers = cookieHeader(browser);
    const me = await browser.get("/me");
    assert.equal(me.status, 200);
    const html = await me.text();
    assert.match(html, /Hello, Dee/);
    const _csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
    const out = await browser.form("/me/logout", { _csrf });
    assert.equal(out.status, 303);
    const stream = await fetch(app.url + "/api/me/events", { headers });
    assert.equal(stream.status, 401);
    await stream.body?.cancel();
  });
});

forEachDatabase("first admin", async (t, db) => {
  await t.step(
    "with no admin, the start gives a one-time setup link that creates one and then dies",
    async () => {
      await using app = await startTestApp({ db });
      const { setupUrl } = await prepareFirstAdmin(
        { db, clock: app.deps.clock, publicBaseUrl: app.url },
        {},
      );
      assert.ok(setupUrl);
      const path = setupUrl.slice(app.url.length);
      const browser = new CookieClient(app.url);
      const _csrf = await csrfOf(browser, path);
      const weak = await browser.form(path, {
        _csrf,
        email: "first@example.com",
        password: "short",
      });
      assert.equal(weak.status, 400);
      await weak.body?.cancel();
      const res = await browser.form(path, {
        _csrf,
        email: "first@example.com",
        password: PASSWORD,
      });
      assert.equal(res.status, 303);
      assert.equal(
        (await browser.get("/admin")).status,
        200,
        "logged in right away",
      );
      const reuse = await new CookieClient(app.url).get(path);
      assert.equal(reuse.status, 404);
      await reuse.body?.cancel();
      const again = await prepareFirstAdmin({
        db,
        clock: app.deps.clock,
        publicBaseUrl: app.url,
      }, {});
      assert.deepEqual(again, {}, "no new link once an admin exists");
    },
  );

  await t.step(
    "ADMIN_EMAIL/ADMIN_PASSWORD create the first admin",
    async () => {
      await using app = await startTestApp({ db });
      const email = `${uniqueId("env")}@example.com`;
      const result = await prepareFirstAdmin(
        { db, clock: app.deps.clock, publicBaseUrl: app.url },
        { email, password: PASSWORD },
      );
      assert.deepEqual(result, { created: email });
      assert.equal((await login(app, email)).res.status, 303);
    },
  );
});
