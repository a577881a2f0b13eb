/**
 * `/admin/email` (issue 14 §2): behind the admin login, in the nav, the queue
 * in numbers, why mail waits without a worker, each message readable with its
 * markup escaped (HTML shown as source, never rendered), Retry one and Retry
 * all through CSRF forms. And the same in Debian's Chromium.
 */
import assert from "node:assert/strict";
import { upsertAdmin } from "../lib/admin_accounts.ts";
import { queueEmail } from "../lib/email/outbox.ts";
import { sendEmailRound } from "../lib/email/sender.ts";
import { hasChromium, launchChromium, shot } from "./_support/browser.ts";
import { forEachDatabase, openTestDatabase, postgresAvailable } from "./_support/db.ts";
import { CookieClient, startTestApp, type TestApp, uniqueId } from "./_support/app.ts";
import { csrfOf, loggedInAdmin } from "./_support/admin_web.ts";
import { EMAIL_KEY, startFakeEmailWorker } from "./_support/email_worker.ts";

const HOSTILE = `<script>alert("x")</script>`;

async function queue(app: TestApp, fields: { subject?: string; text?: string; html?: string }) {
  const id = uniqueId("alert");
  await app.deps.db.transaction((tx) =>
    queueEmail(tx, {
      id,
      purpose: "alert",
      to: "ops@example.test",
      subject: fields.subject ?? `Subject ${id}`,
      text: fields.text ?? `Text ${id}`,
      ...(fields.html ? { html: fields.html } : {}),
    }, app.deps.clock.now())
  );
  return id;
}

forEachDatabase(
  "email page - without a worker: the reason, the waiting mail, readable",
  async (_t, db) => {
    await using app = await startTestApp({ db });
    const id = await queue(app, {
      subject: `Hi ${HOSTILE}`,
      text: `Body ${HOSTILE}`,
      html: HOSTILE,
    });

    const anonymous = await new CookieClient(app.url).get("/admin/email");
    assert.equal(anonymous.status, 303, "behind the admin login");
    await anonymous.body?.cancel();

    const browser = await loggedInAdmin(app);
    const res = await browser.get("/admin/email");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    const html = await res.text();
    assert.match(html, /href="\/admin\/email" aria-current="page"/, "in the nav, current");
    assert.match(html, /EMAIL_WORKER_URL is not set: mail waits here, nothing is lost/);
    assert.match(html, /data-testid="queue-pending">1</);
    assert.ok(!html.includes(HOSTILE), "the subject is escaped");
    assert.ok(html.includes("Hi &lt;script>alert(&quot;x&quot;)&lt;/script>"));
    assert.ok(html.includes(`href="/admin/email/messages/${id}"`));

    const one = await browser.get(`/admin/email/messages/${id}`);
    assert.equal(one.status, 200);
    const page = await one.text();
    assert.ok(!page.includes(HOSTILE), "text and HTML part escaped");
    assert.match(page, /data-testid="email-text">Body &lt;script>/);
    assert.match(page, /data-testid="email-html">&lt;script>/);
    assert.ok(!/<iframe/.test(page), "the HTML part is never rendered");

    const missing = await browser.get("/admin/email/messages/no-such-message");
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  },
);

forEachDatabase("email page - Retry one and Retry all through CSRF forms", async (_t, db) => {
  await using fake = startFakeEmailWorker();
  await using app = await startTestApp({
    db,
    env: { EMAIL_WORKER_URL: fake.origin, EMAIL_WORKER_HMAC_KEY: EMAIL_KEY },
  });
  const a = await queue(app, {});
  const b = await queue(app, {});
  fake.answers.push({ status: 422, body: { error: "rejected", providerStatus: 422 } }, {
    status: 422,
    body: { error: "rejected", providerStatus: 422 },
  });
  await sendEmailRound(app.deps.email.sender);
  const browser = await loggedInAdmin(app);
  const html = await (await browser.get("/admin/email")).text();
  assert.match(html, new RegExp(`aria-label="Retry ${a}"`));
  assert.match(html, /Retry all failed/);
  const _csrf = await csrfOf(browser, "/admin/email");

  const forged = await browser.form("/admin/email/retry", { id: a });
  assert.equal(forged.status, 403, "no CSRF token, no retry");
  await forged.body?.cancel();

  const one = await browser.form("/admin/email/retry", { _csrf, id: a });
  assert.equal(one.status, 303);
  assert.equal(one.headers.get("location"), "/admin/email?retried=1");
  await one.body?.cancel();
  const all = await browser.form("/admin/email/retry", { _csrf });
  assert.equal(all.headers.get("location"), "/admin/email?retried=1", "only b was still failed");
  await all.body?.cancel();
  assert.match(
    await (await browser.get("/admin/email?retried=1")).text(),
    /1 message queued again/,
  );
  assert.equal((await sendEmailRound(app.deps.email.sender)).sent, 2);
  assert.deepEqual(fake.mailed.sort(), [a, b].sort());
});

Deno.test({
  name: "browser - an admin reads a waiting message, sees a refused one fail, retries it",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await openTestDatabase(postgresAvailable ? "postgres" : "pglite");
    await using fake = startFakeEmailWorker();
    await using app = await startTestApp({
      db,
      env: { EMAIL_WORKER_URL: fake.origin, EMAIL_WORKER_HMAC_KEY: EMAIL_KEY },
    });
    await upsertAdmin(app.deps, { email: "ops@example.com", password: "correct-horse-battery" });
    const id = await queue(app, { subject: "Hook refused 12 calls", text: `Line one\n${HOSTILE}` });
    let alerted = false;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
      page.on("dialog", (d) => {
        alerted = true;
        d.dismiss();
      });
      await page.goto(`${app.url}/admin/email`);
      await page.getByLabel("Email").fill("ops@example.com");
      await page.getByLabel("Password").fill("correct-horse-battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByRole("heading", { name: "Email", level: 1 }).waitFor();
      assert.equal(await page.getByTestId("queue-pending").textContent(), "1");

      await page.getByRole("link", { name: "Hook refused 12 calls" }).click();
      await page.getByTestId("email-subject").waitFor();
      assert.equal(await page.getByTestId("email-text").textContent(), `Line one\n${HOSTILE}`);
      assert.equal(alerted, false, "the message's markup never runs");
      await shot(page, "email-message");

      fake.answers.push({ status: 422, body: { error: "rejected", providerStatus: 550 } });
      await sendEmailRound(app.deps.email.sender);
      await page.goto(`${app.url}/admin/email`);
      const row = page.getByTestId(`email-${id}`);
      assert.equal(await row.getAttribute("data-status"), "failed");
      await row.getByText("provider status 550").waitFor();
      await shot(page, "email-failed");
      await row.getByRole("button", { name: `Retry ${id}` }).click();
      await page.getByText("1 message queued again.").waitFor();
      await sendEmailRound(app.deps.email.sender);
      await page.reload();
      assert.equal(await page.getByTestId(`email-${id}`).getAttribute("data-status"), "sent");
      assert.equal(await page.getByTestId("queue-sent").textContent(), "1");
      await shot(page, "email-sent");

      // On a phone the page keeps to the screen: the table scrolls inside its panel.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390);
      const panel = page.locator("section.panel:has(> table)");
      assert.ok(await panel.evaluate((e) => e.scrollWidth > e.clientWidth), "the table scrolls");
      await shot(page, "email-phone");
    } finally {
      await browser.close();
    }
    assert.deepEqual(fake.mailed, [id]);
  },
});
