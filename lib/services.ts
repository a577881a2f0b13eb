/**
 * The per-app objects handlers use, built once from {@link AppDeps} so the hot
 * paths allocate nothing per request but the request's own data.
 */
import type { AppDeps } from "./app_deps.ts";
import { islandsBuildId } from "./http/html.ts";
import { logger } from "./logging.ts";
import { meterGroupCommit } from "./meter_group_commit.ts";
import { type MeterValuesBody, meterValuesBody, type MeterValuesDeps } from "./meter_values.ts";
import { type PreAuthorizeBody, preAuthorizeBody, type PreAuthorizeDeps } from "./pre_authorize.ts";
import type { PartnerEventDeps } from "./partner_events.ts";
import type { PartnerDeps } from "./partners.ts";
import { checkPartnerUrl } from "./partner_url.ts";
import { type PncDeps, type PncWebhookBody, pncWebhookBody } from "./pnc/events.ts";
import type { ScanPairDeps } from "./scan_pairs.ts";
import type { SignInDeps } from "./sign_in.ts";
import { SIGNED_ENDPOINTS } from "./signed_endpoints.ts";
import { createSignedHook, type SignedHook } from "./signed_request.ts";

export interface Services {
  /** Content hash of static/build/islands.js, for cache busting. */
  buildId: string;
  preAuthorizeHook: SignedHook<PreAuthorizeBody>;
  meterValuesHook: SignedHook<MeterValuesBody>;
  pncHook: SignedHook<PncWebhookBody>;
  preAuthorize: PreAuthorizeDeps;
  meterValues: MeterValuesDeps;
  scanPairs: ScanPairDeps;
  partners: PartnerDeps;
  partnerEvents: PartnerEventDeps;
  /** Hubject Plug&Charge events: the receiver, the admin API and page. */
  pnc: PncDeps;
  /** Sign-in links by email (`/login`). */
  signIn: SignInDeps;
}

/** Builds the services once per app; each hook is resolved from its registry entry here. */
export function createServices(deps: AppDeps): Services {
  const { hooks } = deps.config;
  const { subtle } = deps;
  // One logger per endpoint: the verifier's warnings and the domain's lines share its category.
  const preAuthorizeLog = logger(SIGNED_ENDPOINTS.preAuthorize.logCategory);
  const meterValuesLog = logger(SIGNED_ENDPOINTS.meterValues.logCategory);
  const pncLog = logger(SIGNED_ENDPOINTS.pnc.logCategory);
  return {
    buildId: islandsBuildId(),
    preAuthorizeHook: createSignedHook(
      SIGNED_ENDPOINTS.preAuthorize,
      hooks.preAuthorize,
      preAuthorizeBody,
      { subtle, log: preAuthorizeLog },
    ),
    meterValuesHook: createSignedHook(
      SIGNED_ENDPOINTS.meterValues,
      hooks.meterValues,
      meterValuesBody,
      { subtle, log: meterValuesLog },
    ),
    pncHook: createSignedHook(SIGNED_ENDPOINTS.pnc, hooks.pnc, pncWebhookBody, {
      subtle,
      log: pncLog,
    }),
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
      chargers: deps.chargers,
      log: meterValuesLog,
      record: meterGroupCommit({ db: deps.db, clock: deps.clock, log: meterValuesLog }),
    },
    scanPairs: {
      db: deps.db,
      bus: deps.bus,
      clock: deps.clock,
      ttlSeconds: deps.config.scanPairTtlSeconds,
    },
    partners: {
      db: deps.db,
      clock: deps.clock,
      publicBaseUrl: deps.config.publicBaseUrl,
      checkUrl: (url) =>
        checkPartnerUrl(url, { allowLocal: deps.config.partnerWebhooksAllowLocal }),
    },
    partnerEvents: {
      db: deps.db,
      clock: deps.clock,
      subtle,
      log: logger(SIGNED_ENDPOINTS.partnerEvents.logCategory),
    },
    pnc: { db: deps.db, clock: deps.clock, log: pncLog },
    signIn: { db: deps.db, clock: deps.clock, publicBaseUrl: deps.config.publicBaseUrl },
  };
}
