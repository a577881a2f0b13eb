/**
 * Drain rate of the Lago usage outbox on PostgreSQL: N pending billable
 * events, K concurrent `deliverOnce` loops (distinct owners, the real
 * `createLagoSender` over HTTP) against the fake Lago, until the queue is
 * empty. Then checks that Lago got every event exactly once and the exact sum.
 *
 *   deno run -A bench/lago_drain.ts [--events 50000] [--workers 1,2,4]
 *     [--pool 10] [--seconds-max 120] [--sessions 300] [--customers 50]
 *     [--unbillable 0] [--lago process|inline] [--explain] [--without-claim-index]
 *
 * Each worker count gets a freshly seeded queue and a fresh fake. A drain
 * still running after `--seconds-max` stops and fails. A drain disturbed by
 * other work on the machine (CPU outside this bench, its fake and its
 * PostgreSQL backends, or PostgreSQL pinned to fewer CPUs) is run again,
 * twice at most. The fake runs in a child process by default so its CPU
 * shows apart from the workers'; `--lago inline` serves it from this
 * process. The database (`es_bench_lago_*`) is dropped at the end, also on
 * failure. Exits 1 when a check fails.
 *
 * `--unbillable M` queues M older events no worker may claim (their tags have
 * no customer): the first claims set them aside (status `unbillable`); `--explain` prints the claim's plan on the full queue;
 * `--without-claim-index` puts back the schema before `usage_events_claim_idx`
 * (the `(next_attempt_at, id)` pending index), to compare.
 */
import { adminQuery as sharedAdminQuery } from "../tests/_support/pg_admin.ts";
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import pg from "pg";
import { type Database, openDatabase } from "../db/client.ts";
import { claimEvents } from "../db/queries/usage_events.ts";
import { mwhToKwhString } from "../lib/billing/kwh.ts";
import { createLagoSender, type LagoSender } from "../lib/billing/lago_client.ts";
import {
  deliverOnce,
  type DeliveryRound,
  type LagoWorkerDeps,
} from "../lib/billing/lago_worker.ts";
import { systemClock } from "../lib/clock.ts";
import { logger } from "../lib/logging.ts";
import { type FakeLago, startFakeLago } from "../tests/fakes/fake_lago.ts";
import { readRoleCpu, roleCpuBetween, type RoleCpuSnapshot } from "./cpu.ts";

const ADMIN_URL = Deno.env.get("BENCH_ADMIN_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";
const TARGET_PER_S = 5_000;
/** More CPU than this (% of one core) used by others marks a figure disturbed. */
const DISTURBED_OTHER_PCT = 25;
/** PostgreSQL pinned to fewer CPUs than these (by another bench run) also disturbs a figure. */
const ALL_CPUS = `0-${navigator.hardwareConcurrency - 1}`;

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "50000" },
    workers: { type: "string", default: "1,2,4" },
    pool: { type: "string", default: "10" },
    "seconds-max": { type: "string", default: "120" },
    sessions: { type: "string", default: "300" },
    unbillable: { type: "string", default: "0" },
    customers: { type: "string", default: "50" },
    lago: { type: "string", default: "process" },
    explain: { type: "boolean", default: false },
    "without-claim-index": { type: "boolean", default: false },
    "serve-fake": { type: "boolean", default: false },
  },
});
const subscription = (c: number) => `bench-sub-${c}`;

/** What the fake holds after a drain, reduced to what the checks compare. */
interface FakeReport {
  stored: number;
  duplicatesRejected: number;
  sum: string;
  /** SHA-256 of the sorted `transaction_id|subscription|kwh` lines. */
  digest: string;
  /** Events over all batch requests (more than stored: something was resent). */
  sent: number;
  requests: number;
  non200: number;
}

function reportOf(fake: FakeLago): FakeReport {
  const lines = [...fake.events.values()].map((e) =>
    `${e.transaction_id}|${e.external_subscription_id}|${e.properties.kwh}`
  ).sort();
  return {
    stored: fake.events.size,
    duplicatesRejected: fake.duplicatesRejected,
    sum: fake.sum(),
    digest: createHash("sha256").update(lines.join("\n")).digest("hex"),
    sent: fake.requests.reduce((n, r) => n + r.size, 0),
    requests: fake.requests.length,
    non200: fake.requests.filter((r) => r.status !== 200).length,
  };
}

interface LagoHandle {
  url: string;
  apiKey: string;
  /** The child process serving the fake; null when inline. */
  pid: number | null;
  report(): Promise<FakeReport>;
  close(): Promise<void>;
}

async function* linesOf(stream: ReadableStream<Uint8Array<ArrayBuffer>>) {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    for (let i; (i = buffer.indexOf("\n")) >= 0;) {
      yield buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
    }
  }
}

/** Child mode: serves the fake, answers `report` lines, ends when stdin closes. */
async function serveFakeToParent(customers: number): Promise<void> {
  const fake = startFakeLago();
  for (let c = 1; c <= customers; c++) fake.addSubscription(subscription(c));
  const out = Deno.stdout.writable.getWriter();
  const send = (value: unknown) =>
    out.write(new TextEncoder().encode(JSON.stringify(value) + "\n"));
  await send({ url: fake.url, apiKey: fake.apiKey });
  for await (const line of linesOf(Deno.stdin.readable)) {
    if (line === "report") await send(reportOf(fake));
  }
  await fake[Symbol.asyncDispose]();
  await out.close();
}

async function startLago(customers: number): Promise<LagoHandle> {
  if (flags.lago === "inline") {
    const fake = startFakeLago();
    for (let c = 1; c <= customers; c++) fake.addSubscription(subscription(c));
    return {
      url: fake.url,
      apiKey: fake.apiKey,
      pid: null,
      report: () => Promise.resolve(reportOf(fake)),
      close: async () => await fake[Symbol.asyncDispose](),
    };
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      import.meta.filename!,
      "--serve-fake",
      `--customers=${customers}`,
    ],
    cwd: new URL("..", import.meta.url),
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const input = child.stdin.getWriter();
  const lines = linesOf(child.stdout);
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error("the fake Lago process ended");
    return JSON.parse(value);
  };
  const { url, apiKey } = await next();
  return {
    url,
    apiKey,
    pid: child.pid,
    async report() {
      await input.write(new TextEncoder().encode("report\n"));
      return await next();
    },
    async close() {
      await input.close().catch(() => {});
      const timer = setTimeout(() => child.kill(), 5_000);
      await child.status;
      clearTimeout(timer);
      await lines.return(undefined);
    },
  };
}

/** What {@link seed} puts in the queue. */
interface SeedPlan {
  events: number;
  sessions: number;
  customers: number;
  /** Older pending events of sessions whose tag has no customer (never claimable). */
  unbillable: number;
}
const UNBILLABLE_SESSIONS = 100;

/**
 * Pending events interleaved over the sessions (as live charging queues
 * them), each billable session's tag owned by a customer with a
 * subscription, each session's `energy_mwh` the sum of its events. The
 * unbillable events come first (lowest ids), as a backlog of unknown cards
 * would. Returns the billable total in kWh.
 */
async function seed(db: Database, plan: SeedPlan): Promise<string> {
  const { events, sessions, customers, unbillable } = plan;
  const extra = unbillable > 0 ? UNBILLABLE_SESSIONS : 0;
  await db.rows(sql`truncate usage_events, live_sessions, tags, customers
    restart identity cascade`);
  // Columns have no time defaults (times come from the app's clock): the bench sets them.
  await db.rows(sql`insert into customers (id, name, lago_subscription_id, created_at, updated_at)
    select 'bench-cust-' || c, 'Bench customer ' || c, 'bench-sub-' || c, now(), now()
    from generate_series(1, ${customers}::int) c`);
  await db.rows(sql`insert into tags (id_tag, customer_id, created_at, updated_at)
    select 'BENCH-TAG-' || s,
      case when s <= ${sessions}::int then 'bench-cust-' || (1 + s % ${customers}::int) end,
      now(), now()
    from generate_series(1, ${sessions + extra}::int) s`);
  await db.rows(sql`
    insert into usage_events (transaction_pk, event_id, kind, delta_mwh, occurred_at, next_attempt_at,
      created_at)
    select tx, 'es-bench-' || tx || '-' || i, 'reading', 1 + (i * 7919) % 5000,
      now() - interval '1 day' + i * interval '10 ms', now() - interval '1 minute',
      now() - interval '1 minute'
    from generate_series(1, ${unbillable + events}::int) i,
    lateral (select case when i <= ${unbillable}::int
      then ${sessions + 1}::int + i % ${Math.max(extra, 1)}::int
      else 1 + i % ${sessions}::int end as tx) t`);
  await db.rows(sql`
    insert into live_sessions (transaction_pk, charge_box_id, connector_id, id_tag,
      customer_id, energy_mwh, started_at, last_reading_at, updated_at, resolve_next_at)
    select s.tx, 'BENCH-CB-' || s.tx, 1, 'BENCH-TAG-' || s.tx, t.customer_id,
      coalesce(e.total, 0), coalesce(e.first, now()), coalesce(e.last, now()), now(), now()
    from generate_series(1, ${sessions + extra}::int) s(tx)
    join tags t on t.id_tag = 'BENCH-TAG-' || s.tx
    left join (select transaction_pk, sum(delta_mwh) as total, min(occurred_at) as first,
        max(occurred_at) as last from usage_events group by 1) e on e.transaction_pk = s.tx`);
  if (flags["without-claim-index"]) {
    // Before the claim had an index in its order, each claim sorted every pending row.
    await db.rows(sql`drop index if exists usage_events_claim_idx`);
    await db.rows(sql`create index if not exists usage_events_pending_idx
      on usage_events (next_attempt_at, id) where status = 'pending'`);
  }
  // What autovacuum would have done to a queue that built up over time.
  await db.rows(
    sql`vacuum analyze usage_events, live_sessions, tags, customers`,
  );
  const [row] = await db.rows<{ total: string }>(sql`
    select coalesce(sum(e.delta_mwh), 0)::text as total from usage_events e
    join live_sessions s using (transaction_pk) where s.customer_id is not null`);
  return mwhToKwhString(Number(row.total));
}

let explained = false;

/** EXPLAIN ANALYZE of the exact claim statement, rolled back. */
async function explainClaim(db: Database, url: string): Promise<string[]> {
  let captured: SQL | undefined;
  const now = new Date();
  const capture = {
    orm: db.orm,
    rows<T>(query: SQL): Promise<T[]> {
      captured = query;
      return Promise.resolve([]);
    },
  };
  await claimEvents(capture, {
    owner: "explain",
    now,
    leaseUntil: new Date(now.getTime() + 60_000),
    limit: 100,
  });
  const { sql: text, params } = new PgDialect().sqlToQuery(captured!);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("begin");
    const result = await client.query(
      `explain (analyze, buffers) ${text}`,
      params,
    );
    return result.rows.map((r) => r["QUERY PLAN"]);
  } finally {
    await client.query("rollback").catch(() => {});
    await client.end();
  }
}

interface Timing {
  rounds: number;
  claimMs: number;
  httpMs: number;
  settleMs: number;
  /** Each round's start and claim time, to show how the claim scales with the backlog. */
  claims: Array<{ at: number; ms: number }>;
  tally: Omit<DeliveryRound, "claimed">;
}

/** One instance's loop: rounds back to back until nothing is claimable or time is up. */
async function runWorker(
  base: Omit<LagoWorkerDeps, "sender" | "owner" | "status">,
  lago: LagoHandle,
  owner: string,
  deadline: number,
): Promise<Timing> {
  const t: Timing = {
    rounds: 0,
    claimMs: 0,
    httpMs: 0,
    settleMs: 0,
    claims: [],
    tally: { parked: 0, delivered: 0, dead: 0, retried: 0 },
  };
  const real = createLagoSender({ apiUrl: lago.url, apiKey: lago.apiKey });
  let sendStart = 0;
  let sendEnd = 0;
  const sender: LagoSender = {
    async sendBatch(events) {
      sendStart = performance.now();
      try {
        return await real.sendBatch(events);
      } finally {
        sendEnd = performance.now();
      }
    },
  };
  const status = {
    configured: true,
    lastSuccessAt: null,
    lastErrorAt: null,
    lastError: null,
  };
  const deps: LagoWorkerDeps = { ...base, sender, owner, status };
  while (performance.now() < deadline) {
    const start = performance.now();
    const round = await deliverOnce(deps);
    t.tally.parked += round.parked;
    if (round.claimed === 0 && round.parked > 0) continue;
    if (round.claimed === 0) break;
    t.rounds++;
    t.claimMs += sendStart - start;
    t.claims.push({ at: start, ms: sendStart - start });
    t.httpMs += sendEnd - sendStart;
    t.settleMs += performance.now() - sendEnd;
    t.tally.delivered += round.delivered;
    t.tally.dead += round.dead;
    t.tally.retried += round.retried;
  }
  return t;
}

/** The queue as PostgreSQL has it; billable events in the fake's digest form. */
async function queueState(db: Database) {
  const [row] = await db.rows<Record<string, string | number>>(sql`
    select count(*) filter (where line is not null and status = 'delivered')::int
        as delivered,
      count(*) filter (where line is null and status = 'unbillable' and attempts = 0)::int
        as unbillable_set_aside,
      encode(sha256(convert_to(
        string_agg(line, E'\n' order by line collate "C"), 'UTF8')), 'hex') as digest
    from (
      select e.status, e.attempts, e.event_id || '|' || c.lago_subscription_id || '|'
        || (e.delta_mwh / 1000000)::text || '.'
        || lpad((e.delta_mwh % 1000000)::text, 6, '0') as line
      from usage_events e
      left join live_sessions s using (transaction_pk)
      left join tags t on t.id_tag = s.id_tag
      left join customers c on c.id = t.customer_id
    ) lines`);
  return {
    delivered: Number(row.delivered),
    unbillableSetAside: Number(row.unbillable_set_aside),
    digest: String(row.digest),
  };
}

async function drain(
  db: Database,
  dbUrl: string,
  workers: number,
  n: number,
): Promise<{ line: string; ok: boolean; disturbed: boolean }> {
  const customers = Number(flags.customers);
  const unbillable = Number(flags.unbillable);
  const total = await seed(db, {
    events: n,
    sessions: Number(flags.sessions),
    customers,
    unbillable,
  });
  if (flags.explain && !explained) {
    explained = true;
    console.log(`claim plan with ${n + unbillable} pending:`);
    for (const line of await explainClaim(db, dbUrl)) console.log(`  ${line}`);
  }
  const lago = await startLago(customers);
  try {
    const base = {
      db,
      clock: systemClock,
      metricCode: "kwh",
      metricField: "kwh",
      log: logger("LagoDrainBench"),
    };
    const pgCpus = [postgresCpus()];
    const database = new URL(dbUrl).pathname.slice(1);
    const cpuBefore = readCpu(lago.pid, database);
    const start = performance.now();
    const deadline = start + Number(flags["seconds-max"]) * 1000;
    const timings = await Promise.all(
      Array.from(
        { length: workers },
        (_, i) => runWorker(base, lago, `bench-${workers}-${i}`, deadline),
      ),
    );
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuBetween(
      cpuBefore,
      readCpu(lago.pid, database),
      seconds,
    );
    pgCpus.push(postgresCpus());
    const fake = await lago.report();
    const queue = await queueState(db);
    const sum = (f: (t: Timing) => number) => timings.reduce((a, t) => a + f(t), 0);
    const rounds = sum((t) => t.rounds);
    const avg = (f: (t: Timing) => number) => (sum(f) / rounds).toFixed(1);
    const claims = timings.flatMap((t) => t.claims).sort((a, b) => a.at - b.at);
    const tenth = Math.max(1, Math.floor(claims.length / 10));
    const mean = (c: typeof claims) => (c.reduce((a, x) => a + x.ms, 0) / c.length).toFixed(1);
    const failures = [
      [performance.now() > deadline, `stopped at --seconds-max`],
      [queue.delivered !== n, `${queue.delivered}/${n} delivered in PG`],
      [
        queue.unbillableSetAside !== unbillable,
        `${queue.unbillableSetAside}/${unbillable} unbillable set aside`,
      ],
      [fake.stored !== n, `fake stored ${fake.stored}/${n}`],
      [fake.sent !== n, `${fake.sent} events sent for ${n}`],
      [fake.duplicatesRejected !== 0, `${fake.duplicatesRejected} duplicates`],
      [fake.non200 !== 0, `${fake.non200} non-200 answers`],
      [fake.sum !== total, `fake sum ${fake.sum} kWh, seeded ${total}`],
      [fake.digest !== queue.digest, "stored events differ from the queue"],
      [sum((t) => t.tally.dead + t.tally.retried) !== 0, "dead or retried"],
    ].filter(([failed]) => failed).map(([, why]) => why);
    const perSecond = Math.round(queue.delivered / seconds);
    const line = `workers ${workers}: ${perSecond} events/s, ` +
      `${(rounds / seconds).toFixed(1)} batches/s, ${seconds.toFixed(2)} s ` +
      `for ${queue.delivered}; per round ms: claim ${avg((t) => t.claimMs)} ` +
      `(first tenth ${mean(claims.slice(0, tenth))}, last ${mean(claims.slice(-tenth))}), ` +
      `http ${avg((t) => t.httpMs)}, settle ${avg((t) => t.settleMs)}; ` +
      `CPU % of a core: bench ${cpu.bench}, fake ${
        lago.pid ? cpu.fake : "(inline)"
      }, postgres ${cpu.postgres} (on CPUs ${pgCpus.join(" → ")}), other ${cpu.other}` +
      `\n  verified: ` +
      (failures.length
        ? `FAILED (${failures.join("; ")})`
        : `${n} delivered, fake stored ${fake.stored} in ${fake.requests} ` +
          `batches, 0 duplicates, sum ${fake.sum} kWh = seeded`) +
      (perSecond < TARGET_PER_S ? `; below ${TARGET_PER_S}/s target` : "");
    return {
      line,
      ok: failures.length === 0,
      disturbed: cpu.other > DISTURBED_OTHER_PCT ||
        pgCpus.some((c) => c !== ALL_CPUS),
    };
  } finally {
    await lago.close();
  }
}

/** The CPU roles of this bench: this process and the fake Lago (PostgreSQL and the rest aside). */
const readCpu = (fakePid: number | null, database: string) =>
  readRoleCpu(
    new Map<number, string>([
      [Deno.pid, "bench"],
      ...(fakePid ? [[fakePid, "fake"] as const] : []),
    ]),
    database,
  );
const cpuBetween = (a: RoleCpuSnapshot, b: RoleCpuSnapshot, seconds: number) =>
  roleCpuBetween(a, b, seconds, ["bench", "fake"] as const);

/** The CPUs PostgreSQL may run on (bench/run.ts pins it to one during its runs). */
function postgresCpus(): string {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const status = Deno.readTextFileSync(`/proc/${entry.name}/status`);
      if (!/^Name:\s*postgres$/m.test(status)) continue;
      return /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? "?";
    } catch {
      // The process ended while we read it.
    }
  }
  return "?";
}

const adminQuery = (text: string) => sharedAdminQuery(ADMIN_URL, text);

async function main(): Promise<boolean> {
  const n = Number(flags.events);
  const name = `es_bench_lago_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await adminQuery(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  let ok = true;
  try {
    const db = await openDatabase({ url, poolSize: Number(flags.pool) });
    try {
      console.log(
        `Lago drain: ${n} events, ${flags.sessions} sessions, pool ` +
          `${flags.pool}, ${flags.unbillable} unbillable queued, fake Lago ${flags.lago}, ${navigator.hardwareConcurrency} CPUs`,
      );
      for (const workers of flags.workers.split(",").map(Number)) {
        let result = await drain(db, url, workers, n);
        console.log(result.line);
        for (let again = 2; result.disturbed && again > 0; again--) {
          console.log("  disturbed by other work on the machine: again");
          result = await drain(db, url, workers, n);
          console.log(result.line);
        }
        ok &&= result.ok;
      }
    } finally {
      await db.close();
    }
  } finally {
    await adminQuery(`drop database if exists ${name} with (force)`);
  }
  return ok;
}

if (flags["serve-fake"]) {
  await serveFakeToParent(Number(flags.customers));
} else if (!await main()) {
  Deno.exit(1);
}
