/**
 * Hubject Plug&Charge webhook events (seed 002; issue 12 §2): what a verified
 * delivery stores, how retries collapse, and what the admin sees and
 * acknowledges. The HTTP pipeline in front of it is lib/signed_request.ts.
 */
import { z } from "zod";
import type { Database } from "../../db/client.ts";
import {
  acknowledgePncEvent,
  countOpenPncEvents,
  insertPncEventOnce,
  listPncEvents,
  type PncEvent,
} from "../../db/queries/pnc_events.ts";
import type { Clock } from "../clock.ts";
import { AppError } from "../errors.ts";
import { errorSummary, hashForLog, type Logger } from "../logging.ts";
import { pncEventType, type PncRole } from "./event_types.ts";
import { queuePartnerEvent } from "../partner_deliveries/outbox.ts";

/** What receiving and reviewing events needs. */
export interface PncDeps {
  db: Database;
  clock: Clock;
  log: Logger;
}

/**
 * A delivery's body. `payload` is kept as sent (it carries EMAIDs, PCIDs and
 * certificates: stored, shown to admins, never logged); unknown fields are
 * dropped.
 */
export const pncWebhookBody = z.object({
  eventId: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters"),
  eventType: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  payload: z.record(z.string(), z.unknown()),
  timestamp: z.string().optional(),
});
export type PncWebhookBody = z.infer<typeof pncWebhookBody>;

/** The answer to a verified delivery: stored now, or seen before. */
export interface PncReceipt {
  status: "processed" | "duplicate";
  eventId: string;
}

/**
 * Stores a verified delivery once per `eventId`. Hubject retries a 5xx three
 * times an hour apart, so a repeat answers 200 `duplicate` and stores or flags
 * nothing; an event type the seed does not list is stored without role,
 * message or action, because new types must not bounce. Only a failure to
 * store throws (500 internal), so Hubject retries exactly what we lost.
 */
export async function receivePncEvent(deps: PncDeps, body: PncWebhookBody): Promise<PncReceipt> {
  const known = pncEventType(body.eventType);
  // The eventId only as a hash: it may be matched against Hubject's records, never read back.
  const fields = { eventType: body.eventType, eventIdHash: hashForLog(body.eventId) };
  let stored: boolean;
  const now = deps.clock.now();
  try {
    // An event needing action is announced to subscribed partners in the same transaction.
    stored = await deps.db.transaction(async (tx) => {
      const inserted = await insertPncEventOnce(tx, {
        eventId: body.eventId,
        eventType: body.eventType,
        role: known?.role ?? null,
        message: known?.message ?? null,
        needsAction: known?.needsAction ?? false,
        sentAt: body.timestamp ?? null,
        payloadJson: JSON.stringify(body.payload),
        now,
      });
      if (inserted && known?.needsAction) {
        await queuePartnerEvent(tx, {
          type: "pnc.action_needed",
          data: { eventId: body.eventId, eventType: body.eventType, message: known.message },
          now,
        });
      }
      return inserted;
    });
  } catch (error) {
    deps.log.error("PnC event not stored: Hubject will retry", {
      ...fields,
      error: errorSummary(error),
    });
    throw new AppError("internal");
  }
  if (!stored) {
    deps.log.info("PnC event already received", fields);
    return { status: "duplicate", eventId: body.eventId };
  }
  deps.log.info("PnC event received", {
    ...fields,
    known: known !== null,
    needsAction: known?.needsAction ?? false,
  });
  return { status: "processed", eventId: body.eventId };
}

/** An event as the admin API answers it (docs/api.md "Plug&Charge events"). */
export interface PncEventView {
  id: number;
  eventId: string;
  eventType: string;
  role: PncRole | null;
  message: string | null;
  /** True while the event is flagged and not acknowledged. */
  needsAction: boolean;
  acknowledgedAt: string | null;
  receivedAt: string;
  payload: Record<string, unknown>;
}

export function toPncEventView(row: PncEvent): PncEventView {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    role: row.role as PncRole | null,
    message: row.message,
    needsAction: row.needsAction && row.acknowledgedAt === null,
    acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
    receivedAt: row.receivedAt.toISOString(),
    payload: JSON.parse(row.payloadJson),
  };
}

/** How many events the admin API and page list at most (the newest). */
export const PNC_EVENT_LIST_LIMIT = 100;

/**
 * Events newest first: all of them, or with `needsAction` only those still
 * needing action. `openFirst` (the page) lists those needing action first.
 */
export async function listPncEventViews(
  deps: Pick<PncDeps, "db">,
  args: { needsAction?: boolean; openFirst?: boolean } = {},
): Promise<PncEventView[]> {
  const rows = await listPncEvents(deps.db, {
    onlyOpen: args.needsAction === true,
    openFirst: args.openFirst,
    limit: PNC_EVENT_LIST_LIMIT,
  });
  return rows.map(toPncEventView);
}

/** How many events still need action (the admin nav's badge). */
export function countPncEventsNeedingAction(deps: Pick<PncDeps, "db">): Promise<number> {
  return countOpenPncEvents(deps.db);
}

/** Event ids are positive integers; anything else is an unknown event. */
const eventIdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * Acknowledges event `id` (a path parameter) and answers it; acknowledging
 * again keeps the first time. 404 `not_found` when no event has that id.
 */
export async function acknowledgePncEventById(
  deps: PncDeps,
  id: string,
): Promise<PncEventView> {
  const parsed = /^[0-9]+$/.test(id) ? eventIdParam.safeParse(id) : null;
  if (!parsed?.success) throw new AppError("not_found");
  const row = await acknowledgePncEvent(deps.db, { id: parsed.data, now: deps.clock.now() });
  if (!row) throw new AppError("not_found");
  deps.log.info("PnC event acknowledged", { id: row.id, eventType: row.eventType });
  return toPncEventView(row);
}
