/**
 * Per-hook outcome counters since start, for `GET /api/admin/hooks`: the
 * first thing an operator reads during a 401 storm.
 */
import { createHmac } from "node:crypto";
import type { AppContext } from "./app_deps.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import { logger } from "./logging.ts";
import {
  type EnvSignedEndpointId,
  SIGNED_ENDPOINT_LIST,
  type SignedEndpoint,
  type SignedEndpointName,
} from "./signed_endpoints.ts";

/** A signed endpoint's name, e.g. "PreAuthorize". */
export type HookName = SignedEndpointName;

/** Outcome counts per signed endpoint, kept in memory since start. */
export class HookStats {
  readonly #counts = new Map<HookName, Map<string, number>>();
  readonly startedAt: Date;
  constructor(clock: Clock) {
    this.startedAt = clock.now();
  }

  /** Counts one answered call; `outcome` is "ok" or the error (401s by reason). */
  record(hook: HookName, outcome: string): void {
    let counts = this.#counts.get(hook);
    if (!counts) this.#counts.set(hook, counts = new Map());
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }

  /** The counts of one endpoint, by outcome. */
  counts(hook: HookName): Record<string, number> {
    return Object.fromEntries(this.#counts.get(hook) ?? []);
  }
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
    c.get("deps").hookStats.record(hook, outcome);
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

/** Per hook: is its key usable (or why not), its fingerprint, and outcome counts. */
export function describeHooks(config: Config, stats: HookStats) {
  // Field names and order are the admin API's (docs/api.md); only the values come from the registry.
  return SIGNED_ENDPOINT_LIST.map(([id, h]) => {
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
}
