/**
 * One load of bench/run.ts: a fresh bench server (its own database) pinned
 * to the app's core, a warm-up, the measured wrk run on the load core, and
 * what the run must prove beyond speed (durable samples, index use).
 */
import { cpuBetween, type CpuUse, readCpu } from "./cpu.ts";
import { BENCH_METER_KEY, BENCH_PREAUTH_KEY, SAMPLES_PER_METER_CALL } from "./fixtures.ts";

export type Hook = "pre-authorize" | "meter-values";

/** How the bench server runs; logs always go to a file, as stdout would in production. */
export interface Setup {
  driver: "pg" | "postgres-js";
  pool: number;
  logLevel?: "info" | "warning";
  oldPairs?: number;
  prepared?: boolean;
}

export interface Load {
  id: string;
  hook: Hook;
  /** The baseline: only `verifySignedRequest` on the same hook definition. */
  verifyOnly?: boolean;
  /** With `verifyOnly`: the bare `Deno.serve` baseline (bench/bare_server.ts), no Hono. */
  bare?: boolean;
  setup: Setup;
}

export interface LoadOptions {
  seconds: number;
  warmup: number;
  connections: number;
  appCpu: string;
  loadCpu: string;
  port: number;
  logDir: string;
}

export interface Result {
  load: Load;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors and timeouts seen by wrk. */
  errors: number;
  /** Answers with status ≥ 400. */
  badStatus: number;
  /** Server-side requests/s per 10 s window: a driver that sags shows here. */
  timeline: number[];
  cpu: CpuUse;
  check: string;
}

export const label = (s: Setup, load?: Load): string =>
  load?.bare ? "bare Deno.serve, no database" : [
    `${s.driver} pool ${s.pool}`,
    `log ${s.logLevel ?? "info"}`,
    s.oldPairs ? `${s.oldPairs} old pairs` : "",
    s.prepared ? "prepared statements" : "",
  ].filter(Boolean).join(", ");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server of the load under way, so Ctrl-C can stop it too. */
let running: Deno.ChildProcess | undefined;

export async function stopServer(
  child: Deno.ChildProcess | undefined = running,
): Promise<void> {
  if (!child) return;
  child.kill("SIGTERM"); // it closes, then drops its database
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await child.status;
  clearTimeout(timer);
  running = undefined;
}

export async function runLoad(load: Load, o: LoadOptions): Promise<Result> {
  const base = `http://127.0.0.1:${o.port}`;
  const getJson = async (path: string) => await (await fetch(base + path)).json();
  const logFile = `${o.logDir}/${load.id}.log`;
  const s = load.setup;
  const serverArgs = load.bare
    ? [new URL("./bare_server.ts", import.meta.url).pathname, `--port=${o.port}`]
    : [
      new URL("./server.ts", import.meta.url).pathname,
      ...[`--driver=${s.driver}`, `--pool=${s.pool}`, `--port=${o.port}`],
      ...[`--log-level=${s.logLevel ?? "info"}`, `--log-file=${logFile}`],
      `--old-pairs=${s.oldPairs ?? 0}`,
      ...(s.prepared ? ["--prepared"] : []),
    ];
  running = new Deno.Command("taskset", {
    args: [...["-c", o.appCpu, Deno.execPath(), "run", "-A"], ...serverArgs],
    env: {
      STEVE_PREAUTH_HMAC_KEY: BENCH_PREAUTH_KEY,
      STEVE_METERVALUE_HMAC_KEY: BENCH_METER_KEY,
    },
    stdout: "null",
  }).spawn();
  const server = running;

  const wrk = (seconds: number) =>
    new Deno.Command("taskset", {
      args: [
        ...["-c", o.loadCpu, "wrk", "-t1", `-c${o.connections}`],
        ...[`-d${seconds}s`, "--timeout=2s"],
        ...["-s", new URL("./hooks.lua", import.meta.url).pathname],
        `${base}/${load.verifyOnly ? "bench/verify-only" : "api/ocpp"}/${load.hook}`,
      ],
      env: {
        BENCH_BODY: load.hook,
        BENCH_KEY: load.hook === "pre-authorize" ? BENCH_PREAUTH_KEY : BENCH_METER_KEY,
        // Distinct per wrk run, so no two runs share a transaction.
        BENCH_TX_BASE: String(Date.now() * 1000),
      },
      stdout: "piped",
    }).spawn();

  try {
    for (
      let i = 0;
      !(await getJson("/bench/received").catch(() => null));
      i++
    ) {
      if (i === 300) throw new Error("bench server did not start in 30 s");
      await sleep(100);
    }
    if (o.warmup > 0) await wrk(o.warmup).output();
    await sleep(1_000); // let in-flight requests finish
    const before = await getJson("/bench/stats");

    const generator = wrk(o.seconds);
    const received: number[] = [];
    const sampler = (async () => {
      for (let t = 0; t <= o.seconds; t += 10) {
        received.push((await getJson("/bench/received")).received);
        if (t < o.seconds) await sleep(10_000);
      }
    })();
    // CPU of the steady state: from 2 s in to 2 s before the end.
    await sleep(2_000);
    const cpuStart = readCpu(server.pid, generator.pid);
    await sleep((o.seconds - 4) * 1_000);
    const cpuEnd = readCpu(server.pid, generator.pid);
    const output = new TextDecoder().decode((await generator.output()).stdout);
    await sampler;
    await sleep(1_000);
    const after = await getJson("/bench/stats");

    const line = output.split("\n").find((l) => l.startsWith("BENCH_JSON "));
    if (!line) throw new Error(`no summary from wrk:\n${output}`);
    const w = JSON.parse(line.slice("BENCH_JSON ".length));
    return {
      load,
      rps: Math.round(w.requests / (w.durationUs / 1e6)),
      p50Ms: w.p50Us / 1000,
      p99Ms: w.p99Us / 1000,
      errors: w.connectErrors + w.readErrors + w.writeErrors + w.timeouts,
      badStatus: w.badStatus,
      timeline: received.slice(1).map((n, i) => Math.round((n - received[i]) / 10)),
      cpu: cpuBetween(cpuStart, cpuEnd, o.seconds - 4),
      check: checkOf(load, before, after, w.requests - w.badStatus, o),
    };
  } finally {
    await stopServer(server);
    await Deno.remove(logFile).catch(() => {});
  }
}

interface Stats {
  hooksOk: { meterValues: number };
  synchronousCommit: string;
  db: Record<string, number>;
}

/** What a load must prove beyond speed. */
function checkOf(
  load: Load,
  before: Stats,
  after: Stats,
  ok: number,
  o: LoadOptions,
): string {
  const delta = (k: string) => after.db[k] - before.db[k];
  if (load.hook === "meter-values" && !load.verifyOnly) {
    // wrk stops with up to one request per connection in flight: the server
    // still answers (and stores) those, after wrk stopped counting.
    const served = after.hooksOk.meterValues - before.hooksOk.meterValues;
    const rows = delta("meter_samples");
    const durable = rows === served * SAMPLES_PER_METER_CALL &&
      served >= ok && served - ok <= o.connections;
    return `${durable ? "durable" : "NOT DURABLE"}: ${rows} rows = ${served} ` +
      `answered 2xx × ${SAMPLES_PER_METER_CALL} (wrk counted ${ok} 2xx); ` +
      `synchronous_commit ${after.synchronousCommit}, ≈${delta("commits")} ` +
      `commits in ≈${delta("wal_syncs")} WAL flushes`;
  }
  if (load.setup.oldPairs) {
    return `scan_pairs: ${delta("scan_pairs_seq_scans")} seq scans, ` +
      `${delta("active_index_scans")} scans of the active-pair index`;
  }
  return "";
}
