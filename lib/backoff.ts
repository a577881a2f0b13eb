/**
 * Waits between attempts of the background senders (Lago, partner webhooks,
 * email): jitter spreads the retries of many rows failed together, so a
 * service that comes back is not hit by all of them in one instant.
 */

/** `ms` spread uniformly over ±`jitter` (0.2: ±20 %), rounded to whole milliseconds. */
export function jittered(ms: number, jitter: number, random: () => number = Math.random): number {
  return Math.round(ms * (1 - jitter + 2 * jitter * random()));
}

/**
 * Exponential backoff: `baseMs · 2^(attempts − 1)`, capped at `maxMs`, then
 * {@link jittered}. `attempts` counts the failed attempts so far (≥ 1).
 */
export function exponentialBackoffMs(
  args: { attempts: number; baseMs: number; maxMs: number; jitter: number; random?: () => number },
): number {
  const exponent = Math.min(Math.max(args.attempts - 1, 0), 30);
  return jittered(Math.min(args.maxMs, args.baseMs * 2 ** exponent), args.jitter, args.random);
}
