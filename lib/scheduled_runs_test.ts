import assert from "node:assert/strict";
import { Cron } from "croner";
import { forEachDatabase } from "../tests/_support/db.ts";
import { ManualClock } from "./clock.ts";
import { cronSlot, intervalSlot, runOncePerSlot } from "./scheduled_runs.ts";

forEachDatabase("scheduled runs", async (t, db) => {
  await t.step("two instances firing for one slot: the job runs once", async () => {
    const clock = new ManualClock(Date.parse("2026-11-23T10:00:00Z"));
    let runs = 0;
    const job = () => Promise.resolve(runs++);
    const fired = await Promise.all(
      ["a", "b", "a", "b"].map((instanceId) =>
        runOncePerSlot({ db, clock, instanceId }, { job: "j", slot: "s1" }, job)
      ),
    );
    assert.equal(runs, 1);
    assert.equal(fired.filter(Boolean).length, 1);
    assert.equal(
      await runOncePerSlot({ db, clock, instanceId: "b" }, { job: "j", slot: "s2" }, job),
      true,
    );
    assert.equal(
      await runOncePerSlot({ db, clock, instanceId: "a" }, { job: "k", slot: "s1" }, job),
      true,
    );
    assert.equal(runs, 3, "another slot, another job: each runs");
  });

  await t.step("a run that fails leaves its slot claimed: not retried within it", async () => {
    const clock = new ManualClock(Date.parse("2026-11-23T10:00:00Z"));
    const deps = { db, clock, instanceId: "a" };
    await assert.rejects(
      runOncePerSlot(deps, { job: "crashy", slot: "s" }, () => Promise.reject(new Error("boom"))),
    );
    assert.equal(
      await runOncePerSlot(deps, { job: "crashy", slot: "s" }, () => Promise.resolve()),
      false,
    );
  });
});

Deno.test("scheduled runs - slots are the same on every instance whenever its timer fires", () => {
  const every = 10 * 60_000;
  assert.equal(
    intervalSlot(new Date("2026-11-23T10:03:00Z"), every),
    intervalSlot(new Date("2026-11-23T10:09:59Z"), every),
  );
  assert.notEqual(
    intervalSlot(new Date("2026-11-23T10:09:59Z"), every),
    intervalSlot(new Date("2026-11-23T10:10:00Z"), every),
  );
  const cron = new Cron("*/5 * * * * *", { paused: true });
  const slot = cronSlot(cron, new Date("2026-11-23T10:00:05.000Z"));
  assert.equal(cronSlot(cron, new Date("2026-11-23T10:00:05.480Z")), slot);
  assert.notEqual(cronSlot(cron, new Date("2026-11-23T10:00:10.001Z")), slot);
  cron.stop();
});
