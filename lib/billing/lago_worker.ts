/**
 * Delivers the usage outbox to Lago. Several instances may run it at once:
 * events are leased with `SKIP LOCKED` (no event goes out from two workers),
 * and a lease that outlives its worker expires (none is stranded). Lago's
 * duplicate detection on `transaction_id` makes a resend after a crash
 * harmless: a 422 `value_already_exist` counts as delivered.
 */
import type { Database } from "../../db/client.ts";
import {
  type ClaimedEvent,
  claimEvents,
  markDead,
  markDelivered,
  releaseEvents,
} from "../../db/queries/usage_events.ts";
import { jittered } from "../backoff.ts";
import type { Clock } from "../clock.ts";
import { errorSummary, type Logger } from "../logging.ts";
import { startRoundLoop } from "../round_loop.ts";
import { isAlreadyStored, type LagoEvent, type LagoSender } from "./lago_client.ts";
import { mwhToKwhString } from "./kwh.ts";

export const LAGO_BATCH_LIMIT = 100;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 5 * 60_000;

/** What the admin sees of delivery. */
export interface LagoStatus {
  configured: boolean;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
}

export interface LagoWorkerDeps {
  db: Database;
  clock: Clock;
  /** Null when LAGO_API_URL/LAGO_API_KEY are unset: events wait in the queue. */
  sender: LagoSender | null;
  metricCode: string;
  metricField: string;
  /** Identifies this worker's leases (instance id). */
  owner: string;
  log: Logger;
  status: LagoStatus;
  batchLimit?: number;
  /**
   * How long a claimed batch stays this worker's. Longer than a request can
   * take (else another worker could send it too); short enough that a crashed
   * worker's batch is picked up soon.
   */
  leaseMs?: number;
}

export interface DeliveryRound {
  claimed: number;
  /** Events the claim found unbillable and set aside (status `unbillable`). */
  parked: number;
  delivered: number;
  dead: number;
  retried: number;
}

/** Exponential backoff with ±50 % jitter, capped. */
export function backoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(
    BACKOFF_MAX_MS,
    BACKOFF_BASE_MS * 2 ** Math.min(attempts, 20),
  );
  return jittered(base, 0.5, random);
}

function toLagoEvent(deps: LagoWorkerDeps, e: ClaimedEvent): LagoEvent {
  return {
    transaction_id: e.eventId,
    external_subscription_id: e.subscriptionId,
    code: deps.metricCode,
    timestamp: Math.floor(e.occurredAt.getTime() / 1000),
    properties: { [deps.metricField]: mwhToKwhString(e.deltaMwh) },
  };
}

/** Claims one batch, sends it, settles every event of it. */
export async function deliverOnce(
  deps: LagoWorkerDeps,
): Promise<DeliveryRound> {
  const round = { claimed: 0, parked: 0, delivered: 0, dead: 0, retried: 0 };
  if (!deps.sender) return round;
  const now = deps.clock.now();
  const { events: claimed, parked } = await claimEvents(deps.db, {
    owner: deps.owner,
    now,
    leaseUntil: new Date(now.getTime() + (deps.leaseMs ?? 30_000)),
    limit: deps.batchLimit ?? LAGO_BATCH_LIMIT,
  });
  round.claimed = claimed.length;
  round.parked = parked;
  if (!claimed.length) return round;

  const outcome = await deps.sender.sendBatch(
    claimed.map((e) => toLagoEvent(deps, e)),
  );
  const owner = deps.owner;
  const done = deps.clock.now();
  const ids = (events: ClaimedEvent[]) => events.map((e) => e.id);

  if (outcome.kind === "stored") {
    await markDelivered(deps.db, { ids: ids(claimed), owner, now: done });
    round.delivered = claimed.length;
  } else if (outcome.kind === "refused") {
    const delivered: ClaimedEvent[] = [];
    const resend: ClaimedEvent[] = [];
    for (const [index, event] of claimed.entries()) {
      const error = outcome.errors.get(index);
      if (error === undefined) resend.push(event);
      else if (isAlreadyStored(error)) delivered.push(event);
      else {
        await markDead(deps.db, {
          ids: [event.id],
          owner,
          reason: `refused by Lago: ${error}`,
        });
        round.dead++;
      }
    }
    await markDelivered(deps.db, { ids: ids(delivered), owner, now: done });
    // Refused only because the batch is all-or-nothing: send again at once.
    await releaseEvents(deps.db, {
      ids: ids(resend),
      owner,
      nextAttemptAt: done,
      failed: false,
    });
    round.delivered = delivered.length;
    round.retried = resend.length;
  } else if (outcome.kind === "rejected" && claimed.length === 1) {
    await markDead(deps.db, {
      ids: ids(claimed),
      owner,
      reason: outcome.reason,
    });
    round.dead = 1;
  } else {
    // Retryable, or a batch Lago rejected as a whole: try later, in smaller batches.
    const reason = outcome.kind === "retry" ? outcome.reason : outcome.reason;
    const wait = outcome.kind === "retry" && outcome.retryAfterMs
      ? outcome.retryAfterMs
      : backoffMs(claimed[0].attempts);
    await releaseEvents(deps.db, {
      ids: ids(claimed),
      owner,
      nextAttemptAt: new Date(done.getTime() + wait),
      failed: true,
      reason,
    });
    round.retried = claimed.length;
  }

  const stamp = done.toISOString();
  if (outcome.kind === "stored" || outcome.kind === "refused") {
    deps.status.lastSuccessAt = stamp;
  } else {
    deps.status.lastErrorAt = stamp;
    deps.status.lastError = outcome.reason;
    deps.log.warn("Lago delivery failed", {
      reason: outcome.reason,
      events: claimed.length,
    });
  }
  return round;
}

/**
 * Runs {@link deliverOnce} until stopped: back to back while there is work
 * (a round that only retried waits; one that set events aside goes on, billable
 * ones may be behind them), else every `idleMs`. Stopping waits for
 * the round in flight (its events are settled, not stranded).
 */
export function startLagoWorker(
  deps: LagoWorkerDeps,
  options: { idleMs?: number } = {},
) {
  return startRoundLoop({
    round: async () => {
      const round = await deliverOnce(deps);
      return round.parked > 0 || (round.claimed > 0 && round.retried !== round.claimed);
    },
    onError: (error) => deps.log.error("Lago worker round failed", { error: errorSummary(error) }),
    idleMs: options.idleMs ?? 500,
  });
}
