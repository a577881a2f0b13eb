/** Live sessions as the admin API and the SSE snapshots show them. */
import type { Executor } from "../db/client.ts";
import {
  listLiveSessions,
  listPowerHistory,
  listRecentSessions,
  type LiveSession,
  type PowerPoint,
} from "../db/queries/sessions.ts";
import type { Clock } from "./clock.ts";
import type { TransactionMeter } from "./event_bus.ts";
import { toTransactionMeter } from "./meter_values.ts";

export type { PowerPoint };

/** Ended sessions stay listed this long, so their cards can show "ended". */
export const ENDED_SESSION_VISIBLE_MS = 60 * 60 * 1000;
/** A card's power chart covers this much time before the clock's now… */
export const POWER_HISTORY_MS = 30 * 60 * 1000;
/** …in at most this many points. */
export const POWER_HISTORY_POINTS = 120;

/**
 * A session as the admin API and the streams' snapshots show it: the
 * `transaction.meter` fields and `history`, its power over the last
 * {@link POWER_HISTORY_MS} as `[epochMs, kW]`, oldest first, so a chart is
 * drawn at once on every page load (`session` events do not repeat it).
 */
export type LiveSessionView = TransactionMeter & { history: PowerPoint[] };

export async function listLiveSessionViews(
  deps: { db: Executor; clock: Clock },
  args: { customerId?: string } = {},
): Promise<LiveSessionView[]> {
  const now = deps.clock.now();
  const sessions = await listLiveSessions(deps.db, {
    endedSince: new Date(now.getTime() - ENDED_SESSION_VISIBLE_MS),
    customerId: args.customerId,
  });
  const history = await listPowerHistory(deps.db, {
    transactionPks: sessions.map((s) => s.transactionPk),
    since: new Date(now.getTime() - POWER_HISTORY_MS),
    until: now,
    buckets: POWER_HISTORY_POINTS,
  });
  return sessions.map((session: LiveSession) => ({
    ...toTransactionMeter(session),
    history: history.get(session.transactionPk) ?? [],
  }));
}

/** A customer's latest ended sessions, newest first, as `/me` lists them. */
export async function listRecentSessionViews(
  deps: { db: Executor },
  args: { customerId: string; limit: number },
): Promise<TransactionMeter[]> {
  return (await listRecentSessions(deps.db, args)).map(toTransactionMeter);
}
