/** The billing figures of `GET /api/admin/billing` and the admin billing page. */
import { listSweepRuns, type SweepRun } from "../../db/queries/billing.ts";
import { listProblemEvents, queueFigures } from "../../db/queries/usage_events.ts";
import type { Database } from "../../db/client.ts";
import type { Clock } from "../clock.ts";
import type { Billing } from "./service.ts";
import { mwhToKwhString } from "./kwh.ts";

export interface BillingOverview {
  queue: {
    pending: number;
    pendingKwh: string;
    oldestPendingAgeSeconds: number | null;
    deliveredLastMinute: number;
    delivered: number;
  };
  /** Events no subscription resolves for, by cause; `setAside` of them have status `unbillable`. */
  unbillable: {
    noTag: number;
    tagWithoutCustomer: number;
    customerWithoutSubscription: number;
    setAside: number;
  };
  deadLetters: number;
  held: number;
  problems: Array<{
    id: number;
    transactionPk: number;
    eventId: string;
    kwh: string;
    status: string;
    reason: string | null;
    createdAt: string;
  }>;
  lago: Billing["lagoStatus"];
  steve: Billing["steveStatus"];
  sweeps: SweepRun[];
}

export async function billingOverview(
  deps: { db: Database; clock: Clock; billing: Billing },
): Promise<BillingOverview> {
  const now = deps.clock.now();
  const [figures, problems, sweeps] = await Promise.all([
    queueFigures(deps.db, now),
    listProblemEvents(deps.db),
    listSweepRuns(deps.db, 10),
  ]);
  return {
    queue: {
      pending: figures.pending,
      pendingKwh: mwhToKwhString(figures.pendingMwh),
      oldestPendingAgeSeconds: figures.oldestPendingAt
        ? Math.max(
          0,
          Math.round(
            (now.getTime() - figures.oldestPendingAt.getTime()) / 1000,
          ),
        )
        : null,
      deliveredLastMinute: figures.deliveredLastMinute,
      delivered: figures.delivered,
    },
    unbillable: { ...figures.unbillable, setAside: figures.setAside },
    deadLetters: figures.dead,
    held: figures.held,
    problems: problems.map((p) => ({
      id: p.id,
      transactionPk: p.transactionPk,
      eventId: p.eventId,
      kwh: mwhToKwhString(p.deltaMwh),
      status: p.status,
      reason: p.reason,
      createdAt: p.createdAt.toISOString(),
    })),
    lago: deps.billing.lagoStatus,
    steve: deps.billing.steveStatus,
    sweeps,
  };
}
