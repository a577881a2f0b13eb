/**
 * The per-app objects handlers use, built once from {@link AppDeps} so the hot
 * paths allocate nothing per request but the request's own data.
 */
import type { AppDeps } from "./app_deps.ts";
import { islandsBuildId } from "./html.ts";
import { logger } from "./logging.ts";
import { type MeterValuesBody, meterValuesBody, type MeterValuesDeps } from "./meter_values.ts";
import { type PreAuthorizeBody, preAuthorizeBody, type PreAuthorizeDeps } from "./pre_authorize.ts";
import type { ScanPairDeps } from "./scan_pairs.ts";
import type { SignedHook } from "./signed_request.ts";

/** SteVe's hooks both sign with this header. */
export const STEVE_SIGNATURE_HEADER = "X-Signature";

export interface Services {
  /** Content hash of static/build/islands.js, for cache busting. */
  buildId: string;
  preAuthorizeHook: SignedHook<PreAuthorizeBody>;
  meterValuesHook: SignedHook<MeterValuesBody>;
  preAuthorize: PreAuthorizeDeps;
  meterValues: MeterValuesDeps;
  scanPairs: ScanPairDeps;
}

export function createServices(deps: AppDeps): Services {
  const preAuthorizeLog = logger("PreAuthorize");
  const meterValuesLog = logger("MeterValues");
  return {
    buildId: islandsBuildId(),
    preAuthorizeHook: {
      name: "PreAuthorize",
      header: STEVE_SIGNATURE_HEADER,
      key: deps.config.hooks.preAuthorize,
      schema: preAuthorizeBody,
      log: preAuthorizeLog,
      subtle: deps.subtle,
    },
    meterValuesHook: {
      name: "MeterValues",
      header: STEVE_SIGNATURE_HEADER,
      key: deps.config.hooks.meterValues,
      schema: meterValuesBody,
      log: meterValuesLog,
      subtle: deps.subtle,
    },
    preAuthorize: {
      db: deps.db,
      bus: deps.bus,
      clock: deps.clock,
      flags: deps.flags,
      chargers: deps.chargers,
      log: preAuthorizeLog,
      loginWindowSeconds: deps.config.scanPairTtlSeconds,
      deadlineMs: deps.config.preAuthDeadlineMs,
    },
    meterValues: {
      db: deps.db,
      bus: deps.bus,
      clock: deps.clock,
      chargers: deps.chargers,
      log: meterValuesLog,
    },
    scanPairs: {
      db: deps.db,
      bus: deps.bus,
      clock: deps.clock,
      ttlSeconds: deps.config.scanPairTtlSeconds,
    },
  };
}
