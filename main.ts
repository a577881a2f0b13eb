/**
 * ExpresSync: config → logs → database (migrated) → deps → maintenance → HTTP.
 */
import { openDatabase } from "./db/client.ts";
import { ConfigError, type HookKey, loadConfig } from "./lib/config.ts";
import { logger, setupLogging } from "./lib/logging.ts";
import { startMaintenance } from "./lib/maintenance.ts";
import { buildDeps, serve } from "./lib/server.ts";

let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`ExpresSync cannot start: invalid ${error.message}`);
  Deno.exit(1);
}
await setupLogging(config.logLevel);
const log = logger("main");

const hookKeys: Array<[string, string, HookKey]> = [
  [
    "STEVE_PREAUTH_HMAC_KEY",
    "/api/ocpp/pre-authorize",
    config.hooks.preAuthorize,
  ],
  [
    "STEVE_METERVALUE_HMAC_KEY",
    "/api/ocpp/meter-values",
    config.hooks.meterValues,
  ],
];
for (const [variable, path, key] of hookKeys) {
  if (!key.usable) {
    // Loud, but not fatal: SteVe fails open, so charging goes on while this is fixed.
    log.error(
      "hook key unusable: the hook answers 401 to every call until it is set (at least 32 characters)",
      {
        variable,
        problem: key.problem === "missing_key" ? "not set" : "too short",
        path,
      },
    );
  }
}
if (!config.adminApiToken) {
  log.warn(
    "ADMIN_API_TOKEN is not set: the admin API answers 401 to every call",
  );
}

const db = await openDatabase({
  url: config.databaseUrl,
  dataDir: config.dataDir,
  driver: config.databaseDriver,
  poolSize: config.databasePoolSize,
});
const deps = await buildDeps({ config, db });
const stopMaintenance = startMaintenance(deps);
const server = serve(deps, {
  port: config.port,
  onListen: (addr) =>
    log.info("ExpresSync listening", {
      url: `http://localhost:${addr.port}`,
      publicBaseUrl: config.publicBaseUrl,
      database: config.databaseUrl
        ? db.driver
        : `embedded PGlite in ${config.dataDir}`,
    }),
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  log.info("shutting down");
  stopMaintenance();
  await server.close();
  await db.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
