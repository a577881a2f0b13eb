/**
 * Rate limits shared by every instance: counters in the database
 * (`rate_limit_counters`), so N instances behind a load balancer allow N× nothing.
 *
 * Each key counts hits per fixed window; a hit is allowed while
 * `current + previous × (unelapsed share of the current window)` stays under
 * the limit — the sliding-window estimate, which keeps one counter row per
 * window instead of one row per hit. One statement per hit
 * (db/queries/rate_limits.ts); refused hits are not counted. Keys are stored as
 * a SHA-256 of the client key, never the address itself.
 */
import type { Executor } from "../db/client.ts";
import { countHit } from "../db/queries/rate_limits.ts";
import type { Clock } from "./clock.ts";
import { tokenHash } from "./tokens.ts";

/** Longest window a limiter may use: maintenance deletes counters older than twice this. */
export const MAX_RATE_WINDOW_MS = 30 * 60 * 1000;

export type RateDecision = { allowed: true } | {
  allowed: false;
  retryAfterSeconds: number;
};

export interface RateLimiter {
  hit(key: string): Promise<RateDecision>;
}

/**
 * A limiter named `name` (keys of different limiters never meet): at most
 * `limit` hits per key in any `windowMs`, as estimated above.
 */
export function createRateLimiter(
  options: { db: Executor; name: string; limit: number; windowMs: number; clock: Clock },
): RateLimiter {
  const { windowMs, limit } = options;
  if (windowMs > MAX_RATE_WINDOW_MS) throw new Error("rate limit window too long");
  return {
    async hit(key) {
      const now = options.clock.now().getTime();
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const elapsed = now - windowStart;
      const weight = 1 - elapsed / windowMs;
      const seen = await countHit(options.db, {
        key: `${options.name}:${tokenHash(key).slice(0, 32)}`,
        windowStart: new Date(windowStart),
        previousWindowStart: new Date(windowStart - windowMs),
        previousWeight: weight,
        limit,
      });
      if (seen.counted !== null) return { allowed: true };
      const waitMs = reopensInMs({ ...seen, elapsed, windowMs, limit });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
    },
  };
}

/**
 * When the next hit would pass, as milliseconds from now: later in this
 * window once the previous window's weight has faded enough, or in the next
 * window, where this window's count is the one fading.
 */
function reopensInMs(
  a: { current: number; previous: number; elapsed: number; windowMs: number; limit: number },
): number {
  // A hit passes once count + weighed < limit, strictly: +1 ms gets past the boundary.
  if (a.current < a.limit && a.previous > 0) {
    const at = a.windowMs * (1 - (a.limit - a.current) / a.previous);
    return Math.max(0, at - a.elapsed) + 1;
  }
  const inNext = a.current > 0 ? Math.max(0, a.windowMs * (1 - a.limit / a.current)) : 0;
  return a.windowMs - a.elapsed + inNext + 1;
}
