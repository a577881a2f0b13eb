import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openDatabase } from "../../db/client.ts";
import { kwhOf } from "./outbox.ts";

Deno.test("kwhOf - three decimals, halves up", () => {
  const cases: Array<[number, string]> = [
    [0, "0.000"],
    [499, "0.000"],
    [500, "0.001"],
    [1_234, "0.001"],
    [5_500_500, "5.501"],
    [11_345_678, "11.346"],
    [12_345_678_999_500, "12345679.000"],
  ];
  for (const [mwh, kwh] of cases) assert.equal(kwhOf(mwh), kwh, String(mwh));
});

Deno.test("kwhOf - spells kWh as the meter-values statement does (PostgreSQL's round)", async () => {
  await using db = await (async () => {
    const d = await openDatabase({});
    return Object.assign(d, { [Symbol.asyncDispose]: () => d.close() });
  })();
  const values = [0, 1, 499, 500, 501, 999_499, 999_500, 1_000_000, 5_500_500, 123_456_789_500];
  for (let i = 0; i < 200; i++) values.push(Math.floor(Math.random() * 1e12));
  const rows = await db.rows<{ mwh: string; kwh: string }>(sql`
    select v::text as mwh, to_char(round(v / 1000000.0, 3), 'FM999999999990.000') as kwh
    from unnest(${`{${values.join(",")}}`}::bigint[]) as v`);
  for (const r of rows) assert.equal(kwhOf(Number(r.mwh)), r.kwh, r.mwh);
});
