/**
 * Queues an outbound partner event on the transaction of its cause, so the
 * change and its deliveries land together or not at all. The body is built
 * here, once, and every attempt sends exactly it. (`session.*` events are
 * born inside the meter-values statement instead: db/queries/sessions.ts.)
 */
import type { Executor } from "../../db/client.ts";
import { insertEventDeliveries } from "../../db/queries/partner_deliveries.ts";
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

type EventData = {
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
