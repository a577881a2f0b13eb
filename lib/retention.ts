/**
 * Retention (`RETENTION_DAYS`, default 90): settled history older than that
 * is deleted by maintenance, a bounded batch per statement (db/queries/retention.ts).
 *
 * - Delivered usage events and meter samples, except those of a transaction
 *   whose session is open, or started or ended since the reconciliation
 *   sweep's floor: `RECONCILE_LOOKBACK_HOURS` back, or the sweep's watermark
 *   (the oldest transaction still running at the last sweep) when older. The
 *   sweep compares SteVe's figures with what was queued for a transaction, so
 *   those rows must outlive any sweep that can still see the transaction.
 * - Inbound events: Plug&Charge events (not the open ones, which wait for an
 *   admin) and partners' signed events.
 * - Sent and failed mail (`email_messages`); pending mail is still owed.
 * - Partner deliveries keep their own, shorter setting
 *   (`PARTNER_DELIVERIES_RETENTION_DAYS`, default 30, never above
 *   `RETENTION_DAYS`; lib/maintenance.ts).
 *
 * Pending, unbillable, held and dead usage events are never deleted: they are
 * still owed to Lago or to an admin's decision.
 */
import type { Database } from "../db/client.ts";
import { getBillingState } from "../db/queries/billing.ts";
import { listPartners } from "../db/queries/partners.ts";
import {
  deleteDeliveredUsageEvents,
  deleteOldEmailMessages,
  deleteOldMeterSamples,
  deleteOldPartnerEvents,
  deleteOldPncEvents,
} from "../db/queries/retention.ts";
import { WATERMARK_KEY } from "./billing/reconcile.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";

/** Rows deleted per statement: each statement's locks are few and brief. */
export const RETENTION_BATCH = 1000;
const DAY_MS = 24 * 3600 * 1000;

export interface RetentionDeps {
  db: Database;
  clock: Clock;
  config: Pick<Config, "retentionDays" | "reconcileLookbackHours">;
}

/** How many rows of each kind one run deleted. */
export interface RetentionResult {
  usageEvents: number;
  meterSamples: number;
  pncEvents: number;
  partnerEvents: number;
  emailMessages: number;
}

/** Repeats `deleteBatch` until a batch comes back short; answers how many rows went in all. */
export async function drain(
  deleteBatch: () => Promise<number>,
  batch: number,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await deleteBatch();
    deleted += n;
    if (n < batch) return deleted;
  }
}

/**
 * The earliest time a transaction's start or end keeps its rows: the sweep's
 * lookback, or its watermark when that reaches further back.
 */
export async function sweepFloor(
  deps: Pick<RetentionDeps, "db" | "clock" | "config">,
): Promise<Date> {
  const lookback = deps.clock.now().getTime() - deps.config.reconcileLookbackHours * 3600_000;
  const watermark = Date.parse(await getBillingState(deps.db, WATERMARK_KEY) ?? "");
  return new Date(Number.isFinite(watermark) ? Math.min(lookback, watermark) : lookback);
}

/** Deletes everything past its retention, in batches of `batch` rows; see the module doc. */
export async function pruneExpiredHistory(
  deps: RetentionDeps,
  batch: number = RETENTION_BATCH,
): Promise<RetentionResult> {
  const { db } = deps;
  const before = new Date(deps.clock.now().getTime() - deps.config.retentionDays * DAY_MS);
  const keepFrom = await sweepFloor(deps);
  const limit = batch;
  const usageEvents = await drain(
    () => deleteDeliveredUsageEvents(db, { before, keepFrom, limit }),
    batch,
  );
  const meterSamples = await drain(
    () => deleteOldMeterSamples(db, { before, keepFrom, limit }),
    batch,
  );
  const pncEvents = await drain(() => deleteOldPncEvents(db, { before, limit }), batch);
  let partnerEvents = 0;
  for (const partner of await listPartners(db)) {
    partnerEvents += await drain(
      () => deleteOldPartnerEvents(db, { partnerId: partner.id, before, limit }),
      batch,
    );
  }
  const emailMessages = await drain(() => deleteOldEmailMessages(db, { before, limit }), batch);
  return { usageEvents, meterSamples, pncEvents, partnerEvents, emailMessages };
}
