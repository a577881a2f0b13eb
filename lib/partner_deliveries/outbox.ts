/**
 * Queues an outbound partner event on the transaction of its cause, so the
 * change and its deliveries land together or not at all. The body is built
 * here, once, and every attempt sends exactly it. (`session.*` events the
 * meter-values hook causes are born inside its statement instead,
 * db/queries/sessions.ts; those the reconciliation sweep causes come here.)
 */
import type { Executor } from "../../db/client.ts";
import { insertEventDeliveries } from "../../db/queries/partner_deliveries.ts";
import type { LiveSession } from "../../db/queries/sessions.ts";
import { canonicalEventBody, type PartnerEventType } from "./events.ts";

/** `scan.login`: a customer logged in by scan-to-login. */
export interface ScanLoginData {
  chargeBoxId: string;
  customerId: string | null;
  customerName: string | null;
  at: string;
}

/** `pnc.action_needed`: a Plug&Charge event that needs action was first stored. */
export interface PncActionNeededData {
  eventId: string;
  eventType: string;
  message: string | null;
}

/** `session.started`: the first reading of a transaction, or the sweep creating its session. */
export interface SessionStartedData {
  transactionPk: number;
  chargeBoxId: string;
  connectorId: number;
  startedAt: string;
  customerId: string | null;
  customerName: string | null;
}

/** `session.ended`: Transaction.End, or the sweep finding the transaction stopped in SteVe. */
export interface SessionEndedData extends SessionStartedData {
  endedAt: string;
  /** Three decimals, e.g. `"12.346"`. */
  kwh: string;
}

type EventData = {
  "session.started": SessionStartedData;
  "session.ended": SessionEndedData;
  "scan.login": ScanLoginData;
  "pnc.action_needed": PncActionNeededData;
};

/**
 * Queues `type` for every subscribed partner (run it on the cause's
 * transaction). Returns how many deliveries were queued.
 */
export function queuePartnerEvent<T extends keyof EventData & PartnerEventType>(
  tx: Executor,
  args: { type: T; data: EventData[T]; now: Date },
): Promise<number> {
  const id = crypto.randomUUID();
  const body = canonicalEventBody({
    id,
    type: args.type,
    at: args.now,
    data: args.data as unknown as Record<string, unknown>,
  });
  return insertEventDeliveries(tx, { eventId: id, type: args.type, body, now: args.now });
}

/**
 * Queues `session.started` and/or `session.ended` of a session whose start or
 * end a change on `tx` made known (the reconciliation sweep), in that order,
 * with the data the meter-values statement builds for its own: the same
 * fields, times as ISO-8601 UTC, `kwh` rounded to three decimals as its
 * `round(…, 3)` does.
 */
export async function queueSessionEvents(
  tx: Executor,
  args: { session: LiveSession; started: boolean; ended: boolean; now: Date },
): Promise<void> {
  const s = args.session;
  const started: SessionStartedData = {
    transactionPk: s.transactionPk,
    chargeBoxId: s.chargeBoxId,
    connectorId: s.connectorId,
    startedAt: s.startedAt.toISOString(),
    customerId: s.customerId,
    customerName: s.customerName,
  };
  if (args.started) {
    await queuePartnerEvent(tx, { type: "session.started", data: started, now: args.now });
  }
  if (args.ended && s.endedAt) {
    await queuePartnerEvent(tx, {
      type: "session.ended",
      data: { ...started, endedAt: s.endedAt.toISOString(), kwh: kwhOf(s.energyMwh) },
      now: args.now,
    });
  }
}

/** Integer mWh as kWh with three decimals, halves away from zero (PostgreSQL's numeric round). */
export function kwhOf(mwh: number): string {
  const wh = Math.round(Math.abs(mwh) / 1000);
  const sign = mwh < 0 && wh > 0 ? "-" : "";
  return `${sign}${Math.floor(wh / 1000)}.${String(wh % 1000).padStart(3, "0")}`;
}
