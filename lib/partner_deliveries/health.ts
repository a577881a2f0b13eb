/**
 * What the partner page shows of a partner's deliveries (the list, failed
 * first, and its health) and what the admin nav counts: partners with a
 * delivery failing for more than 24 hours.
 */
import type { Database } from "../../db/client.ts";
import {
  countPartnersFailingLong,
  listDeliveries,
  partnerDeliveryHealth,
  partnersFailingLong,
} from "../../db/queries/partner_deliveries.ts";
import type { Clock } from "../clock.ts";
import type { Partner } from "../partners.ts";
import { type DeliveryView, toDeliveryView } from "./service.ts";

/** A delivery not delivered this long after it was created is "failing" (issue 13 §5). */
export const FAILING_AFTER_MS = 24 * 3600_000;
/** The window of the failed-attempt share. */
export const HEALTH_WINDOW_MS = 24 * 3600_000;
/** How many deliveries the partner page lists at most. */
export const DELIVERIES_ON_PAGE = 100;

export interface DeliveryHealthView {
  /** ISO time of the last delivered delivery, or null when none was. */
  lastDeliveredAt: string | null;
  /** Attempts counted in the window (see `partnerDeliveryHealth`). */
  attempts: number;
  failedAttempts: number;
  /** `failedAttempts / attempts`, null without attempts. */
  failedShare: number | null;
  /** Deliveries created more than {@link FAILING_AFTER_MS} ago and still not delivered. */
  failingLong: number;
}

export interface PartnerDeliveriesPage {
  /** Failed, then pending, then delivered; newest first within each; at most {@link DELIVERIES_ON_PAGE}. */
  deliveries: DeliveryView[];
  /** How many the partner has in all (more than listed when the list is capped). */
  total: number;
  health: DeliveryHealthView;
}

/** The deliveries section of a (known) partner's page. */
export async function partnerDeliveriesPage(
  deps: { db: Database; clock: Clock },
  partner: Pick<Partner, "id" | "url" | "active">,
): Promise<PartnerDeliveriesPage> {
  const partnerId = partner.id;
  const now = deps.clock.now().getTime();
  const [rows, health] = await Promise.all([
    listDeliveries(deps.db, { partnerId, limit: DELIVERIES_ON_PAGE, failedFirst: true }),
    partnerDeliveryHealth(deps.db, {
      partnerId,
      since: new Date(now - HEALTH_WINDOW_MS),
      failingBefore: new Date(now - FAILING_AFTER_MS),
    }),
  ]);
  return {
    deliveries: rows.map((d) => toDeliveryView(d, partner)),
    total: health.total,
    health: {
      lastDeliveredAt: health.lastDeliveredAt?.toISOString() ?? null,
      attempts: health.attempts,
      failedAttempts: health.failedAttempts,
      failedShare: health.attempts === 0 ? null : health.failedAttempts / health.attempts,
      failingLong: health.failingLong,
    },
  };
}

/** How many partners have a delivery failing for more than {@link FAILING_AFTER_MS} (the nav badge). */
export function countPartnersWithFailingDeliveries(
  deps: { db: Database; clock: Clock },
): Promise<number> {
  const failingBefore = new Date(deps.clock.now().getTime() - FAILING_AFTER_MS);
  return countPartnersFailingLong(deps.db, { failingBefore });
}

/** The ids of the partners {@link countPartnersWithFailingDeliveries} counts (the partners list). */
export async function partnersWithFailingDeliveries(
  deps: { db: Database; clock: Clock },
): Promise<Set<string>> {
  const failingBefore = new Date(deps.clock.now().getTime() - FAILING_AFTER_MS);
  return new Set(await partnersFailingLong(deps.db, { failingBefore }));
}
