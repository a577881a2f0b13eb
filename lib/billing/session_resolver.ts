/**
 * Resolves each new live session through SteVe's REST API, in the background
 * (never in a hook's request path): SteVe's `ocppIdTag` fills or corrects the
 * session's tag and customer, its `startValue` becomes the start register.
 */
import type { Database } from "../../db/client.ts";
import {
  applySteveRecord,
  listUnresolvedSessions,
  postponeResolution,
} from "../../db/queries/billing.ts";
import { requeueBillableEvents } from "../../db/queries/usage_events.ts";
import type { Clock } from "../clock.ts";
import type { EventPublisher } from "../event_bus.ts";
import { errorSummary, type Logger } from "../logging.ts";
import { parseScaledDecimal, toTransactionMeter } from "../meter_values.ts";
import type { SteveApi } from "./steve_api.ts";

/** SteVe may record a transaction after its first MeterValues: retry for about an hour. */
const MAX_ATTEMPTS = 12;

export interface ResolverDeps {
  db: Database;
  clock: Clock;
  bus: EventPublisher;
  steve: SteveApi;
  log: Logger;
}

/** Resolves the sessions that are due; returns how many SteVe confirmed. */
export async function resolveSessionsOnce(
  deps: ResolverDeps,
  limit = 20,
): Promise<number> {
  const due = await listUnresolvedSessions(deps.db, {
    now: deps.clock.now(),
    limit,
  });
  let resolved = 0;
  for (const { transactionPk, attempts } of due) {
    const now = deps.clock.now();
    try {
      const [record] = await deps.steve.listTransactions({ transactionPk });
      const startMwh = record ? parseScaledDecimal(record.startValue, 3) : null;
      if (record && startMwh !== null && record.ocppIdTag) {
        // One transaction: the session's events set aside for want of a tag return with it.
        const applied = await deps.db.transaction(async (tx) => {
          const result = await applySteveRecord(tx, {
            transactionPk,
            idTag: record.ocppIdTag,
            startRegisterMwh: startMwh,
            now,
          });
          await requeueBillableEvents(tx, { transactionPk, now });
          return result;
        });
        if (applied) {
          deps.bus.publish(
            "transaction.meter",
            toTransactionMeter(applied.session),
          );
        }
        resolved++;
        continue;
      }
    } catch (error) {
      deps.log.warn("SteVe lookup failed", {
        transactionPk,
        error: errorSummary(error),
      });
    }
    const wait = Math.min(3_600_000, 10_000 * 2 ** attempts);
    await postponeResolution(deps.db, {
      transactionPk,
      nextAt: new Date(now.getTime() + wait),
      giveUp: attempts + 1 >= MAX_ATTEMPTS,
      now,
    });
  }
  return resolved;
}
