/** Claims of scheduled jobs, one per job and schedule slot (lib/scheduled_runs.ts). */
import { lt } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { scheduledRuns } from "../schema.ts";

/**
 * Claims `slot` of `job` for `instanceId`; true when this call's insert
 * landed. The primary key decides between instances that fire at once: the
 * second insert finds the first one's row and does nothing.
 */
export async function claimScheduledRun(
  db: Executor,
  args: { job: string; slot: string; instanceId: string; now: Date },
): Promise<boolean> {
  const rows = await db.orm.insert(scheduledRuns).values({
    job: args.job,
    slot: args.slot,
    instanceId: args.instanceId,
    claimedAt: args.now,
  }).onConflictDoNothing().returning({ job: scheduledRuns.job });
  return rows.length === 1;
}

/** Deletes claims made before `before`; returns how many. */
export async function pruneScheduledRuns(db: Executor, before: Date): Promise<number> {
  const rows = await db.orm.delete(scheduledRuns)
    .where(lt(scheduledRuns.claimedAt, before))
    .returning({ job: scheduledRuns.job });
  return rows.length;
}
