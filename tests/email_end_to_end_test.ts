/**
 * Mail end to end (issue 14, "Done when"): the app's outbox, its running
 * sender, the real email worker in workerd (miniflare) and the fake email
 * API behind it. A receipt goes out once when Transaction.End arrives twice;
 * while the worker is down mail waits with its reason on the page, and when
 * it is back every message is delivered exactly once; a 401 storm mails each
 * operator once, not again while it goes on.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { queueEmail } from "../lib/email/outbox.ts";
import { forEachDatabase } from "./_support/db.ts";
import {
  createCharger,
  jsonOf,
  preAuthorize,
  signedPost,
  startTestApp,
  uniqueId,
} from "./_support/app.ts";
import { reading } from "./_support/billing.ts";
import { loggedInAdmin } from "./_support/admin_web.ts";
import { EMAIL_FROM, startEmailWorkerRig, until } from "./_support/real_email_worker.ts";

const KEY = "e2e-polaris-secret-" + "k".repeat(32);
const pkBase = 9_400_000 + Math.floor(Math.random() * 50_000) * 10;

async function statusOf(db: Database, ids: string[]) {
  const rows = await db.rows<
    { id: string; status: string; attempts: number; last_error: string | null }
  >(sql`
    select id, status, attempts, last_error from email_messages
    where id in (select json_array_elements_text(${JSON.stringify(ids)}::json)) order by id`);
  return rows;
}

forEachDatabase("email end to end - app, worker in workerd, email API", async (t, db) => {
  await using worker = await startEmailWorkerRig({ secretA: KEY });
  await using app = await startTestApp({
    db,
    env: { EMAIL_WORKER_URL: worker.url, EMAIL_WORKER_HMAC_KEY: KEY },
  });
  // The sender as main.ts runs it, with retries in a few hundred milliseconds instead of 10 s.
  app.deps.email.sender.retry = { baseMs: 200, maxMs: 1_000 };
  const stopSender = app.deps.email.start({ idleMs: 50 });
  try {
    await t.step("Transaction.End twice: one receipt, mailed once, with its content", async () => {
      const customerId = uniqueId("cust");
      const idTag = uniqueId("TAG");
      const box = uniqueId("CB");
      await (await app.admin("PUT", `/api/admin/customers/${customerId}`, {
        name: "Ada Lovelace",
        email: "ada@example.test",
      })).body?.cancel();
      await (await app.admin("PUT", `/api/admin/tags/${idTag}`, { customerId })).body?.cancel();
      await createCharger(app, box, "Depot west");
      await (await preAuthorize(app, { idTag, chargeBoxId: box, connectorId: 1, isStartTx: true }))
        .body?.cancel();
      const tx = { pk: pkBase + 1, box };
      const begin = new Date("2026-11-29T09:58:00Z");
      const end = new Date("2026-11-29T11:05:30Z"); // 1 h 07 min later
      assert.equal(await reading(app, tx, begin, "200000", "Transaction.Begin"), 200);
      assert.equal(await reading(app, tx, new Date(begin.getTime() + 600_000), "205000"), 200);
      // SteVe delivers the End twice at once, then once more.
      const ends = await Promise.all([
        reading(app, tx, end, "221234.5", "Transaction.End"),
        reading(app, tx, end, "221234.5", "Transaction.End"),
      ]);
      assert.deepEqual(ends, [200, 200]);
      assert.equal(await reading(app, tx, end, "221234.5", "Transaction.End"), 200);

      const id = `receipt-${tx.pk}`;
      await until("the receipt to be sent", async () => {
        const [row] = await statusOf(db, [id]);
        return row?.status === "sent";
      });
      // Once more after it went out: nothing new to send.
      assert.equal(
        await reading(app, tx, new Date(end.getTime() + 1_000), "221234.5", "Transaction.End"),
        200,
      );
      const [{ pending }] = await db.rows<{ pending: number }>(
        sql`select count(*)::int as pending from email_messages where status = 'pending'`,
      );
      assert.equal(pending, 0, "nothing left that could mail again");

      assert.equal(worker.api.requestsFor(id).length, 1, "one request to the provider");
      const mails = worker.api.mails.filter((m) => m.idempotencyKey === id);
      assert.equal(mails.length, 1, "one mail");
      const [mail] = mails;
      assert.equal(mail.from, EMAIL_FROM);
      assert.equal(mail.to, "ada@example.test");
      assert.equal(mail.subject, `Charging receipt: 21.235 kWh at Depot west (${box})`);
      assert.equal(
        mail.text,
        [
          "Hello Ada Lovelace,",
          "",
          "your charging session has ended. Your receipt:",
          "",
          `Charger:  Depot west (${box})`,
          "Start:    29 Nov 2026, 09:58 UTC",
          "End:      29 Nov 2026, 11:05 UTC",
          "Duration: 1 h 07 min",
          "Energy:   21.235 kWh",
          "",
          `Session ${tx.pk}`,
          "",
        ].join("\n"),
      );
      assert.deepEqual(worker.outcomes(), ["sent"]);
    });

    await t.step(
      "the worker down for a while: mail waits with its reason, then goes once",
      async () => {
        await worker.stop();
        const now = () => app.deps.clock.now();
        const ids = Array.from({ length: 12 }, (_, i) => `alert-e2e-down-${pkBase}-${i}`);
        for (const [i, id] of ids.entries()) {
          await app.deps.db.transaction((tx) =>
            queueEmail(tx, {
              id,
              purpose: "alert",
              to: `operator-${i}@example.test`,
              subject: `Alert ${i}`,
              text: `Alert ${i} while the worker is down`,
            }, now())
          );
        }
        // Each tried and retried meanwhile: pending, with the refused connection as the reason.
        await until(
          "every message to be tried twice",
          async () =>
            (await statusOf(db, ids)).every((r) => r.status === "pending" && r.attempts >= 2),
        );
        const listed = await jsonOf(await app.admin("GET", "/api/admin/email"));
        assert.equal(listed.status, 200);
        const waiting = listed.body.messages.filter((m: { id: string }) => ids.includes(m.id));
        assert.equal(waiting.length, ids.length);
        for (const m of waiting) {
          assert.equal(m.status, "pending");
          assert.equal(m.lastError, "network: ECONNREFUSED: the email worker cannot be reached");
        }
        assert.equal(listed.body.queue.pending, ids.length);
        // The operator's page says why, above the list.
        const operator = await loggedInAdmin(app);
        const page = async () => await (await operator.get("/admin/email")).text();
        assert.match(
          await page(),
          /data-kind="worker_unreachable"[^>]*>The email worker cannot be reached at EMAIL_WORKER_URL/,
        );
        assert.equal(worker.api.requests.length, 1, "nothing reached the provider meanwhile");

        await worker.start();
        await until(
          "every message to be sent",
          async () =>
            (await statusOf(db, ids)).every((r) => r.status === "sent" && r.last_error === null),
        );
        for (const id of ids) {
          assert.equal(worker.api.requestsFor(id).length, 1, `${id}: one provider request`);
          assert.equal(worker.api.mails.filter((m) => m.idempotencyKey === id).length, 1);
        }
        assert.equal(worker.api.mails.length, ids.length + 1);
        assert.doesNotMatch(await page(), /data-testid="email-problem"/, "the banner is gone");
        assert.ok(
          worker.outcomes().every((o) => o === "sent"),
          `the worker only sent: ${worker.outcomes()}`,
        );
      },
    );
  } finally {
    await stopSender();
  }
}, { kinds: ["postgres"] });

forEachDatabase("email end to end - a 401 storm mails each operator once", async (_t, db) => {
  await using worker = await startEmailWorkerRig({ secretA: KEY });
  await using app = await startTestApp({
    db,
    env: {
      EMAIL_WORKER_URL: worker.url,
      EMAIL_WORKER_HMAC_KEY: KEY,
      ALERT_EMAIL: "ops@example.test, oncall@example.test",
    },
  });
  // The sender and the alert rounds as main.ts runs them, only more often.
  const stopSender = app.deps.email.start({ idleMs: 50 });
  const stopAlerts = app.deps.alerts.start({ everyMs: 100 });
  const storm = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const res = await signedPost(
        `${app.url}/api/ocpp/pre-authorize`,
        "not-the-preauth-key-0123456789abcdef01234",
        '{"idTag":"TEST","chargeBoxId":"TEST","connectorId":1,"isStartTx":false,"ts":0}',
      );
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
  };
  const alertMails = () => worker.api.mails.filter((m) => m.idempotencyKey?.startsWith("alert-"));
  try {
    await storm(12);
    await until("one alert mail per operator", () => alertMails().length === 2);
    assert.deepEqual(alertMails().map((m) => m.to).sort(), [
      "oncall@example.test",
      "ops@example.test",
    ]);
    for (const mail of alertMails()) {
      assert.match(mail.subject, /PreAuthorize refusing calls \(401\), mostly mismatch/);
      assert.equal(mail.from, EMAIL_FROM);
    }
    // The storm goes on within the hour: counted, not mailed again.
    await storm(12);
    await until("the second wave to be counted", async () => {
      const [{ n }] = await db.rows<{ n: number }>(sql`
        select coalesce(sum(count), 0)::int as n from hook_outcome_buckets
        where outcome = 'unauthorized:mismatch'`);
      return n >= 24;
    });
    await new Promise((r) => setTimeout(r, 500)); // several alert rounds and sender rounds
    assert.equal(alertMails().length, 2, "no second mail within the hour");
    const [{ queued }] = await db.rows<{ queued: number }>(sql`
      select count(*)::int as queued from email_messages where purpose = 'alert'`);
    assert.equal(queued, 2);
  } finally {
    await stopAlerts();
    await stopSender();
  }
}, { kinds: ["postgres"] });
