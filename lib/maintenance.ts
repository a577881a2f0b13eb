/**
 * Background upkeep: prune finished scan-pairs and stale pending starts (the
 * hot statements are indexed around them, but disk is not free), old failed
 * logins, expired admin/customer sessions, sign-in links past their window
 * and life, settled partner deliveries past their retention, hook outcome
 * buckets past 48 hours and hook key reports of instances gone without a
 * clean stop, the shared state of several instances (rate-limit counters,
 * lapsed stream leases, scheduled-run claims, large bus payloads), history
 * past `RETENTION_DAYS` (lib/retention.ts), return unbillable usage events
 * whose link a racing claim missed, and pick up flag changes made by other
 * instances. The prune runs once per slot across instances
 * (lib/scheduled_runs.ts); the flag refresh runs on each, since each keeps
 * its own copy.
 */
import type { Database } from "../db/client.ts";
import { pruneExpiredSessions, pruneLoginFailures } from "../db/queries/admins.ts";
import { pruneSettledDeliveries } from "../db/queries/partner_deliveries.ts";
import { listPartners } from "../db/queries/partners.ts";
import { pruneHookKeyReports, pruneOutcomeBuckets } from "../db/queries/hook_outcomes.ts";
import { pruneFinishedPairs } from "../db/queries/scan_pairs.ts";
import { pruneStalePendingStarts } from "../db/queries/sessions.ts";
import { pruneSignInLinks } from "../db/queries/sign_in_links.ts";
import { pruneBusPayloads } from "../db/queries/bus_payloads.ts";
import { pruneRateLimitCounters } from "../db/queries/rate_limits.ts";
import { pruneScheduledRuns } from "../db/queries/scheduled_runs.ts";
import { pruneStreamLeases } from "../db/queries/stream_leases.ts";
import { requeueBillableEvents } from "../db/queries/usage_events.ts";
import { LOGIN_FAILURE_WINDOW_MS } from "./admin_accounts.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { FeatureFlags } from "./flags.ts";
import { SIGN_IN_LINK_TTL_MS, SIGN_IN_WINDOW_MS } from "./sign_in.ts";
import { errorSummary, logger } from "./logging.ts";
import { MAX_RATE_WINDOW_MS } from "./rate_limit.ts";
import { intervalSlot, runOncePerSlot, SCHEDULED_RUN_RETENTION_MS } from "./scheduled_runs.ts";
import { drain, pruneExpiredHistory } from "./retention.ts";

export const FLAG_REFRESH_MS = 5_000;
export const PRUNE_EVERY_MS = 10 * 60 * 1000;
/** Finished scan-pairs are kept a day for support questions, then deleted. */
export const FINISHED_PAIR_RETENTION_MS = 24 * 3600 * 1000;
export const PENDING_START_RETENTION_MS = 3600 * 1000;
/** Stored hook outcomes are kept this long (the hook-health page shows the last 24 hours). */
export const HOOK_OUTCOME_RETENTION_MS = 48 * 3600 * 1000;
/** Key reports not refreshed for this long belong to instances that are gone. */
export const HOOK_KEY_REPORT_RETENTION_MS = 24 * 3600 * 1000;
/** Partner deliveries deleted per statement: each statement's locks are few and brief. */
export const DELIVERY_PRUNE_BATCH = 1000;
/** Payloads too large for a NOTIFY are read by the other instances within moments; kept an hour. */
export const BUS_PAYLOAD_RETENTION_MS = 3600 * 1000;

export interface MaintenanceDeps {
  db: Database;
  clock: Clock;
  config: Pick<
    Config,
    "partnerDeliveriesRetentionDays" | "retentionDays" | "reconcileLookbackHours"
  >;
}

export async function pruneOnce(deps: MaintenanceDeps): Promise<void> {
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
  // A sign-in link row counts toward the limits for its window and works for its life: past both, gone.
  const signInLinks = await pruneSignInLinks(deps.db, {
    before: new Date(now - Math.max(SIGN_IN_WINDOW_MS, SIGN_IN_LINK_TTL_MS)),
    now: new Date(now),
  });
  await pruneRateLimitCounters(deps.db, new Date(now - 2 * MAX_RATE_WINDOW_MS));
  await pruneStreamLeases(deps.db, new Date(now));
  await pruneScheduledRuns(deps.db, new Date(now - SCHEDULED_RUN_RETENTION_MS));
  await pruneBusPayloads(deps.db, new Date(now - BUS_PAYLOAD_RETENTION_MS));
  const partnerDeliveries = await prunePartnerDeliveries(
    deps.db,
    new Date(now - deps.config.partnerDeliveriesRetentionDays * 24 * 3600 * 1000),
  );
  const hookBuckets = await pruneOutcomeBuckets(
    deps.db,
    new Date(now - HOOK_OUTCOME_RETENTION_MS),
  );
  await pruneHookKeyReports(deps.db, new Date(now - HOOK_KEY_REPORT_RETENTION_MS));
  const history = await pruneExpiredHistory(deps);
  // Linking returns a session's unbillable events in its own transaction; a claim that read
  // the link just before it was set may still have set one aside after that. Those come back here.
  const requeued = await requeueBillableEvents(deps.db, { now: new Date(now) });
  const expired = Object.values(history).some((n) => n > 0);
  if (pairs || starts || partnerDeliveries || hookBuckets || signInLinks || expired || requeued) {
    logger("maintenance").info("pruned finished rows", {
      pairs,
      starts,
      partnerDeliveries,
      hookBuckets,
      signInLinks,
      ...history,
      requeued,
    });
  }
}

/**
 * Delivered and failed partner deliveries whose last attempt is before
 * `before` (`PARTNER_DELIVERIES_RETENTION_DAYS`), partner by partner, in
 * batches of {@link DELIVERY_PRUNE_BATCH}, each its own short statement.
 * Pending deliveries are never pruned, however old. Returns how many went.
 */
async function prunePartnerDeliveries(db: Database, before: Date): Promise<number> {
  let deleted = 0;
  for (const partner of await listPartners(db)) {
    deleted += await drain(
      () =>
        pruneSettledDeliveries(db, { partnerId: partner.id, before, limit: DELIVERY_PRUNE_BATCH }),
      DELIVERY_PRUNE_BATCH,
    );
  }
  return deleted;
}

/** Starts the timers; the returned function stops them. */
export function startMaintenance(
  deps: MaintenanceDeps & { flags: FeatureFlags; instanceId: string },
  options: { pruneEveryMs?: number } = {},
): () => void {
  const pruneEveryMs = options.pruneEveryMs ?? PRUNE_EVERY_MS;
  const log = logger("maintenance");
  const flagTimer = setInterval(() => {
    deps.flags.refresh(deps.db).catch((error) =>
      log.warn("flag refresh failed", { error: errorSummary(error) })
    );
  }, FLAG_REFRESH_MS);
  const pruneTimer = setInterval(() => {
    const slot = intervalSlot(deps.clock.now(), pruneEveryMs);
    runOncePerSlot(deps, { job: "maintenance.prune", slot }, () => pruneOnce(deps))
      .catch((error) => log.warn("prune failed", { error: errorSummary(error) }));
  }, pruneEveryMs);
  return () => {
    clearInterval(flagTimer);
    clearInterval(pruneTimer);
  };
}
