/**
 * Background upkeep: prune finished scan-pairs and stale pending starts (the
 * hot statements are indexed around them, but disk is not free), old failed
 * logins and expired admin/customer sessions, and pick up flag changes made
 * by other instances.
 */
import type { Database } from "../db/client.ts";
import { pruneExpiredSessions, pruneLoginFailures } from "../db/queries/admins.ts";
import { pruneFinishedPairs } from "../db/queries/scan_pairs.ts";
import { pruneStalePendingStarts } from "../db/queries/sessions.ts";
import { LOGIN_FAILURE_WINDOW_MS } from "./admin_accounts.ts";
import type { Clock } from "./clock.ts";
import type { FeatureFlags } from "./flags.ts";
import { errorSummary, logger } from "./logging.ts";

export const FLAG_REFRESH_MS = 5_000;
export const PRUNE_EVERY_MS = 10 * 60 * 1000;
/** Finished scan-pairs are kept a day for support questions, then deleted. */
export const FINISHED_PAIR_RETENTION_MS = 24 * 3600 * 1000;
export const PENDING_START_RETENTION_MS = 3600 * 1000;

export async function pruneOnce(
  deps: { db: Database; clock: Clock },
): Promise<void> {
  const now = deps.clock.now().getTime();
  const pairs = await pruneFinishedPairs(
    deps.db,
    new Date(now - FINISHED_PAIR_RETENTION_MS),
  );
  const starts = await pruneStalePendingStarts(
    deps.db,
    new Date(now - PENDING_START_RETENTION_MS),
  );
  await pruneLoginFailures(deps.db, new Date(now - LOGIN_FAILURE_WINDOW_MS));
  await pruneExpiredSessions(deps.db, new Date(now));
  if (pairs || starts) {
    logger("maintenance").info("pruned finished rows", { pairs, starts });
  }
}

/** Starts the timers; the returned function stops them. */
export function startMaintenance(
  deps: { db: Database; clock: Clock; flags: FeatureFlags },
): () => void {
  const log = logger("maintenance");
  const flagTimer = setInterval(() => {
    deps.flags.refresh(deps.db).catch((error) =>
      log.warn("flag refresh failed", { error: errorSummary(error) })
    );
  }, FLAG_REFRESH_MS);
  const pruneTimer = setInterval(() => {
    pruneOnce(deps).catch((error) => log.warn("prune failed", { error: errorSummary(error) }));
  }, PRUNE_EVERY_MS);
  return () => {
    clearInterval(flagTimer);
    clearInterval(pruneTimer);
  };
}
