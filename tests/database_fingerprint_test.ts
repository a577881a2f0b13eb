/**
 * `databaseFingerprint` (tests/_support/db.ts) is what many tests use to show
 * "nothing was written": it must cover every table, and change when any row does.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import {
  databaseFingerprint,
  forEachDatabase,
  REQUEST_BOOKKEEPING_TABLES,
  TABLES,
} from "./_support/db.ts";

forEachDatabase("database fingerprint", async (t, db) => {
  await t.step("covers every table of the migrated database", async () => {
    const rows = await db.rows<{ name: string }>(sql`
      select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`);
    assert.ok(TABLES.length > 0);
    assert.deepEqual([...TABLES].sort(), rows.map((r) => r.name).sort());
    assert.deepEqual(
      Object.keys(await databaseFingerprint(db)).sort(),
      TABLES.filter((t) => !REQUEST_BOOKKEEPING_TABLES.has(t)).sort(),
    );
  });

  await t.step("changes when a row is written", async () => {
    const before = await databaseFingerprint(db);
    await db.rows(sql`insert into feature_flags (name, enabled, updated_at)
      values ('fingerprint-probe', true, '2026-11-23T12:00:00Z')`);
    const after = await databaseFingerprint(db);
    assert.notDeepEqual(after, before);
    assert.notEqual(after.feature_flags, before.feature_flags);
  });
});
