/**
 * Two app processes on one PostgreSQL database, as behind a load balancer:
 * events cross between them (admin and `/me` streams, scan-pair streams),
 * the shared limits count on both (scan-pair arming, admin login lockout,
 * SSE streams per login), a scheduled job runs once per slot, and the
 * listening connection comes back after it is killed, with streams resynced.
 *
 * Deadlines are generous and nothing is timed: the machine may be busy.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { LISTEN_APPLICATION_NAME } from "../lib/pg_event_bus.ts";
import { type AppProcess, appProcess } from "./_support/app_process.ts";
import { openTestDatabase, postgresAvailable } from "./_support/db.ts";
import {
  ADMIN_TOKEN,
  CookieClient,
  cookieHeader,
  createCharger,
  loginCustomerByScan,
  METER_KEY,
  PREAUTH_KEY,
  signedPost,
  type TestApp,
  uniqueId,
} from "./_support/app.ts";
import { csrfOf } from "./_support/admin_web.ts";
import { openSse, type SseReader } from "./_support/sse.ts";

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
const ADMIN_EMAIL = "ops@multi.example.com";
const ADMIN_PASSWORD = "correct-horse-battery-staple";
/** Generous: two app processes and other test runs share two cores. */
const EVENT_DEADLINE_MS = 20_000;

/** What the test helpers need of an app: its URL and the admin API. */
function instance(process: AppProcess): TestApp {
  const app = {
    url: process.base,
    admin: (method: string, path: string, body?: unknown) =>
      fetch(process.base + path, {
        method,
        headers: { ...bearer, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
  };
  return app as unknown as TestApp;
}

async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting: ${what}`);
}

/** The next event named `name`, skipping others. */
async function nextNamed(sse: SseReader, name: string) {
  for (;;) {
    const event = await sse.next(EVENT_DEADLINE_MS);
    if (event.event === name) return event;
  }
}

/** The next `session` event of transaction `pk` at `version` or newer. */
async function nextSession(sse: SseReader, pk: number, version: number) {
  for (;;) {
    const event = await sse.next(EVENT_DEADLINE_MS);
    if (event.event === "session" && event.data.transactionPk === pk) {
      if (event.data.version >= version) return event.data;
    }
  }
}

async function ok(response: Promise<Response>, status = 200): Promise<void> {
  const res = await response;
  await res.body?.cancel();
  assert.equal(res.status, status);
}

const preAuthorize = (app: TestApp, body: unknown) =>
  signedPost(`${app.url}/api/ocpp/pre-authorize`, PREAUTH_KEY, JSON.stringify(body));

/** One meter-values call; answers the session's version after it. */
async function reading(
  app: TestApp,
  tx: { pk: number; box: string },
  wh: number,
  context = "Sample.Periodic",
): Promise<void> {
  await ok(signedPost(
    `${app.url}/api/ocpp/meter-values`,
    METER_KEY,
    JSON.stringify({
      chargeBoxId: tx.box,
      transactionPk: tx.pk,
      connectorId: 1,
      timestamp: new Date().toISOString(),
      samples: [{ value: String(wh), context }],
    }),
  ));
}

const count = async (db: Database, query: ReturnType<typeof sql>) =>
  (await db.rows<{ n: number }>(query))[0].n;

Deno.test({
  name: "[postgres] two instances on one database",
  ignore: !postgresAvailable,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using db = await openTestDatabase("postgres");
    const env = {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DATABASE_URL: db.url!,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      STEVE_PREAUTH_HMAC_KEY: PREAUTH_KEY,
      STEVE_METERVALUE_HMAC_KEY: METER_KEY,
      PUBLIC_BASE_URL: "http://charge.example.test",
      SCAN_PAIR_RATE_PER_MINUTE: "4",
      SSE_STREAMS_PER_LOGIN: "2",
      // Every second, on both: the claim must leave each second to one of them.
      RECONCILE_CRON: "* * * * * *",
      LOG_LEVEL: "error",
    };
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const processA = appProcess(env, port);
    const processB = appProcess(env, port + 1);
    const children = [processA.start()];
    try {
      await processA.ready(60_000);
      children.push(processB.start());
      await processB.ready(60_000);
      const a = instance(processA);
      const b = instance(processB);
      let nextPk = 70_000;

      const customer = { id: uniqueId("c"), tag: uniqueId("TAG") };
      await ok(a.admin("PUT", `/api/admin/customers/${customer.id}`, { name: "Ann" }));
      await ok(a.admin("PUT", `/api/admin/tags/${customer.tag}`, { customerId: customer.id }));
      const annOnB = await loginCustomerByScan(b, customer.tag);

      await t.step("a meter value received by A reaches B's admin and /me streams", async () => {
        const admin = await openSse(`${b.url}/api/admin/sessions/live/events`, bearer);
        const me = await openSse(`${b.url}/api/me/events`, cookieHeader(annOnB));
        try {
          assert.equal(admin.response.status, 200);
          assert.equal(me.response.status, 200);
          await nextNamed(admin, "snapshot");
          await nextNamed(me, "snapshot");
          const tx = { pk: ++nextPk, box: uniqueId("CB") };
          await ok(preAuthorize(a, {
            idTag: customer.tag,
            chargeBoxId: tx.box,
            connectorId: 1,
            isStartTx: true,
          }));
          await reading(a, tx, 1000, "Transaction.Begin");
          const first = await nextSession(admin, tx.pk, 1);
          assert.equal(first.customerId, customer.id);
          assert.equal((await nextSession(me, tx.pk, 1)).version, first.version);
          await reading(a, tx, 1750);
          const second = await nextSession(admin, tx.pk, first.version + 1);
          assert.equal(second.kwh, 0.75);
          assert.deepEqual(await nextSession(me, tx.pk, second.version), second);
        } finally {
          await admin.close();
          await me.close();
        }
      });

      await t.step(
        "a tap matched by A logs in the phone whose scan-pair stream is on B",
        async () => {
          const chargeBoxId = uniqueId("SCAN");
          const { token } = await createCharger(a, chargeBoxId);
          const phone = new CookieClient(b.url);
          const armed = await phone.request("POST", "/api/auth/scan-pair", {
            chargeBoxId,
            k: token,
          });
          assert.equal(armed.status, 201);
          const { pairId } = await armed.json();
          const events = await openSse(
            `${b.url}/api/auth/scan-pair/${pairId}/events`,
            cookieHeader(phone),
          );
          try {
            assert.equal(events.response.status, 200);
            // Let B's stream subscribe and read the pair before the tap lands on A.
            await new Promise((r) => setTimeout(r, 500));
            await ok(preAuthorize(a, { idTag: customer.tag, chargeBoxId }));
            const matched = await nextNamed(events, "matched");
            assert.deepEqual(matched.data, { pairId });
          } finally {
            await events.close();
          }
          const login = await phone.request("POST", "/api/auth/scan-login", { pairId });
          assert.equal(login.status, 200);
          assert.equal((await login.json()).customer.id, customer.id);
        },
      );

      await t.step("the scan-pair arming limit counts the hits of both", async () => {
        // A minute window that turns mid-step would weigh the hits differently: start early in one.
        const intoMinute = Date.now() % 60_000;
        if (intoMinute > 40_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
        await db.rows(sql`delete from rate_limit_counters`);
        const arm = (app: TestApp) =>
          fetch(`${app.url}/api/auth/scan-pair`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ chargeBoxId: uniqueId("nope"), k: "x" }),
          });
        for (const app of [a, b, a, b]) await ok(arm(app), 404);
        for (const app of [a, b]) {
          const limited = await arm(app);
          assert.equal(limited.status, 429);
          assert.ok(Number(limited.headers.get("retry-after")) >= 1);
          assert.deepEqual(await limited.json(), { error: "rate_limited" });
        }
      });

      await t.step("five failed admin logins spread over both lock the email on both", async () => {
        const attempt = async (app: TestApp, password: string) => {
          const browser = new CookieClient(app.url);
          const _csrf = await csrfOf(browser, "/admin/login");
          const res = await browser.form("/admin/login", { _csrf, email: ADMIN_EMAIL, password });
          await res.body?.cancel();
          return res.status;
        };
        for (const app of [a, b, a, b, a]) {
          assert.equal(await attempt(app, "wrong-password-1234"), 401);
        }
        assert.equal(await attempt(b, ADMIN_PASSWORD), 429, "locked on B");
        assert.equal(await attempt(a, ADMIN_PASSWORD), 429, "locked on A");
      });

      await t.step("SSE_STREAMS_PER_LOGIN counts the streams open on both", async () => {
        const path = "/api/admin/sessions/live/events";
        const leases = () =>
          count(db, sql`select count(*)::int as n from stream_leases where login_key = 'bearer'`);
        await eventually("earlier streams released", async () => await leases() === 0);
        const onA = await openSse(a.url + path, bearer);
        const onB = await openSse(b.url + path, bearer);
        const opened = [onA, onB];
        try {
          assert.equal(onA.response.status, 200);
          assert.equal(onB.response.status, 200);
          for (const app of [a, b]) {
            const third = await fetch(app.url + path, { headers: bearer });
            assert.equal(third.status, 429);
            assert.deepEqual(await third.json(), { error: "too_many_streams" });
          }
          await onA.close();
          await eventually("A's stream released", async () => await leases() === 1);
          const again = await openSse(b.url + path, bearer);
          opened.push(again);
          assert.equal(again.response.status, 200);
        } finally {
          for (const s of opened) await s.close();
        }
      });

      await t.step("the every-second sweep runs once per second, on one of the two", async () => {
        const claims = () =>
          count(
            db,
            sql`select count(*)::int as n from scheduled_runs where job = 'reconcile.schedule'`,
          );
        await eventually("five scheduled slots", async () => await claims() >= 5);
        const [runs] = await db.rows<{ n: number; seconds: number }>(sql`
          select count(*)::int as n, count(distinct date_trunc('second', started_at))::int as seconds
          from sweep_runs where trigger = 'schedule'`);
        assert.equal(runs.n, runs.seconds, "no second was swept twice");
        const claimed = await claims();
        assert.ok(runs.n >= claimed - 2 && runs.n <= claimed, `${runs.n} runs, ${claimed} claims`);
      });

      await t.step(
        "after pg_terminate_backend of the listeners, both reconnect, streams resync, events flow",
        async () => {
          const listeners = () =>
            db.rows<{ pid: number }>(sql`
              select pid from pg_stat_activity
              where application_name = ${LISTEN_APPLICATION_NAME} and datname = current_database()`);
          const before = (await listeners()).map((r) => r.pid);
          assert.equal(before.length, 2, "one listening connection per instance");
          const admin = await openSse(`${b.url}/api/admin/sessions/live/events`, bearer);
          try {
            await nextNamed(admin, "snapshot");
            const tx = { pk: ++nextPk, box: uniqueId("CB") };
            await reading(a, tx, 5000, "Transaction.Begin");
            const first = await nextSession(admin, tx.pk, 1);
            await db.rows(sql`
              select pg_terminate_backend(pid) from pg_stat_activity
              where application_name = ${LISTEN_APPLICATION_NAME} and datname = current_database()`);
            // Sent while B may be deaf: the resync snapshot carries it if the event did not.
            await reading(a, tx, 5500);
            const resync = await nextNamed(admin, "snapshot");
            const seen = resync.data.sessions.find((s: { transactionPk: number }) =>
              s.transactionPk === tx.pk
            );
            assert.ok(seen, "the resync snapshot lists the session");
            // Missed while deaf, the newer reading is in the snapshot; else its event follows.
            const latest = seen.version > first.version
              ? seen
              : await nextSession(admin, tx.pk, first.version + 1);
            await eventually("two new listeners", async () => {
              const now = (await listeners()).map((r) => r.pid);
              return now.length === 2 && now.every((pid) => !before.includes(pid));
            });
            await reading(a, tx, 6000);
            const after = await nextSession(admin, tx.pk, latest.version + 1);
            assert.equal(after.kwh, 1);
          } finally {
            await admin.close();
          }
        },
      );
    } finally {
      for (const child of children) {
        child.kill("SIGTERM");
        await child.status;
      }
    }
  },
});
