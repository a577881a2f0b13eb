/**
 * Test databases: in-memory PGlite, and a throwaway database on the real
 * PostgreSQL (`TEST_DATABASE_URL`, default the local trust-auth server).
 *
 * When PostgreSQL is unreachable its tests are skipped with a warning, except
 * under CI or `REQUIRE_POSTGRES=1`, where that is a failure.
 */
import { adminQuery as sharedAdminQuery } from "./pg_admin.ts";
import pg from "pg";
import { is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { type Database, openDatabase } from "../../db/client.ts";
import * as schema from "../../db/schema.ts";

export type DatabaseKind = "pglite" | "postgres";

export const ADMIN_URL = Deno.env.get("TEST_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";
const REQUIRE_POSTGRES = Deno.env.get("CI") === "true" ||
  Deno.env.get("REQUIRE_POSTGRES") === "1";

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({
    connectionString: ADMIN_URL,
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch (error) {
    if (REQUIRE_POSTGRES) {
      throw new Error(
        `PostgreSQL required but unreachable at ${ADMIN_URL}: ${error}`,
      );
    }
    console.warn(
      `PostgreSQL unreachable at ${ADMIN_URL}: its tests are skipped (${error})`,
    );
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export const postgresAvailable = await probePostgres();

const adminQuery = (text: string) => sharedAdminQuery(ADMIN_URL, text);

/** A migrated database of its own; disposing it closes (and for PostgreSQL drops) it. */
export async function openTestDatabase(
  kind: DatabaseKind,
  options: { poolSize?: number } = {},
): Promise<Database & AsyncDisposable & { url?: string }> {
  if (kind === "pglite") {
    const db = await openDatabase({});
    return { ...db, [Symbol.asyncDispose]: () => db.close() };
  }
  const name = `es_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await adminQuery(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const db = await openDatabase({ url, poolSize: options.poolSize ?? 20 });
  let dropped: Promise<void> | undefined;
  const close = () =>
    dropped ??= (async () => {
      await db.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    })();
  return { ...db, url, close, [Symbol.asyncDispose]: close };
}

/**
 * Registers `fn` once per database kind, as `[pglite] name` and `[postgres] name`.
 * Each run gets its own fresh database.
 */
export function forEachDatabase(
  name: string,
  fn: (t: Deno.TestContext, db: Database, kind: DatabaseKind) => Promise<void>,
  options: { kinds?: DatabaseKind[] } = {},
): void {
  for (
    const kind of options.kinds ?? ["pglite", "postgres"] as DatabaseKind[]
  ) {
    Deno.test({
      name: `[${kind}] ${name}`,
      ignore: kind === "postgres" && !postgresAvailable,
      async fn(t) {
        await using db = await openTestDatabase(kind);
        await fn(t, db, kind);
      },
    });
  }
}

/**
 * Every table `db/schema.ts` declares, read from the schema itself so a new
 * table is in the fingerprint without anyone adding it here
 * (tests/database_fingerprint_test.ts checks it against the migrated database).
 */
export const TABLES: readonly string[] = (Object.values(schema) as unknown[])
  .filter((value): value is PgTable => is(value, PgTable))
  .map((table) => getTableConfig(table).name)
  .sort();

/**
 * Tables that count requests rather than record what they did: a refused
 * request still counts against the rate limit (that is its purpose), and an
 * open stream holds a lease. Tests of those pin them directly.
 */
export const REQUEST_BOOKKEEPING_TABLES: ReadonlySet<string> = new Set([
  "rate_limit_counters",
  "stream_leases",
]);

/**
 * Row counts and a digest of every table but {@link REQUEST_BOOKKEEPING_TABLES}:
 * equal before and after means nothing was written.
 */
export async function databaseFingerprint(
  db: Database,
): Promise<Record<string, string>> {
  if (TABLES.length === 0) throw new Error("no tables found in db/schema.ts");
  const out: Record<string, string> = {};
  for (const table of TABLES.filter((t) => !REQUEST_BOOKKEEPING_TABLES.has(t))) {
    const { sql } = await import("drizzle-orm");
    const [row] = await db.rows<{ n: number; digest: string | null }>(
      sql.raw(
        `select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as digest from ${table} t`,
      ),
    );
    out[table] = `${row.n}:${row.digest}`;
  }
  return out;
}
