/**
 * Partner deliveries under concurrency and crashes, on PostgreSQL: two
 * workers never send one attempt twice, and the app killed with SIGKILL while
 * an attempt is in flight delivers it after a restart, with the same bytes.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { ManualClock } from "../lib/clock.ts";
import { deliverPartnerRound, type PartnerWorkerDeps } from "../lib/partner_deliveries/worker.ts";
import { appProcess } from "./_support/app_process.ts";
import { openTestDatabase, postgresAvailable } from "./_support/db.ts";
import { ADMIN_TOKEN, HUBJECT_SECRET, pncPost, startTestApp, uniqueId } from "./_support/app.ts";
import { startFakePartner, subscribedPartner } from "./_support/partner.ts";

function pgTest(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `[postgres] ${name}`, ignore: !postgresAvailable, fn });
}

const postPnc = async (app: { url: string }) => {
  const res = await pncPost(app, {
    eventId: uniqueId("evt"),
    eventType: "root.cert.added",
    payload: {},
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
};

pgTest("partner deliveries - two workers on one database never send an attempt twice", async () => {
  await using db = await openTestDatabase("postgres");
  const clock = new ManualClock(Date.parse("2026-11-29T13:00:00Z"));
  await using app = await startTestApp({
    db,
    clock,
    env: { PARTNER_WEBHOOKS_ALLOW_LOCAL: "true" },
  });
  await using fake = startFakePartner();
  await subscribedPartner(app, { url: `${fake.origin}/a`, events: ["pnc.action_needed"] });
  await subscribedPartner(app, { url: `${fake.origin}/b`, events: ["pnc.action_needed"] });
  for (let i = 0; i < 40; i++) await postPnc(app);
  const base = app.deps.partnerDeliveries.worker;
  const workers: PartnerWorkerDeps[] = ["instance-a", "instance-b"].map((owner) => ({
    ...base,
    owner,
    batchLimit: 7,
  }));
  const claimedBy = new Map<string, number>();
  await Promise.all(workers.map(async (w) => {
    for (let i = 0; i < 100; i++) {
      const round = await deliverPartnerRound(w);
      claimedBy.set(w.owner, (claimedBy.get(w.owner) ?? 0) + round.claimed);
      if (round.claimed === 0) return;
    }
  }));
  assert.equal(fake.received.length, 80);
  const copies = new Set(
    fake.received.map((r) => `${r.path} ${r.headers.get("x-expressync-event-id")}`),
  );
  assert.equal(copies.size, 80, "each (partner, event) was sent once");
  assert.ok([...claimedBy.values()].every((n) => n > 0), "both workers took a share");
  const [{ delivered }] = await db.rows<{ delivered: number }>(sql`
    select count(*)::int as delivered from partner_deliveries where status = 'delivered'
      and attempts = 1`);
  assert.equal(delivered, 80);
});

pgTest(
  "partner deliveries - SIGKILL with an attempt in flight, then a restart: delivered, same bytes",
  async () => {
    await using db = await openTestDatabase("postgres");
    await using fake = startFakePartner();
    fake.answers.push("hang"); // the first attempt stays in flight until the kill
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const env = {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      DATABASE_URL: db.url!,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      HUBJECT_WEBHOOK_SECRET: HUBJECT_SECRET,
      PARTNER_WEBHOOKS_ALLOW_LOCAL: "true",
      PARTNER_WEBHOOK_TIMEOUT_SECONDS: "1",
      LOG_LEVEL: "warning",
    };
    const { start, ready, base } = appProcess(env, port);
    const waitFor = async (what: string, test: () => Promise<boolean> | boolean) => {
      for (let i = 0; i < 300; i++) {
        if (await test()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}`);
    };

    let child = start();
    try {
      await ready();
      const created = await fetch(`${base}/api/admin/partners`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({
          name: "Crash",
          url: `${fake.origin}/hook`,
          events: ["pnc.action_needed"],
        }),
      });
      assert.equal(created.status, 201);
      await created.body?.cancel();
      await postPnc({ url: base });
      await waitFor("the attempt in flight", () => fake.received.length === 1);
      child.kill("SIGKILL");
      await child.status;
      const [leased] = await db.rows<{ status: string; lease_owner: string | null }>(
        sql`select status, lease_owner from partner_deliveries`,
      );
      assert.equal(leased.status, "pending");
      assert.ok(leased.lease_owner, "killed with the attempt leased and in flight");

      child = start();
      await ready();
      // The dead instance's lease (3 × 1 s + 5 s) expires; the new instance sends it.
      await waitFor("the delivery", async () => {
        const [row] = await db.rows<{ status: string }>(
          sql`select status from partner_deliveries`,
        );
        return row.status === "delivered";
      });
      assert.equal(fake.received.length, 2, "sent again once, after the lease expired");
      const [first, second] = fake.received;
      assert.equal(second.text, first.text, "the same bytes");
      assert.equal(
        second.headers.get("x-expressync-event-id"),
        first.headers.get("x-expressync-event-id"),
        "the same event id, for the partner's deduplication",
      );
      const [row] = await db.rows<{ attempts: number; lease_owner: string | null }>(
        sql`select attempts, lease_owner from partner_deliveries`,
      );
      assert.deepEqual([row.attempts, row.lease_owner], [1, null]);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    }
  },
);
