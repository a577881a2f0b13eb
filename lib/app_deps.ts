/**
 * Everything a request handler may use, built once in `main.ts` (or by a test)
 * and handed to the app: no module reaches for globals.
 */
import type { Context } from "hono";
import type { Database } from "../db/client.ts";
import type { Billing } from "./billing/service.ts";
import type { PartnerDeliveries } from "./partner_deliveries/service.ts";
import type { Email } from "./email/service.ts";
import type { Alerts } from "./alerts/service.ts";
import type { ChargerRegistry } from "./chargers.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { EventBus } from "./event_bus.ts";
import type { FeatureFlags } from "./flags.ts";
import type { HookStats } from "./hook_stats.ts";
import type { StreamCounter } from "./live_streams.ts";
import type { RateLimiter } from "./rate_limit.ts";
import type { HmacSubtle } from "./signed_request.ts";
import type { Services } from "./services.ts";
import type { SecretName } from "./signed_endpoints.ts";
import type { AdminNavCounts } from "./http/admin_nav.ts";

export interface AppDeps {
  config: Config;
  db: Database;
  /** In process on PGlite; across instances over LISTEN/NOTIFY on PostgreSQL (lib/pg_event_bus.ts). */
  bus: EventBus;
  clock: Clock;
  flags: FeatureFlags;
  hookStats: HookStats;
  chargers: ChargerRegistry;
  scanPairRateLimiter: RateLimiter;
  /** Lago delivery, SteVe resolution and the reconciliation sweep. */
  billing: Billing;
  /** The partner webhook worker and the admin's delivery operations. */
  partnerDeliveries: PartnerDeliveries;
  /** The email sender (through the email worker) and the admin's outbox operations. */
  email: Email;
  /** Operator alerts: the evaluation rounds and what they read (lib/alerts/). */
  alerts: Alerts;
  /** Open SSE streams per login (`SSE_STREAMS_PER_LOGIN`), across instances. */
  streams: StreamCounter;
  /** This process among the instances sharing the database (leases, claims, bus echoes). */
  instanceId: string;
  /** Replaces `crypto.subtle` for HMAC verification (fault tests only). */
  subtle?: HmacSubtle;
  sseHeartbeatMs?: number;
  /** Aborts when the server stops (set by `serve`): open streams end, so they cannot hold the stop. */
  closing?: AbortSignal;
}

export interface AppEnv {
  Bindings: { remoteAddr?: { hostname: string } };
  Variables: {
    deps: AppDeps;
    services: Services;
    outcome: string;
    /** Which secret verified a signed call (lib/signed_request.ts), for hook stats. */
    signingKey?: SecretName;
    /** Set on admin pages by `adminNavCounts` (lib/http/admin_nav.ts). */
    adminNav?: AdminNavCounts;
  };
}

export type AppContext = Context<AppEnv>;

type Method = "GET" | "POST" | "PUT" | "DELETE";
/** What a route module exports: one function per HTTP method it answers. */
export type Handlers = Partial<
  Record<Method, (c: AppContext) => Response | Promise<Response>>
>;
