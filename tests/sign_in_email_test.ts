/**
 * Sign-in by emailed link (issue 14 §3) over real HTTP, on PGlite and
 * PostgreSQL: `/login` answers the same for every address and mails only a
 * customer's; the link is single use, works 15 minutes, and opening it uses
 * nothing up; CSRF on both forms; 3 requests per address (account or not) and
 * 10 per client per 15 minutes, beyond that 429 and nothing written; bad
 * input changes nothing; logs name addresses and tokens by hash only.
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { ManualClock } from "../lib/clock.ts";
import { hashForLog, setupLogging, teardownLogging } from "../lib/logging.ts";
import { pruneOnce } from "../lib/maintenance.ts";
import { tokenHash } from "../lib/tokens.ts";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import { CookieClient, startTestApp, type TestApp, uniqueId } from "./_support/app.ts";
import { csrfOf } from "./_support/admin_web.ts";

const START = Date.parse("2026-11-29T10:00:00Z");
const MINUTE = 60_000;
const ON_ITS_WAY = "If this address has an account, a link is on its way.";
const LINK = /http:\/\/charge\.example\.test\/login\/email\?token=([A-Za-z0-9_-]{43})/;

/** A customer with `email`, through the admin API. */
async function customer(app: TestApp, email: string, name = "Ada Lovelace") {
  const id = uniqueId("cust");
  const res = await app.admin("PUT", `/api/admin/customers/${id}`, { name, email });
  assert.equal(res.status, 200, "customer saved");
  await res.body?.cancel();
  return id;
}

/** A browser that has loaded /login (so it holds the CSRF cookie), and that form's token. */
async function loginBrowser(app: TestApp, headers: Record<string, string> = {}) {
  const browser = new CookieClient(app.url, headers);
  const csrf = await csrfOf(browser, "/login");
  return { browser, csrf };
}

/** Asks for a link to `email` from a fresh browser (client address `client` via X-Forwarded-For). */
async function requestLink(app: TestApp, email: string, client?: string) {
  const { browser, csrf } = await loginBrowser(
    app,
    client ? { "x-forwarded-for": client } : {},
  );
  return await browser.form("/login", { _csrf: csrf, email });
}

interface MailRow {
  id: string;
  purpose: string;
  to_address: string;
  subject: string;
  text: string;
  html: string;
}
const signInMails = (db: Database) =>
  db.rows<MailRow>(
    sql`select id, purpose, to_address, subject, text, html from email_messages
        where purpose = 'sign_in' order by created_at, id`,
  );
const linkRows = (db: Database) =>
  db.rows<{ id: number; customer_id: string | null }>(
    sql`select id, customer_id from sign_in_links order by id`,
  );

/** The token of the newest sign-in mail. */
async function mailedToken(db: Database): Promise<string> {
  const mails = await signInMails(db);
  const token = LINK.exec(mails.at(-1)?.text ?? "")?.[1];
  assert.ok(token, "a sign-in mail with a link");
  return token;
}

/** Presses "Sign in" for `token` in `browser` (a fresh one by default). */
async function pressSignIn(app: TestApp, token: string, browser = new CookieClient(app.url)) {
  const csrf = await csrfOf(browser, `/login/email?token=${token}`);
  return { browser, res: await browser.form("/login/email", { _csrf: csrf, token }) };
}

const records: LogRecord[] = [];

forEachDatabase(
  "sign-in by email - one answer for every address; only a customer's is mailed",
  async (_t, db) => {
    await setupLogging("debug", (record) => void records.push(record));
    try {
      await using app = await startTestApp({ db });
      const stored = "Ada.Lovelace@Example.test";
      const customerId = await customer(app, stored);
      const known = await requestLink(app, "  ada.lovelace@EXAMPLE.test ");
      const unknown = await requestLink(app, "nobody@example.test");
      for (const res of [known, unknown]) {
        assert.equal(res.status, 303);
        assert.equal(res.headers.get("location"), "/login?sent=1");
        assert.deepEqual(res.headers.getSetCookie(), [], "no cookie tells them apart");
        assert.equal(await res.text(), "");
      }
      const page = await new CookieClient(app.url).get("/login?sent=1");
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      assert.ok((await page.text()).includes(ON_ITS_WAY));

      const links = await linkRows(db);
      assert.equal(links.length, 2, "both requests recorded alike");
      assert.deepEqual(links.map((l) => l.customer_id), [customerId, null]);
      const mails = await signInMails(db);
      assert.equal(mails.length, 1, "only the customer's address is mailed");
      const [mail] = mails;
      assert.equal(mail.id, `sign-in-${links[0].id}`, "an id without personal data");
      assert.equal(mail.to_address, stored, "to the address on the account");
      assert.equal(mail.subject, "Your ExpresSync sign-in link");
      assert.match(mail.text, LINK);
      assert.match(mail.text, /15 minutes/);
      assert.match(mail.text, /If you did not ask for it, ignore this mail/);
      const token = LINK.exec(mail.text)![1];
      assert.ok(mail.html.includes(`href="http://charge.example.test/login/email?token=${token}"`));

      const table = JSON.stringify(await db.rows(sql`select * from sign_in_links`));
      assert.ok(table.includes(tokenHash(token)), "the token is stored hashed");
      for (const secret of [token, "ada.lovelace", "nobody@"]) {
        assert.ok(!table.toLowerCase().includes(secret.toLowerCase()), `not stored: ${secret}`);
      }
      const requested = records.filter((r) => r.message.join("") === "sign-in link requested");
      assert.deepEqual(requested.map((r) => r.properties.address), [
        hashForLog("ada.lovelace@example.test"),
        hashForLog("nobody@example.test"),
      ]);
      const logged = JSON.stringify(records.map((r) => [r.message, r.properties])).toLowerCase();
      for (const secret of [token.toLowerCase(), "ada.lovelace@", "nobody@"]) {
        assert.ok(!logged.includes(secret), `never logged: ${secret}`);
      }
    } finally {
      await teardownLogging();
      records.length = 0;
    }
  },
);

forEachDatabase(
  "sign-in by email - opening the link uses nothing; Sign in logs in once and lands on /me",
  async (_t, db) => {
    await using app = await startTestApp({ db });
    await customer(app, "grace@example.test", "Grace Hopper");
    await (await requestLink(app, "grace@example.test")).body?.cancel();
    const token = await mailedToken(db);

    const before = await databaseFingerprint(db);
    for (let i = 0; i < 2; i++) {
      const opened = await new CookieClient(app.url).get(`/login/email?token=${token}`);
      assert.equal(opened.status, 200);
      assert.match(opened.headers.get("content-type") ?? "", /text\/html/);
      assert.equal(opened.headers.get("referrer-policy"), "same-origin", "no token in a Referer");
      const html = await opened.text();
      assert.match(html, /<form method="post" action="\/login\/email">/);
      assert.ok(html.includes(`name="token" value="${token}"`));
      assert.match(html, /<button type="submit" class="button wide">Sign in<\/button>/);
    }
    assert.deepEqual(await databaseFingerprint(db), before, "GET (a mail scanner) changes nothing");

    const browser = new CookieClient(app.url);
    await csrfOf(browser, `/login/email?token=${token}`);
    const forged = await browser.form("/login/email", { token });
    assert.equal(forged.status, 403, "no CSRF token, no login");
    await forged.body?.cancel();
    const crossSite = await browser.form("/login/email", {
      _csrf: browser.cookies.get("es_csrf")!,
      token,
    }, { origin: "https://evil.example" });
    assert.equal(crossSite.status, 403, "another site's form, no login");
    await crossSite.body?.cancel();
    assert.deepEqual(await databaseFingerprint(db), before);

    const { res } = await pressSignIn(app, token, browser);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/me");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("es_session="));
    assert.ok(cookie, "the customer session cookie, as scan-to-login sets it");
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    assert.ok(maxAge > 2592000 - 60 && maxAge <= 2592000, "30 days, as scan-to-login's");
    const me = await browser.get("/me");
    assert.equal(me.status, 200);
    assert.match(await me.text(), /Hello, Grace Hopper/);

    const afterLogin = await databaseFingerprint(db);
    // A second browser that kept the button page open presses it too.
    const other = await loginBrowser(app);
    const again = await other.browser.form("/login/email", { _csrf: other.csrf, token });
    assert.equal(again.status, 410, "single use");
    assert.match(again.headers.get("content-type") ?? "", /text\/html/);
    const html = await again.text();
    assert.match(html, /This sign-in link no longer works/);
    assert.match(html, /href="\/login"/);
    assert.equal(other.browser.cookies.has("es_session"), false);
    const reopened = await new CookieClient(app.url).get(`/login/email?token=${token}`);
    assert.equal(reopened.status, 410);
    await reopened.body?.cancel();
    assert.deepEqual(await databaseFingerprint(db), afterLogin, "a used link changes nothing");
  },
);

forEachDatabase(
  "sign-in by email - concurrent presses of one link: exactly one logs in",
  async (_t, db) => {
    await using app = await startTestApp({ db });
    await customer(app, "lin@example.test");
    await (await requestLink(app, "lin@example.test")).body?.cancel();
    const token = await mailedToken(db);
    // Five tabs show the button, then all press it at once.
    const tabs = await Promise.all(Array.from({ length: 5 }, async () => {
      const browser = new CookieClient(app.url);
      return { browser, csrf: await csrfOf(browser, `/login/email?token=${token}`) };
    }));
    const presses = await Promise.all(
      tabs.map(({ browser, csrf }) => browser.form("/login/email", { _csrf: csrf, token })),
    );
    const statuses = presses.map((res) => res.status).sort();
    await Promise.all(presses.map((res) => res.body?.cancel()));
    assert.deepEqual(statuses, [303, 410, 410, 410, 410]);
    const [row] = await db.rows<{ n: number }>(
      sql`select count(*)::int as n from customer_sessions`,
    );
    assert.equal(row.n, 1);
  },
);

forEachDatabase(
  "sign-in by email - a link works 15 minutes; then 410 and nothing changes; maintenance prunes it",
  async (_t, db) => {
    const clock = new ManualClock(START);
    await using app = await startTestApp({ db, clock });
    await customer(app, "kat@example.test");
    await (await requestLink(app, "kat@example.test")).body?.cancel();
    const token = await mailedToken(db);

    clock.advance(15 * MINUTE - 1000);
    const late = await new CookieClient(app.url).get(`/login/email?token=${token}`);
    assert.equal(late.status, 200, "still good one second before 15 minutes");
    await late.body?.cancel();

    // Load the button page while it works, press it once it has expired.
    const browser = new CookieClient(app.url);
    const csrf = await csrfOf(browser, `/login/email?token=${token}`);
    clock.advance(1000);
    const before = await databaseFingerprint(db);
    const expired = await browser.form("/login/email", { _csrf: csrf, token });
    assert.equal(expired.status, 410);
    assert.match(await expired.text(), /This sign-in link no longer works/);
    const opened = await new CookieClient(app.url).get(`/login/email?token=${token}`);
    assert.equal(opened.status, 410);
    await opened.body?.cancel();
    assert.deepEqual(await databaseFingerprint(db), before);

    await pruneOnce(app.deps);
    assert.equal((await linkRows(db)).length, 1, "kept while it counts toward the limits");
    clock.advance(1000);
    await pruneOnce(app.deps);
    assert.deepEqual(await linkRows(db), [], "pruned past its window and life");
  },
);

forEachDatabase(
  "sign-in by email - a link sent to an address its customer no longer has does not log in",
  async (_t, db) => {
    await using app = await startTestApp({ db });
    const id = await customer(app, "old@example.test", "Mary");
    await (await requestLink(app, "old@example.test")).body?.cancel();
    const token = await mailedToken(db);
    const res = await app.admin("PUT", `/api/admin/customers/${id}`, {
      name: "Mary",
      email: "new@example.test",
    });
    await res.body?.cancel();
    const before = await databaseFingerprint(db);
    const { res: press } = await pressSignIn(app, token);
    assert.equal(press.status, 410);
    await press.body?.cancel();
    assert.deepEqual(await databaseFingerprint(db), before);
  },
);

forEachDatabase(
  "sign-in by email - unknown or malformed links: 410 or 400, a way back, nothing written",
  async (_t, db) => {
    await using app = await startTestApp({ db });
    const before = await databaseFingerprint(db);
    const unknown = "A".repeat(43);
    const cases: Array<[string, number]> = [
      ["/login/email", 400],
      ["/login/email?token=", 400],
      ["/login/email?token=short", 400],
      [`/login/email?token=${"A".repeat(44)}`, 400],
      [`/login/email?token=${"%25".repeat(43)}`, 400],
      [`/login/email?token=${unknown}`, 410],
    ];
    for (const [path, status] of cases) {
      const res = await new CookieClient(app.url).get(path);
      assert.equal(res.status, status, path);
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
      const html = await res.text();
      assert.match(html, /This sign-in link no longer works/);
      assert.match(html, /href="\/login"/);
    }
    const browser = new CookieClient(app.url);
    const _csrf = await csrfOf(browser, "/login");
    const posts: Array<[Record<string, string>, number]> = [
      [{}, 400],
      [{ token: "x" }, 400],
      [{ token: unknown }, 410],
    ];
    for (const [fields, status] of posts) {
      const res = await browser.form("/login/email", { _csrf, ...fields });
      assert.equal(res.status, status, JSON.stringify(fields));
      await res.body?.cancel();
    }
    assert.deepEqual(await databaseFingerprint(db), before);
  },
);

forEachDatabase(
  "sign-in by email - asking needs the CSRF token; bad addresses get the form again, nothing written",
  async (_t, db) => {
    await using app = await startTestApp({ db });
    await customer(app, "ada@example.test");
    const before = await databaseFingerprint(db);
    const { browser, csrf } = await loginBrowser(app);

    const forged = await browser.form("/login", { email: "ada@example.test" });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    const wrong = await browser.form("/login", {
      _csrf: "x".repeat(32),
      email: "ada@example.test",
    });
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();
    const crossSite = await browser.form("/login", { _csrf: csrf, email: "ada@example.test" }, {
      origin: "https://evil.example",
    });
    assert.equal(crossSite.status, 403);
    await crossSite.body?.cancel();

    const bad: Array<[Record<string, string>, RegExp]> = [
      [{}, /Enter your email address\./],
      [{ email: "" }, /Enter your email address\./],
      [{ email: "   " }, /Enter your email address\./],
      [{ email: "not-an-email" }, /Enter a valid email address\./],
      [{ email: "a@b" }, /Enter a valid email address\./],
      [{ email: `${"a".repeat(310)}@example.test` }, /too long for an email address/],
    ];
    for (const [fields, message] of bad) {
      const res = await browser.form("/login", { _csrf: csrf, ...fields });
      assert.equal(res.status, 400, JSON.stringify(fields).slice(0, 60));
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
      const html = await res.text();
      assert.match(html, message);
      assert.match(html, /<form method="post" action="\/login">/, "the form again");
    }
    const huge = await browser.form("/login", { _csrf: csrf, email: "a".repeat(200_000) });
    assert.equal(huge.status, 413, "a body past the form limit is not read");
    await huge.body?.cancel();
    assert.deepEqual(await databaseFingerprint(db), before);
  },
);

forEachDatabase(
  "sign-in by email - 3 requests per address per 15 minutes, account or not, then 429",
  async (_t, db) => {
    const clock = new ManualClock(START);
    await using app = await startTestApp({ db, clock, env: { TRUST_PROXY: "true" } });
    await customer(app, "ada@example.test");
    let client = 0;
    // A new client address each time: only the per-address limit can refuse.
    const ask = (email: string) => requestLink(app, email, `198.51.100.${++client}`);
    const refusals: string[] = [];
    for (const email of ["ada@example.test", "nobody@example.test"]) {
      for (let i = 0; i < 3; i++) {
        const res = await ask(i === 1 ? email.toUpperCase() : email);
        assert.equal(res.status, 303, `${email} #${i + 1}`);
        await res.body?.cancel();
      }
      const before = await databaseFingerprint(db);
      const refused = await ask(` ${email}`);
      assert.equal(refused.status, 429);
      assert.match(refused.headers.get("content-type") ?? "", /text\/html/);
      assert.equal(refused.headers.get("retry-after"), "900");
      const html = await refused.text();
      assert.match(html, /Too many sign-in requests\. Wait 15 min, then try again\./);
      refusals.push(html.replace(/value="[^"]*"/g, ""));
      assert.deepEqual(await databaseFingerprint(db), before, "nothing written beyond the limit");
    }
    assert.equal(refusals[0], refusals[1], "the limit answers alike, account or not");
    assert.equal((await signInMails(db)).length, 3);

    clock.advance(5 * MINUTE);
    const later = await ask("ada@example.test");
    assert.equal(later.status, 429);
    assert.equal(later.headers.get("retry-after"), "600");
    await later.body?.cancel();
    clock.advance(10 * MINUTE);
    const reopened = await ask("ada@example.test");
    assert.equal(reopened.status, 303, "the window has moved on");
    await reopened.body?.cancel();
    assert.equal((await signInMails(db)).length, 4);
  },
);

forEachDatabase(
  "sign-in by email - 10 requests per client address per 15 minutes, then 429",
  async (_t, db) => {
    await using app = await startTestApp({ db, env: { TRUST_PROXY: "true" } });
    await customer(app, "ada@example.test");
    for (let i = 0; i < 10; i++) {
      const res = await requestLink(app, `person${i}@example.test`, "203.0.113.7");
      assert.equal(res.status, 303, `request ${i + 1}`);
      await res.body?.cancel();
    }
    const before = await databaseFingerprint(db);
    const refused = await requestLink(app, "ada@example.test", "203.0.113.7");
    assert.equal(refused.status, 429);
    assert.match(
      await refused.text(),
      /Too many sign-in requests\. Wait \d+ min, then try again\./,
    );
    assert.deepEqual(await databaseFingerprint(db), before, "no link, no mail");
    const elsewhere = await requestLink(app, "ada@example.test", "203.0.113.8");
    assert.equal(elsewhere.status, 303, "another client is not held back");
    await elsewhere.body?.cancel();
    assert.equal((await signInMails(db)).length, 1);
  },
);

forEachDatabase(
  "sign-in by email - racing requests for one address cannot pass the limit",
  async (_t, db) => {
    await using app = await startTestApp({ db, env: { TRUST_PROXY: "true" } });
    await customer(app, "ada@example.test");
    const browsers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => loginBrowser(app, { "x-forwarded-for": `192.0.2.${i}` })),
    );
    const answers = await Promise.all(
      browsers.map(({ browser, csrf }) =>
        browser.form("/login", { _csrf: csrf, email: "ada@example.test" })
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    await Promise.all(answers.map((r) => r.body?.cancel()));
    assert.deepEqual(statuses, [303, 303, 303, 429, 429, 429, 429, 429]);
    assert.equal((await linkRows(db)).length, 3);
    assert.equal((await signInMails(db)).length, 3);
  },
);

forEachDatabase(
  "sign-in by email - customers find /login from the landing page and /me",
  async (_t, db) => {
    await using app = await startTestApp({ db });
    for (const path of ["/", "/me"]) {
      const res = await new CookieClient(app.url).get(path);
      assert.match(await res.text(), /<a href="\/login">/, path);
    }
  },
);
