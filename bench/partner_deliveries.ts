/**
 * Delivery rate of the partner outbox (issue 13): a backlog of N pending
 * deliveries on PostgreSQL, drained by K instances of the real worker
 * (`startPartnerWorker`, each in its own process with its own lease owner and
 * pool) through the real SSRF-guarded transport (`outboundTransport`,
 * `allowLocal: true`) to a fake partner on loopback that answers 200 at once.
 *
 *   deno run -A bench/partner_deliveries.ts [--deliveries 20000] [--instances 1,2]
 *     [--pool 10] [--seconds-max 120] [--runs 1] [--in-flight 64]
 *     [--per-partner 16] [--host 127.0.0.1|localhost]
 *     [--quiet-wait 60] [--parked 0]
 *
 * The backlog is inserted in bulk with SQL (one `insert … select` of bodies
 * built by `canonicalEventBody`), not through the app's hooks: one partner
 * subscribed to `scan.login`, N events, one delivery each. Each instance count
 * gets a fresh backlog and a reset fake. The clock runs from the moment every
 * instance is ready and told to start, to the first poll (every 20 ms) that
 * finds nothing pending. Then: every row `delivered`, the fake got exactly N
 * requests, N distinct `X-ExpresSync-Event-Id`s, none twice, each body carrying
 * its header's id. A drain running past `--seconds-max` is stopped and fails.
 * The fake runs in a child process so its CPU shows apart. The database
 * (`es_bench_partner_*`) is dropped at the end, also on failure. Exits 1 when
 * a check fails.
 */
import { parseArgs } from "node:util";
import { type SQL, sql } from "drizzle-orm";
import { type Database, openDatabase } from "../db/client.ts";
import { at as sqlAt } from "../db/sql.ts";
import { systemClock } from "../lib/clock.ts";
import { logger } from "../lib/logging.ts";
import { canonicalEventBody } from "../lib/partner_deliveries/events.ts";
import { outboundTransport, type SendOnce } from "../lib/partner_deliveries/transport.ts";
import {
  PARTNER_MAX_IN_FLIGHT,
  PARTNER_MAX_IN_FLIGHT_PER_PARTNER,
  startPartnerWorker,
} from "../lib/partner_deliveries/worker.ts";
import { adminQuery as sharedAdminQuery } from "../tests/_support/pg_admin.ts";
import { readRoleCpu, roleCpuBetween, type RoleCpuSnapshot, waitForQuiet } from "./cpu.ts";

const ADMIN_URL = Deno.env.get("BENCH_ADMIN_DATABASE_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";
const TARGET_PER_S = 2_000;
const TIMEOUT_MS = 10_000; // PARTNER_WEBHOOK_TIMEOUT_SECONDS' default
/** Before each drain, wait (`--quiet-wait` s at most) until the machine's other work stays under this % of a core. */
const QUIET_PCT = 30;
const PARTNER_ID = "00000000-0000-4000-8000-0000000000b1";
/** A deactivated partner whose backlog (`--parked`) waits for its reactivation. */
const PARKED_PARTNER_ID = "00000000-0000-4000-8000-0000000000b2";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    deliveries: { type: "string", default: "20000" },
    instances: { type: "string", default: "1,2" },
    pool: { type: "string", default: "10" },
    "in-flight": { type: "string", default: String(PARTNER_MAX_IN_FLIGHT) },
    "per-partner": { type: "string", default: String(PARTNER_MAX_IN_FLIGHT_PER_PARTNER) },
    host: { type: "string", default: "127.0.0.1" },
    "quiet-wait": { type: "string", default: "60" },
    parked: { type: "string", default: "0" },
    runs: { type: "string", default: "1" },
    "seconds-max": { type: "string", default: "120" },
    "serve-fake": { type: "boolean", default: false },
    worker: { type: "string" },
    "db-url": { type: "string" },
  },
});

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

const encoder = new TextEncoder();
const writeLine = (out: WritableStreamDefaultWriter<Uint8Array>, value: unknown) =>
  out.write(encoder.encode(JSON.stringify(value) + "\n"));

/** What the fake partner got since its last reset. */
interface FakeReport {
  requests: number;
  distinct: number;
  duplicates: number;
  /** Requests not `POST /hook`, or whose body lacks the header's event id. */
  malformed: number;
}

/** Child mode: the fake partner. Answers 200 at once; `report` and `reset` lines on stdin. */
async function serveFake(): Promise<void> {
  const seen = new Set<string>();
  let requests = 0, duplicates = 0, malformed = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    requests++;
    const id = req.headers.get("x-expressync-event-id") ?? "";
    const body = await req.text();
    if (req.method !== "POST" || !id || !body.includes(`"id":"${id}"`)) malformed++;
    if (seen.has(id)) duplicates++;
    else seen.add(id);
    return new Response(null, { status: 200 });
  });
  const out = Deno.stdout.writable.getWriter();
  await writeLine(out, { url: `http://127.0.0.1:${server.addr.port}/hook` });
  for await (const line of linesOf(Deno.stdin.readable)) {
    if (line === "report") {
      await writeLine(out, { requests, distinct: seen.size, duplicates, malformed });
    } else if (line === "reset") {
      seen.clear();
      requests = duplicates = malformed = 0;
      await writeLine(out, { reset: true });
    }
  }
  await server.shutdown();
  await out.close();
}

/** What one instance measured of itself, around the real worker's seams. */
interface WorkerReport {
  attempts: number;
  /** Sum over attempts of the transport's time (resolve, connect, request, answer). */
  sendMs: number;
  /** Sum over statements of their time (claim, settle). */
  dbMs: number;
  statements: number;
  /** Claims that returned deliveries (told apart by their rows), their time and rows. */
  claims: number;
  claimMs: number;
  claimed: number;
  notDelivered: number;
}

/**
 * Child mode: one instance. The real worker and transport; `send` and `db.rows`
 * are wrapped only to time them. Prints `ready`, starts on `go`, stops and
 * prints its report on `stop`.
 */
async function runInstance(owner: string, url: string): Promise<void> {
  const db = await openDatabase({ url, poolSize: Number(flags.pool) });
  const report: WorkerReport = {
    attempts: 0,
    sendMs: 0,
    dbMs: 0,
    statements: 0,
    claims: 0,
    claimMs: 0,
    claimed: 0,
    notDelivered: 0,
  };
  const transport = outboundTransport({ allowLocal: true, timeoutMs: TIMEOUT_MS });
  const send: SendOnce = async (request) => {
    const t = performance.now();
    const result = await transport(request);
    report.sendMs += performance.now() - t;
    report.attempts++;
    if (result.kind !== "response" || result.status !== 200) report.notDelivered++;
    return result;
  };
  const timed: Database = {
    ...db,
    rows: async <T>(query: SQL) => {
      const t = performance.now();
      const rows = await db.rows<T>(query);
      const ms = performance.now() - t;
      report.dbMs += ms;
      report.statements++;
      if (rows.length > 0 && "signature_header" in (rows[0] as object)) {
        report.claims++;
        report.claimMs += ms;
        report.claimed += rows.length;
      }
      return rows;
    },
  };
  const out = Deno.stdout.writable.getWriter();
  const lines = linesOf(Deno.stdin.readable);
  await writeLine(out, { ready: true });
  let running: ReturnType<typeof startPartnerWorker> | undefined;
  for await (const line of lines) {
    if (line === "go") {
      running = startPartnerWorker({
        db: timed,
        clock: systemClock,
        send,
        owner,
        log: logger("PartnerDeliveriesBench"),
        retrySchedule: [5, 300],
        leaseMs: 3 * TIMEOUT_MS + 5_000, // as createPartnerDeliveries
      }, {
        maxInFlight: Number(flags["in-flight"]),
        maxInFlightPerPartner: Number(flags["per-partner"]),
      });
    } else if (line === "stop") {
      await running?.stop();
      await writeLine(out, report);
      break;
    }
  }
  await db.close();
  await out.close();
}

/** A child process of this script speaking lines of JSON. */
interface Child {
  pid: number;
  next(): Promise<Record<string, unknown>>;
  send(line: string): Promise<void>;
  close(): Promise<void>;
}

function spawnChild(args: string[]): Child {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.filename!, ...args],
    cwd: new URL("..", import.meta.url),
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const input = child.stdin.getWriter();
  const lines = linesOf(child.stdout);
  return {
    pid: child.pid,
    async next() {
      const { value, done } = await lines.next();
      if (done) throw new Error(`child ${child.pid} ended`);
      return JSON.parse(value);
    },
    send: (line) => input.write(encoder.encode(line + "\n")),
    async close() {
      await input.close().catch(() => {});
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await child.status;
      clearTimeout(timer);
      await lines.return(undefined);
    },
  };
}

/** `n` pending `scan.login` deliveries for the bench partner, canonical bodies stored. */
async function seed(db: Database, n: number): Promise<void> {
  await db.rows(sql`truncate partner_deliveries restart identity`);
  const at = new Date(Date.now() - 60_000);
  const rows = Array.from({ length: n }, (_, i) => {
    const id = crypto.randomUUID();
    const body = canonicalEventBody({
      id,
      type: "scan.login",
      at,
      data: {
        chargeBoxId: `BENCH-CB-${i % 100}`,
        customerId: `bench-cust-${i % 50}`,
        customerName: i % 2 ? `Bench customer ${i % 50}` : `Zoë Ærøskøbing ${i % 50}`,
        at: at.toISOString(),
      },
    });
    return { id, body };
  });
  // In bulk, not through the hooks: the same rows insertEventDeliveries writes.
  await db.rows(sql`
    insert into partner_deliveries (partner_id, event_id, type, body, status, attempts,
      next_attempt_at, created_at)
    select ${PARTNER_ID}::uuid, r.id, 'scan.login', r.body, 'pending', 0, ${sqlAt(at)}, ${sqlAt(at)}
    from json_to_recordset(${JSON.stringify(rows)}::json) as r(id uuid, body text)`);
  // `--parked`: older pending rows of a deactivated partner, which the claim must not walk.
  await db.rows(sql`
    insert into partner_deliveries (partner_id, event_id, type, body, status, attempts,
      next_attempt_at, created_at)
    select ${PARKED_PARTNER_ID}::uuid, gen_random_uuid(), 'scan.login', '{}', 'pending', 0,
      ${sqlAt(new Date(at.getTime() - 60_000))}, ${sqlAt(at)}
    from generate_series(1, ${Number(flags.parked)})`);
  await db.rows(sql`vacuum analyze partner_deliveries`);
}

/** The CPU roles of this bench: its instances and the fake partner (PostgreSQL and the rest aside). */
const readCpu = (instances: number[], fakePid: number, database: string) =>
  readRoleCpu(
    new Map([...instances.map((pid) => [pid, "instances"] as const), [fakePid, "fake"]]),
    database,
  );
const cpuBetween = (a: RoleCpuSnapshot, b: RoleCpuSnapshot, seconds: number) =>
  roleCpuBetween(a, b, seconds, ["instances", "fake"] as const);

interface DrainResult {
  instances: number;
  perSecond: number;
  seconds: number;
  ok: boolean;
  line: string;
}

async function drain(
  db: Database,
  url: string,
  fake: Child,
  instances: number,
  n: number,
): Promise<DrainResult> {
  await seed(db, n);
  const waited = await waitForQuiet(QUIET_PCT, Number(flags["quiet-wait"]) * 1000);
  await fake.send("reset");
  await fake.next();
  const children = Array.from(
    { length: instances },
    (_, i) =>
      spawnChild([
        `--worker=bench-${instances}-${i}`,
        `--db-url=${url}`,
        `--pool=${flags.pool}`,
        `--in-flight=${flags["in-flight"]}`,
        `--per-partner=${flags["per-partner"]}`,
      ]),
  );
  try {
    for (const c of children) await c.next(); // ready: modules loaded, pool open
    const database = new URL(url).pathname.slice(1);
    const pids = children.map((c) => c.pid);
    const cpuBefore = readCpu(pids, fake.pid, database);
    const start = performance.now();
    await Promise.all(children.map((c) => c.send("go")));
    const deadline = start + Number(flags["seconds-max"]) * 1000;
    let timedOut = false;
    for (;;) {
      const [{ pending }] = await db.rows<{ pending: number }>(
        sql`select count(*)::int as pending from partner_deliveries where status = 'pending'
          and partner_id = ${PARTNER_ID}::uuid`,
      );
      if (pending === 0) break;
      if (performance.now() > deadline) {
        timedOut = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuBetween(cpuBefore, readCpu(pids, fake.pid, database), seconds);
    const reports: WorkerReport[] = [];
    for (const c of children) {
      await c.send("stop");
      reports.push(await c.next() as unknown as WorkerReport);
    }
    await fake.send("report");
    const got = await fake.next() as unknown as FakeReport;
    const [queue] = await db.rows<{ delivered: number; attempts: number }>(sql`
      select count(*) filter (where status = 'delivered')::int as delivered,
        coalesce(sum(attempts), 0)::int as attempts from partner_deliveries
      where partner_id = ${PARTNER_ID}::uuid`);
    const sum = (f: (r: WorkerReport) => number) => reports.reduce((a, r) => a + f(r), 0);
    const attempts = sum((r) => r.attempts);
    const failures = [
      [timedOut, `stopped at --seconds-max (${flags["seconds-max"]} s)`],
      [queue.delivered !== n, `${queue.delivered}/${n} delivered in PG`],
      [queue.attempts !== n, `${queue.attempts} attempts recorded for ${n}`],
      [got.requests !== n, `fake got ${got.requests} requests for ${n}`],
      [got.distinct !== n, `fake got ${got.distinct} distinct event ids for ${n}`],
      [got.duplicates !== 0, `${got.duplicates} sent twice`],
      [got.malformed !== 0, `${got.malformed} malformed requests`],
      [sum((r) => r.notDelivered) !== 0, `${sum((r) => r.notDelivered)} attempts not 200`],
    ].filter(([failed]) => failed).map(([, why]) => why);
    const perSecond = Math.round(queue.delivered / seconds);
    // Less disturbed by a busy machine than the rate: what each delivery cost each process.
    const perDelivery = (pct: number) => Math.round(pct / 100 * seconds / n * 1e6);
    const line = `instances ${instances}: ${perSecond} deliveries/s, ${seconds.toFixed(2)} s ` +
      `for ${queue.delivered}; per attempt: send ${
        (sum((r) => r.sendMs) / attempts).toFixed(2)
      } ms; ` +
      `db ${(sum((r) => r.dbMs) / sum((r) => r.statements)).toFixed(2)} ms per statement ` +
      `(${(sum((r) => r.statements) / attempts).toFixed(2)} per attempt); claims ` +
      `${sum((r) => r.claims)}, ${(sum((r) => r.claimed) / sum((r) => r.claims)).toFixed(1)} ` +
      `rows and ${(sum((r) => r.claimMs) / sum((r) => r.claims)).toFixed(2)} ms each; ` +
      `CPU % of a core: instances ${cpu.instances}, fake ${cpu.fake}, ` +
      `postgres ${cpu.postgres}, other ${cpu.other} (waited ${Math.round(waited / 1000)} s ` +
      `for a quiet machine)\n  CPU µs per delivery: instances ${perDelivery(cpu.instances)}, ` +
      `postgres ${perDelivery(cpu.postgres)}, fake ${perDelivery(cpu.fake)}\n  verified: ` +
      (failures.length
        ? `FAILED (${failures.join("; ")})`
        : `${n} delivered, fake got ${got.requests} requests, ${got.distinct} distinct ids, ` +
          `0 twice`) +
      (perSecond < TARGET_PER_S ? `; below the ${TARGET_PER_S}/s target` : "");
    return { instances, perSecond, seconds, ok: failures.length === 0, line };
  } finally {
    await Promise.all(children.map((c) => c.close()));
  }
}

const adminQuery = (text: string) => sharedAdminQuery(ADMIN_URL, text);

async function main(): Promise<boolean> {
  const n = Number(flags.deliveries);
  const name = `es_bench_partner_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await adminQuery(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  let ok = true;
  const fake = spawnChild(["--serve-fake"]);
  try {
    const served = new URL((await fake.next() as { url: string }).url);
    // `--host localhost`: a name, so each attempt resolves it first, as for a real partner.
    served.hostname = flags.host;
    const hookUrl = served.href;
    const db = await openDatabase({ url, poolSize: 2 });
    try {
      const now = new Date();
      await db.rows(sql`
        insert into partners (id, name, signature_scheme, signature_header, secret, active,
          created_at, updated_at, url, events)
        values (${PARTNER_ID}::uuid, 'Bench partner', 'sha256', 'X-ExpresSync-Signature',
          ${"bench-secret-" + crypto.randomUUID()}, true, ${sqlAt(now)}, ${sqlAt(now)}, ${hookUrl},
          array['scan.login']),
        (${PARKED_PARTNER_ID}::uuid, 'Parked partner', 'sha256', 'X-ExpresSync-Signature',
          ${"bench-secret-" + crypto.randomUUID()}, false, ${sqlAt(now)}, ${sqlAt(now)},
          ${hookUrl}, array['scan.login'])`);
      console.log(
        `Partner deliveries: ${n} per run, in flight ${flags["in-flight"]} ` +
          `(${flags["per-partner"]} per partner), ${flags.parked} parked, pool ${flags.pool} ` +
          `per instance, fake partner ${hookUrl} (child process), ` +
          `${navigator.hardwareConcurrency} CPUs`,
      );
      const results: Array<DrainResult & { run: number; ratio: number }> = [];
      const plan = flags.instances.split(",").map(Number);
      for (let run = 1; run <= Number(flags.runs); run++) {
        let first: number | undefined;
        for (const instances of plan) {
          const result = await drain(db, url, fake, instances, n);
          console.log(result.line);
          first ??= result.perSecond;
          results.push({ ...result, run, ratio: result.perSecond / first });
          ok &&= result.ok;
        }
      }
      // The ratio compares instance counts within one run (the machine is shared).
      console.log("\n| run | instances | deliveries/s |     s | vs first in run | checks |");
      console.log("| --: | --------: | -----------: | ----: | --------------: | ------ |");
      for (const r of results) {
        const cells = [
          String(r.run).padStart(3),
          String(r.instances).padStart(9),
          String(r.perSecond).padStart(12),
          r.seconds.toFixed(2).padStart(5),
          `${r.ratio.toFixed(2)}×`.padStart(15),
          (r.ok ? "ok" : "FAILED").padEnd(6),
        ];
        console.log(`| ${cells.join(" | ")} |`);
      }
    } finally {
      await db.close();
    }
  } finally {
    await fake.close();
    await adminQuery(`drop database if exists ${name} with (force)`);
  }
  return ok;
}

if (flags["serve-fake"]) {
  await serveFake();
} else if (flags.worker) {
  await runInstance(flags.worker, flags["db-url"]!);
} else if (!await main()) {
  Deno.exit(1);
}
