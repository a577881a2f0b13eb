/**
 * The email outbox against a fake email worker over real HTTP (issue 14 §2):
 * every outcome row of the worker's contract, each attempt signed afresh (new
 * ts and nonce, same id), no worker configured (mail waits, then goes), two
 * senders never sending one message twice, the admin API, and queueEmail's
 * once-per-id promise.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { ManualClock } from "../lib/clock.ts";
import { queueEmail } from "../lib/email/outbox.ts";
import {
  CLOCK_SKEW,
  type EmailSenderDeps,
  KEYS_DIFFER,
  sendEmailRound,
} from "../lib/email/sender.ts";
import { emailMessageDetail, emailOverview } from "../lib/email/service.ts";
import { sendOnce } from "../lib/outbound/send.ts";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import { jsonOf, startTestApp, type TestApp, uniqueId } from "./_support/app.ts";
import { EMAIL_KEY, startFakeEmailWorker } from "./_support/email_worker.ts";

const T0 = Date.parse("2026-11-29T10:00:00Z");

function workerEnv(fake: { origin: string }) {
  return { EMAIL_WORKER_URL: fake.origin, EMAIL_WORKER_HMAC_KEY: EMAIL_KEY };
}

async function rig(db: Database, env: Record<string, string> = {}) {
  const clock = new ManualClock(T0);
  const app = await startTestApp({ db, clock, env });
  // No jitter: each wait is exactly its step.
  app.deps.email.sender.random = () => 0.5;
  return { clock, app };
}

/** Queues one message on its own transaction, as a cause would; answers its id. */
async function queue(app: TestApp, fields: { id?: string; to?: string; html?: string } = {}) {
  const id = fields.id ?? uniqueId("alert");
  const queued = await app.deps.db.transaction((tx) =>
    queueEmail(tx, {
      id,
      purpose: "alert",
      to: fields.to ?? "ops@example.test",
      subject: `Subject of ${id}`,
      text: `Text of ${id}`,
      ...(fields.html ? { html: fields.html } : {}),
    }, app.deps.clock.now())
  );
  assert.equal(queued, true);
  return id;
}

const round = (app: TestApp) => sendEmailRound(app.deps.email.sender);
const detail = (app: TestApp, id: string) => emailMessageDetail(app.deps.email.admin, id);

forEachDatabase("email outbox - every outcome of the worker's contract", async (t, db) => {
  await using fake = startFakeEmailWorker();
  const { clock, app } = await rig(db, workerEnv(fake));
  await using _app = app;

  await t.step("200 sent: signed body {id, ts, nonce, to, subject, text} → sent", async () => {
    const id = await queue(app, { html: "<p>Hi</p>" });
    assert.deepEqual(await round(app), { claimed: 1, sent: 1, failed: 0, retried: 0 });
    const got = fake.received.at(-1)!;
    assert.equal(got.path, "/send");
    assert.equal(got.verified, true, "X-Polaris-Sig verifies with the worker's secret");
    assert.deepEqual(Object.keys(got.body).sort(), [
      "html",
      "id",
      "nonce",
      "subject",
      "text",
      "to",
      "ts",
    ]);
    assert.equal(got.body.id, id);
    assert.equal(got.body.ts, Math.floor(T0 / 1000));
    assert.ok(got.body.nonce.length >= 16 && got.body.nonce.length <= 128);
    assert.equal(got.body.to, "ops@example.test");
    assert.equal(got.body.subject, `Subject of ${id}`);
    assert.equal(got.body.html, "<p>Hi</p>");
    const m = await detail(app, id);
    assert.equal(m.status, "sent");
    assert.equal(m.attempts, 1);
    assert.equal(m.lastStatus, 200);
    assert.equal(m.sentAt, new Date(T0).toISOString());
  });

  await t.step("200 duplicate → sent (a lost answer, then a retry, mails once)", async () => {
    const id = await queue(app);
    fake.answers.push({ status: 200, body: { status: "duplicate", id } });
    assert.equal((await round(app)).sent, 1);
    assert.equal((await detail(app, id)).status, "sent");
  });

  await t.step(
    "502, 500, 503 → pending, backoff 10 s doubling; each attempt a new ts and nonce, same id",
    async () => {
      const id = await queue(app);
      fake.answers.push(
        { status: 502, body: { error: "provider_unavailable" } },
        { status: 500, body: { error: "internal" } },
        { status: 503 },
      );
      const sent = () => fake.received.filter((r) => r.body.id === id);
      assert.equal((await round(app)).retried, 1);
      let m = await detail(app, id);
      assert.equal(m.status, "pending");
      assert.equal(
        m.lastError,
        "HTTP 502 provider_unavailable: the email API behind the worker is unavailable",
      );
      assert.equal(m.nextAttemptAt, new Date(T0 + 10_000).toISOString());
      assert.equal(
        (await emailOverview(app.deps.email.admin)).problem?.kind,
        "provider_unavailable",
      );
      assert.equal((await round(app)).claimed, 0, "not due before its time");
      clock.advance(10_000);
      assert.equal((await round(app)).retried, 1);
      m = await detail(app, id);
      assert.equal(m.lastError, "HTTP 500 internal");
      assert.equal(m.nextAttemptAt, new Date(clock.now().getTime() + 20_000).toISOString());
      clock.advance(20_000);
      assert.equal((await round(app)).retried, 1);
      clock.advance(40_000);
      assert.equal((await round(app)).sent, 1);
      const attempts = sent();
      assert.equal(attempts.length, 4);
      assert.ok(attempts.every((a) => a.verified && a.body.id === id));
      assert.equal(new Set(attempts.map((a) => a.body.nonce)).size, 4, "a new nonce each time");
      assert.deepEqual(
        attempts.map((a) => a.body.ts),
        [0, 10, 30, 70].map((s) => Math.floor(T0 / 1000) + s),
        "ts from the clock at each attempt",
      );
      assert.equal((await detail(app, id)).attempts, 4);
    },
  );

  await t.step("timeout → pending, retried", async () => {
    const sender = app.deps.email.sender;
    const original = sender.send;
    sender.send = (request) =>
      sendOnce(request, { allowLocal: true, timeoutMs: 300, keepBody: true });
    try {
      const id = await queue(app);
      fake.answers.push("hang");
      assert.equal((await round(app)).retried, 1);
      const m = await detail(app, id);
      assert.equal(m.status, "pending");
      assert.match(
        m.lastError ?? "",
        /^timeout after \d+ ms: the email worker cannot be reached$/,
      );
      clock.advance(10_000);
      assert.equal((await round(app)).sent, 1);
    } finally {
      sender.send = original;
    }
  });

  await t.step("network error (nothing listening) → pending, retried", async () => {
    const sender = app.deps.email.sender;
    const original = sender.worker;
    const closed = startFakeEmailWorker();
    const url = closed.origin;
    await closed.close();
    sender.worker = { url, hmacKey: EMAIL_KEY };
    let id: string;
    try {
      id = await queue(app);
      assert.equal((await round(app)).retried, 1);
      const m = await detail(app, id);
      assert.equal(m.status, "pending");
      assert.equal(m.lastError, "network: ECONNREFUSED: the email worker cannot be reached");
      assert.equal(m.lastStatus, null);
      // The page says why all mail waits, until an attempt goes through.
      const problem = (await emailOverview(app.deps.email.admin)).problem;
      assert.equal(problem?.kind, "worker_unreachable");
      assert.match(
        problem!.message,
        /^The email worker cannot be reached at EMAIL_WORKER_URL \(no answer: network: ECONNREFUSED\)\. /,
      );
    } finally {
      sender.worker = original;
    }
    clock.advance(10_000);
    assert.equal((await round(app)).sent, 1);
    assert.equal((await detail(app, id)).status, "sent");
    assert.equal((await emailOverview(app.deps.email.admin)).problem, null, "cleared by a send");
  });

  await t.step("401 unauthorized → slowly again; the page says keys differ", async () => {
    fake.secrets = ["another-secret-entirely-0123456789abcdef"];
    const id = await queue(app);
    assert.equal((await round(app)).retried, 1);
    const m = await detail(app, id);
    assert.equal(m.status, "pending");
    assert.equal(m.lastStatus, 401);
    assert.ok(m.lastError?.includes(KEYS_DIFFER), m.lastError ?? "");
    assert.equal(m.nextAttemptAt, new Date(clock.now().getTime() + 300_000).toISOString());
    assert.equal((await emailOverview(app.deps.email.admin)).problem?.kind, "keys_differ");
    // The worker gets the new key as B (rotation): the next attempt goes through.
    fake.secrets = ["another-secret-entirely-0123456789abcdef", EMAIL_KEY];
    clock.advance(299_000);
    assert.equal((await round(app)).claimed, 0, "slowly: not before 5 minutes");
    clock.advance(1_000);
    assert.equal((await round(app)).sent, 1);
    fake.secrets = [EMAIL_KEY];
  });

  await t.step("401 stale → slowly again; the page says clock skew", async () => {
    const id = await queue(app);
    fake.answers.push({ status: 401, body: { error: "stale" } });
    assert.equal((await round(app)).retried, 1);
    const m = await detail(app, id);
    assert.ok(m.lastError?.includes(CLOCK_SKEW), m.lastError ?? "");
    assert.equal((await emailOverview(app.deps.email.admin)).problem?.kind, "clock_skew");
    clock.advance(300_000);
    assert.equal((await round(app)).sent, 1);
    assert.equal((await emailOverview(app.deps.email.admin)).problem, null, "cleared by a send");
  });

  await t.step("409 replayed → again in 2 s with a new nonce", async () => {
    const id = await queue(app);
    fake.answers.push({ status: 409, body: { error: "replayed" } });
    assert.equal((await round(app)).retried, 1);
    const m = await detail(app, id);
    assert.equal(m.lastError, "HTTP 409 replayed: sent again with a new nonce");
    assert.equal(m.nextAttemptAt, new Date(clock.now().getTime() + 2_000).toISOString());
    clock.advance(2_000);
    assert.equal((await round(app)).sent, 1);
    const nonces = fake.received.filter((r) => r.body.id === id).map((r) => r.body.nonce);
    assert.equal(new Set(nonces).size, 2);
  });

  await t.step("422 rejected → failed with the provider's status; Retry sends it", async () => {
    const id = await queue(app);
    fake.answers.push({ status: 422, body: { error: "rejected", providerStatus: 403 } });
    assert.equal((await round(app)).failed, 1);
    const m = await detail(app, id);
    assert.equal(m.status, "failed");
    assert.equal(m.lastError, "HTTP 422 rejected by the email provider (provider status 403)");
    assert.equal((await round(app)).claimed, 0, "a failed message is not sent again by itself");
    const retried = await jsonOf(await app.admin("POST", "/api/admin/email/retry", { ids: [id] }));
    assert.equal(retried.status, 200);
    assert.deepEqual(retried.body, { retried: 1 });
    assert.equal((await round(app)).sent, 1);
    assert.equal((await detail(app, id)).attempts, 1, "attempts counted afresh");
  });

  await t.step("400 and 413 → failed; Retry all sends both", async () => {
    const a = await queue(app);
    const b = await queue(app);
    fake.answers.push(
      { status: 400, body: { error: "invalid_body", field: "to" } },
      { status: 413, body: { error: "payload_too_large" } },
    );
    assert.equal((await round(app)).failed, 2);
    const errors = [(await detail(app, a)).lastError, (await detail(app, b)).lastError].sort();
    assert.deepEqual(errors, [
      "HTTP 400 invalid_body to: the worker refuses the message",
      "HTTP 413 payload_too_large: the worker refuses the message",
    ]);
    const retried = await jsonOf(await app.admin("POST", "/api/admin/email/retry", {}));
    assert.deepEqual(retried.body, { retried: 2 });
    assert.equal((await round(app)).sent, 2);
  });

  await t.step("a repeated cause queues nothing: one id, one mail", async () => {
    const id = await queue(app);
    const again = await app.deps.db.transaction((tx) =>
      queueEmail(tx, {
        id,
        purpose: "alert",
        to: "other@example.test",
        subject: "Another subject",
        text: "Another text",
      }, clock.now())
    );
    assert.equal(again, false);
    await round(app);
    const got = fake.received.filter((r) => r.body.id === id);
    assert.equal(got.length, 1);
    assert.equal(got[0].body.to, "ops@example.test", "the first cause's message");
  });

  await t.step("a message the worker could not take is refused when queued", async () => {
    for (
      const bad of [
        { subject: "" },
        { subject: "x".repeat(201) },
        { subject: "two\nlines" },
        { to: "a@example.test, b@example.test" },
        { id: "" },
        { text: "x".repeat(100_001) },
      ]
    ) {
      await assert.rejects(
        app.deps.db.transaction((tx) =>
          queueEmail(tx, {
            id: uniqueId("bad"),
            purpose: "alert",
            to: "ops@example.test",
            subject: "Subject",
            text: "Text",
            ...bad,
          }, clock.now())
        ),
        TypeError,
        JSON.stringify(bad).slice(0, 60),
      );
    }
  });
});

forEachDatabase("email outbox - without EMAIL_WORKER_URL mail waits, then goes", async (_t, db) => {
  await using fake = startFakeEmailWorker();
  let id: string;
  {
    const { app } = await rig(db);
    await using _app = app;
    id = await queue(app);
    assert.deepEqual(await round(app), { claimed: 0, sent: 0, failed: 0, retried: 0 });
    const res = await jsonOf(await app.admin("GET", "/api/admin/email"));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.queue, { pending: 1, failed: 0, sentLastHour: 0 });
    const problem = (await emailOverview(app.deps.email.admin)).problem;
    assert.equal(problem?.kind, "not_configured");
    assert.match(problem!.message, /EMAIL_WORKER_URL is not set: mail waits here/);
    // Started without a worker, the sender loop does nothing and stops at once.
    const stop = app.deps.email.start({ idleMs: 10 });
    await stop();
  }
  assert.equal(fake.received.length, 0);
  const { app } = await rig(db, workerEnv(fake));
  await using _app = app;
  assert.equal((await round(app)).sent, 1);
  assert.deepEqual(fake.mailed, [id]);
});

forEachDatabase("email outbox - two senders never send one message twice", async (_t, db) => {
  await using fake = startFakeEmailWorker();
  fake.delayMs = 100;
  const { app } = await rig(db, workerEnv(fake));
  await using _app = app;
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) ids.push(await queue(app));
  const a: EmailSenderDeps = { ...app.deps.email.sender, owner: "instance-a", batchLimit: 7 };
  const b: EmailSenderDeps = { ...app.deps.email.sender, owner: "instance-b", batchLimit: 7 };
  const drain = async (deps: EmailSenderDeps) => {
    while ((await sendEmailRound(deps)).claimed > 0) { /* next round */ }
  };
  await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
  const sentIds = fake.received.map((r) => r.body.id);
  assert.equal(sentIds.length, 30, "each message sent exactly once");
  assert.deepEqual([...new Set(sentIds)].sort(), [...ids].sort());
  const [row] = await db.rows<{ n: number }>(
    sql`select count(*)::int as n from email_messages where status = 'sent'`,
  );
  assert.equal(Number(row.n), 30);
});

forEachDatabase("email outbox - the admin API: shapes and refusals", async (_t, db) => {
  await using fake = startFakeEmailWorker();
  const { app } = await rig(db, workerEnv(fake));
  await using _app = app;
  const sentId = await queue(app);
  await round(app);
  const failedId = await queue(app);
  fake.answers.push({ status: 422, body: { error: "rejected", providerStatus: 550 } });
  await round(app);
  const pendingId = await queue(app);

  const res = await jsonOf(await app.admin("GET", "/api/admin/email"));
  assert.equal(res.status, 200);
  assert.match(res.type, /application\/json/);
  assert.deepEqual(Object.keys(res.body).sort(), ["messages", "queue"]);
  assert.deepEqual(res.body.queue, { pending: 1, failed: 1, sentLastHour: 1 });
  const byId = Object.fromEntries(
    res.body.messages.map((m: { id: string }) => [m.id, m]),
  );
  assert.deepEqual(byId[sentId], {
    id: sentId,
    purpose: "alert",
    to: "ops@example.test",
    subject: `Subject of ${sentId}`,
    status: "sent",
    attempts: 1,
    lastError: null,
    createdAt: new Date(T0).toISOString(),
    sentAt: new Date(T0).toISOString(),
  });
  assert.equal(byId[failedId].status, "failed");
  assert.equal(
    byId[failedId].lastError,
    "HTTP 422 rejected by the email provider (provider status 550)",
  );
  assert.equal(byId[pendingId].status, "pending");

  const before = await databaseFingerprint(db);
  for (
    const [body, field] of [
      [{ ids: "all" }, "ids"],
      [{ ids: [42] }, "ids.0"],
      [{ ids: [""] }, "ids.0"],
    ] as const
  ) {
    const refused = await jsonOf(await app.admin("POST", "/api/admin/email/retry", body));
    assert.equal(refused.status, 400, JSON.stringify(body));
    assert.equal(refused.body.error, "invalid_body");
    assert.equal(refused.body.field, field);
  }
  const notJson = await fetch(`${app.url}/api/admin/email/retry`, {
    method: "POST",
    headers: { authorization: `Bearer admin-test-token-0123456789abcdef` },
    body: "{",
  });
  assert.equal(notJson.status, 400);
  assert.equal((await notJson.json()).error, "invalid_json");
  const anonymous = await fetch(`${app.url}/api/admin/email`);
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
  assert.deepEqual(await databaseFingerprint(db), before, "refusals change nothing");

  // Retrying an id that is not failed retries nothing.
  const none = await jsonOf(await app.admin("POST", "/api/admin/email/retry", { ids: [sentId] }));
  assert.deepEqual(none.body, { retried: 0 });
});
