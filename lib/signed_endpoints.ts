/**
 * The one definition of every signed endpoint: config reads its secrets from
 * here, the verifier its header, scheme and body limit, hook stats and the
 * start-up checks its name and variables, the SteVe stand-in and `deno task
 * steve` its path and header, and docs/api.md's "Signed endpoints" table must
 * list exactly these rows (tests/signed_endpoints_test.ts).
 *
 * A new signed endpoint is a new entry here, a route file, and its row in the
 * docs table: no new verification code unless it brings a new scheme.
 */
import { BODY_LIMITS } from "./http/request_body.ts";
import type { SchemeOptions, SignatureScheme } from "./signatures/mod.ts";

export type { SignatureScheme };

/**
 * What the caller does when we refuse a call. `open`: it carries on without us
 * (SteVe: charging goes on, only scan-to-login and live meter values stop).
 * `closed`: nothing happens unless we accept (no email is sent). Either way an
 * unverified call is refused; the mode says how loud a missing secret is.
 */
export type FailMode = "open" | "closed";

export interface SignedEndpoint {
  /** Name in logs (`hook`), stats and `GET /api/admin/hooks`, e.g. "PreAuthorize". */
  readonly name: string;
  /** Route of its `POST` handler. */
  readonly path: string;
  /**
   * Where its header, scheme and secrets come from. `env` (the default): the
   * fields below, secrets from `secretVariables`, resolved once at start.
   * `partner`: the partner row the path names, read per request
   * (lib/partner_events.ts); `headers` and `scheme` are then what a new
   * partner gets unless the admin picks otherwise, and `secretVariables` is empty.
   */
  readonly secretsFrom?: "env" | "partner";
  /** Headers that may carry the signature; the first one present is read. */
  readonly headers: readonly [string, ...string[]];
  readonly scheme: SignatureScheme;
  /** Options of the scheme fixed by the sender, e.g. `bareHex` for Hubject. */
  readonly schemeOptions?: Readonly<Pick<SchemeOptions, "bareHex">>;
  /**
   * Environment variables of its secrets. The first is the current secret:
   * missing or shorter than `minSecretLength`, the endpoint answers 401 to every call and
   * the start logs an error naming it. Later ones are optional and accepted
   * too, for a rotation, as `rotation` says.
   */
  readonly secretVariables: readonly [string, ...string[]] | readonly [];
  /**
   * What the later variables of `secretVariables` hold. `previous` (the
   * default): the secret being retired, set but too short stops the start.
   * `next`: the secret being introduced (issue 15 §3), under the current
   * secret's rules: set but too short is not used, the start logs an error and
   * the hook page shows it, and the current secret goes on working.
   */
  readonly rotation?: "previous" | "next";
  /**
   * Shortest secret accepted, default 32 (runbook step 2). Lower only for a
   * sender that issues the secret itself, so we cannot choose its length.
   */
  readonly minSecretLength?: number;
  /** LogTape category (under "expressync") of its warnings and answer lines. */
  readonly logCategory: string;
  /** Bodies above this many bytes are refused with 413 before they are verified. */
  readonly bodyLimitBytes: number;
  readonly failMode: FailMode;
}

/** The names of an endpoint's secrets, as hook stats count passes per key. */
export type SecretName = "current" | "next" | "previous";

/** The bound SteVe's hooks have had since wave 1 (64 KiB). */
const STEVE_HOOK_BODY_LIMIT = BODY_LIMITS.steveHook;

/** Every signed endpoint, by the key config and services use for it. */
export const SIGNED_ENDPOINTS = {
  /** SteVe, on every Authorize.req and StartTransaction.req. */
  preAuthorize: {
    name: "PreAuthorize",
    path: "/api/ocpp/pre-authorize",
    headers: ["X-Signature"],
    scheme: "hex",
    secretVariables: ["STEVE_PREAUTH_HMAC_KEY", "STEVE_PREAUTH_HMAC_KEY_NEXT"],
    rotation: "next",
    logCategory: "PreAuthorize",
    bodyLimitBytes: STEVE_HOOK_BODY_LIMIT,
    failMode: "open",
  },
  /** SteVe, on every MeterValues.req. */
  meterValues: {
    name: "MeterValues",
    path: "/api/ocpp/meter-values",
    headers: ["X-Signature"],
    scheme: "hex",
    secretVariables: ["STEVE_METERVALUE_HMAC_KEY", "STEVE_METERVALUE_HMAC_KEY_NEXT"],
    rotation: "next",
    logCategory: "MeterValues",
    bodyLimitBytes: STEVE_HOOK_BODY_LIMIT,
    failMode: "open",
  },
  /**
   * Hubject's Plug&Charge webhooks (seed 002). Its docs name both headers and
   * show `sha256=<hex>` as well as the bare hex. Hubject issues the secret when
   * the webhook endpoint is registered with it, so we cannot choose its length:
   * 16 characters is the floor (against placeholders), not the 32 we ask of
   * secrets we generate. Fail-closed: Hubject retries only 5xx answers, so an
   * event we refuse is not acted on.
   */
  pnc: {
    name: "PncWebhooks",
    path: "/api/pnc/webhooks",
    headers: ["X-Hubject-Signature", "X-Operator-Signature"],
    scheme: "sha256",
    schemeOptions: { bareHex: true },
    secretVariables: ["HUBJECT_WEBHOOK_SECRET", "HUBJECT_WEBHOOK_SECRET_PREVIOUS"],
    minSecretLength: 16,
    logCategory: "PncWebhooks",
    bodyLimitBytes: BODY_LIMITS.partnerWebhook,
    failMode: "closed",
  },
  /** A partner's own signed events (seed 003's inbound contract); one secret per partner. */
  partnerEvents: {
    name: "PartnerEvents",
    path: "/api/partners/:partnerId/events",
    secretsFrom: "partner",
    headers: ["X-ExpresSync-Signature"],
    scheme: "sha256",
    secretVariables: [],
    logCategory: "PartnerEvents",
    bodyLimitBytes: BODY_LIMITS.partnerWebhook,
    failMode: "closed",
  },
} as const satisfies Record<string, SignedEndpoint>;

export type SignedEndpointId = keyof typeof SIGNED_ENDPOINTS;

/** The entries whose secrets are environment variables: config reads and the start checks these. */
export type EnvSignedEndpointId = {
  [K in SignedEndpointId]: (typeof SIGNED_ENDPOINTS)[K] extends { secretsFrom: "partner" } ? never
    : K;
}[SignedEndpointId];

/** An endpoint's `name`, e.g. "PreAuthorize". */
export type SignedEndpointName = (typeof SIGNED_ENDPOINTS)[SignedEndpointId]["name"];

/** The entries with their keys, in the order stats and docs list them. */
export const SIGNED_ENDPOINT_LIST: ReadonlyArray<
  readonly [SignedEndpointId, (typeof SIGNED_ENDPOINTS)[SignedEndpointId]]
> = Object.entries(SIGNED_ENDPOINTS) as Array<
  [SignedEndpointId, (typeof SIGNED_ENDPOINTS)[SignedEndpointId]]
>;

/** The entries whose secrets are environment variables, in registry order. */
export const ENV_SIGNED_ENDPOINT_LIST = SIGNED_ENDPOINT_LIST.filter(
  ([, e]) => (e as SignedEndpoint).secretsFrom !== "partner",
) as ReadonlyArray<readonly [EnvSignedEndpointId, (typeof SIGNED_ENDPOINTS)[EnvSignedEndpointId]]>;
