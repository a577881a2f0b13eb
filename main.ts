/**
 * ExpresSync: config → logs → database (migrated) → deps → maintenance → HTTP.
 * `--demo` (`deno task demo`) adds demo data and simulated SteVe traffic.
 */
import { openDatabase } from "./db/client.ts";
import { prepareFirstAdmin, upsertAdmin } from "./lib/admin_accounts.ts";
import { type Config, ConfigError, loadConfig, minSecretLength } from "./lib/config.ts";
import { driveDemoSessions, seedDemo } from "./lib/demo.ts";
import { errorSummary, logger, setupLogging, teardownLogging } from "./lib/logging.ts";
import { startMaintenance } from "./lib/maintenance.ts";
import { startHookStatsFlusher } from "./lib/hook_stats.ts";
import { ENV_SIGNED_ENDPOINT_LIST } from "./lib/signed_endpoints.ts";
import { buildDeps, serve } from "./server.ts";
import { newToken } from "./lib/tokens.ts";
import { printWelcome } from "./lib/welcome.ts";

const demo = Deno.args.includes("--demo");
const env = Deno.env.toObject();
if (demo) env.DATA_DIR ??= "./data/demo";

let config: Config;
try {
  config = loadConfig(env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`ExpresSync cannot start: invalid ${error.message}`);
  Deno.exit(1);
}
await setupLogging(config.logLevel);
const log = logger("main");

// Shutdown: SIGINT or SIGTERM stops what has started, newest first, and the
// process is gone within 5 s even if a step hangs (the deadline names it).
const STOP_DEADLINE_MS = 4_000;
const stopSteps: Array<{ step: string; run: () => unknown }> = [];
const onStop = (step: string, run: () => unknown) => stopSteps.unshift({ step, run });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  log.info("shutting down");
  let current = "none";
  setTimeout(() => {
    log.error("shutdown step did not finish in time: exiting anyway", {
      step: current,
      deadlineMs: STOP_DEADLINE_MS,
    });
    const flushed = new Promise((resolve) => setTimeout(resolve, 300));
    Promise.race([teardownLogging(), flushed]).finally(() => Deno.exit(1));
  }, STOP_DEADLINE_MS);
  for (const { step, run } of stopSteps.splice(0)) {
    current = step;
    try {
      await run();
    } catch (error) {
      log.warn("shutdown step failed", { step, error: errorSummary(error) });
    }
  }
  await teardownLogging(); // flushes buffered log lines
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);

if (demo) {
  // The demo signs its own traffic: any key works as long as both sides share it.
  for (const [id] of ENV_SIGNED_ENDPOINT_LIST) {
    if (!config.hooks[id].usable) {
      config.hooks[id] = { usable: true, secret: newToken(32) };
    }
  }
}
for (const [id, endpoint] of ENV_SIGNED_ENDPOINT_LIST) {
  const key = config.hooks[id];
  if (key.next && !key.next.usable) {
    // As a weak current key: loud, not fatal, and never used. The current key goes on working.
    log.error("hook key unusable: the next key is too short and is not accepted", {
      variable: endpoint.secretVariables[1],
      problem: "too short",
      minLength: minSecretLength(endpoint),
      path: endpoint.path,
    });
  }
  if (!key.usable) {
    // Loud, but not fatal: the endpoint answers 401 until its secret is set. A
    // fail-open caller (SteVe) carries on meanwhile, so charging goes on; a
    // fail-closed one loses what it sends meanwhile (Hubject retries only 5xx answers).
    log.error(
      "hook key unusable: the hook answers 401 to every call until it is set",
      {
        variable: endpoint.secretVariables[0],
        problem: key.problem === "missing_key" ? "not set" : "too short",
        minLength: minSecretLength(endpoint),
        path: endpoint.path,
        failMode: endpoint.failMode,
      },
    );
  }
}
if (!config.emailWorker) {
  log.warn(
    "EMAIL_WORKER_URL is not set: mail waits in the outbox (see /admin/email) until it is",
  );
}
if (config.alertEmails.length === 0) {
  log.warn(
    "ALERT_EMAIL is not set: operator alerts are tracked but not mailed",
  );
}
if (!config.adminApiToken) {
  log.warn(
    "ADMIN_API_TOKEN is not set: the admin API answers 401 to bearer calls",
  );
}

const db = await openDatabase({
  url: config.databaseUrl,
  dataDir: config.dataDir,
  driver: config.databaseDriver,
  poolSize: config.databasePoolSize,
});
onStop("database", () => db.close());
const deps = await buildDeps({ config, db });
let demoPassword: string | undefined;
if (demo && !config.adminEmail) {
  demoPassword = newToken(9);
  await upsertAdmin(deps, { email: "admin@demo.test", password: demoPassword });
}
const firstAdmin = await prepareFirstAdmin(
  { db, clock: deps.clock, publicBaseUrl: config.publicBaseUrl },
  { email: config.adminEmail, password: config.adminPassword },
);
onStop("event bus", await deps.bus.start());
onStop("maintenance", startMaintenance(deps));
onStop("billing", deps.billing.start());
onStop("partner deliveries", deps.partnerDeliveries.start());
onStop("email", deps.email.start());
// Stopped after the HTTP server (steps stop newest first), so the last calls are flushed.
onStop("hook stats", startHookStatsFlusher(deps.hookStats, db));
onStop("alerts", deps.alerts.start());
const server = serve(deps, {
  port: config.port,
  onListen: (addr) => {
    log.info("ExpresSync listening", {
      url: `http://localhost:${addr.port}`,
      publicBaseUrl: config.publicBaseUrl,
      database: config.databaseUrl ? db.driver : `embedded PGlite in ${config.dataDir}`,
    });
    printWelcome({
      port: addr.port,
      publicBaseUrl: config.publicBaseUrl,
      ...firstAdmin,
      ...(demoPassword ? { demoLogin: { email: "admin@demo.test", password: demoPassword } } : {}),
    });
  },
});
onStop("http server", () => server.close());

if (demo) {
  await seedDemo(deps);
  const { preAuthorize, meterValues } = config.hooks;
  if (preAuthorize.usable && meterValues.usable) {
    const stopDemo = new AbortController();
    const demoTraffic = driveDemoSessions({
      baseUrl: `http://127.0.0.1:${server.server.addr.port}`,
      keys: {
        preAuthorize: preAuthorize.secret,
        meterValues: meterValues.secret,
      },
      signal: stopDemo.signal,
    });
    onStop("demo traffic", () => {
      stopDemo.abort();
      return demoTraffic;
    });
  }
}
