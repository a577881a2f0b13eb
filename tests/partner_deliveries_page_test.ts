/**
 * The partner page's deliveries out (issue 13 §3, §5): the list failed first,
 * the health figures, Retry and Test connection through the API's lib
 * functions, and deliveries failing for more than 24 h on the page, in the
 * partners list and as a badge on the nav's Partners link. A fake partner on
 * loopback, the worker driven round by round on a manual clock.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../lib/clock.ts";
import { forEachDatabase } from "./_support/db.ts";
import { jsonOf, pncPost, startTestApp, type TestApp, uniqueId } from "./_support/app.ts";
import { csrfOf, loggedInAdmin } from "./_support/admin_web.ts";
import { deliveriesOf, round, startFakePartner, subscribedPartner } from "./_support/partner.ts";

const T0 = Date.parse("2026-11-29T10:00:00Z");
const ENV = {
  PARTNER_WEBHOOKS_ALLOW_LOCAL: "true",
  PARTNER_WEBHOOK_RETRY_SCHEDULE: "10,20,30",
  PARTNER_WEBHOOK_TIMEOUT_SECONDS: "1",
};
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

async function pncActionNeeded(app: TestApp): Promise<void> {
  const res = await pncPost(app, {
    eventId: uniqueId("evt"),
    eventType: "root.cert.added",
    payload: {},
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
}

/** The rows of the deliveries table as `id:status`, in page order. */
const pageRows = (html: string) =>
  [...html.matchAll(/data-testid="delivery-(\d+)"[\s\S]*?<span class="badge[^"]*">(\w+)</g)]
    .map((m) => `${m[1]}:${m[2]}`);

forEachDatabase("partner page - deliveries out, health, retry, ping", async (t, db) => {
  const clock = new ManualClock(T0);
  await using app = await startTestApp({ db, clock, env: ENV });
  app.deps.partnerDeliveries.worker.random = () => 0.5;
  await using fake = startFakePartner();
  const partner = await subscribedPartner(app, {
    url: `${fake.origin}/hooks`,
    events: ["pnc.action_needed"],
    name: "Depot",
  });
  const page = `/admin/partners/${partner.id}`;
  let browser = await loggedInAdmin(app);
  let _csrf = await csrfOf(browser, page);

  await t.step("without deliveries: an empty list, no success yet, no share", async () => {
    const html = await (await browser.get(page)).text();
    assert.match(html, /Nothing sent to this partner yet/);
    assert.match(html, /data-testid="last-success">Never</);
    assert.match(html, /data-testid="failed-share">—</);
  });

  await t.step("failed first, then pending, then delivered; health from the clock", async () => {
    // One delivered at once; one refused (400: failed at once); one 500 (pending, retried).
    fake.answers.push(200);
    await pncActionNeeded(app);
    assert.equal((await round(app)).delivered, 1);
    clock.advance(1000);
    fake.answers.push(400);
    await pncActionNeeded(app);
    await round(app);
    clock.advance(1000);
    fake.answers.push(500);
    await pncActionNeeded(app);
    await round(app);
    const api = await deliveriesOf(app, partner.id);
    const byStatus = Object.fromEntries(api.map((d) => [d.status, d.id]));
    const html = await (await browser.get(page)).text();
    assert.deepEqual(pageRows(html), [
      `${byStatus.failed}:failed`,
      `${byStatus.pending}:pending`,
      `${byStatus.delivered}:delivered`,
    ]);
    // 3 attempts on deliveries created in the last 24 h, 2 of them did not deliver.
    assert.match(html, /data-testid="failed-share">67 %</);
    assert.match(html, /2 of 3 attempts/);
    assert.doesNotMatch(html, /data-testid="last-success">Never</);
    assert.doesNotMatch(html, ISO, "times are formatted, not ISO");
    assert.doesNotMatch(html, /data-testid="failing-banner"/);
    assert.doesNotMatch(html, /partners? ha(s|ve) deliveries failing/);
    assert.ok(!html.includes(partner.secret), "the secret is never rendered");
  });

  await t.step("Test connection shows ok, status and time; a failure shows why", async () => {
    fake.answers.push(200);
    let res = await browser.form(`${page}/ping`, { _csrf });
    assert.equal(res.status, 200);
    let html = await res.text();
    assert.match(
      html,
      /data-testid="ping-result"><strong>Test connection: OK<\/strong> · HTTP 200 · \d+ ms/,
    );
    assert.equal(fake.received.at(-1)?.headers.get("x-expressync-event"), "ping");
    fake.answers.push(503);
    res = await browser.form(`${page}/ping`, { _csrf });
    html = await res.text();
    assert.match(html, /Test connection failed<\/strong> · HTTP 503 · \d+ ms<\/p>/);
  });

  await t.step(
    "Retry one failed delivery: the API's retry; it goes again and delivers",
    async () => {
      const [failed] = await deliveriesOf(app, partner.id, "failed");
      const res = await browser.form(`${page}/deliveries/retry`, { _csrf, id: String(failed.id) });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), `${page}?retried=1#deliveries`);
      await res.body?.cancel();
      assert.match(
        await (await browser.get(`${page}?retried=1`)).text(),
        /1 delivery queued again/,
      );
      fake.answers.push(200);
      await round(app);
      const after = (await deliveriesOf(app, partner.id)).find((d) => d.id === failed.id);
      assert.equal(after.status, "delivered");
    },
  );

  await t.step("undelivered after 24 h: a banner, a nav badge, a mark in the list", async () => {
    // The pending one keeps failing until its schedule ends: failed, 25 h after it was created.
    fake.answers.push(500, 500, 500);
    for (const step of [10, 20, 30]) {
      clock.advance(step * 1000);
      await round(app);
    }
    clock.advance(25 * 3600_000);
    browser = await loggedInAdmin(app); // the earlier login's session has expired by now
    _csrf = await csrfOf(browser, page);
    const html = await (await browser.get(page)).text();
    assert.match(html, /data-testid="failing-banner">1 delivery has not been delivered for more/);
    assert.match(html, /aria-label="1 partner has deliveries failing for more than 24 h">1</);
    assert.match(html, /data-testid="failed-share">—</, "nothing created in the last 24 h");
    const list = await (await browser.get("/admin/partners")).text();
    assert.match(list, /deliveries failing (&gt;|>) 24 h/);
    assert.match(list, /aria-label="1 partner has deliveries failing/);

    const res = await browser.form(`${page}/deliveries/retry`, { _csrf });
    assert.equal(res.headers.get("location"), `${page}?retried=1#deliveries`);
    await res.body?.cancel();
    fake.answers.push(200);
    await round(app);
    const clear = await (await browser.get(page)).text();
    assert.doesNotMatch(clear, /data-testid="failing-banner"/);
    assert.doesNotMatch(clear, /partners? ha(s|ve) deliveries failing/);
  });

  await t.step("a partner without a URL cannot test its connection: 400 on both", async () => {
    await pncActionNeeded(app); // queued while it had a URL: it waits, and the page says why
    const api = await jsonOf(
      await app.admin("PUT", `/api/admin/partners/${partner.id}`, { url: null }),
    );
    assert.equal(api.status, 200);
    const html = await (await browser.get(page)).text();
    assert.match(html, /data-testid="no-url-notice">No webhook URL: pending deliveries wait/);
    assert.match(html, /waiting: the partner has no URL; sent once one is saved/);
    assert.match(
      html,
      /<button type="submit" class="button secondary small" disabled>Test connection/,
    );
    const res = await browser.form(`${page}/ping`, { _csrf });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /role="alert">Webhook URL: is not set: save the partner's/);
  });
});
