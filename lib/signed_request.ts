/**
 * The HTTP side of every signed endpoint (design doc "The HMAC webhook
 * contract"): one pipeline, configured by an entry of lib/signed_endpoints.ts,
 * whose order and statuses are the contract:
 *
 * 1. raw body unreadable → 400 invalid_body; over the entry's limit → 413 payload_too_large
 * 2. header missing/empty, or key missing/weak → 401 unauthorized
 * 3. signature not in the scheme's format (hex: odd length, not hex) → 401 unauthorized
 * 4. `crypto.subtle.verify` throws → 500 internal; no secret matches → 401
 * 5. JSON.parse fails → 400 invalid_json; wrong shape → 400 invalid_body
 *
 * Steps 3 and 4 are the scheme's (lib/signatures/, plain functions over bytes).
 * The signature covers the bytes on the wire whatever `Content-Type` says, so
 * the body is read as bytes and only parsed after it is verified. Nothing
 * observable may happen before {@link verifySignedRequest} returns.
 */
import type { z } from "zod";
import type { HookKey, HookKeyProblem } from "./config.ts";
import { AppError, invalidBody } from "./errors.ts";
import { errorSummary, type Logger, logger } from "./logging.ts";
import { readBoundedBody } from "./http/request_body.ts";
import type { SecretName, SignatureScheme, SignedEndpoint } from "./signed_endpoints.ts";
import {
  type HmacSubtle,
  schemeOf,
  type SchemeOptions,
  type SchemeVerifier,
  type SignatureFailure,
  signHex,
} from "./signatures/mod.ts";

// Callers of the pipeline inject a failing engine and reset keys through here.
export { type HmacSubtle, resetHmacKeyCache } from "./signatures/mod.ts";

/**
 * Why a call was refused, as stats (`unauthorized:<reason>`) and logs name it.
 * The SteVe hooks use the first five; hex's `malformed` keeps its name `bad_hex`.
 */
export type UnauthorizedReason =
  | HookKeyProblem
  | "missing_signature"
  | "bad_hex"
  | "mismatch"
  | "malformed"
  | "stale"
  | "future"
  /** Partner events' replay guard (lib/partner_events.ts): the body's `timestamp`. */
  | "bad_timestamp"
  | "stale_timestamp"
  | "future_timestamp";

/**
 * What one call's signature is checked against: fixed at start for an entry
 * whose secrets are environment variables ({@link createSignedHook}), read
 * from the partner row per request for `secretsFrom: "partner"`
 * (lib/partner_events.ts). The pipeline is the same either way.
 */
export interface SigningTerms {
  /** Headers that may carry the signature; the first one present is read. */
  headers: readonly string[];
  scheme: SignatureScheme;
  /** The secrets accepted now, current first. */
  secrets: readonly string[];
  /** Set when no usable secret is configured: every call is refused before the scheme runs. */
  keyProblem?: HookKeyProblem;
  verify: SchemeVerifier;
  options: SchemeOptions;
}

/** A signed endpoint resolved once at start: everything the hot path needs, ready. */
export interface SignedHook<T> extends SigningTerms {
  endpoint: SignedEndpoint;
  key: HookKey;
  /** The name of each of `secrets`, same order: hook stats count passes per key. */
  secretNames: readonly SecretName[];
  /** Shape of the JSON body (step 5). */
  schema: z.ZodType<T>;
  /** The entry's log category. */
  log: Logger;
}

/**
 * Resolves `endpoint` with its configured key and body schema, once at start.
 */
export function createSignedHook<T>(
  endpoint: SignedEndpoint,
  key: HookKey,
  schema: z.ZodType<T>,
  options: { subtle?: HmacSubtle; log?: Logger } = {},
): SignedHook<T> {
  const named: Array<[SecretName, string]> = key.usable
    ? [
      ["current", key.secret],
      ...(key.previous ?? []).map((s): [SecretName, string] => ["previous", s]),
      ...(key.next?.usable ? [["next", key.next.secret] as [SecretName, string]] : []),
    ]
    : [];
  return {
    endpoint,
    key,
    headers: endpoint.headers,
    scheme: endpoint.scheme,
    secrets: named.map(([, s]) => s),
    secretNames: named.map(([n]) => n),
    keyProblem: key.usable ? undefined : key.problem,
    verify: schemeOf(endpoint.scheme).verify,
    options: { ...endpoint.schemeOptions, subtle: options.subtle },
    schema,
    log: options.log ?? logger(endpoint.logCategory),
  };
}

/** A 401, carrying why, so stats and logs can tell the cases apart. */
export class SignatureRejected extends AppError {
  constructor(readonly reason: UnauthorizedReason) {
    super("unauthorized");
  }
}

/** The outward name of a scheme's refusal: stats, logs and docs predate the schemes. */
function outwardReason(scheme: SignatureScheme, failure: SignatureFailure): UnauthorizedReason {
  switch (failure) {
    case "malformed":
      return scheme === "hex" ? "bad_hex" : "malformed";
    case "no_secret":
      return "missing_key";
    default:
      return failure;
  }
}

const REFUSAL_MESSAGES: { readonly [R in UnauthorizedReason]: string } = {
  // docs/operations.md: the first three log exactly this.
  missing_key: "Missing HMAC key or signature",
  weak_key: "Missing HMAC key or signature",
  missing_signature: "Missing HMAC key or signature",
  bad_hex: "HMAC signature is not hex",
  malformed: "HMAC signature is malformed",
  mismatch: "HMAC verify failed",
  stale: "HMAC signature is too old",
  future: "HMAC signature is dated in the future",
  bad_timestamp: "Body timestamp missing, malformed or without an offset",
  stale_timestamp: "Body timestamp is too old",
  future_timestamp: "Body timestamp is dated in the future",
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Logs a refusal as the pipeline does (message by reason, never the body) and
 * returns the 401 to throw: for checks an endpoint adds after step 4, such as
 * partner events' replay guard.
 */
export function signatureRefusal(
  endpoint: Pick<SignedEndpoint, "name">,
  reason: UnauthorizedReason,
  log: Logger,
): SignatureRejected {
  log.warn(REFUSAL_MESSAGES[reason], { hook: endpoint.name, hasKey: true, hasSig: true, reason });
  return new SignatureRejected(reason);
}

/**
 * Runs the five-step pipeline on `request` and returns the validated body.
 * Throws an {@link AppError} (a {@link SignatureRejected} for every 401).
 * `onVerified` learns which secret verified the call, before step 5 (so a
 * call refused for its body still counts as a pass of that key).
 */
export async function verifySignedRequest<T>(
  hook: SignedHook<T>,
  request: Request,
  onVerified?: (secret: SecretName) => void,
): Promise<T> {
  const { body, secretIndex } = await verifySignedBytes(hook.endpoint, hook, request, hook.log);
  onVerified?.(hook.secretNames[secretIndex]);
  return parseSignedBody(parseSignedJson(body), hook.schema);
}

/**
 * Steps 1 to 4 for `endpoint` under `terms`: the raw body, bounded, once its
 * signature verified, and which secret matched (so a caller can tell a grace
 * secret's use). Throws as {@link verifySignedRequest} does.
 */
export async function verifySignedBytes(
  endpoint: Pick<SignedEndpoint, "name" | "bodyLimitBytes">,
  terms: SigningTerms,
  request: Request,
  log: Logger,
): Promise<{ body: Uint8Array<ArrayBuffer>; secretIndex: number }> {
  // 1. The raw bytes, bounded.
  const body = await readBoundedBody(request, endpoint.bodyLimitBytes);

  // 2. Header and key present. The first of the terms' headers that is set wins.
  let signature = "";
  for (const header of terms.headers) {
    signature = request.headers.get(header) ?? "";
    if (signature !== "") break;
  }
  const hasSig = signature !== "";
  if (terms.keyProblem || !hasSig) {
    const reason = terms.keyProblem ?? "missing_signature";
    log.warn(REFUSAL_MESSAGES[reason], {
      hook: endpoint.name,
      hasKey: !terms.keyProblem,
      hasSig,
      reason,
    });
    throw new SignatureRejected(reason);
  }

  // 3 and 4. The scheme: format, then a constant-time verify with cached keys.
  let check;
  try {
    check = await terms.verify(signature, body, terms.secrets, terms.options);
  } catch (error) {
    log.error("HMAC verify threw", {
      hook: endpoint.name,
      error: errorSummary(error),
    });
    throw new AppError("internal");
  }
  if (!check.ok) {
    const reason = outwardReason(terms.scheme, check.reason);
    log.warn(REFUSAL_MESSAGES[reason], {
      hook: endpoint.name,
      hasKey: true,
      hasSig: true,
      reason,
    });
    throw new SignatureRejected(reason);
  }
  return { body, secretIndex: check.secretIndex };
}

/** Step 5a: the verified bytes as JSON, else 400 `invalid_json`. */
export function parseSignedJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(body));
  } catch {
    throw new AppError("invalid_json");
  }
}

/**
 * Step 5b: a JSON object of `schema`'s shape, else 400 `invalid_body` naming
 * the field. Unknown fields are ignored (or kept) by the schema.
 */
export function parseSignedBody<T>(json: unknown, schema: z.ZodType<T>): T {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw invalidBody(undefined, "body must be a JSON object");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidBody(issue.path.join("."), issue.message);
  }
  return parsed.data;
}

/** Lower-case hex HMAC-SHA256 of `body` — what SteVe puts in `X-Signature`. */
export function signBody(secret: string, body: string | Uint8Array): Promise<string> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  return signHex(secret, bytes as Uint8Array<ArrayBuffer>);
}
