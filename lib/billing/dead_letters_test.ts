import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { databaseFingerprint, forEachDatabase } from "../../tests/_support/db.ts";
import { ManualClock } from "../clock.ts";
import { AppError } from "../errors.ts";
import { retryDeadLetters } from "./dead_letters.ts";

const AT = Date.parse("2026-11-23T12:00:00Z");

forEachDatabase("billing - retryDeadLetters", async (t, db) => {
  const clock = new ManualClock(AT);
  const deps = { db, clock };
  const old = new Date(AT - 3600_000).toISOString();
  await db.rows(sql`
    insert into usage_events (transaction_pk, event_id, kind, delta_mwh, occurred_at, status, attempts, next_attempt_at, created_at)
    values (1, 'e-1', 'reading', 10, ${old}, 'dead', 9, ${old}, ${old}),
           (1, 'e-2', 'reading', 20, ${old}, 'dead', 9, ${old}, ${old}),
           (1, 'e-3', 'reading', 30, ${old}, 'delivered', 1, ${old}, ${old})`);
  const byId = async () =>
    Object.fromEntries(
      (await db.rows<{ event_id: string; id: number; status: string; attempts: number }>(
        sql`select id::int as id, event_id, status, attempts from usage_events order by event_id`,
      )).map((r) => [r.event_id, r]),
    );

  await t.step("bad ids are invalid_body naming the field, and change nothing", async () => {
    const before = await databaseFingerprint(db);
    for (const ids of [["x"], [0], [1.5], "1"]) {
      await assert.rejects(retryDeadLetters(deps, { ids }), (e) => {
        assert.ok(e instanceof AppError);
        assert.equal(e.code, "invalid_body");
        assert.match(String(e.details.field), /^ids/);
        return true;
      });
    }
    assert.deepEqual(await databaseFingerprint(db), before);
  });

  await t.step("the given ids only go back in the queue, due at the injected now", async () => {
    const rows = await byId();
    assert.deepEqual(await retryDeadLetters(deps, { ids: [rows["e-1"].id, rows["e-3"].id] }), {
      retried: 1,
    });
    const after = await byId();
    assert.deepEqual(
      [after["e-1"].status, after["e-1"].attempts, after["e-2"].status, after["e-3"].status],
      ["pending", 0, "dead", "delivered"],
    );
    const [due] = await db.rows<{ ms: number }>(
      sql`select (extract(epoch from next_attempt_at) * 1000)::float8 as ms from usage_events where event_id = 'e-1'`,
    );
    assert.equal(Number(due.ms), AT);
  });

  await t.step("no ids: every dead letter", async () => {
    assert.deepEqual(await retryDeadLetters(deps, {}), { retried: 1 });
    assert.equal((await byId())["e-2"].status, "pending");
  });
});
