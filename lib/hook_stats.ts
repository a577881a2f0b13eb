/**
 * Per-hook outcome counters: since start in this process, for `GET
 * /api/admin/hooks` (the first thing an operator reads during a 401 storm),
 * and per minute in `hook_outcome_buckets`, summed over every instance (the
 * 401-storm alert, the hook-health page). The hot path only counts in memory;
 * a flusher adds the deltas to the table every few seconds in one statement.
 */
import { createHmac } from "node:crypto";
import type { Executor } from "../db/client.ts";
import { addOutcomeDeltas, type OutcomeDelta } from "../db/queries/hook_outcomes.ts";
import type { AppContext } from "./app_deps.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import { errorSummary, logger } from "./logging.ts";
import { type RoundLoop, startRoundLoop } from "./round_loop.ts";
import {
  type EnvSignedEndpointId,
  type SecretName,
  SIGNED_ENDPOINT_LIST,
  type SignedEndpoint,
  type SignedEndpointName,
} from "./signed_endpoints.ts";

/**
 * Whose outcomes are counted: a signed endpoint's name, e.g. "PreAuthorize",
 * or the email worker's replies to our calls ({@link EMAIL_WORKER_HOOK}).
 */
export type HookName = SignedEndpointName | typeof EMAIL_WORKER_HOOK;

/** The name the email worker's replies are counted under (we call it; it answers). */
export const EMAIL_WORKER_HOOK = "EmailWorker";

/** Width of a stored bucket. */
export const BUCKET_MS = 60_000;
/** How often the flusher adds this instance's counts to the table. */
export const FLUSH_EVERY_MS = 2_000;

/**
 * Outcome counts per signed endpoint: in memory since start, and the counts
 * not yet added to `hook_outcome_buckets`, per minute by the injected clock.
 */
export class HookStats {
  readonly #counts = new Map<HookName, Map<string, number>>();
  /** Not yet flushed, by `<hook>\0<minute ms>\0<outcome>`. */
  #pending = new Map<string, OutcomeDelta>();
  readonly #clock: Clock;
  readonly startedAt: Date;
  constructor(clock: Clock) {
    this.#clock = clock;
    this.startedAt = clock.now();
  }

  /**
   * Counts one answered call; `outcome` is "ok" or the error (401s by reason),
   * `signingKey` the secret that verified it ('' when none did). No I/O.
   */
  record(hook: HookName, outcome: string, signingKey: SecretName | "" = ""): void {
    let counts = this.#counts.get(hook);
    if (!counts) this.#counts.set(hook, counts = new Map());
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    const now = this.#clock.now();
    const minute = Math.floor(now.getTime() / BUCKET_MS) * BUCKET_MS;
    const key = `${hook}\0${minute}\0${outcome}\0${signingKey}`;
    const delta = this.#pending.get(key);
    if (delta) {
      delta.count++;
      if (now > delta.lastAt) delta.lastAt = now;
    } else {
      this.#pending.set(key, {
        endpoint: hook,
        bucketStart: new Date(minute),
        outcome,
        signingKey,
        count: 1,
        lastAt: now,
      });
    }
  }

  /**
   * Adds the counts recorded since the last flush to the table, in one
   * statement; none: no statement. Safe to call concurrently (each call takes
   * what is pending when it starts). On failure the counts are kept for the
   * next flush: a statement that failed after committing (a lost connection)
   * may then count them twice, which an alert threshold tolerates.
   */
  async flush(db: Executor): Promise<number> {
    if (this.#pending.size === 0) return 0;
    const taken = this.#pending;
    this.#pending = new Map();
    try {
      await addOutcomeDeltas(db, [...taken.values()]);
    } catch (error) {
      for (const [key, delta] of taken) {
        const since = this.#pending.get(key);
        if (since) {
          since.count += delta.count;
          if (delta.lastAt > since.lastAt) since.lastAt = delta.lastAt;
        } else this.#pending.set(key, delta);
      }
      throw error;
    }
    return taken.size;
  }

  /** The counts of one endpoint, by outcome. */
  counts(hook: HookName): Record<string, number> {
    return Object.fromEntries(this.#counts.get(hook) ?? []);
  }
}

/**
 * Flushes `stats` every {@link FLUSH_EVERY_MS} until stopped, and once more
 * on stop, so a clean stop loses no count (stop the HTTP server first).
 */
export function startHookStatsFlusher(
  stats: HookStats,
  db: Executor,
  options: { everyMs?: number } = {},
): () => Promise<void> {
  const log = logger("HookStats");
  const onError = (error: unknown) =>
    log.warn("hook stats flush failed: counts kept for the next flush", {
      error: errorSummary(error),
    });
  const loop: RoundLoop = startRoundLoop({
    round: async () => {
      await stats.flush(db);
      return false;
    },
    onError,
    idleMs: options.everyMs ?? FLUSH_EVERY_MS,
  });
  return async () => {
    await loop.stop();
    await stats.flush(db).catch(onError);
  };
}

/**
 * Counts and logs every answer of a hook: one info line per call with its
 * status and outcome (runbook step 1 tails these), nothing from the body.
 */
export function hookStatsMiddleware(endpoint: SignedEndpoint & { name: HookName }) {
  const log = logger(endpoint.logCategory);
  const hook = endpoint.name;
  return async (c: AppContext, next: () => Promise<void>) => {
    const started = performance.now();
    await next();
    const outcome = c.get("outcome") ??
      (c.res.status < 400 ? "ok" : String(c.res.status));
    c.get("deps").hookStats.record(hook, outcome, c.get("signingKey") ?? "");
    log.info("hook answered", {
      hook,
      status: c.res.status,
      outcome,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  };
}

/** The label operators compare on both sides: reveals nothing about the key. */
export const FINGERPRINT_LABEL = "expressync-key-fingerprint";

/**
 * First 16 hex of HMAC-SHA256(key, "expressync-key-fingerprint"). SteVe's side
 * can compute the same with `printf %s expressync-key-fingerprint | openssl
 * dgst -sha256 -hmac "$KEY"` to check both hold the same key.
 */
export function keyFingerprint(secret: string): string {
  return createHmac("sha256", secret).update(FINGERPRINT_LABEL).digest("hex")
    .slice(0, 16);
}

/**
 * Per hook: is its key usable (or why not), its fingerprint, and outcome
 * counts of this process since start. The email worker's replies come last.
 */
export function describeHooks(config: Config, stats: HookStats) {
  // Field names and order are the admin API's (docs/api.md); only the values come from the registry.
  const inbound = SIGNED_ENDPOINT_LIST.map(([id, h]) => {
    // A partner-keyed entry has one secret per partner row: nothing to fingerprint here.
    const key = id in config.hooks ? config.hooks[id as EnvSignedEndpointId] : null;
    return {
      name: h.name,
      path: h.path,
      header: h.headers[0],
      envVar: h.secretVariables[0] ?? null,
      key: key === null
        ? { configured: true, perPartner: true }
        : key.usable
        ? { configured: true, fingerprint: keyFingerprint(key.secret) }
        : { configured: false, problem: key.problem },
      counts: stats.counts(h.name),
      countingSince: stats.startedAt.toISOString(),
    };
  });
  const worker = config.emailWorker;
  return [...inbound, {
    name: EMAIL_WORKER_HOOK as HookName,
    path: worker ? `${worker.url}/send` : null,
    header: "X-Polaris-Sig",
    envVar: "EMAIL_WORKER_HMAC_KEY",
    key: worker
      ? { configured: true, fingerprint: keyFingerprint(worker.hmacKey) }
      : { configured: false, problem: "missing_key" },
    counts: stats.counts(EMAIL_WORKER_HOOK),
    countingSince: stats.startedAt.toISOString(),
  }];
}
