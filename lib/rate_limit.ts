/**
 * Sliding-window rate limiter kept in process memory: at most `limit` hits per
 * key within `windowMs`. Several instances each keep their own window; put the
 * limit in a shared store if that ever matters.
 */
import type { Clock } from "./clock.ts";

export type RateDecision = { allowed: true } | {
  allowed: false;
  retryAfterSeconds: number;
};

export interface RateLimiter {
  hit(key: string): RateDecision;
}

export function createRateLimiter(
  options: { limit: number; windowMs: number; clock: Clock; maxKeys?: number },
): RateLimiter {
  const hits = new Map<string, number[]>();
  const maxKeys = options.maxKeys ?? 100_000;
  const sweep = (now: number) => {
    for (const [key, times] of hits) {
      if (times[times.length - 1] <= now - options.windowMs) hits.delete(key);
    }
  };
  return {
    hit(key) {
      const now = options.clock.now().getTime();
      if (hits.size >= maxKeys) sweep(now);
      const times = (hits.get(key) ?? []).filter((t) => t > now - options.windowMs);
      if (times.length >= options.limit) {
        hits.set(key, times);
        const retryAfterMs = times[0] + options.windowMs - now;
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
        };
      }
      times.push(now);
      hits.set(key, times);
      return { allowed: true };
    },
  };
}
