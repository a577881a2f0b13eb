/**
 * Sign-in by emailed link end to end (issue 14 §3, "Done when"): a customer
 * asks for a link in Debian's Chromium; the app's running sender signs the
 * mail to the real email worker in workerd (miniflare), which sends it
 * through a fake email API on loopback; the link is read from that mail,
 * opened as mailed, "Sign in" pressed, and the browser lands on /me as the
 * customer. Screenshots under test-artifacts/.
 */
import assert from "node:assert/strict";
import { startEmailWorker } from "../workers/email/local.ts";
import { hasChromium, launchChromium, shot } from "./_support/browser.ts";
import { openTestDatabase, postgresAvailable } from "./_support/db.ts";
import { startTestApp, uniqueId } from "./_support/app.ts";
import { startFakeEmailApi } from "./fakes/fake_email_api.ts";

const WORKER_SECRET = "polaris-secret-a-" + "s".repeat(32);
const FROM = "ExpresSync <no-reply@expressync.test>";
// The app's PUBLIC_BASE_URL in tests; Chromium resolves it to the app's loopback port.
const PUBLIC_HOST = "charge.example.test";

Deno.test({
  name: "browser - a customer away from a charger signs in with a link read from the mail",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using db = await openTestDatabase(postgresAvailable ? "postgres" : "pglite");
    await using api = startFakeEmailApi();
    const workerLogs: string[] = [];
    await using worker = await startEmailWorker({
      secretA: WORKER_SECRET,
      emailApiUrl: api.url,
      emailApiKey: api.apiKey,
      emailFrom: FROM,
      onLog: (line) => workerLogs.push(line),
    });
    await using app = await startTestApp({
      db,
      env: { EMAIL_WORKER_URL: worker.url, EMAIL_WORKER_HMAC_KEY: WORKER_SECRET },
    });
    const stopSender = app.deps.email.start({ idleMs: 50 });
    const address = "ada.lovelace@example.test";
    const saved = await app.admin("PUT", `/api/admin/customers/${uniqueId("cust")}`, {
      name: "Ada Lovelace",
      email: address,
    });
    assert.equal(saved.status, 200);
    await saved.body?.cancel();

    const port = new URL(app.url).port;
    const browser = await launchChromium({
      args: [`--host-resolver-rules=MAP ${PUBLIC_HOST}:80 127.0.0.1:${port}`],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 480, height: 860 } });
      // Where a customer without a login looks first.
      await page.goto(`http://${PUBLIC_HOST}/me`);
      await page.getByRole("link", { name: "Get a sign-in link by email" }).click();
      await page.getByRole("heading", { name: "Sign in", level: 1 }).waitFor();
      await page.getByLabel("Email").fill(address);
      await shot(page, "sign-in-login");
      await page.getByRole("button", { name: "Email me a sign-in link" }).click();
      await page.getByTestId("sign-in-sent").waitFor();
      assert.match(
        (await page.getByTestId("sign-in-sent").textContent()) ?? "",
        /If this address has an account, a link is on its way/,
      );
      await shot(page, "sign-in-sent");

      // The running sender → the worker in workerd → the fake email API.
      for (let i = 0; i < 400 && api.mails.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.equal(api.mails.length, 1, "the mail reached the email API");
      const [mail] = api.mails;
      assert.equal(mail.to, address);
      assert.equal(mail.from, FROM);
      assert.equal(mail.subject, "Your ExpresSync sign-in link");
      assert.match(mail.idempotencyKey ?? "", /^sign-in-\d+$/);
      const link = /http:\/\/charge\.example\.test\/login\/email\?token=[A-Za-z0-9_-]{43}/
        .exec(mail.text)?.[0];
      assert.ok(link, "the mail carries the link");
      assert.ok(mail.html?.includes(`href="${link}"`), "and so does its HTML part");

      // Opened as mailed: a button, nothing used up yet.
      await page.goto(link);
      const signIn = page.getByRole("button", { name: "Sign in" });
      await signIn.waitFor();
      await shot(page, "sign-in-button");
      await signIn.click();
      await page.getByRole("heading", { name: "Hello, Ada Lovelace" }).waitFor();
      assert.equal(page.url(), `http://${PUBLIC_HOST}/me`);
      await shot(page, "sign-in-me");

      // The link worked once.
      await page.goto(link);
      await page.getByRole("heading", { name: "This sign-in link no longer works" }).waitFor();
      await page.getByRole("link", { name: "Get a new sign-in link" }).waitFor();
    } finally {
      await browser.close();
      await stopSender();
    }
    assert.equal(api.requests.length, 1, "mailed once");
    const logged = workerLogs.join("\n");
    assert.ok(!logged.includes(address), "the worker never logs the address");
  },
});
