/**
 * The app under load: the real `createApp` + `buildDeps` on a throwaway
 * PostgreSQL database, plus verify-only baselines of both hooks and a few
 * read-outs for `bench/run.ts`. Listens on 127.0.0.1 only.
 *
 *   deno run -A bench/server.ts [--driver pg|postgres-js] [--pool 10]
 *     [--port 8787] [--log-level info] [--log-file PATH] [--old-pairs 10000]
 *     [--prepared]
 *
 * Flags override the app's own variables (DATABASE_DRIVER, DATABASE_POOL_SIZE,
 * LOG_LEVEL). Logs go to stdout unless --log-file names a file (/dev/null
 * included). Maintenance (it would prune the old pairs) and the billing
 * workers are not started.
 * SIGTERM/SIGINT close the server and drop the database.
 */
import { adminQuery as sharedAdminQuery } from "../tests/_support/pg_admin.ts";
import { parseArgs } from "node:util";
import { getStreamSink, jsonLinesFormatter } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import { openDatabase } from "../db/client.ts";
import { loadConfig } from "../lib/config.ts";
import { setupLogging, teardownLogging } from "../lib/logging.ts";
import { buildDeps } from "../server.ts";
import { verifySignedRequest } from "../lib/signed_request.ts";
import { createApp } from "../routes/_app.ts";
import { BENCH_CHARGER, BENCH_METER_KEY, BENCH_PREAUTH_KEY } from "./fixtures.ts";
import { withPreparedStatements } from "./prepared_db.ts";

const ADMIN_URL = Deno.env.get("BENCH_ADMIN_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    driver: { type: "string" },
    pool: { type: "string" },
    port: { type: "string", default: "8787" },
    "log-level": { type: "string" },
    "log-file": { type: "string" },
    "old-pairs": { type: "string", default: "0" },
    prepared: { type: "boolean", default: false },
  },
});

const adminQuery = (text: string) => sharedAdminQuery(ADMIN_URL, text);

const env = Deno.env.toObject();
const config = loadConfig({
  ...env,
  STEVE_PREAUTH_HMAC_KEY: env.STEVE_PREAUTH_HMAC_KEY ?? BENCH_PREAUTH_KEY,
  STEVE_METERVALUE_HMAC_KEY: env.STEVE_METERVALUE_HMAC_KEY ?? BENCH_METER_KEY,
  DATABASE_DRIVER: flags.driver ?? env.DATABASE_DRIVER,
  DATABASE_POOL_SIZE: flags.pool ?? env.DATABASE_POOL_SIZE,
  LOG_LEVEL: flags["log-level"] ?? env.LOG_LEVEL,
  PORT: flags.port,
});

const logFile = flags["log-file"]
  ? await Deno.open(flags["log-file"], {
    write: true,
    create: true,
    truncate: true,
  })
  : undefined;
await setupLogging(
  config.logLevel,
  logFile ? getStreamSink(logFile.writable, { formatter: jsonLinesFormatter }) : undefined,
);

const name = `es_bench_hooks_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
await adminQuery(`create database ${name}`);
const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
const appDb = await openDatabase({
  url,
  driver: config.databaseDriver,
  poolSize: config.databasePoolSize,
});
const db = flags.prepared
  ? withPreparedStatements(appDb, { url, poolSize: config.databasePoolSize })
  : appDb;

const oldPairs = Number(flags["old-pairs"]);
if (oldPairs > 0) {
  // Finished pairs of the benchmarked charger, a day old: what pruning has not removed yet.
  await db.rows(sql`
    insert into scan_pairs (charge_box_id, browser_hash, status, id_tag,
                            created_at, expires_at, matched_at, finished_at)
    select ${BENCH_CHARGER}, md5(i::text),
           (array['expired', 'cancelled', 'consumed'])[1 + i % 3], 'OLD-TAG-' || i,
           now() - interval '1 day' - i * interval '1 second',
           now() - interval '1 day' - i * interval '1 second' + interval '90 seconds',
           null, now() - interval '1 day'
    from generate_series(1, ${oldPairs}) as i`);
  await db.rows(sql`analyze scan_pairs`);
}

const deps = await buildDeps({ config, db });
const app = createApp(deps);

// Baselines: the same hook definitions, verified and answered, nothing else.
app.post("/bench/verify-only/pre-authorize", async (c) => {
  await verifySignedRequest(c.get("services").preAuthorizeHook, c.req.raw);
  return c.json({ ok: true });
});
app.post("/bench/verify-only/meter-values", async (c) => {
  await verifySignedRequest(c.get("services").meterValuesHook, c.req.raw);
  return c.json({ ok: true });
});

/** Requests received since start: `run.ts` samples it for a throughput timeline. */
let received = 0;
app.get("/bench/received", (c) => c.json({ received }));

/** Counters read before and after a load (cluster-wide WAL figures included). */
app.get("/bench/stats", async (c) => {
  const [counts] = await db.rows<Record<string, string | number>>(sql`
    select (select count(*) from meter_samples) as meter_samples,
           (select count(*) from live_sessions) as live_sessions,
           (select seq_scan from pg_stat_user_tables where relname = 'scan_pairs')
             as scan_pairs_seq_scans,
           (select idx_scan from pg_stat_user_indexes
             where indexrelname = 'scan_pairs_active_per_charger') as active_index_scans,
           (select xact_commit from pg_stat_database where datname = current_database())
             as commits,
           (select wal_sync from pg_stat_wal) as wal_syncs`);
  const [{ setting }] = await db.rows<{ setting: string }>(
    sql`select current_setting('synchronous_commit') as setting`,
  );
  return c.json({
    received,
    synchronousCommit: setting,
    hooksOk: {
      preAuthorize: deps.hookStats.counts("PreAuthorize").ok ?? 0,
      meterValues: deps.hookStats.counts("MeterValues").ok ?? 0,
    },
    db: Object.fromEntries(
      Object.entries(counts).map(([k, v]) => [k, Number(v)]),
    ),
  });
});

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: config.port,
  onListen: ({ port }) =>
    console.error(
      `bench server on http://127.0.0.1:${port} (${db.driver}, pool ${config.databasePoolSize}, ` +
        `${flags.prepared ? "prepared statements, " : ""}` +
        `log ${config.logLevel} to ${flags["log-file"] ?? "stdout"}, database ${name})`,
    ),
}, (request, info) => {
  received++;
  return app.fetch(request, { remoteAddr: info.remoteAddr });
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.shutdown();
  await db.close();
  await adminQuery(`drop database if exists ${name} with (force)`);
  await teardownLogging(); // flushes and closes the log file
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
