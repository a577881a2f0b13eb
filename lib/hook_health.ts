/**
 * Why hooks fail, without a shell (issue 15 §4): per signed endpoint of the
 * registry and for the email worker's replies, its keys, what the stored
 * minutes (`hook_outcome_buckets`, all instances) say about the last hour and
 * day, 401s by cause in the runbook's words, the last good call, and whether
 * it is failing now. `GET /api/admin/hooks` and `/admin/hooks` render this.
 */
import type { Executor } from "../db/client.ts";
import {
  outcomeBucketsOfAll,
  outcomeSummary,
  recentOutcomes,
  storedKeyPasses,
} from "../db/queries/hook_outcomes.ts";
import { listSilentSessions } from "../db/queries/sessions.ts";
import type { Clock } from "./clock.ts";
import type { Config, HookKey, HookKeyProblem } from "./config.ts";
import { BUCKET_MS, EMAIL_WORKER_HOOK, type HookName, keyFingerprint } from "./hook_stats.ts";
import { adviceForOutcome, EMAIL_WORKER_ADVICE, type ReasonAdvice } from "./hook_runbook.ts";
import { type SecretName, SIGNED_ENDPOINT_LIST, type SignedEndpoint } from "./signed_endpoints.ts";

/** Width of the page's buckets of the last hour. */
export const HOUR_BUCKET_MINUTES = 5;
/** An open session without a meter value this long: SteVe is silent or failing. */
export const SILENT_SESSION_MS = 5 * 60_000;
/**
 * A hook is failing while the current minute and the four before it hold a
 * refused or failed call (401, 5xx, no answer) and not one good call.
 */
export const FAILING_WINDOW_MINUTES = 5;
/** Silent sessions listed on the page (the count says how many in all). */
export const SILENT_SESSIONS_LISTED = 20;

/** One secret of a hook: its fingerprint (or why it is unusable) and the calls it verified. */
export interface HookKeyView {
  name: SecretName;
  variable: string;
  /** Null when the variable is missing or too short. */
  fingerprint: string | null;
  problem?: HookKeyProblem;
  /** Calls this secret verified in the stored minutes (all instances). */
  passes: number;
}

/** A 401 cause of one hook, with the runbook's meaning and fix. */
export interface RefusalView extends ReasonAdvice {
  reason: string;
  lastHour: number;
  last24Hours: number;
}

export interface HookHealth {
  name: HookName;
  /** `in`: a system calls us; `out`: we call it (the email worker) and count its replies. */
  direction: "in" | "out";
  keys: HookKeyView[];
  /** Calls per outcome, all instances: the current 5-minute bucket and the 11 before it. */
  lastHour: Record<string, number>;
  /** Calls per outcome, all instances: the 288 five-minute buckets up to now. */
  last24Hours: Record<string, number>;
  /** The last hour in 5-minute buckets, oldest first, all 12 of them (empty ones too). */
  lastHourBuckets: Array<{ start: string; counts: Record<string, number> }>;
  /** 401s of the last 24 hours by cause, most first. */
  unauthorized: RefusalView[];
  lastOkAt: string | null;
  failing: boolean;
}

export interface HooksHealth {
  hooks: HookHealth[];
  /** The earliest stored minute: `passes` and `lastOkAt` count from here (48 h at most). */
  storedSince: string | null;
  /** Open sessions without a meter value for {@link SILENT_SESSION_MS}. */
  silentSessions: {
    total: number;
    sessions: Array<{ chargeBoxId: string; transactionPk: number; lastMeterValueAt: string }>;
  };
}

/** A refused or failed call: 401 by any cause, an internal error or 5xx, or no answer at all. */
export function isFailureOutcome(outcome: string): boolean {
  return outcome.startsWith("unauthorized:") || outcome === "internal" ||
    outcome === "timeout" || outcome === "unreachable" || /^5\d\d$/.test(outcome);
}

/** The hooks the page lists: the registry's, then the email worker's replies. */
function listedHooks(config: Config): Array<{
  name: HookName;
  direction: "in" | "out";
  secrets: Array<{ name: SecretName; variable: string; key: HookKey | "per_partner" }>;
}> {
  const inbound = SIGNED_ENDPOINT_LIST.map(([id, entry]) => {
    const e = entry as SignedEndpoint;
    const key = id in config.hooks ? config.hooks[id as keyof Config["hooks"]] : null;
    const secrets: Array<{ name: SecretName; variable: string; key: HookKey | "per_partner" }> = [];
    if (key === null) {
      secrets.push({ name: "current", variable: "per partner", key: "per_partner" });
    } else {
      const [current, ...rotation] = e.secretVariables as readonly string[];
      secrets.push({ name: "current", variable: current, key });
      if (e.rotation === "next") {
        const next: HookKey = key.next ?? { usable: false, problem: "missing_key" };
        secrets.push({ name: "next", variable: rotation[0], key: next });
      } else {
        rotation.forEach((variable, i) => {
          const previous = key.usable ? key.previous?.[i] : undefined;
          secrets.push({
            name: "previous",
            variable,
            key: previous === undefined
              ? { usable: false, problem: "missing_key" }
              : { usable: true, secret: previous },
          });
        });
      }
    }
    return { name: e.name as HookName, direction: "in" as const, secrets };
  });
  const worker = config.emailWorker;
  return [...inbound, {
    name: EMAIL_WORKER_HOOK,
    direction: "out",
    secrets: [{
      name: "current",
      variable: "EMAIL_WORKER_HMAC_KEY",
      key: worker
        ? { usable: true, secret: worker.hmacKey }
        : { usable: false, problem: "missing_key" },
    }],
  }];
}

/** What `GET /api/admin/hooks` and `/admin/hooks` show, read from the stored minutes at the clock's now. */
export async function readHooksHealth(
  deps: { db: Executor; clock: Clock; config: Config },
): Promise<HooksHealth> {
  const now = deps.clock.now().getTime();
  const width = HOUR_BUCKET_MINUTES * 60_000;
  const currentBucket = Math.floor(now / width) * width;
  const hourFrom = currentBucket - 11 * width;
  const dayFrom = currentBucket - (24 * 60 / HOUR_BUCKET_MINUTES - 1) * width;
  const failingFrom = Math.floor(now / BUCKET_MS) * BUCKET_MS -
    (FAILING_WINDOW_MINUTES - 1) * BUCKET_MS;
  const [summary, buckets, stored, recent, silent] = await Promise.all([
    outcomeSummary(deps.db, { hourFrom: new Date(hourFrom), dayFrom: new Date(dayFrom) }),
    outcomeBucketsOfAll(deps.db, {
      from: new Date(hourFrom),
      to: new Date(currentBucket + width),
      bucketMinutes: HOUR_BUCKET_MINUTES,
    }),
    storedKeyPasses(deps.db),
    recentOutcomes(deps.db, new Date(failingFrom)),
    listSilentSessions(deps.db, {
      before: new Date(now - SILENT_SESSION_MS),
      limit: SILENT_SESSIONS_LISTED,
    }),
  ]);
  const failing = new Set(failingHookNames(recent));

  const hooks = listedHooks(deps.config).map((h): HookHealth => {
    const rows = summary.filter((r) => r.endpoint === h.name);
    const lastHour: Record<string, number> = {};
    const last24Hours: Record<string, number> = {};
    for (const r of rows) {
      if (r.hour > 0) lastHour[r.outcome] = r.hour;
      last24Hours[r.outcome] = r.day;
    }
    const lastHourBuckets = Array.from({ length: 12 }, (_, i) => {
      const start = hourFrom + i * width;
      const counts: Record<string, number> = {};
      for (const b of buckets) {
        if (b.endpoint === h.name && b.bucketStart.getTime() === start) counts[b.outcome] = b.count;
      }
      return { start: new Date(start).toISOString(), counts };
    });
    const unauthorized = rows
      .filter((r) => r.outcome.startsWith("unauthorized:"))
      .map((r): RefusalView => {
        const reason = r.outcome.slice("unauthorized:".length);
        const advice = h.direction === "out"
          ? EMAIL_WORKER_ADVICE[reason as keyof typeof EMAIL_WORKER_ADVICE]
          : adviceForOutcome(r.outcome);
        return {
          reason,
          lastHour: r.hour,
          last24Hours: r.day,
          meaning: advice?.meaning ?? "A refusal this release has no advice for.",
          fix: advice?.fix ?? 'See docs/operations.md, "Diagnosing hook failures".',
        };
      })
      .sort((a, b) => b.last24Hours - a.last24Hours || (a.reason < b.reason ? -1 : 1));
    const keys = h.secrets
      .filter((s) =>
        s.key === "per_partner" || s.name === "current" || s.key.usable ||
        s.key.problem === "weak_key"
      )
      .map((s): HookKeyView => ({
        name: s.name,
        variable: s.variable,
        fingerprint: s.key !== "per_partner" && s.key.usable ? keyFingerprint(s.key.secret) : null,
        ...(s.key !== "per_partner" && !s.key.usable ? { problem: s.key.problem } : {}),
        passes: stored.passes
          .filter((p) => p.endpoint === h.name && p.signingKey === s.name)
          .reduce((sum, p) => sum + p.passes, 0),
      }));
    return {
      name: h.name,
      direction: h.direction,
      keys,
      lastHour,
      last24Hours,
      lastHourBuckets,
      unauthorized,
      lastOkAt: stored.lastOk.get(h.name)?.toISOString() ?? null,
      failing: failing.has(h.name),
    };
  });
  return {
    hooks,
    storedSince: stored.since?.toISOString() ?? null,
    silentSessions: {
      total: silent.total,
      sessions: silent.sessions.map((s) => ({
        chargeBoxId: s.chargeBoxId,
        transactionPk: s.transactionPk,
        lastMeterValueAt: s.lastAt.toISOString(),
      })),
    },
  };
}

/** The hooks failing in these rows of the failing window (see {@link FAILING_WINDOW_MINUTES}). */
function failingHookNames(rows: Array<{ endpoint: string; outcome: string; count: number }>) {
  const failed = new Set<string>();
  const good = new Set<string>();
  for (const r of rows) {
    if (r.count <= 0) continue;
    if (r.outcome === "ok") good.add(r.endpoint);
    else if (isFailureOutcome(r.outcome)) failed.add(r.endpoint);
  }
  return [...failed].filter((name) => !good.has(name)).sort();
}

/**
 * The names of the hooks failing at `now` (every admin page's banner): one
 * query on the bucket index over {@link FAILING_WINDOW_MINUTES} minutes.
 */
export async function failingHooks(db: Executor, now: Date): Promise<string[]> {
  const from = Math.floor(now.getTime() / BUCKET_MS) * BUCKET_MS -
    (FAILING_WINDOW_MINUTES - 1) * BUCKET_MS;
  return failingHookNames(await recentOutcomes(db, new Date(from)));
}
