/** An admin's browser for page tests: a logged-in cookie client and the CSRF token of a page. */
import assert from "node:assert/strict";
import { upsertAdmin } from "../../lib/admin_accounts.ts";
import { CookieClient, type TestApp, uniqueId } from "./app.ts";

const PASSWORD = "correct-horse-battery";

/** The `_csrf` value of the form on `path`. */
export async function csrfOf(browser: CookieClient, path: string): Promise<string> {
  const res = await browser.get(path);
  const html = await res.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(token, `no CSRF field on ${path} (status ${res.status})`);
  return token;
}

/** Creates an admin and logs a fresh browser in as that admin. */
export async function loggedInAdmin(app: TestApp): Promise<CookieClient> {
  const email = `${uniqueId("ops")}@example.com`;
  await upsertAdmin(app.deps, { email, password: PASSWORD });
  const browser = new CookieClient(app.url);
  const _csrf = await csrfOf(browser, "/admin/login");
  const res = await browser.form("/admin/login", { _csrf, email, password: PASSWORD });
  assert.equal(res.status, 303, "admin login");
  await res.body?.cancel();
  return browser;
}
