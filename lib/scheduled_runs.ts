/**
 * Scheduled work that must run once per schedule across all instances
 * (maintenance's prune, the reconciliation sweep). Every instance keeps its
 * timer; when it fires, the instance claims the schedule slot with one insert
 * into `scheduled_runs` and runs the job only if its insert landed.
 *
 * Why a claim row and not an advisory lock: a lock only keeps two runs from
 * overlapping — an instance whose timer fires a moment after another's run
 * finished would run the same slot again. The claim is kept, so each slot runs
 * at most once. An instance that crashes mid-run leaves its slot claimed and
 * unfinished: the job is not retried in that slot but runs again in the next
 * one, and every job run this way is written to catch up (the prune deletes by
 * age, the sweep re-reads its window from a stored watermark).
 */
import type { Cron } from "croner";
import type { Executor } from "../db/client.ts";
import { claimScheduledRun } from "../db/queries/scheduled_runs.ts";
import type { Clock } from "./clock.ts";

/** Claims are kept this long (support: who ran what when), then maintenance deletes them. */
export const SCHEDULED_RUN_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface ScheduledRunDeps {
  db: Executor;
  clock: Clock;
  instanceId: string;
}

/**
 * Runs `fn` when this instance claims `slot` of `job`; answers whether it did.
 * A failed claim (database away) skips the run: the next slot tries again.
 */
export async function runOncePerSlot(
  deps: ScheduledRunDeps,
  args: { job: string; slot: string },
  fn: () => Promise<unknown>,
): Promise<boolean> {
  const claimed = await claimScheduledRun(deps.db, {
    ...args,
    instanceId: deps.instanceId,
    now: deps.clock.now(),
  });
  if (claimed) await fn();
  return claimed;
}

/** The slot of an every-`everyMs` timer at `now`: instances' timers need not be in step. */
export function intervalSlot(now: Date, everyMs: number): string {
  return new Date(Math.floor(now.getTime() / everyMs) * everyMs).toISOString();
}

/**
 * The slot of a croner run: the schedule time it fired for (the pattern's
 * latest time at or before it fired), the same on every instance whatever
 * the milliseconds each timer fired late.
 */
export function cronSlot(cron: Cron, firedAt: Date): string {
  const [scheduled] = cron.previousRuns(1, new Date(firedAt.getTime() + 1));
  return (scheduled ?? firedAt).toISOString();
}
