/**
 * Signed webhooks out to partners over real HTTP (issue 13): a fake partner
 * on loopback, `PARTNER_WEBHOOKS_ALLOW_LOCAL=true`, a short schedule, the
 * worker driven round by round on a manual clock. Each outcome row of the
 * contract, the canonical signed body, 410 and reactivation, Retry-After, a
 * hanging partner, rotation, the admin retry and ping.
 */
import assert from "node:assert/strict";
import canonicalize from "canonicalize";
import { ManualClock } from "../lib/clock.ts";
import { schemeOf } from "../lib/signatures/mod.ts";
import { deliverPartnerRound, STOP_WAIT_MS } from "../lib/partner_deliveries/worker.ts";
import { claimDeliveries, settleDelivered } from "../db/queries/partner_deliveries.ts";
import type { SQL } from "drizzle-orm";
import { forEachDatabase } from "./_support/db.ts";
import { jsonOf, pncPost, startTestApp, type TestApp, uniqueId } from "./_support/app.ts";
import {
  deliveriesOf,
  type FakePartner,
  round,
  startFakePartner,
  subscribedPartner,
} from "./_support/partner.ts";

const T0 = Date.parse("2026-11-29T10:00:00Z");
const ENV = {
  PARTNER_WEBHOOKS_ALLOW_LOCAL: "true",
  PARTNER_WEBHOOK_RETRY_SCHEDULE: "10,20,30",
  PARTNER_WEBHOOK_TIMEOUT_SECONDS: "1",
};

/** A Plug&Charge event that needs action: the cheapest cause of a `pnc.action_needed`. */
async function pncActionNeeded(app: TestApp): Promise<string> {
  const eventId = uniqueId("evt");
  const res = await pncPost(app, { eventId, eventType: "root.cert.added", payload: {} });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  return eventId;
}

async function rig(db: Parameters<Parameters<typeof forEachDatabase>[1]>[1]) {
  const clock = new ManualClock(T0);
  const app = await startTestApp({ db, clock, env: ENV });
  // No jitter: each wait is exactly its step.
  app.deps.partnerDeliveries.worker.random = () => 0.5;
  return { clock, app };
}

/**
 * A partner subscribed to `pnc.action_needed` at the fake. Disposing it
 * removes its URL, so its leftovers and later events stay out of the next
 * step's rounds (each step scripts the fake's answers for its own partner).
 */
async function partnerAt(app: TestApp, fake: FakePartner, scheme?: "sha256" | "timestamped") {
  const path = `/hooks/${uniqueId("p")}`;
  const partner = await subscribedPartner(app, {
    url: fake.origin + path,
    events: ["pnc.action_needed"],
    scheme,
  });
  return {
    ...partner,
    path,
    async [Symbol.asyncDispose]() {
      const res = await app.admin("PUT", `/api/admin/partners/${partner.id}`, { url: null });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      fake.answers.length = 0;
    },
  };
}

forEachDatabase("partner deliveries - every outcome over real HTTP", async (t, db) => {
  const { clock, app } = await rig(db);
  await using _app = app;
  await using fake = startFakePartner();
  const encoder = new TextEncoder();

  await t.step(
    "2xx: delivered; the body is canonical and verifies with the sha256 scheme",
    async () => {
      await using p = await partnerAt(app, fake);
      const eventId = await pncActionNeeded(app);
      assert.deepEqual(await round(app), { claimed: 1, delivered: 1, failed: 0, retried: 0 });
      const got = fake.received.at(-1)!;
      assert.equal(got.path, p.path);
      assert.equal(got.headers.get("content-type"), "application/json");
      assert.equal(got.headers.get("x-expressync-event"), "pnc.action_needed");
      const body = JSON.parse(got.text);
      assert.equal(got.headers.get("x-expressync-event-id"), body.id);
      assert.equal(canonicalize(body), got.text, "the bytes are the canonical form");
      assert.deepEqual(body, {
        data: { eventId, eventType: "root.cert.added", message: "New root in RCP available" },
        id: body.id,
        timestamp: "2026-11-29T10:00:00.000+00:00",
        type: "pnc.action_needed",
      });
      const check = await schemeOf("sha256").verify(
        got.headers.get(p.signatureHeader) ?? "",
        got.body as Uint8Array<ArrayBuffer>,
        [p.secret],
        {},
      );
      assert.equal(check.ok, true);
      const [d] = await deliveriesOf(app, p.id);
      assert.equal(d.status, "delivered");
      assert.equal(d.attempts, 1);
      assert.equal(d.lastStatus, 200);
      assert.equal(d.eventId, body.id);
      assert.equal(d.deliveredAt, new Date(T0).toISOString());
    },
  );

  await t.step("the timestamped scheme signs t=<this attempt's seconds>.<body>", async () => {
    await using p = await partnerAt(app, fake, "timestamped");
    await pncActionNeeded(app);
    clock.advance(7_000);
    assert.equal((await round(app)).delivered, 1);
    const got = fake.received.at(-1)!;
    const header = got.headers.get(p.signatureHeader) ?? "";
    assert.match(header, new RegExp(`^t=${Math.floor((T0 + 7_000) / 1000)},v1=[0-9a-f]{64}$`));
    const check = await schemeOf("timestamped").verify(
      header,
      got.body as Uint8Array<ArrayBuffer>,
      [p.secret],
      { now: () => clock.now().getTime() },
    );
    assert.equal(check.ok, true);
  });

  await t.step("3xx: failed at once, never followed; the target gets nothing", async () => {
    await using target = startFakePartner();
    await using p = await partnerAt(app, fake);
    fake.answers.push({ status: 302, headers: { location: `${target.origin}/elsewhere` } });
    await pncActionNeeded(app);
    assert.equal((await round(app)).failed, 1);
    assert.equal(target.received.length, 0, "the redirect target got nothing");
    const [d] = await deliveriesOf(app, p.id);
    assert.equal(d.status, "failed");
    assert.equal(d.lastStatus, 302);
    assert.match(d.lastError, /redirect/);
    assert.match(d.lastError, /fix the partner's URL, then retry/);
  });

  await t.step("other 4xx: failed at once; the admin retry sends it again", async () => {
    await using p = await partnerAt(app, fake);
    fake.answers.push(400);
    await pncActionNeeded(app);
    assert.equal((await round(app)).failed, 1);
    const [d] = await deliveriesOf(app, p.id, "failed");
    assert.deepEqual([d.attempts, d.lastStatus], [1, 400]);
    clock.advance(3600_000);
    assert.equal((await round(app)).claimed, 0, "not retried automatically");

    // Retried by hand: pending now, then delivered.
    {
      const retried = await jsonOf(
        await app.admin("POST", `/api/admin/partners/${p.id}/deliveries/retry`, {
          ids: [d.id],
        }),
      );
      assert.equal(retried.status, 200);
      assert.deepEqual(retried.body, { retried: 1 });
      assert.equal((await round(app)).delivered, 1);
      const [again] = await deliveriesOf(app, p.id);
      assert.equal(again.status, "delivered");
    }
  });

  await t.step(
    "5xx, 408 and 429: retried on the schedule; after the last step, failed",
    async () => {
      await using p = await partnerAt(app, fake);
      fake.answers.push(503, 408, 429, 500);
      await pncActionNeeded(app);
      const sent = fake.received.length;
      for (const [step, status] of [[10, 503], [20, 408], [30, 429]]) {
        assert.equal((await round(app)).retried, 1);
        const [d] = await deliveriesOf(app, p.id);
        assert.equal(d.status, "pending");
        assert.equal(d.lastStatus, status);
        assert.equal(Date.parse(d.nextAttemptAt) - clock.now().getTime(), step * 1000);
        clock.advance(step * 1000 - 1);
        assert.equal((await round(app)).claimed, 0, "not before its time");
        clock.advance(1);
      }
      assert.equal((await round(app)).failed, 1);
      const [d] = await deliveriesOf(app, p.id);
      assert.deepEqual([d.status, d.attempts, d.lastStatus], ["failed", 4, 500]);
      assert.match(d.lastError, /no attempts left/);
      assert.equal(fake.received.length - sent, 4, "four attempts, each sent once");
      const bodies = new Set(fake.received.slice(sent).map((r) => r.text));
      assert.equal(bodies.size, 1, "every attempt sends the same bytes");
    },
  );

  await t.step(
    "Retry-After (seconds or an HTTP date) is honoured up to twice the step",
    async () => {
      await using p = await partnerAt(app, fake);
      const date = new Date(clock.now().getTime() + 12_000).toUTCString();
      fake.answers.push(
        { status: 429, headers: { "retry-after": "15" } }, // step 10 s: 15 s ≤ 20 s
        { status: 503, headers: { "retry-after": "100" } }, // step 20 s: capped at 40 s
      );
      await pncActionNeeded(app);
      await round(app);
      let [d] = await deliveriesOf(app, p.id);
      assert.equal(Date.parse(d.nextAttemptAt) - clock.now().getTime(), 15_000);
      clock.advance(15_000);
      await round(app);
      [d] = await deliveriesOf(app, p.id);
      assert.equal(Date.parse(d.nextAttemptAt) - clock.now().getTime(), 40_000);
      clock.advance(40_000);
      fake.answers.push({ status: 503, headers: { "retry-after": date } });
      // The date lies 12 s after the first attempt; 55 s have passed since: due at once.
      await round(app);
      [d] = await deliveriesOf(app, p.id);
      assert.equal(Date.parse(d.nextAttemptAt), clock.now().getTime());
      assert.equal((await round(app)).delivered, 1);
    },
  );

  await t.step("a hanging partner times out and the delivery is retried", async () => {
    await using p = await partnerAt(app, fake);
    fake.answers.push("hang");
    await pncActionNeeded(app);
    const started = performance.now();
    assert.equal((await round(app)).retried, 1);
    assert.ok(performance.now() - started < 5_000, "the timeout ended the attempt");
    const [d] = await deliveriesOf(app, p.id);
    assert.equal(d.status, "pending");
    assert.equal(d.lastStatus, null);
    assert.match(d.lastError, /^timeout/);
  });

  await t.step(
    "410: the delivery fails, the partner is deactivated; reactivation releases what waited",
    async () => {
      await using p = await partnerAt(app, fake);
      await pncActionNeeded(app);
      await pncActionNeeded(app);
      const mine = () => fake.received.filter((r) => r.path === p.path).length;
      const worker = app.deps.partnerDeliveries.worker;
      worker.batchLimit = 1;
      fake.answers.push(410);
      try {
        assert.equal((await round(app)).failed, 1);
        assert.equal((await round(app)).claimed, 0, "its other delivery waits");
      } finally {
        worker.batchLimit = undefined;
      }
      const view = await jsonOf(await app.admin("GET", `/api/admin/partners/${p.id}`));
      assert.equal(view.body.active, false);
      assert.match(view.body.deactivatedReason, /410/);
      const after = await deliveriesOf(app, p.id);
      assert.deepEqual(after.map((d) => d.status).sort(), ["failed", "pending"]);
      assert.match(
        after.find((d) => d.status === "pending").lastError,
        /^waiting: the partner is inactive/,
      );
      await pncActionNeeded(app); // happens while inactive: queued, not sent
      clock.advance(3600_000);
      const before = mine();
      assert.equal((await round(app)).claimed, 0);
      assert.equal(mine(), before, "nothing goes to an inactive partner");

      const put = await jsonOf(
        await app.admin("PUT", `/api/admin/partners/${p.id}`, { active: true }),
      );
      assert.equal(put.body.active, true);
      assert.equal(put.body.deactivatedReason, null);
      assert.equal((await round(app)).delivered, 2);
      assert.equal(mine(), before + 2);
    },
  );

  await t.step(
    "URL removed: its deliveries wait and say why; saved again, they go out once",
    async () => {
      await using p = await partnerAt(app, fake);
      await pncActionNeeded(app);
      await pncActionNeeded(app);
      const mine = () => fake.received.filter((r) => r.path === p.path).length;
      const worker = app.deps.partnerDeliveries.worker;
      worker.batchLimit = 1;
      fake.answers.push(503);
      try {
        assert.equal((await round(app)).retried, 1);
      } finally {
        worker.batchLimit = undefined;
      }
      const removed = await app.admin("PUT", `/api/admin/partners/${p.id}`, { url: null });
      assert.equal(removed.status, 200);
      await removed.body?.cancel();
      await pncActionNeeded(app); // while it has no URL: not queued for it
      clock.advance(3600_000);
      const before = mine();
      assert.equal((await round(app)).claimed, 0);
      assert.equal(mine(), before, "nothing is sent without a URL");
      const waiting = await deliveriesOf(app, p.id);
      assert.equal(waiting.length, 2);
      for (const d of waiting) {
        assert.equal(d.status, "pending");
        assert.match(d.lastError, /^waiting: the partner has no URL/);
      }
      assert.ok(
        waiting.some((d) => /last attempt: HTTP 503/.test(d.lastError)),
        "the last attempt's error is kept",
      );
      assert.deepEqual(await deliveriesOf(app, p.id, "failed"), []);

      const saved = await app.admin("PUT", `/api/admin/partners/${p.id}`, {
        url: fake.origin + p.path,
      });
      assert.equal(saved.status, 200);
      await saved.body?.cancel();
      assert.equal((await round(app)).delivered, 2);
      assert.equal((await round(app)).claimed, 0);
      assert.equal(mine(), before + 2);
      const sent = await deliveriesOf(app, p.id);
      assert.deepEqual(sent.map((d) => [d.status, d.lastError]), [
        ["delivered", null],
        ["delivered", null],
      ]);
    },
  );

  await t.step(
    "410 to a whole batch at once: one delivery fails, the others wait for the reactivation",
    async () => {
      await using p = await partnerAt(app, fake);
      for (let i = 0; i < 3; i++) await pncActionNeeded(app);
      fake.answers.push(410, 410, 410);
      const r = await round(app);
      assert.equal(r.claimed, 3, "the three went out side by side");
      assert.equal(r.failed, 1, "only the attempt that switched the partner off failed");
      const after = await deliveriesOf(app, p.id);
      assert.deepEqual(after.map((d) => d.status).sort(), ["failed", "pending", "pending"]);
      assert.ok(after.filter((d) => d.status === "pending").every((d) => d.attempts === 0));
      await app.admin("PUT", `/api/admin/partners/${p.id}`, { active: true });
      assert.equal((await round(app)).delivered, 2);
    },
  );

  await t.step("after a secret rotation the next attempt signs with the new secret", async () => {
    await using p = await partnerAt(app, fake);
    fake.answers.push(503);
    await pncActionNeeded(app);
    await round(app);
    const first = fake.received.at(-1)!;
    const rotated = await jsonOf(
      await app.admin("POST", `/api/admin/partners/${p.id}/secret`, {
        mode: "grace",
        graceSeconds: 3600,
      }),
    );
    assert.equal(rotated.status, 200);
    clock.advance(10_000);
    assert.equal((await round(app)).delivered, 1);
    const second = fake.received.at(-1)!;
    assert.equal(second.text, first.text);
    const verify = (r: typeof first, secret: string) =>
      schemeOf("sha256").verify(
        r.headers.get(p.signatureHeader) ?? "",
        r.body as Uint8Array<ArrayBuffer>,
        [secret],
        {},
      );
    assert.equal((await verify(first, p.secret)).ok, true);
    assert.equal((await verify(second, rotated.body.secret)).ok, true);
    assert.equal((await verify(second, p.secret)).ok, false, "never the previous secret");
  });

  await t.step("blocked by the transport: failed blocked_destination, not retried", async () => {
    await using p = await partnerAt(app, fake);
    const worker = app.deps.partnerDeliveries.worker;
    const send = worker.send;
    worker.send = () => Promise.resolve({ kind: "blocked", detail: "resolves to 10.0.0.1" });
    try {
      await pncActionNeeded(app);
      await round(app);
    } finally {
      worker.send = send;
    }
    const [d] = await deliveriesOf(app, p.id);
    assert.equal(d.status, "failed");
    assert.match(d.lastError, /^blocked_destination/);
  });

  await t.step(
    "stopping the worker mid-attempt returns within STOP_WAIT_MS (shutdown has 4 s)",
    async () => {
      await using _p = await partnerAt(app, fake);
      const worker = app.deps.partnerDeliveries.worker;
      const send = worker.send;
      let release: (() => void) | undefined;
      let started: () => void = () => {};
      const inFlight = new Promise<void>((resolve) => started = resolve);
      worker.send = () => {
        started();
        return new Promise((resolve) =>
          release = () => resolve({ kind: "network", error: "stopped", ms: 1 })
        );
      };
      try {
        await pncActionNeeded(app);
        const stop = app.deps.partnerDeliveries.start({ idleMs: 10 });
        await inFlight;
        const t0 = performance.now();
        await stop();
        const waited = performance.now() - t0;
        assert.ok(waited >= STOP_WAIT_MS - 50 && waited < STOP_WAIT_MS + 1_000, `${waited} ms`);
      } finally {
        release?.();
        worker.send = send;
        await new Promise((r) => setTimeout(r, 200)); // the abandoned round settles
      }
    },
  );

  await t.step("ping: one signed ping now, answered with ok, status, error, ms", async () => {
    await using p = await partnerAt(app, fake);
    const before = (await deliveriesOf(app, p.id)).length;
    const res = await jsonOf(await app.admin("POST", `/api/admin/partners/${p.id}/ping`));
    assert.equal(res.status, 200);
    assert.equal(res.type, "application/json");
    assert.deepEqual({ ...res.body, ms: 0 }, { ok: true, status: 200, error: null, ms: 0 });
    const got = fake.received.at(-1)!;
    const body = JSON.parse(got.text);
    assert.deepEqual(Object.keys(body), ["data", "id", "timestamp", "type"]);
    assert.deepEqual([body.type, body.data], ["ping", {}]);
    assert.equal(canonicalize(body), got.text);
    assert.equal(got.headers.get("x-expressync-event"), "ping");
    const check = await schemeOf("sha256").verify(
      got.headers.get(p.signatureHeader) ?? "",
      encoder.encode(got.text),
      [p.secret],
      {},
    );
    assert.equal(check.ok, true);
    assert.equal((await deliveriesOf(app, p.id)).length, before, "a ping is not queued");
    fake.answers.push(503);
    const failed = await jsonOf(await app.admin("POST", `/api/admin/partners/${p.id}/ping`));
    assert.deepEqual([failed.body.ok, failed.body.status], [false, 503]);
  });

  await t.step("the deliveries list: filter, unknown partner, bad filter", async () => {
    await using p = await partnerAt(app, fake);
    assert.deepEqual(await deliveriesOf(app, p.id, "failed"), []);
    const unknown = await app.admin(
      "GET",
      `/api/admin/partners/${crypto.randomUUID()}/deliveries`,
    );
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const bad = await jsonOf(
      await app.admin("GET", `/api/admin/partners/${p.id}/deliveries?status=lost`),
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, "invalid_body");
    assert.equal(bad.body.field, "status");
  });
});

forEachDatabase(
  "partner deliveries - a round settles its answers together, only under its own lease",
  async (_t, db) => {
    const { clock, app } = await rig(db);
    await using _app = app;
    await using fake = startFakePartner();
    await using p = await partnerAt(app, fake);
    for (let i = 0; i < 20; i++) await pncActionNeeded(app);
    const base = app.deps.partnerDeliveries.worker;
    let statements = 0;
    const counted = {
      ...base,
      db: { ...base.db, rows: <T>(q: SQL) => (statements++, base.db.rows<T>(q)) },
    };
    const r = await deliverPartnerRound(counted);
    assert.deepEqual([r.claimed, r.delivered], [20, 20]);
    assert.ok(statements < 11, `${statements} statements: not one settle per delivery`);
    const listed = await deliveriesOf(app, p.id, "delivered");
    assert.equal(listed.length, 20);
    assert.ok(listed.every((d) => d.attempts === 1 && d.lastStatus === 200 && d.deliveredAt));

    // A lease that is no longer this owner's is left alone, as by settleDelivery.
    await pncActionNeeded(app);
    const now = clock.now();
    const lease = { now, leaseUntil: new Date(now.getTime() + 60_000), limit: 10 };
    const [d] = await claimDeliveries(db, { owner: "instance-a", ...lease });
    const item = { id: d.id, at: now, httpStatus: 204 };
    assert.equal((await settleDelivered(db, { owner: "instance-b", items: [item] })).size, 0);
    assert.deepEqual([...await settleDelivered(db, { owner: "instance-a", items: [item] })], [
      d.id,
    ]);
    const [settled] = await deliveriesOf(app, p.id, "delivered");
    assert.deepEqual([settled.id, settled.lastStatus, settled.deliveredAt], [
      d.id,
      204,
      now.toISOString(),
    ]);
  },
);

forEachDatabase(
  "partner deliveries - a hanging partner holds its own share of the worker, never the others'",
  async (_t, db) => {
    const clock = new ManualClock(T0);
    // Attempts to the hanging partner stay in flight for the whole test.
    const env = { ...ENV, PARTNER_WEBHOOK_TIMEOUT_SECONDS: "60" };
    await using app = await startTestApp({ db, clock, env });
    const hanging = startFakePartner();
    await using healthy = startFakePartner();
    const subscribe = (fake: FakePartner) =>
      subscribedPartner(app, { url: `${fake.origin}/hook`, events: ["pnc.action_needed"] });
    await subscribe(hanging);
    // A backlog to the hanging partner, older than anything the healthy one gets.
    for (let i = 0; i < 60; i++) {
      hanging.answers.push("hang");
      await pncActionNeeded(app);
    }
    await subscribe(healthy);
    for (let i = 0; i < 5; i++) await pncActionNeeded(app);
    const stop = app.deps.partnerDeliveries.start({
      idleMs: 20,
      maxInFlight: 8,
      maxInFlightPerPartner: 3,
    });
    try {
      const deadline = performance.now() + 10_000;
      while (healthy.received.length < 5 && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(healthy.received.length, 5, "the healthy partner got all its deliveries");
      assert.equal(hanging.received.length, 3, "the hanging partner holds only its share");
    } finally {
      await hanging.close(); // ends the hung attempts, so stopping does not wait for them
      await stop();
    }
  },
);
