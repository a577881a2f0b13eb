/**
 * The reconciliation sweep (runbook "Audit and rollback"): for each
 * transaction SteVe recorded as stopped, its true energy
 * (stopValue − startValue) is compared with what was queued for Lago and the
 * missing part is queued as one backfill — so kWh lost while the meter-values
 * hook answered 401 (even a whole session) is still billed, exactly once.
 */
import type { Database } from "../../db/client.ts";
import {
  backfillFromSteve,
  getBillingState,
  insertSweepRun,
  listSweepRuns,
  setBillingState,
  type StoppedTransaction,
  type SweepRun,
} from "../../db/queries/billing.ts";
import { queueReceipt } from "../../db/queries/email_messages.ts";
import type { Clock } from "../clock.ts";
import { queueSessionEvents } from "../partner_deliveries/outbox.ts";
import { errorSummary, type Logger } from "../logging.ts";
import { parseScaledDecimal } from "../meter_values.ts";
import type { SteveApi, SteveTransaction } from "./steve_api.ts";

/** `billing_state` key: start of the oldest transaction still running at the last sweep. */
export const WATERMARK_KEY = "sweep_watermark";

export interface SweepDeps {
  db: Database;
  clock: Clock;
  steve: SteveApi | null;
  lookbackHours: number;
  log: Logger;
}

function toStopped(t: SteveTransaction): StoppedTransaction | null {
  const start = parseScaledDecimal(t.startValue, 3);
  const stop = t.stopValue === null ? null : parseScaledDecimal(t.stopValue, 3);
  if (start === null || stop === null || !t.stopTimestamp) return null;
  return {
    transactionPk: t.id,
    chargeBoxId: t.chargeBoxId,
    connectorId: t.connectorId,
    idTag: t.ocppIdTag,
    startedAt: new Date(t.startTimestamp),
    stoppedAt: new Date(t.stopTimestamp),
    startRegisterMwh: start,
    stopRegisterMwh: stop,
  };
}

/**
 * Runs one sweep and records it. The window covers the last
 * `lookbackHours` of start times, stretched back to the watermark: the start
 * of the oldest transaction that was still running at the previous sweep, so
 * a long session is swept once it stops however long it ran. With
 * `transactionPk`, only that transaction (used right after Transaction.End).
 */
export async function runSweep(
  deps: SweepDeps,
  args: { trigger: string; transactionPk?: number },
): Promise<SweepRun> {
  const startedAt = deps.clock.now();
  let windowFrom = new Date(
    startedAt.getTime() - deps.lookbackHours * 3_600_000,
  );
  const watermark = await getBillingState(deps.db, WATERMARK_KEY);
  if (
    watermark && Date.parse(watermark) < windowFrom.getTime() &&
    !args.transactionPk
  ) {
    windowFrom = new Date(watermark);
  }
  const errors: string[] = [];
  const flagged: Array<{ transactionPk: number; differenceKwh: string }> = [];
  let transactions = 0;
  let backfilledMwh = 0;
  try {
    if (!deps.steve) {
      throw new Error("SteVe's REST API is not configured (STEVE_API_URL)");
    }
    const items = await deps.steve.listTransactions(
      args.transactionPk !== undefined
        ? { transactionPk: args.transactionPk }
        : { type: "ALL", from: windowFrom, to: startedAt },
    );
    let oldestActive: string | null = null;
    // SteVe before 3.10 ignores FROM_TO for type=ALL: keep the window here too.
    const inWindow = (t: SteveTransaction) =>
      args.transactionPk !== undefined ||
      (Date.parse(t.startTimestamp) >= windowFrom.getTime() &&
        Date.parse(t.startTimestamp) <= startedAt.getTime());
    for (const item of items.filter(inWindow)) {
      if (!item.stopTimestamp) {
        if (
          !oldestActive ||
          Date.parse(item.startTimestamp) < Date.parse(oldestActive)
        ) {
          oldestActive = item.startTimestamp;
        }
        continue;
      }
      const tx = toStopped(item);
      if (!tx) {
        errors.push(`transaction ${item.id}: unusable meter values from SteVe`);
        continue;
      }
      transactions++;
      try {
        const result = await deps.db.transaction(async (db) => {
          const now = deps.clock.now();
          const done = await backfillFromSteve(db, { tx, now });
          // A session this sweep created or ended is announced with the change, once;
          // one it ended gets its receipt as the hook's Transaction.End would have.
          await queueSessionEvents(db, {
            session: done.session,
            started: done.created,
            ended: done.ended,
            now,
          });
          if (done.ended) await queueReceipt(db, { transactionPk: tx.transactionPk, now });
          return done;
        });
        if (result.outcome === "backfilled") backfilledMwh += result.deltaMwh;
        if (result.outcome === "flagged") {
          flagged.push({
            transactionPk: tx.transactionPk,
            differenceKwh: (result.deltaMwh / 1_000_000).toFixed(6),
          });
          deps.log.warn(
            "sweep: more queued than SteVe recorded; not corrected",
            {
              transactionPk: tx.transactionPk,
            },
          );
        }
      } catch (error) {
        errors.push(
          `transaction ${tx.transactionPk}: ${errorSummary(error).message}`,
        );
      }
    }
    if (args.transactionPk === undefined) {
      await setBillingState(deps.db, {
        key: WATERMARK_KEY,
        value: oldestActive ?? windowFrom.toISOString(),
        now: deps.clock.now(),
      });
    }
  } catch (error) {
    errors.push(errorSummary(error).message);
  }
  const finishedAt = deps.clock.now();
  const id = await insertSweepRun(deps.db, {
    trigger: args.trigger,
    startedAt,
    finishedAt,
    windowFrom,
    windowTo: startedAt,
    transactions,
    backfilledMwh,
    flagged: flagged.length,
    errors: errors.length ? errors.join("; ").slice(0, 2000) : null,
    details: { flagged, errors },
  });
  const [run] = (await listSweepRuns(deps.db, 20)).filter((r) => r.id === id);
  return run;
}
