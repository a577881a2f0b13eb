/**
 * Sends the partner outbox (issue 13 §3). Several instances may run it:
 * deliveries are claimed with a lease (`SKIP LOCKED`), so no attempt is sent
 * by two workers at once, and a crashed worker's lease expires so nothing is
 * stranded. Each attempt is signed now, with the partner's current secret
 * and scheme (seed 003: outbound never uses a previous secret); the body is
 * the stored canonical text, the same bytes on every attempt.
 */
import type { Database, Executor } from "../../db/client.ts";
import {
  claimDeliveries,
  type ClaimedDelivery,
  deactivatePartner,
  returnDeliveryToQueue,
  setEventBody,
  settleDelivered,
  settleDelivery,
  type Settlement,
} from "../../db/queries/partner_deliveries.ts";
import type { Clock } from "../clock.ts";
import { errorSummary, hashForLog, type Logger } from "../logging.ts";
import { idleTimer } from "../idle_timer.ts";
import { schemeOf } from "../signatures/mod.ts";
import { canonicalEventBody } from "./events.ts";
import { nextRetryDelayMs } from "./retry.ts";
import type { SendOnce, SendResult } from "./transport.ts";

export const PARTNER_BATCH_LIMIT = 50;
/** How long stopping the worker waits for the attempts in flight. */
export const STOP_WAIT_MS = 2_500;

export interface PartnerWorkerDeps {
  db: Database;
  clock: Clock;
  send: SendOnce;
  /** Identifies this worker's leases (instance id). */
  owner: string;
  log: Logger;
  /** Seconds between attempts (`PARTNER_WEBHOOK_RETRY_SCHEDULE`). */
  retrySchedule: readonly number[];
  /**
   * How long a claimed batch stays this worker's: longer than an attempt can
   * take (the transport's timeout), else another worker could send it too.
   */
  leaseMs: number;
  batchLimit?: number;
  random?: () => number;
}

export interface PartnerRound {
  claimed: number;
  delivered: number;
  failed: number;
  retried: number;
}

const encoder = new TextEncoder();

/** The headers of one attempt, signed at `now`. */
export async function signedHeaders(
  partner: Pick<ClaimedDelivery, "secret" | "signatureScheme" | "signatureHeader">,
  event: { id: string; type: string },
  body: Uint8Array<ArrayBuffer>,
  now: Date,
): Promise<Record<string, string>> {
  const signature = await schemeOf(partner.signatureScheme).sign(partner.secret, body, {
    now: () => now.getTime(),
  });
  return {
    "content-type": "application/json",
    [partner.signatureHeader]: signature,
    "x-expressync-event": event.type,
    "x-expressync-event-id": event.id,
  };
}

/** The stored body, or (an event born in SQL, first claim) the canonical body built and stored now. */
async function bodyOf(deps: PartnerWorkerDeps, d: ClaimedDelivery): Promise<string> {
  if (d.body !== null) return d.body;
  const body = canonicalEventBody({
    id: d.eventId,
    type: d.type,
    at: d.createdAt,
    data: JSON.parse(d.dataJson!),
  });
  await setEventBody(deps.db, { eventId: d.eventId, body });
  return body;
}

/** How an attempt's result settles its delivery; `gone` deactivates the partner too. */
export function settlementOf(
  result: SendResult,
  args: { attemptsMade: number; schedule: readonly number[]; now: Date; random?: () => number },
): { outcome: Settlement; httpStatus: number | null; gone?: true } {
  const retry = (error: string, retryAfter: string | null = null, httpStatus: number | null) => {
    const delay = nextRetryDelayMs({ ...args, retryAfter });
    return delay === null
      ? {
        outcome: { status: "failed", error: `${error}; no attempts left` } as Settlement,
        httpStatus,
      }
      : {
        outcome: {
          status: "pending",
          error,
          nextAttemptAt: new Date(args.now.getTime() + delay),
        } as Settlement,
        httpStatus,
      };
  };
  switch (result.kind) {
    case "blocked":
      return {
        outcome: { status: "failed", error: `blocked_destination: ${result.detail}` },
        httpStatus: null,
      };
    case "timeout":
      return retry(`timeout after ${result.ms} ms`, null, null);
    case "network":
      return retry(`network: ${result.error}`, null, null);
  }
  const status = result.status;
  if (status >= 200 && status < 300) {
    return { outcome: { status: "delivered" }, httpStatus: status };
  }
  if (status >= 300 && status < 400) {
    return {
      outcome: {
        status: "failed",
        error: `HTTP ${status}: the URL redirects, and redirects are not followed; ` +
          "fix the partner's URL, then retry",
      },
      httpStatus: status,
    };
  }
  if (status === 410) {
    return {
      outcome: { status: "failed", error: "HTTP 410: the partner's endpoint is gone" },
      httpStatus: status,
      gone: true,
    };
  }
  if (status === 408 || status === 429 || status >= 500) {
    return retry(`HTTP ${status}`, result.retryAfter, status);
  }
  return {
    outcome: { status: "failed", error: `HTTP ${status}: refused by the partner` },
    httpStatus: status,
  };
}

/** Settles one delivered attempt; resolves whether it was still this owner's. */
type SettleDelivered = (item: { id: number; at: Date; httpStatus: number }) => Promise<boolean>;

/**
 * Group commit for the delivered attempts of one round: the first answer is
 * settled at once, answers arriving meanwhile wait for that statement and then
 * go together in the next. One statement in flight at a time, so an answer
 * waits at most one statement more than alone, and a crash leaves unsettled
 * (to be sent again after the lease) no more than what was already answered.
 */
function groupSettler(deps: PartnerWorkerDeps): SettleDelivered {
  type Waiting = {
    item: { id: number; at: Date; httpStatus: number };
    done: (settled: boolean) => void;
    fail: (error: unknown) => void;
  };
  let queue: Waiting[] = [];
  let flushing = false;
  const flush = async () => {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        const settled = await settleDelivered(deps.db, {
          owner: deps.owner,
          items: batch.map((w) => w.item),
        });
        for (const w of batch) w.done(settled.has(w.item.id));
      } catch (error) {
        for (const w of batch) w.fail(error);
      }
    }
    flushing = false;
  };
  return (item) =>
    new Promise<boolean>((done, fail) => {
      queue.push({ item, done, fail });
      if (!flushing) flush();
    });
}

/** One attempt of one claimed delivery, settled. */
async function attempt(
  deps: PartnerWorkerDeps,
  d: ClaimedDelivery,
  delivered: SettleDelivered,
): Promise<Settlement> {
  const body = encoder.encode(await bodyOf(deps, d));
  const headers = await signedHeaders(d, { id: d.eventId, type: d.type }, body, deps.clock.now());
  const result = await deps.send({ url: d.url, headers, body });
  const now = deps.clock.now();
  const settled = settlementOf(result, {
    attemptsMade: d.attempts + 1,
    schedule: deps.retrySchedule,
    now,
    random: deps.random,
  });
  const settle = (db: Executor) =>
    settleDelivery(db, {
      id: d.id,
      owner: deps.owner,
      now,
      httpStatus: settled.httpStatus,
      outcome: settled.outcome,
    });
  if (settled.gone) {
    const deactivated = await deps.db.transaction(async (tx) => {
      const won = await deactivatePartner(tx, {
        partnerId: d.partnerId,
        reason: "its URL answered 410 Gone: fix or confirm the URL, then reactivate",
        now,
      });
      // The attempt that switched the partner off fails; its batch-mates, also answered 410,
      // go back to wait for the reactivation like every other delivery of that partner.
      if (won) return await settle(tx);
      await returnDeliveryToQueue(tx, { id: d.id, owner: deps.owner });
      return false;
    });
    if (deactivated) {
      deps.log.warn("partner deactivated: its URL answered 410", {
        partner: hashForLog(d.partnerId),
      });
    } else return { status: "pending", error: "partner gone", nextAttemptAt: now };
  } else if (settled.outcome.status === "delivered") {
    await delivered({ id: d.id, at: now, httpStatus: settled.httpStatus! });
  } else {
    await settle(deps.db);
  }
  if (settled.outcome.status !== "delivered") {
    deps.log.info("partner delivery attempt failed", {
      partner: hashForLog(d.partnerId),
      type: d.type,
      status: settled.outcome.status,
      httpStatus: settled.httpStatus,
      kind: result.kind,
    });
  }
  return settled.outcome;
}

/** Claims one batch and makes one attempt of each of its deliveries, side by side. */
export async function deliverPartnerRound(deps: PartnerWorkerDeps): Promise<PartnerRound> {
  const now = deps.clock.now();
  const claimed = await claimDeliveries(deps.db, {
    owner: deps.owner,
    now,
    leaseUntil: new Date(now.getTime() + deps.leaseMs),
    limit: deps.batchLimit ?? PARTNER_BATCH_LIMIT,
  });
  const round = { claimed: claimed.length, delivered: 0, failed: 0, retried: 0 };
  const delivered = groupSettler(deps);
  const outcomes = await Promise.allSettled(claimed.map((d) => attempt(deps, d, delivered)));
  for (const o of outcomes) {
    if (o.status === "rejected") {
      // The lease stays until it expires; the attempt goes again then.
      deps.log.error("partner delivery attempt broke", { error: errorSummary(o.reason) });
      round.retried++;
    } else if (o.value.status === "delivered") round.delivered++;
    else if (o.value.status === "failed") round.failed++;
    else round.retried++;
  }
  return round;
}

/**
 * How many attempts one worker keeps in flight, and of those at most how many
 * to one partner: a partner that hangs until the timeout holds its share of
 * the slots, never all of them, so the others keep being served.
 */
export const PARTNER_MAX_IN_FLIGHT = 128;
export const PARTNER_MAX_IN_FLIGHT_PER_PARTNER = 64;

export interface PartnerWorkerOptions {
  /** How long to wait for new work when none was due (also the longest wait for a free slot). */
  idleMs?: number;
  maxInFlight?: number;
  maxInFlightPerPartner?: number;
}

/**
 * Runs deliveries until stopped, pipelined: attempts are started as they are
 * claimed and settle on their own, and the worker claims again once half of
 * what is in flight has finished (or after `idleMs`), so one slow partner
 * never holds up a round of the others. Each claim asks for no more than the
 * free slots, and per partner no more than its free share.
 */
export function startPartnerWorker(deps: PartnerWorkerDeps, options: PartnerWorkerOptions = {}) {
  const idleMs = options.idleMs ?? 500;
  const maxInFlight = options.maxInFlight ?? PARTNER_MAX_IN_FLIGHT;
  const perPartner = options.maxInFlightPerPartner ?? PARTNER_MAX_IN_FLIGHT_PER_PARTNER;
  const idle = idleTimer();
  const inFlight = new Set<Promise<void>>();
  const busy = new Map<string, number>();
  let stopped = false;
  let finishedSinceClaim = 0;
  let claimAgainAfter = 1;
  const delivered = groupSettler(deps);

  const run = (d: ClaimedDelivery) => {
    busy.set(d.partnerId, (busy.get(d.partnerId) ?? 0) + 1);
    const running: Promise<void> = attempt(deps, d, delivered).then(
      () => {},
      // The lease stays until it expires; the attempt goes again then.
      (error) => deps.log.error("partner delivery attempt broke", { error: errorSummary(error) }),
    ).finally(() => {
      inFlight.delete(running);
      const left = busy.get(d.partnerId)! - 1;
      if (left === 0) busy.delete(d.partnerId);
      else busy.set(d.partnerId, left);
      if (++finishedSinceClaim >= claimAgainAfter) idle.wake();
    });
    inFlight.add(running);
  };

  const loop = (async () => {
    while (!stopped) {
      const free = maxInFlight - inFlight.size;
      if (free > 0) {
        finishedSinceClaim = 0;
        try {
          const now = deps.clock.now();
          const claimed = await claimDeliveries(deps.db, {
            owner: deps.owner,
            now,
            leaseUntil: new Date(now.getTime() + deps.leaseMs),
            limit: free,
            perPartner,
            busy,
          });
          if (!stopped) claimed.forEach(run);
        } catch (error) {
          deps.log.error("partner worker claim failed", { error: errorSummary(error) });
        }
      }
      // Claim again when half of what is in flight has finished; with nothing in flight,
      // after `idleMs`. Checked before sleeping, so an attempt that finished during the
      // claim is not missed (no await between the check and the sleep).
      claimAgainAfter = Math.max(1, Math.ceil(inFlight.size / 2));
      if (!stopped && finishedSinceClaim < claimAgainAfter) await idle.sleep(idleMs);
    }
  })();
  return {
    /**
     * Ends the loop and waits for the attempts in flight at most
     * `STOP_WAIT_MS` (shutdown has 4 s for every step): an attempt still in
     * flight then is left to its lease and sent again after it (at least once).
     */
    async stop() {
      stopped = true;
      idle.wake();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        loop.then(() => Promise.all(inFlight)),
        new Promise<void>((resolve) => timer = setTimeout(resolve, STOP_WAIT_MS)),
      ]);
      clearTimeout(timer);
    },
  };
}
