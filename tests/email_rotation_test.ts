/**
 * The two-secret rotation of seed 001 and issue 14 §4, walked with mail
 * flowing throughout: the real email worker (workerd, restarted with its
 * state folder at each change, as a new deployment would be) and the app as
 * a real process (restarted to take the new `EMAIL_WORKER_HMAC_KEY`, as an
 * operator would). Every mail is delivered exactly once and the worker
 * never answers 401. A last step turns the procedure around (the worker
 * drops the app's key) to show the same probes do see a refusal.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { queueEmail } from "../lib/email/outbox.ts";
import { openTestDatabase, postgresAvailable } from "./_support/db.ts";
import { ADMIN_TOKEN, METER_KEY, PREAUTH_KEY } from "./_support/app.ts";
import { appProcess } from "./_support/app_process.ts";
import { startEmailWorkerRig, until } from "./_support/real_email_worker.ts";

const OLD = "polaris-old-secret-" + "o".repeat(32);
const NEW = "polaris-new-secret-" + "n".repeat(32);
const OTHER = "polaris-other-secret-" + "x".repeat(32);
/** Mails delivered in each phase before the next step is taken. */
const PER_PHASE = 8;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test({
  name: "[postgres] email rotation - A only → A+B → app on B → B as A: no mail refused or lost",
  ignore: !postgresAvailable,
  async fn(t) {
    await using db = await openTestDatabase("postgres");
    await using worker = await startEmailWorkerRig({ secretA: OLD });
    const env = (hmacKey: string) => ({
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DATABASE_URL: db.url!,
      STEVE_PREAUTH_HMAC_KEY: PREAUTH_KEY,
      STEVE_METERVALUE_HMAC_KEY: METER_KEY,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      EMAIL_WORKER_URL: worker.url,
      EMAIL_WORKER_HMAC_KEY: hmacKey,
      LOG_LEVEL: "warning",
    });
    const port = freePort();
    let app = appProcess(env(OLD), port);
    let child = app.start();
    const stopApp = async () => {
      child.kill("SIGTERM");
      const status = await child.status;
      assert.equal(status.success || status.signal === "SIGTERM", true, "a clean stop");
    };

    // The cause side: mail queued every 40 ms, whatever the app or the worker is doing.
    const queued: string[] = [];
    const refusals = new Set<string>();
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const id = `rotation-${queued.length}`;
        await db.transaction((tx) =>
          queueEmail(tx, {
            id,
            purpose: "alert",
            to: `ops-${queued.length}@example.test`,
            subject: `Rotation mail ${queued.length}`,
            text: "Queued while the keys rotate.",
          }, new Date())
        );
        queued.push(id);
        // Between the walk's steps an attempt's answer is only kept until the next one: look often.
        for (
          const r of await db.rows<{ id: string }>(
            sql`select id from email_messages where last_status = 401`,
          )
        ) refusals.add(r.id);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    const delivered = () => worker.api.mails.length;
    const deliverMore = async (what: string) => {
      const target = delivered() + PER_PHASE;
      await until(`${PER_PHASE} more mails ${what}`, () => delivered() >= target, 60_000);
    };

    try {
      await app.ready();
      await t.step("1. worker A = old, app signs with old", async () => {
        await deliverMore("with A only");
      });
      await t.step(
        "2. the worker gets B = new (A kept): the app's old key still works",
        async () => {
          await worker.stop();
          await worker.start({ secretA: OLD, secretB: NEW });
          await deliverMore("with A and B");
        },
      );
      await t.step("3. the app switches EMAIL_WORKER_HMAC_KEY to new (restart)", async () => {
        await stopApp();
        app = appProcess(env(NEW), port);
        child = app.start();
        await app.ready();
        await deliverMore("signed with the new key");
      });
      await t.step("4. the worker: A = new, B deleted", async () => {
        await worker.stop();
        await worker.start({ secretA: NEW });
        await deliverMore("with the new key as A only");
      });
      await t.step("every mail delivered exactly once; the worker never refused one", async () => {
        producing = false;
        await producer;
        await until("every queued mail to be sent", async () => {
          const [r] = await db.rows<{ n: number }>(
            sql`select count(*)::int as n from email_messages where status = 'sent'`,
          );
          return r.n === queued.length;
        }, 60_000);
        const keys = worker.api.mails.map((m) => m.idempotencyKey);
        assert.deepEqual([...keys].sort(), [...queued].sort(), "each queued mail, once");
        // A worker restart can cut a send after the provider took the mail and before the
        // worker recorded it: the retry then reaches the provider again, and its
        // Idempotency-Key keeps that one mail (the fake, like Resend, mails once per key).
        for (const id of queued) assert.ok(worker.api.requestsFor(id).length >= 1, id);
        const outcomes = worker.outcomes();
        assert.deepEqual(
          // `in_flight`: a send cut off by a restart holds its id until its claim lapses.
          outcomes.filter((o) => !["sent", "duplicate", "in_flight"].includes(o)),
          [],
          "the worker only sent (or asked to wait), never refused",
        );
        assert.deepEqual([...refusals], [], "no attempt was answered 401");
        assert.ok(queued.length >= 4 * PER_PHASE);
      });

      await t.step("control: the worker dropping the app's key is seen as a 401", async () => {
        await worker.stop();
        await worker.start({ secretA: OTHER });
        await db.transaction((tx) =>
          queueEmail(tx, {
            id: "rotation-refused",
            purpose: "alert",
            to: "ops@example.test",
            subject: "Refused",
            text: "Signed with a key the worker no longer has.",
          }, new Date())
        );
        await until("the refusal", async () =>
          (await db.rows(
            sql`select 1 from email_messages where id = 'rotation-refused' and last_status = 401`,
          )).length === 1);
        assert.ok(worker.outcomes().includes("unauthorized"));
        const page = await fetch(`${app.base}/api/admin/email`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        }).then((r) => r.json());
        const refused = page.messages.find((m: { id: string }) => m.id === "rotation-refused");
        assert.equal(refused.status, "pending");
        assert.match(refused.lastError, /keys differ/);
        assert.equal(worker.api.requestsFor("rotation-refused").length, 0, "nothing went out");
      });
    } finally {
      producing = false;
      await producer.catch(() => {});
      await stopApp().catch(() => {});
    }
  },
});
