/**
 * Experiment, not the app's code: a {@link Database} whose `rows()` sends each
 * distinct statement as a prepared statement, so PostgreSQL parses and plans
 * it once per connection instead of on every call (`db.execute` in drizzle
 * sends raw SQL unnamed, for node-postgres and postgres.js alike).
 * `bench/server.ts --prepared` uses it to measure what that change to
 * `db/client.ts` would buy. It opens a pool of its own beside the app's.
 */
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import postgres from "postgres";
import type { Database } from "../db/client.ts";

export function withPreparedStatements(
  db: Database,
  options: { url: string; poolSize: number },
): Database {
  const dialect = new PgDialect();
  let run: (text: string, params: unknown[]) => Promise<unknown[]>;
  let end: () => Promise<void>;
  if (db.driver === "postgres-js") {
    const client = postgres(options.url, { max: options.poolSize });
    // postgres.js names and caches a statement per query text when asked to.
    run = (text, params) => client.unsafe(text, params as never[], { prepare: true });
    end = () => client.end({ timeout: 5 });
  } else {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
    });
    const names = new Map<string, string>();
    run = async (text, params) => {
      let name = names.get(text);
      if (!name) names.set(text, name = `bench_${names.size}`);
      return (await pool.query({ name, text, values: params })).rows;
    };
    end = () => pool.end();
  }
  return {
    ...db,
    rows: async <T>(query: SQL) => {
      const { sql, params } = dialect.sqlToQuery(query);
      return await run(sql, params) as T[];
    },
    close: async () => {
      await end();
      await db.close();
    },
  };
}
