/**
 * The email sender as the app runs it (`deps.email.start()`): it delivers
 * waiting mail on its own, and what it logs names the recipient by a hash,
 * never the address, subject, body or key.
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { queueEmail } from "../lib/email/outbox.ts";
import { hashForLog, setupLogging, teardownLogging } from "../lib/logging.ts";
import { forEachDatabase } from "./_support/db.ts";
import { startTestApp } from "./_support/app.ts";
import { EMAIL_KEY, startFakeEmailWorker } from "./_support/email_worker.ts";

const records: LogRecord[] = [];
const captureSink = (record: LogRecord) => void records.push(record);

forEachDatabase(
  "email sender - runs on its own; logs a hash of the recipient only",
  async (_t, db) => {
    await setupLogging("debug", captureSink);
    try {
      await using fake = startFakeEmailWorker();
      await using app = await startTestApp({
        db,
        env: { EMAIL_WORKER_URL: fake.origin, EMAIL_WORKER_HMAC_KEY: EMAIL_KEY },
      });
      const to = "private.person@example.test";
      const message = (id: string) => ({
        id,
        purpose: "alert" as const,
        to,
        subject: "Secret subject line",
        text: "Secret body text",
      });
      // One refused for good, one sent.
      fake.answers.push({ status: 422, body: { error: "rejected", providerStatus: 550 } });
      await app.deps.db.transaction(async (tx) => {
        await queueEmail(tx, message("alert-a"), app.deps.clock.now());
        await queueEmail(tx, message("alert-b"), app.deps.clock.now());
      });
      const stop = app.deps.email.start({ idleMs: 20 });
      try {
        for (let i = 0; i < 200 && fake.received.length < 2; i++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      } finally {
        await stop();
      }
      assert.equal(fake.received.length, 2, "both attempted by the running sender");
      assert.equal(fake.mailed.length, 1);

      const attempts = records.filter((r) => r.message.join("") === "email attempt");
      assert.equal(attempts.length, 2);
      assert.ok(attempts.every((r) => r.properties.to === hashForLog(to)));
      assert.deepEqual(attempts.map((r) => r.properties.outcome).sort(), ["failed", "sent"]);
      const logged = JSON.stringify(records.map((r) => [r.message, r.properties]));
      for (const secret of [to, "Secret subject", "Secret body", EMAIL_KEY]) {
        assert.ok(!logged.includes(secret), `never logged: ${secret}`);
      }
    } finally {
      await teardownLogging();
      records.length = 0;
    }
  },
);
