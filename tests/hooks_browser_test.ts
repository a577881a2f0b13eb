/**
 * `/admin/hooks` in Debian's Chromium during a 401 storm (issue 15 §4): the
 * page names the cause with the runbook's meaning and fix, and every other
 * admin page carries the banner until a good call comes. Time from the
 * injected clock only. Screenshots under test-artifacts/.
 */
import assert from "node:assert/strict";
import { upsertAdmin } from "../lib/admin_accounts.ts";
import { ManualClock } from "../lib/clock.ts";
import { UNAUTHORIZED_ADVICE } from "../lib/hook_runbook.ts";
import { hasChromium, launchChromium, shot } from "./_support/browser.ts";
import { openTestDatabase, postgresAvailable } from "./_support/db.ts";
import { METER_KEY, preAuthorize, signedPost, startTestApp } from "./_support/app.ts";

Deno.test({
  name: "browser - during a 401 storm /admin/hooks shows the cause and every admin page the banner",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await openTestDatabase(postgresAvailable ? "postgres" : "pglite");
    const clock = new ManualClock(Date.parse("2026-12-03T14:21:10Z"));
    await using app = await startTestApp({ db, clock });
    await upsertAdmin(app.deps, { email: "ops@example.com", password: "correct-horse-battery" });
    const body = JSON.stringify({
      idTag: "T",
      chargeBoxId: "CB-1",
      connectorId: 1,
      isStartTx: false,
      ts: 0,
    });
    // SteVe signs with the wrong key: a storm of mismatches.
    for (let i = 0; i < 12; i++) {
      const res = await signedPost(`${app.url}/api/ocpp/pre-authorize`, METER_KEY, body);
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
    await app.deps.hookStats.flush(db);

    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } }))
        .newPage();
      await page.goto(`${app.url}/admin/hooks`);
      await page.getByLabel("Email").fill("ops@example.com");
      await page.getByLabel("Password").fill("correct-horse-battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByRole("link", { name: "Hooks", exact: true }).click();
      await page.getByRole("heading", { name: "Hooks", level: 1 }).waitFor();

      const hook = page.getByTestId("hook-PreAuthorize");
      assert.equal(await hook.getAttribute("data-failing"), "true");
      const row = hook.getByTestId("refusal-mismatch");
      const cells = await row.locator("td").allTextContents();
      assert.deepEqual(cells, [
        "mismatch",
        "12",
        "12",
        UNAUTHORIZED_ADVICE.mismatch.meaning,
        UNAUTHORIZED_ADVICE.mismatch.fix,
      ]);
      assert.equal(
        await hook.getByTestId("last-ok").textContent(),
        "Last good call: none stored",
      );
      await page.getByTestId("hooks-failing-banner").waitFor();
      await shot(page, "hooks-page-401-storm");

      // Another admin page: the banner names the hook and links here.
      await page.getByRole("link", { name: "Chargers", exact: true }).click();
      await page.getByRole("heading", { name: "Chargers", level: 1 }).waitFor();
      const banner = page.getByTestId("hooks-failing-banner");
      assert.match((await banner.textContent()) ?? "", /A hook is failing: PreAuthorize/);
      await shot(page, "hooks-banner-on-chargers");
      await banner.getByRole("link", { name: "See why on the hooks page" }).click();
      await page.getByRole("heading", { name: "Hooks", level: 1 }).waitFor();

      // SteVe fixed: one good call a minute later, and the banner is gone.
      clock.advance(60_000);
      const ok = await preAuthorize(app, JSON.parse(body));
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
      await app.deps.hookStats.flush(db);
      await page.goto(`${app.url}/admin/chargers`);
      await page.getByRole("heading", { name: "Chargers", level: 1 }).waitFor();
      assert.equal(await page.getByTestId("hooks-failing-banner").count(), 0);
    } finally {
      await browser.close();
    }
  },
});
