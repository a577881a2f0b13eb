/**
 * Every decision by time reads the injected clock: no column takes the
 * database's `now()` by default, and no module outside the clock reads the
 * wall clock. Tests pin readings to fixed dates with a ManualClock, so a path
 * that reads the real time fails them on any other day.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { forEachDatabase } from "./_support/db.ts";

forEachDatabase("time source - no column defaults to the database clock", async (_t, db) => {
  const rows = await db.rows<{ col: string; def: string }>(sql`
    select table_name || '.' || column_name as col, column_default as def
    from information_schema.columns
    where table_schema = 'public'
      and (column_default ilike '%now()%' or column_default ilike '%current_timestamp%')`);
  assert.deepEqual(rows, []);
});

Deno.test("time source - app code reads time only through the clock", async () => {
  const root = new URL("../", import.meta.url);
  const offenders: string[] = [];
  let scanned = 0;
  // Date.now(), new Date() and SQL's now(); `clock.now()` and `performance.now()` are fine.
  const wallClock =
    /\bDate\.now\(\)|new Date\(\)|(?<![.\w])now\(\)|current_timestamp|localtimestamp/i;
  async function scan(url: URL) {
    scanned++;
    const lines = (await Deno.readTextFile(url)).split("\n");
    lines.forEach((line, i) => {
      if (wallClock.test(line)) offenders.push(`${url.pathname}:${i + 1}`);
    });
  }
  async function walk(dir: URL) {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith("_test.ts")) await scan(url);
    }
  }
  for (const dir of ["lib/", "db/", "routes/"]) await walk(new URL(dir, root));
  for (const file of ["server.ts", "main.ts"]) await scan(new URL(file, root));
  assert.ok(scanned > 50, `the walk read the app's modules (${scanned})`);
  // The clock itself, and durations measured for logs (never a decision).
  const allowed = [/lib\/clock\.ts:/];
  assert.deepEqual(offenders.filter((o) => !allowed.some((a) => a.test(o))), []);
});
