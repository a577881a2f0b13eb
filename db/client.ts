/**
 * Opens the database: embedded PGlite when no `DATABASE_URL` is given, else a
 * real PostgreSQL through node-postgres (default) or postgres.js. Migrations
 * from `migrations/` are applied on open for every driver.
 */
import { fileURLToPath } from "node:url";
import type { SQL } from "drizzle-orm";
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from "drizzle-orm/pg-core";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePostgresJs } from "drizzle-orm/postgres-js";
import pg from "pg";
import postgres from "postgres";
import * as schema from "./schema.ts";

export type DatabaseDriver = "pglite" | "pg" | "postgres-js";
export type Drizzle = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Runs statements: the database itself, or one transaction of it. */
export interface Executor {
  /** drizzle query builder (CRUD). */
  readonly orm: Drizzle;
  /** Runs one SQL statement and returns its rows, whatever the driver. */
  rows<T>(query: SQL): Promise<T[]>;
}

/** What the rest of the app sees of the database. */
export interface Database extends Executor {
  readonly driver: DatabaseDriver;
  /**
   * The database as an executor whose statements are not prepared: each is
   * planned for its own parameters. For a statement whose generic plan goes
   * wrong (the batched meter statement: lib/meter_group_commit.ts).
   */
  readonly unprepared: Executor;
  /** Runs `fn` in one transaction: all its writes land, or none. */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// postgres.js answers rows as an array; PGlite and node-postgres as `{ rows }`.
const rowsOf = <T>(result: unknown): T[] =>
  Array.isArray(result) ? result as T[] : (result as { rows: T[] }).rows;

/** Runs a statement's text and parameters as a prepared statement; answers its rows. */
type PreparedRunner = (text: string, params: unknown[]) => Promise<unknown[]>;

function wrap(
  driver: DatabaseDriver,
  orm: Drizzle,
  close: () => Promise<void>,
  prepared?: PreparedRunner,
): Database {
  const executor = (o: Drizzle): Executor => ({
    orm: o,
    rows: async <T>(q: SQL) => rowsOf<T>(await o.execute(q)),
  });
  const dialect = new PgDialect();
  let closing: Promise<void> | undefined;
  return {
    ...executor(orm),
    // Outside transactions, raw statements (the hooks' hot paths) are prepared: PostgreSQL
    // then plans each once per connection instead of on every call (docs/performance.md).
    ...(prepared
      ? {
        rows: async <T>(q: SQL) => {
          const { sql: text, params } = dialect.sqlToQuery(q);
          return await prepared(text, params) as T[];
        },
      }
      : {}),
    driver,
    unprepared: executor(orm),
    transaction: (fn) => orm.transaction((tx) => fn(executor(tx as unknown as Drizzle))),
    // Idempotent: shutdown paths and test disposers may both close.
    close: () => closing ??= close(),
  };
}

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; when absent, PGlite is used. */
  url?: string;
  /** PGlite data directory; `memory://` (or undefined) keeps it in memory. */
  dataDir?: string;
  /** Which client speaks to PostgreSQL (see docs/performance.md for why pg). */
  driver?: "pg" | "postgres-js";
  poolSize?: number;
  /** Server-side cap on any statement, so a stuck query frees its connection. */
  statementTimeoutMs?: number;
}

const MIGRATIONS_FOLDER = fileURLToPath(
  new URL("../migrations", import.meta.url),
);
/** Several app instances may start at once; this lock serializes their migrations. */
const MIGRATION_LOCK_KEY = 727_401_001;

export async function openDatabase(
  options: OpenDatabaseOptions,
): Promise<Database> {
  if (!options.url) return await openPglite(options.dataDir);
  await migratePostgres(options.url);
  const poolSize = options.poolSize ?? 10;
  const statementTimeout = options.statementTimeoutMs ?? 5_000;
  // No JIT: every statement here is short OLTP work, and an estimate inflated by a
  // small unanalyzed table (the partner claim: 600k rows guessed for 60 real) made
  // PostgreSQL JIT-compile it, 15–45 ms per claim instead of 0.2 (bench/partner_deliveries.ts).
  const jit = "off";
  if (options.driver === "postgres-js") {
    const client = postgres(options.url, {
      max: poolSize,
      onnotice: () => {},
      connection: { statement_timeout: statementTimeout, jit },
    });
    const orm = drizzlePostgresJs(client, { schema }) as unknown as Drizzle;
    return wrap(
      "postgres-js",
      orm,
      () => client.end({ timeout: 5 }),
      (text, params) => client.unsafe(text, params as never[], { prepare: true }),
    );
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: poolSize,
    statement_timeout: statementTimeout,
    options: `-c jit=${jit}`,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection must not crash the process.
  pool.on("error", () => {});
  const orm = drizzleNodePg(pool, { schema }) as unknown as Drizzle;
  // node-postgres prepares a statement when it has a name; one name per distinct text.
  const names = new Map<string, string>();
  return wrap("pg", orm, () => pool.end(), async (text, params) => {
    let name = names.get(text);
    if (!name) names.set(text, name = `es_${names.size}`);
    return (await pool.query({ name, text, values: params })).rows;
  });
}

async function openPglite(dataDir?: string): Promise<Database> {
  // PGlite creates only the last path segment; make the parents (e.g. ./data/demo).
  if (dataDir && dataDir !== "memory://") {
    await Deno.mkdir(dataDir, { recursive: true });
  }
  const client = dataDir && dataDir !== "memory://" ? new PGlite(dataDir) : new PGlite();
  await client.waitReady;
  const orm = drizzlePglite(client, { schema });
  await migratePglite(orm, { migrationsFolder: MIGRATIONS_FOLDER });
  return wrap("pglite", orm as unknown as Drizzle, () => client.close());
}

async function migratePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await migrateNodePg(drizzleNodePg(client), {
      migrationsFolder: MIGRATIONS_FOLDER,
    });
  } finally {
    await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY])
      .catch(() => {});
    await client.end();
  }
}
