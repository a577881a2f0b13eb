/**
 * Partner webhooks as the app runs them: the delivery worker (started by
 * `start()`, so tests drive rounds themselves), and what the admin API asks
 * of deliveries: the list, a retry, and a test ping.
 */
import { z } from "zod";
import type { Database } from "../../db/client.ts";
import {
  type DeliveryListItem,
  type DeliveryStatus,
  listDeliveries,
  retryFailedDeliveries,
} from "../../db/queries/partner_deliveries.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { invalidBody } from "../errors.ts";
import { logger } from "../logging.ts";
import { type Partner, requirePartner } from "../partners.ts";
import { parseWith } from "../validation.ts";
import { canonicalEventBody } from "./events.ts";
import { outboundTransport, type SendOnce } from "./transport.ts";
import {
  type PartnerWorkerDeps,
  type PartnerWorkerOptions,
  signedHeaders,
  startPartnerWorker,
} from "./worker.ts";

/** How many deliveries `GET …/deliveries` answers at most (the newest). */
export const DELIVERIES_SHOWN = 200;

export interface PartnerDeliveries {
  worker: PartnerWorkerDeps;
  /** What the admin operations need. */
  admin: PartnerDeliveryAdminDeps;
  /** Starts the worker loop; the returned function stops it. */
  start(options?: PartnerWorkerOptions): () => Promise<void>;
}

export interface PartnerDeliveryAdminDeps {
  db: Database;
  clock: Clock;
  send: SendOnce;
}

/** Builds the worker and admin deps; `send` defaults to {@link outboundTransport}. */
export function createPartnerDeliveries(
  deps: { config: Config; db: Database; clock: Clock; instanceId: string; send?: SendOnce },
): PartnerDeliveries {
  const timeoutMs = deps.config.partnerWebhookTimeoutMs;
  // The SSRF-guarded sender: one lookup, every address checked, connect to the checked one.
  const send = deps.send ?? outboundTransport({
    allowLocal: deps.config.partnerWebhooksAllowLocal,
    timeoutMs,
  });
  const worker: PartnerWorkerDeps = {
    db: deps.db,
    clock: deps.clock,
    send,
    owner: deps.instanceId,
    log: logger("PartnerDeliveries"),
    retrySchedule: deps.config.partnerWebhookRetrySchedule,
    // As the Lago worker: three timeouts (and a margin for signing and settling), so the
    // lease outlives any attempt it covers, while a dead instance's lease ends soon.
    leaseMs: 3 * timeoutMs + 5_000,
  };
  return {
    worker,
    admin: { db: deps.db, clock: deps.clock, send },
    start(options = {}) {
      const running = startPartnerWorker(worker, options);
      return () => running.stop();
    },
  };
}

/** A delivery as `GET /api/admin/partners/:id/deliveries` answers it. */
export interface DeliveryView {
  id: number;
  eventId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string;
  createdAt: string;
  deliveredAt: string | null;
}

/**
 * Why a partner's pending deliveries are not being sent, or null when they
 * are: the worker claims only for partners that are active and have a URL
 * (`claimDeliveries`), and the rest wait, never dropped, until that changes.
 */
export function waitingReason(partner: Pick<Partner, "url" | "active">): string | null {
  if (partner.url === null) {
    return "waiting: the partner has no URL; sent once one is saved";
  }
  if (!partner.active) return "waiting: the partner is inactive; sent once it is set active";
  return null;
}

/**
 * A delivery as the API and the page show it. A pending one of a partner
 * that cannot be sent to says so in `lastError`, keeping its last attempt's
 * error after it.
 */
export function toDeliveryView(
  d: DeliveryListItem,
  partner: Pick<Partner, "url" | "active">,
): DeliveryView {
  const waiting = d.status === "pending" ? waitingReason(partner) : null;
  return {
    ...d,
    lastError: waiting === null
      ? d.lastError
      : d.lastError === null
      ? waiting
      : `${waiting} (last attempt: ${d.lastError})`,
    nextAttemptAt: d.nextAttemptAt.toISOString(),
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
  };
}

const StatusFilter = z.enum(["pending", "delivered", "failed"], {
  message: "must be pending, delivered or failed",
}).optional();

/** A partner's deliveries, newest first, the latest {@link DELIVERIES_SHOWN}; `not_found` for an unknown partner. */
export async function partnerDeliveryViews(
  deps: Pick<PartnerDeliveryAdminDeps, "db">,
  id: unknown,
  status: string | undefined,
): Promise<DeliveryView[]> {
  const partner = await requirePartner(deps, id);
  const filter = parseWith(z.object({ status: StatusFilter }), { status }).status;
  const rows = await listDeliveries(deps.db, {
    partnerId: partner.id,
    status: filter,
    limit: DELIVERIES_SHOWN,
  });
  return rows.map((d) => toDeliveryView(d, partner));
}

const RetryInput = z.object({
  ids: z.array(
    z.number("must be delivery ids").int("must be delivery ids").positive("must be delivery ids")
      .max(Number.MAX_SAFE_INTEGER),
    "must be a list of delivery ids",
  ).max(1000, "must list at most 1000 ids").optional(),
});

/** Failed deliveries of a partner (`ids`, else all of them) go again now; answers how many. */
export async function retryPartnerDeliveries(
  deps: Pick<PartnerDeliveryAdminDeps, "db" | "clock">,
  id: unknown,
  input: unknown,
): Promise<number> {
  const partner = await requirePartner(deps, id);
  const { ids } = parseWith(RetryInput, input ?? {});
  return await retryFailedDeliveries(deps.db, {
    partnerId: partner.id,
    ids,
    now: deps.clock.now(),
  });
}

/** What a test ping came to. */
export interface PingResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  ms: number | null;
}

/**
 * Sends `{"data":{},"id","timestamp","type":"ping"}` to the partner's URL
 * once, now, signed like any delivery; not queued, not retried.
 */
export async function pingPartner(
  deps: PartnerDeliveryAdminDeps,
  id: unknown,
): Promise<PingResult> {
  const partner = await requirePartner(deps, id);
  if (!partner.url) throw invalidBody("url", "is not set: save the partner's webhook URL first");
  const now = deps.clock.now();
  const eventId = crypto.randomUUID();
  const body = new TextEncoder().encode(
    canonicalEventBody({ id: eventId, type: "ping", at: now, data: {} }),
  );
  const headers = await signedHeaders(
    {
      secret: partner.secret,
      signatureScheme: partner.signatureScheme as "sha256" | "timestamped",
      signatureHeader: partner.signatureHeader,
    },
    { id: eventId, type: "ping" },
    body,
    now,
  );
  const result = await deps.send({ url: partner.url, headers, body });
  switch (result.kind) {
    case "response": {
      const ok = result.status >= 200 && result.status < 300;
      const error = ok
        ? null
        : result.status >= 300 && result.status < 400
        ? `HTTP ${result.status}: the URL redirects (redirects are not followed)`
        : `HTTP ${result.status}`;
      return { ok, status: result.status, error, ms: result.ms };
    }
    case "blocked":
      return { ok: false, status: null, error: `blocked_destination: ${result.detail}`, ms: null };
    case "timeout":
      return { ok: false, status: null, error: "timeout", ms: result.ms };
    case "network":
      return { ok: false, status: null, error: `network: ${result.error}`, ms: result.ms };
  }
}
