/**
 * The live-session SSE streams over real HTTP: who may open them, the
 * snapshot-then-changes protocol, per-customer isolation, the per-login cap,
 * and cleanup when a client goes away.
 */
import assert from "node:assert/strict";
import { forEachDatabase } from "./_support/db.ts";
import {
  ADMIN_TOKEN,
  cookieHeader,
  loginCustomerByScan,
  meterValues,
  preAuthorize,
  startTestApp,
  type TestApp,
  uniqueId,
} from "./_support/app.ts";
import { openSse } from "./_support/sse.ts";

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
let nextTx = 50_000;

async function customerWithTag(app: TestApp, name: string) {
  const id = uniqueId("c");
  const tag = uniqueId("TAG");
  await (await app.admin("PUT", `/api/admin/customers/${id}`, { name })).body
    ?.cancel();
  await (await app.admin("PUT", `/api/admin/tags/${tag}`, { customerId: id }))
    .body?.cancel();
  return { id, tag };
}

/** Starts a transaction for `tag` the way SteVe would: StartTransaction, then a Begin reading. */
async function startSession(app: TestApp, tag: string, registerWh = 1000) {
  const box = uniqueId("CB");
  const pk = ++nextTx;
  await (await preAuthorize(app, {
    idTag: tag,
    chargeBoxId: box,
    connectorId: 1,
    isStartTx: true,
  }))
    .body?.cancel();
  await reading(app, { pk, box }, registerWh, "Transaction.Begin");
  return { pk, box };
}

async function reading(
  app: TestApp,
  tx: { pk: number; box: string },
  wh: number,
  context = "Sample.Periodic",
) {
  const res = await meterValues(app, {
    chargeBoxId: tx.box,
    transactionPk: tx.pk,
    connectorId: 1,
    timestamp: new Date().toISOString(),
    samples: [{ value: String(wh), context }],
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
}

forEachDatabase("live session streams", async (t, db) => {
  await t.step("without the right login: 401 and no stream", async () => {
    await using app = await startTestApp({ db });
    for (
      const [path, headers] of [
        ["/api/admin/sessions/live/events", {}],
        ["/api/admin/sessions/live/events", {
          authorization: "Bearer nope-nope-nope-nope",
        }],
        ["/api/me/events", {}],
        ["/api/me/events", { cookie: "es_session=forged" }],
        ["/api/me/events", bearer],
      ] as const
    ) {
      const res = await fetch(app.url + path, { headers });
      assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}`);
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.deepEqual(await res.json(), { error: "unauthorized" });
    }
    assert.equal(
      app.deps.bus.listenerCount("transaction.meter"),
      1,
      "only the test recorder",
    );
  });

  await t.step(
    "admin stream: snapshot first, then one session event per change",
    async () => {
      await using app = await startTestApp({ db });
      const ann = await customerWithTag(app, "Ann");
      const tx = await startSession(app, ann.tag, 1000);
      const sse = await openSse(
        app.url + "/api/admin/sessions/live/events",
        bearer,
      );
      assert.equal(sse.response.status, 200);
      assert.match(
        sse.response.headers.get("content-type")!,
        /^text\/event-stream/,
      );
      const snapshot = await sse.next();
      assert.equal(snapshot.event, "snapshot");
      const mine = snapshot.data.sessions.find((s: { transactionPk: number }) =>
        s.transactionPk === tx.pk
      );
      assert.equal(mine.customerName, "Ann");
      assert.equal(mine.kwh, 0);

      await reading(app, tx, 3500);
      const change = await sse.next();
      assert.equal(change.event, "session");
      assert.equal(change.data.transactionPk, tx.pk);
      assert.equal(change.data.kwh, 2.5);
      assert.equal(change.data.customerId, ann.id);
      await sse.close();
    },
  );

  await t.step(
    "a reconnect starts from a fresh snapshot (no stale data)",
    async () => {
      await using app = await startTestApp({ db });
      const ann = await customerWithTag(app, "Ann");
      const tx = await startSession(app, ann.tag, 1000);
      const first = await openSse(
        app.url + "/api/admin/sessions/live/events",
        bearer,
      );
      await first.next();
      await first.close();
      await reading(app, tx, 9000); // while disconnected
      const again = await openSse(
        app.url + "/api/admin/sessions/live/events",
        bearer,
      );
      const snapshot = await again.next();
      assert.equal(
        snapshot.data.sessions.find((s: { transactionPk: number }) => s.transactionPk === tx.pk)
          .kwh,
        8,
      );
      await again.close();
    },
  );

  await t.step(
    "a customer's stream carries their own sessions only",
    async () => {
      await using app = await startTestApp({ db });
      const ann = await customerWithTag(app, "Ann");
      const bob = await customerWithTag(app, "Bob");
      const annTx = await startSession(app, ann.tag);
      const bobTx = await startSession(app, bob.tag);
      const annBrowser = await loginCustomerByScan(app, ann.tag);
      const sse = await openSse(
        app.url + "/api/me/events",
        cookieHeader(annBrowser),
      );
      assert.equal(sse.response.status, 200);
      const snapshot = await sse.next();
      assert.deepEqual(
        snapshot.data.sessions.map((s: { customerId: string }) => s.customerId),
        [ann.id],
      );

      await reading(app, bobTx, 5000);
      await sse.expectSilence(300);
      await reading(app, annTx, 2000);
      const change = await sse.next();
      assert.equal(change.data.transactionPk, annTx.pk);
      // A session Ann starts after logging in appears by itself.
      const later = await startSession(app, ann.tag);
      assert.equal((await sse.next()).data.transactionPk, later.pk);
      await reading(app, bobTx, 6000);
      await sse.expectSilence(300);
      await sse.close();
    },
  );

  await t.step(
    "more than SSE_STREAMS_PER_LOGIN streams for one login: 429",
    async () => {
      await using app = await startTestApp({
        db,
        env: { SSE_STREAMS_PER_LOGIN: "2" },
      });
      const a = await openSse(
        app.url + "/api/admin/sessions/live/events",
        bearer,
      );
      const b = await openSse(
        app.url + "/api/admin/sessions/live/events",
        bearer,
      );
      await a.next();
      await b.next();
      const third = await fetch(app.url + "/api/admin/sessions/live/events", {
        headers: bearer,
      });
      assert.equal(third.status, 429);
      assert.deepEqual(await third.json(), { error: "too_many_streams" });
      // Another login has its own allowance.
      const ann = await customerWithTag(app, "Ann");
      const browser = await loginCustomerByScan(app, ann.tag);
      const own = await openSse(
        app.url + "/api/me/events",
        cookieHeader(browser),
      );
      assert.equal(own.response.status, 200);
      await own.close();
      await a.close();
      for (let i = 0; i < 50 && app.deps.streams.openFor("bearer") > 1; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const fourth = await openSse(
        app.url + "/api/admin/sessions/live/events",
        bearer,
      );
      assert.equal(fourth.response.status, 200);
      await fourth.close();
      await b.close();
    },
  );

  await t.step(
    "clients that go away leave no subscriber and no stream slot behind",
    async () => {
      await using app = await startTestApp({ db });
      const baseline = app.deps.bus.listenerCount("transaction.meter");
      const streams = await Promise.all(
        Array.from(
          { length: 5 },
          () => openSse(app.url + "/api/admin/sessions/live/events", bearer),
        ),
      );
      for (const s of streams) await s.next();
      assert.equal(
        app.deps.bus.listenerCount("transaction.meter"),
        baseline + 5,
      );
      assert.equal(app.deps.streams.openFor("bearer"), 5);
      await Promise.all(streams.map((s) => s.close()));
      for (
        let i = 0;
        i < 100 &&
        (app.deps.bus.listenerCount("transaction.meter") > baseline ||
          app.deps.streams.openFor("bearer") > 0);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(app.deps.bus.listenerCount("transaction.meter"), baseline);
      assert.equal(app.deps.streams.openFor("bearer"), 0);
    },
  );
});
