/**
 * The partners pages in Debian's Chromium (playwright-core): create a
 * partner, see its secret once in the dialog (gone after a reload), copy it,
 * regenerate with a grace window. Screenshots under test-artifacts/.
 */
import assert from "node:assert/strict";
import { upsertAdmin } from "../lib/admin_accounts.ts";
import { hasChromium, launchChromium, shot } from "./_support/browser.ts";
import { schemeOf } from "../lib/signatures/mod.ts";
import { openTestDatabase, postgresAvailable } from "./_support/db.ts";
import { jsonOf, startTestApp } from "./_support/app.ts";

Deno.test({
  name: "browser - an admin creates a partner, copies the secret once, regenerates with grace",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await openTestDatabase(postgresAvailable ? "postgres" : "pglite");
    await using app = await startTestApp({ db });
    await upsertAdmin(app.deps, { email: "ops@example.com", password: "correct-horse-battery" });
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.url });
      const page = await context.newPage();
      await page.goto(`${app.url}/admin/partners`);
      await page.getByLabel("Email").fill("ops@example.com");
      await page.getByLabel("Password").fill("correct-horse-battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByRole("link", { name: "Partners" }).click();
      await page.getByRole("heading", { name: "Partners", level: 1 }).waitFor();

      await page.getByLabel("Name").fill("Depot access system");
      await page.getByLabel("Signature header").fill("X-Depot-Signature");
      await page.getByRole("button", { name: "Create partner" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.waitFor();
      const secret = (await dialog.getByTestId("secret").textContent()) ?? "";
      assert.match(secret, /^[0-9a-f]{64}$/);
      await dialog.getByRole("button", { name: "Copy" }).click();
      await dialog.getByRole("status").getByText("Copied", { exact: true }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
      await shot(page, "partners-created-secret-dialog");

      // A reload is a GET now (the island replaced the POST's history entry): no dialog, no secret.
      await page.reload();
      await page.getByRole("heading", { name: "Partners", level: 1 }).waitFor();
      assert.equal(await page.getByRole("dialog").count(), 0);
      assert.ok(!(await page.content()).includes(secret), "the secret is shown again");
      const list = await jsonOf(await app.admin("GET", "/api/admin/partners"));
      assert.equal(list.body.partners.length, 1, "the reload created no second partner");
      await shot(page, "partners-list-after-reload");

      // The partner's device sends one signed event: it shows on the partner's page.
      const body = JSON.stringify({
        event_type: "entry.unlock",
        zone_id: "north-gate",
        timestamp: new Date().toISOString(),
        webhook_event_id: "device-1",
      });
      const signature = await schemeOf("sha256").sign(secret, new TextEncoder().encode(body));
      const sent = await fetch(
        list.body.partners[0].inboundUrl.replace(/^http:\/\/[^/]+/, app.url),
        {
          method: "POST",
          headers: { "content-type": "application/json", "X-Depot-Signature": signature },
          body,
        },
      );
      assert.deepEqual(await sent.json(), { status: "processed", event_id: "device-1" });

      await page.getByRole("link", { name: "Depot access system" }).click();
      await page.getByRole("cell", { name: "entry.unlock" }).waitFor();
      await page.getByRole("heading", { name: "Depot access system" }).waitFor();
      const inbound = await page.getByTestId("inbound-url").textContent();
      assert.equal(inbound, list.body.partners[0].inboundUrl);
      await page.getByLabel("Grace window: the old secret is still accepted for").check();
      await page.getByLabel("Grace window", { exact: true }).selectOption("86400");
      await page.getByRole("button", { name: "Regenerate" }).click();
      const rotated = page.getByRole("dialog");
      await rotated.waitFor();
      const fresh = (await rotated.getByTestId("secret").textContent()) ?? "";
      assert.match(fresh, /^[0-9a-f]{64}$/);
      assert.notEqual(fresh, secret);
      await rotated.getByText("The previous secret is still accepted until").waitFor();
      await shot(page, "partner-regenerated-grace");
      await rotated.getByRole("button", { name: "I have copied it" }).click();
      await rotated.waitFor({ state: "hidden" });
      await page.reload();
      await page.getByRole("heading", { name: "Depot access system" }).waitFor();
      assert.ok(!(await page.content()).includes(fresh));
      await page.getByText("Previous secret accepted until").waitFor();
      await shot(page, "partner-page-after-reload");
      await context.close();
    } finally {
      await browser.close();
    }
  },
});
