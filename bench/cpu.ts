/**
 * CPU accounting for bench/run.ts, from /proc: busy time per core and per
 * owner (the app, PostgreSQL serving the bench database, wrk, the rest), so
 * each figure shows what bounded it and whether other work disturbed it.
 * Plus pinning PostgreSQL's processes to a core for the run.
 */

export type Owner = "app" | "postgres" | "wrk" | "foreign";
export interface CpuSnapshot {
  cores: Array<{ busy: number; total: number }>;
  ticks: Map<number, { owner: Owner; ticks: number }>;
}

function readCores(): CpuSnapshot["cores"] {
  return Deno.readTextFileSync("/proc/stat").split("\n")
    .filter((l) => /^cpu\d/.test(l)).map((l) => {
      const n = l.split(/\s+/).slice(1).map(Number);
      const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
      return { busy: total - n[3] - n[4], total }; // minus idle and iowait
    });
}

export function readCpu(appPid: number, wrkPid: number): CpuSnapshot {
  const cores = readCores();
  const ticks = new Map<number, { owner: Owner; ticks: number }>();
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      let owner: Owner = "foreign";
      if (pid === appPid) owner = "app";
      else if (pid === wrkPid) owner = "wrk";
      else if (comm === "postgres") {
        // Backends of other databases (a test run) are not ours; auxiliaries are.
        const title = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
        const client = /\(\d+\)|\[local\]/.test(title);
        if (!client || title.includes("es_bench_hooks_")) owner = "postgres";
      }
      ticks.set(pid, { owner, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended while we read it.
    }
  }
  return { cores, ticks };
}

/** CPU used between two snapshots, in % of one core. */
export interface CpuUse {
  core0: number;
  core1: number;
  app: number;
  postgres: number;
  wrk: number;
  /** Foreign processes, and kernel work charged to no process (loopback softirq). */
  other: number;
}

export function cpuBetween(
  a: CpuSnapshot,
  b: CpuSnapshot,
  seconds: number,
): CpuUse {
  const pct = (ticks: number) => Math.round(ticks / seconds); // 100 ticks/s
  const used: Record<Owner, number> = {
    app: 0,
    postgres: 0,
    wrk: 0,
    foreign: 0,
  };
  for (const [pid, now] of b.ticks) {
    used[now.owner] += now.ticks - (a.ticks.get(pid)?.ticks ?? 0);
  }
  const busy = b.cores.map((c, i) => c.busy - a.cores[i].busy);
  const total = busy.reduce((x, y) => x + y, 0);
  return {
    core0: pct(busy[0]),
    core1: pct(busy[1] ?? 0),
    app: pct(used.app),
    postgres: pct(used.postgres),
    wrk: pct(used.wrk),
    other: pct(total - used.app - used.postgres - used.wrk),
  };
}

async function taskset(args: string[]): Promise<void> {
  await new Deno.Command("taskset", { args, stdout: "null", stderr: "null" })
    .output();
}

/** Pins every PostgreSQL process (new backends inherit it from the postmaster). */
export async function pinPostgres(cpus: string): Promise<void> {
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    const comm = await Deno.readTextFile(`/proc/${pid}/comm`).catch(() => "");
    if (comm.trim() === "postgres") {
      await taskset(["-a", "-p", "-c", cpus, String(pid)]);
    }
  }
}

/**
 * Waits until the machine is quiet (all cores together busier than `maxPct`
 * of one core for no more than 2 s at a time), or `maxMs` pass; returns how
 * long it waited. Run before a load on a machine others use too.
 */
export async function waitForQuiet(maxPct: number, maxMs: number): Promise<number> {
  const busy = () => readCores().reduce((sum, c) => sum + c.busy, 0);
  const started = Date.now();
  while (Date.now() - started < maxMs) {
    const before = busy();
    await new Promise((r) => setTimeout(r, 2_000));
    if ((busy() - before) / 2 <= maxPct) break; // 100 ticks/s per core
  }
  return Date.now() - started;
}

/** Busy ticks (1/100 s) of the machine, and per process with the role it plays in a bench. */
export interface RoleCpuSnapshot {
  busy: number;
  ticks: Map<number, { role: string; ticks: number }>;
}

/**
 * A snapshot for {@link roleCpuBetween}: each pid of `roles` under its role,
 * PostgreSQL's processes serving `database` (and its auxiliaries) as
 * `postgres`, everything else as `other`.
 */
export function readRoleCpu(roles: ReadonlyMap<number, string>, database: string): RoleCpuSnapshot {
  const n = Deno.readTextFileSync("/proc/stat").split("\n")[0].split(/\s+/).slice(1).map(Number);
  const busy = n.slice(0, 8).reduce((a, b) => a + b, 0) - n[3] - n[4];
  const ticks = new Map<number, { role: string; ticks: number }>();
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      let role = roles.get(pid) ?? "other";
      if (role === "other" && stat.includes("(postgres)")) {
        const title = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
        const client = /\(\d+\)|\[local\]/.test(title);
        if (!client || title.includes(database)) role = "postgres";
      }
      ticks.set(pid, { role, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended while we read it.
    }
  }
  return { busy, ticks };
}

/** CPU used between two snapshots per role, in % of one core; `other` is the machine's rest. */
export function roleCpuBetween<R extends string>(
  a: RoleCpuSnapshot,
  b: RoleCpuSnapshot,
  seconds: number,
  roles: readonly R[],
): Record<R | "postgres" | "other", number> {
  const used = new Map<string, number>();
  for (const [pid, now] of b.ticks) {
    used.set(now.role, (used.get(now.role) ?? 0) + now.ticks - (a.ticks.get(pid)?.ticks ?? 0));
  }
  const mine = [...roles, "postgres"].reduce((sum, r) => sum + (used.get(r) ?? 0), 0);
  const pct = (ticks: number) => Math.round(ticks / seconds);
  const out = { postgres: pct(used.get("postgres") ?? 0), other: pct(b.busy - a.busy - mine) };
  for (const r of roles) Object.assign(out, { [r]: pct(used.get(r) ?? 0) });
  return out as Record<R | "postgres" | "other", number>;
}
