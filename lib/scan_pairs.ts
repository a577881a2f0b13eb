/**
 * Scan-to-login: a customer at a charger arms a scan-pair (proving presence
 * with the charger's QR token), taps a card, the next pre-authorize from that
 * charger steals the pair (see `stealOrMatchPair`), and the browser that armed
 * it logs in as the tag's owner.
 *
 * A pair belongs to the browser that armed it (an HttpOnly cookie whose hash
 * is stored); every other browser is told it does not exist.
 */
import type { Database } from "../db/client.ts";
import {
  cancelPair,
  expireStalePairs,
  finishMatchedPair,
  getActivePairForCharger,
  getPairForBrowser,
  insertArmedPair,
  type ScanPair,
  type StoredPairStatus,
} from "../db/queries/scan_pairs.ts";
import { getChargerByQrToken } from "./chargers.ts";
import type { Clock } from "./clock.ts";
import { AppError } from "./errors.ts";
import type { EventBus } from "./event_bus.ts";
import { sseResponse } from "./sse.ts";
import { startCustomerSession } from "./customer_sessions.ts";
import { queuePartnerEvent } from "./partner_deliveries/outbox.ts";

export type PairStatus = StoredPairStatus;

export interface ScanPairDeps {
  db: Database;
  bus: EventBus;
  clock: Clock;
  ttlSeconds: number;
}

export interface ArmedPair {
  pairId: string;
  expiresAt: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const unknownPair = () => new AppError("unknown_pair");

/** Status as the customer sees it: an active pair past its time is expired. */
export function effectiveStatus(pair: ScanPair, now: Date): PairStatus {
  const active = pair.status === "armed" || pair.status === "matched";
  return active && pair.expiresAt <= now ? "expired" : pair.status;
}

const view = (pair: ScanPair): ArmedPair => ({
  pairId: pair.id,
  expiresAt: pair.expiresAt.toISOString(),
});

/**
 * Arms a pair for `browserHash` at the charger. `created` is false when this
 * browser already had the charger's active pair (it gets that pair back).
 * Throws 404 unknown_charger (unknown id or wrong token, indistinguishable)
 * or 409 charger_busy (another browser's pair is armed or awaiting login).
 */
export async function armScanPair(
  deps: ScanPairDeps,
  args: { chargeBoxId: string; qrToken: string; browserHash: string },
): Promise<{ pair: ArmedPair; created: boolean }> {
  const charger = await getChargerByQrToken(deps.db, {
    chargeBoxId: args.chargeBoxId,
    token: args.qrToken,
  });
  if (!charger) throw new AppError("unknown_charger");

  // Two rounds at most: a pair can finish between our insert and our read.
  for (let attempt = 0; attempt < 2; attempt++) {
    const now = deps.clock.now();
    await expireStalePairs(deps.db, { chargeBoxId: charger.chargeBoxId, now });
    const inserted = await insertArmedPair(deps.db, {
      chargeBoxId: charger.chargeBoxId,
      browserHash: args.browserHash,
      expiresAt: new Date(now.getTime() + deps.ttlSeconds * 1000),
      now,
    });
    if (inserted) return { pair: view(inserted), created: true };
    const active = await getActivePairForCharger(deps.db, charger.chargeBoxId);
    if (!active) continue;
    if (
      active.browserHash === args.browserHash &&
      effectiveStatus(active, now) !== "expired"
    ) {
      return { pair: view(active), created: false };
    }
    if (effectiveStatus(active, now) !== "expired") {
      throw new AppError("charger_busy");
    }
  }
  throw new AppError("charger_busy");
}

/** The pair of this browser, or 404. */
export async function getOwnPair(
  deps: ScanPairDeps,
  args: { pairId: string; browserHash: string | null },
): Promise<ScanPair> {
  if (!args.browserHash || !UUID.test(args.pairId)) throw unknownPair();
  const pair = await getPairForBrowser(deps.db, {
    pairId: args.pairId,
    browserHash: args.browserHash,
  });
  if (!pair) throw unknownPair();
  return pair;
}

/** Cancels this browser's pair. Armed or matched pairs only; others answer 409. */
export async function cancelScanPair(
  deps: ScanPairDeps,
  args: { pairId: string; browserHash: string | null },
): Promise<PairStatus> {
  const pair = await getOwnPair(deps, args);
  const now = deps.clock.now();
  const status = effectiveStatus(pair, now);
  if (status === "cancelled") return status;
  if (status !== "armed" && status !== "matched") {
    throw new AppError("not_cancellable", { status });
  }
  if (
    !await cancelPair(deps.db, {
      pairId: pair.id,
      browserHash: pair.browserHash,
      now,
    })
  ) {
    // It changed under us (matched→consumed, or expired): report what it is now.
    const current = await getOwnPair(deps, args);
    throw new AppError("not_cancellable", {
      status: effectiveStatus(current, now),
    });
  }
  deps.bus.publish("scan.cancelled", { pairId: pair.id });
  return "cancelled";
}

/**
 * Logs the browser in as the owner of the tag that matched its pair. The pair
 * is consumed (it logs in once), a customer session is stored and
 * `scan.login` is queued for subscribed partners, in one transaction. A tag without a customer cancels the pair (so the customer can
 * arm again and try another card) and answers 404 unknown_tag.
 */
export async function loginWithScanPair(
  deps: ScanPairDeps,
  args: { pairId: string; browserHash: string | null },
): Promise<
  {
    customer: { id: string; name: string };
    sessionToken: string;
    expiresAt: Date;
  }
> {
  const pair = await getOwnPair(deps, args);
  const now = deps.clock.now();
  const result = await deps.db.transaction(async (tx) => {
    const finished = await finishMatchedPair(tx, {
      pairId: pair.id,
      browserHash: pair.browserHash,
      now,
    });
    let session: { sessionToken: string; expiresAt: Date } | null = null;
    if (finished?.customer) {
      session = await startCustomerSession(tx, { customerId: finished.customer.id, now });
      await queuePartnerEvent(tx, {
        type: "scan.login",
        data: {
          chargeBoxId: pair.chargeBoxId,
          customerId: finished.customer.id,
          customerName: finished.customer.name,
          at: now.toISOString(),
        },
        now,
      });
    }
    return finished && { ...finished, session };
  });
  if (!result) {
    throw new AppError("not_matched", {
      status: effectiveStatus(pair, now),
    });
  }
  if (!result.customer || !result.session) throw new AppError("unknown_tag");
  return { customer: result.customer, ...result.session };
}

/**
 * SSE for one pair: `matched` when a tap steals it, `expired` when its time
 * runs out, `cancelled` when it is cancelled; then the stream ends. The tap
 * may be matched by another instance: its `scan.intercepted` comes over the
 * bus, and after a bus resync the stored pair is read again.
 */
export function scanPairEventStream(
  deps: ScanPairDeps,
  args: { pair: ScanPair; signal: AbortSignal; closing?: AbortSignal; heartbeatMs?: number },
): Response {
  const pairId = args.pair.id;
  return sseResponse({
    signal: args.signal,
    closing: args.closing,
    heartbeatMs: args.heartbeatMs,
    start: async (stream) => {
      const finish = (event: string) => {
        stream.send(event, { pairId });
        stream.close();
      };
      stream.onClose(deps.bus.subscribe("scan.intercepted", (e) => {
        if (e.pairId === pairId) finish("matched");
      }));
      stream.onClose(deps.bus.subscribe("scan.cancelled", (e) => {
        if (e.pairId === pairId) finish("cancelled");
      }));
      // Re-read after subscribing, so a match that landed just before is not missed.
      const announce = async () => {
        const pair = await getPairForBrowser(deps.db, {
          pairId,
          browserHash: args.pair.browserHash,
        });
        const status = pair ? effectiveStatus(pair, deps.clock.now()) : "expired";
        if (status !== "armed") finish(status);
        return pair;
      };
      const pair = await announce();
      if (!pair || stream.closed) return;
      // A match or cancel on another instance may have been missed while the
      // bus's listener was away: the stored pair tells.
      stream.onClose(deps.bus.onResync(() => {
        announce().catch(() => stream.close());
      }));
      const timer = setTimeout(
        () => announce().catch(() => stream.close()),
        Math.max(0, pair.expiresAt.getTime() - deps.clock.now().getTime()) + 50,
      );
      stream.onClose(() => clearTimeout(timer));
    },
  });
}
