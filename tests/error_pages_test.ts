/**
 * A refusal answers in the requester's language: pages and forms get a page a
 * person can act on, the API and hooks get `{"error": code}`; both carry the
 * same status from the one error table.
 */
import assert from "node:assert/strict";
import { forEachDatabase } from "./_support/db.ts";
import { CookieClient, jsonOf, startTestApp } from "./_support/app.ts";

forEachDatabase("error answers", async (t, db) => {
  await using app = await startTestApp({ db });

  await t.step("an unknown page is a 404 page; an unknown API path is 404 JSON", async () => {
    const page = await fetch(`${app.url}/no-such-page`);
    assert.equal(page.status, 404);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await page.text(), /Page not found/);
    const api = await jsonOf(await fetch(`${app.url}/api/no-such-thing`));
    assert.equal(api.status, 404);
    assert.equal(api.type, "application/json");
    assert.deepEqual(api.body, { error: "not_found" });
  });

  await t.step("a form without its CSRF token is a 403 page that says what to do", async () => {
    const res = await new CookieClient(app.url).form("/admin/login", {
      email: "a@example.com",
      password: "whatever-long-enough",
    });
    assert.equal(res.status, 403);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await res.text(), /form has expired/);
  });

  await t.step("a wrong method on the API is 405 JSON with Allow", async () => {
    const res = await jsonOf(await fetch(`${app.url}/api/auth/scan-pair`, { method: "DELETE" }));
    assert.equal(res.status, 405);
    assert.deepEqual(res.body, { error: "method_not_allowed" });
  });
});
