/**
 * When a failed attempt of a partner delivery goes again (issue 13 §3): the
 * configured schedule, ±20 % jitter, and a `Retry-After` honoured up to
 * twice the step it replaces.
 */
import { jittered } from "../backoff.ts";

/** Jitter around each step: ±20 %. */
export const JITTER = 0.2;

/**
 * Milliseconds until the next attempt after `attemptsMade` failed attempts,
 * or null when the schedule is used up (the delivery fails). `retryAfter` is
 * the partner's header (seconds or an HTTP date), read against `now`.
 */
export function nextRetryDelayMs(
  args: {
    schedule: readonly number[];
    attemptsMade: number;
    retryAfter: string | null;
    now: Date;
    random?: () => number;
  },
): number | null {
  const stepSeconds = args.schedule[args.attemptsMade - 1];
  if (stepSeconds === undefined) return null;
  const stepMs = stepSeconds * 1000;
  const asked = retryAfterMs(args.retryAfter, args.now);
  if (asked !== null) return Math.min(asked, 2 * stepMs);
  return jittered(stepMs, JITTER, args.random);
}

/** A `Retry-After` value (delay-seconds or an HTTP date) as milliseconds from `now`, or null. */
export function retryAfterMs(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day of the week and says GMT; a bare number or junk is not one.
  if (!/GMT$/.test(text)) return null;
  const when = Date.parse(text);
  return Number.isNaN(when) ? null : Math.max(0, when - now.getTime());
}
