/**
 * Deliveries out on the partner page in Debian's Chromium (playwright-core):
 * subscribe a partner to a fake partner on loopback, Test connection (500,
 * then 200), a Plug&Charge event the partner refuses shows failed, then
 * failing for more than 24 h (banner, nav badge), Retry, delivered. The
 * worker is driven round by round. Screenshots under test-artifacts/.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { upsertAdmin } from "../lib/admin_accounts.ts";
import { hasChromium, launchChromium, shot } from "./_support/browser.ts";
import { openTestDatabase, postgresAvailable } from "./_support/db.ts";
import { pncPost, startTestApp } from "./_support/app.ts";
import { deliveriesOf, round, startFakePartner } from "./_support/partner.ts";

Deno.test({
  name: "browser - an admin tests a partner's connection, sees a failed delivery, retries it",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await openTestDatabase(postgresAvailable ? "postgres" : "pglite");
    await using app = await startTestApp({
      db,
      env: { PARTNER_WEBHOOKS_ALLOW_LOCAL: "true", PARTNER_WEBHOOK_RETRY_SCHEDULE: "1" },
    });
    await using fake = startFakePartner();
    await upsertAdmin(app.deps, { email: "ops@example.com", password: "correct-horse-battery" });
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      const page = await context.newPage();
      await page.goto(`${app.url}/admin/partners`);
      await page.getByLabel("Email").fill("ops@example.com");
      await page.getByLabel("Password").fill("correct-horse-battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByRole("heading", { name: "Partners", level: 1 }).waitFor();

      // Subscribe: a URL on the fake partner, one event.
      await page.getByLabel("Name").fill("Fleet manager");
      await page.getByLabel("Webhook URL").fill(`${fake.origin}/hooks/fleet`);
      await page.getByLabel("pnc.action_needed").check();
      await page.getByRole("button", { name: "Create partner" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "I have copied it" }).click();
      await page.getByRole("link", { name: "Fleet manager" }).click();
      await page.getByRole("heading", { name: "Deliveries out" }).waitFor();
      const partnerPage = page.url();
      const partnerId = new URL(partnerPage).pathname.split("/").at(-1)!;
      await page.getByText("Nothing sent to this partner yet.").waitFor();

      // Test connection: the partner first answers 500, then 200.
      fake.answers.push(500, 200);
      await page.getByRole("button", { name: "Test connection" }).click();
      await page.getByTestId("ping-result").getByText("Test connection failed").waitFor();
      assert.match((await page.getByTestId("ping-result").textContent()) ?? "", /HTTP 500/);
      await shot(page, "partner-deliveries-ping-failed");
      await page.getByRole("button", { name: "Test connection" }).click();
      await page.getByTestId("ping-result").getByText("Test connection: OK").waitFor();
      assert.match(
        (await page.getByTestId("ping-result").textContent()) ?? "",
        /HTTP 200 · \d+ ms/,
      );
      assert.equal(fake.received.length, 2);
      await shot(page, "partner-deliveries-ping-ok");

      // A Plug&Charge event that needs action; the partner refuses it (400): failed at once.
      const res = await pncPost(app, {
        eventId: "evt-browser-1",
        eventType: "root.cert.added",
        payload: {},
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      fake.answers.push(400);
      assert.equal((await round(app)).failed, 1);
      const [failed] = await deliveriesOf(app, partnerId);
      assert.equal(failed.status, "failed");
      await page.goto(partnerPage);
      const row = page.getByTestId(`delivery-${failed.id}`);
      await row.getByText("failed", { exact: true }).waitFor();
      await row.getByText("HTTP 400").waitFor();
      assert.equal(await page.getByTestId("failing-banner").count(), 0);

      // A day later it is still not delivered: the banner and the nav's badge say so.
      await app.deps.db.rows(sql`
        update partner_deliveries set created_at = created_at - interval '25 hours'`);
      await page.reload();
      await page.getByTestId("failing-banner").waitFor();
      await page.getByTestId("nav-partners").getByText("1", { exact: true }).waitFor();
      await shot(page, "partner-deliveries-failed-over-24h");
      await page.getByTestId("nav-partners").click();
      await shot(page, "partners-list-deliveries-failing");
      await page.getByRole("link", { name: "deliveries failing > 24 h" }).click();
      await page.getByTestId("failing-banner").waitFor();

      // Retry it: the worker sends it again, the partner takes it.
      await row.getByRole("button", { name: `Retry delivery ${failed.id}` }).click();
      await page.getByText("1 delivery queued again.").waitFor();
      await row.getByText("pending", { exact: true }).waitFor();
      fake.answers.push(200);
      assert.equal((await round(app)).delivered, 1);
      await page.reload();
      await row.getByText("delivered", { exact: true }).waitFor();
      assert.equal(await page.getByTestId("failing-banner").count(), 0);
      assert.equal(await page.getByTestId("nav-partners").locator(".nav-count").count(), 0);
      assert.notEqual(await page.getByTestId("last-success").textContent(), "Never");
      assert.equal(fake.received.at(-1)?.headers.get("x-expressync-event"), "pnc.action_needed");
      await shot(page, "partner-deliveries-retried-delivered");
      await context.close();
    } finally {
      await browser.close();
    }
  },
});
