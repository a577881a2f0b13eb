/** Live sessions as the admin API and the SSE snapshots show them. */
import type { Executor } from "../db/client.ts";
import { listLiveSessions, type LiveSession } from "../db/queries/sessions.ts";
import type { Clock } from "./clock.ts";
import type { TransactionMeter } from "./event_bus.ts";
import { toTransactionMeter } from "./meter_values.ts";

/** Ended sessions stay listed this long, so their cards can show "ended". */
export const ENDED_SESSION_VISIBLE_MS = 60 * 60 * 1000;

/** A session as the admin API and the streams show it: the `transaction.meter` fields. */
export type LiveSessionView = TransactionMeter;

export const toLiveSessionView = (session: LiveSession): LiveSessionView =>
  toTransactionMeter(session);

export async function listLiveSessionViews(
  deps: { db: Executor; clock: Clock },
  args: { customerId?: string } = {},
): Promise<LiveSessionView[]> {
  const sessions = await listLiveSessions(deps.db, {
    endedSince: new Date(deps.clock.now().getTime() - ENDED_SESSION_VISIBLE_MS),
    customerId: args.customerId,
  });
  return sessions.map(toLiveSessionView);
}
