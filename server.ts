/**
 * The composition root: builds the app's dependencies and serves it; what
 * `main.ts` runs and what tests and benches start on a loopback port of their
 * own. It sits above lib/ and routes/ (it wires them together), so nothing in
 * lib/ or db/ may import it (tests/layering_test.ts).
 */
import type { Database } from "./db/client.ts";
import { createApp } from "./routes/_app.ts";
import type { AppDeps } from "./lib/app_deps.ts";
import { createBilling } from "./lib/billing/service.ts";
import { createPartnerDeliveries } from "./lib/partner_deliveries/service.ts";
import { createEmail } from "./lib/email/service.ts";
import { createAlerts } from "./lib/alerts/service.ts";
import type { SendOnce } from "./lib/partner_deliveries/transport.ts";
import { ChargerRegistry } from "./lib/chargers.ts";
import { type Clock, systemClock } from "./lib/clock.ts";
import type { Config } from "./lib/config.ts";
import { createEventBus, type EventBus } from "./lib/event_bus.ts";
import { createPgEventBus } from "./lib/pg_event_bus.ts";
import { FeatureFlags } from "./lib/flags.ts";
import { EMAIL_WORKER_HOOK, HookStats } from "./lib/hook_stats.ts";
import { StreamCounter } from "./lib/live_streams.ts";
import { errorSummary, logger } from "./lib/logging.ts";
import { createRateLimiter } from "./lib/rate_limit.ts";
import type { HmacSubtle } from "./lib/signed_request.ts";

export interface BuildDepsOptions {
  config: Config;
  db: Database;
  clock?: Clock;
  bus?: EventBus;
  subtle?: HmacSubtle;
  sseHeartbeatMs?: number;
  /** Sends partner webhook attempts; default `outboundTransport` (tests may inject their own). */
  partnerTransport?: SendOnce;
  /** Sends email worker attempts; default lib/outbound/send.ts (tests may inject their own). */
  emailTransport?: SendOnce;
}

/** Everything a request handler may use, built once from config and an open database. */
export async function buildDeps(options: BuildDepsOptions): Promise<AppDeps> {
  const clock = options.clock ?? systemClock;
  const busLog = logger("bus");
  const flags = new FeatureFlags({
    "pre-authorize": options.config.preAuthEnabled,
  });
  await flags.refresh(options.db);
  const instanceId = `${Deno.hostname()}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const hookStats = new HookStats(clock);
  const onListenerError = (topic: string, error: unknown) =>
    busLog.error("event listener failed", { topic, error: errorSummary(error) });
  // On PostgreSQL every instance hears every event (LISTEN/NOTIFY); PGlite is one process.
  const bus = options.bus ??
    (options.config.databaseUrl && options.db.driver !== "pglite"
      ? createPgEventBus({
        url: options.config.databaseUrl,
        db: options.db,
        clock,
        instanceId,
        log: busLog,
        onListenerError,
      })
      : createEventBus({ onListenerError }));
  return {
    config: options.config,
    db: options.db,
    clock,
    bus,
    billing: createBilling({ config: options.config, db: options.db, clock, bus, instanceId }),
    partnerDeliveries: createPartnerDeliveries({
      config: options.config,
      db: options.db,
      clock,
      instanceId,
      send: options.partnerTransport,
    }),
    email: createEmail({
      config: options.config,
      db: options.db,
      clock,
      instanceId,
      send: options.emailTransport,
      recordReply: (outcome, signingKey) =>
        hookStats.record(EMAIL_WORKER_HOOK, outcome, signingKey),
    }),
    alerts: createAlerts({
      db: options.db,
      clock,
      config: options.config,
      hookStats,
      instanceId,
    }),
    flags,
    hookStats,
    chargers: new ChargerRegistry(clock),
    scanPairRateLimiter: createRateLimiter({
      db: options.db,
      name: "scan-pair",
      limit: options.config.scanPairRatePerMinute,
      windowMs: 60_000,
      clock,
    }),
    streams: new StreamCounter({
      db: options.db,
      clock,
      instanceId,
      limit: options.config.sseStreamsPerLogin,
    }),
    instanceId,
    subtle: options.subtle,
    sseHeartbeatMs: options.sseHeartbeatMs,
  };
}

export interface RunningServer {
  url: string;
  deps: AppDeps;
  server: Deno.HttpServer<Deno.NetAddr>;
  /** Stops accepting, ends open streams, waits for the server to finish. */
  close(): Promise<void>;
}

/** Serves the app on `options.port` (0: any free port) until `close()`. */
export function serve(
  deps: AppDeps,
  options: {
    port: number;
    hostname?: string;
    onListen?: (addr: Deno.NetAddr) => void;
  },
): RunningServer {
  // Deno's graceful shutdown waits for every response body: SSE streams end on this.
  const closing = new AbortController();
  const app = createApp({ ...deps, closing: closing.signal });
  const server = Deno.serve({
    port: options.port,
    hostname: options.hostname ?? "0.0.0.0",
    onListen: options.onListen ?? (() => {}),
  }, (request, info) => app.fetch(request, { remoteAddr: info.remoteAddr }));
  const host = options.hostname && options.hostname !== "0.0.0.0" ? options.hostname : "127.0.0.1";
  return {
    url: `http://${host}:${server.addr.port}`,
    deps,
    server,
    async close() {
      closing.abort();
      await server.shutdown();
    },
  };
}
