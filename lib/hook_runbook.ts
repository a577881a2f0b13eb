/**
 * Why a signed endpoint refused a call, in the runbook's words (seed 000,
 * docs/operations.md "Diagnosing hook failures"): one sentence of meaning and
 * one of fix per reason. The 401-storm alert mails these; the hook-health
 * page (issue 15 §4) shows the same.
 */
import type { UnauthorizedReason } from "./signed_request.ts";

export interface ReasonAdvice {
  meaning: string;
  fix: string;
}

/** Every reason a 401 is counted under (`unauthorized:<reason>`). */
export const UNAUTHORIZED_ADVICE: Record<UnauthorizedReason, ReasonAdvice> = {
  missing_key: {
    meaning:
      "ExpresSync is running without this hook's key variable set, so it refuses every call.",
    fix: "Set the variable in ExpresSync's environment (at least 32 characters, " +
      "the value the caller signs with) and restart ExpresSync.",
  },
  weak_key: {
    meaning: "This hook's key in ExpresSync is shorter than its minimum, so it is never used " +
      "and every call is refused.",
    fix: "Generate a key with `openssl rand -hex 32`, set it on both sides and restart both.",
  },
  missing_signature: {
    meaning: "The caller sent no signature header: SteVe's hook key is unset (or its hook is " +
      "disabled).",
    fix: "Set the same key in SteVe's environment as in ExpresSync's and restart SteVe.",
  },
  mismatch: {
    meaning: "Both sides have a key, but the caller's signature does not match ExpresSync's key.",
    fix: 'Compare the key fingerprints on both sides (docs/operations.md, "Comparing keys ' +
      'without revealing them") and make the keys byte-identical (length and trailing ' +
      "newlines bite).",
  },
  bad_hex: {
    meaning: "The signature is not 64 hex characters (a wrong encoding or a prefix), so the " +
      "caller's signer is broken.",
    fix: "Fix SteVe's signer: the header must be the lowercase hex HMAC-SHA256 of the raw body.",
  },
  malformed: {
    meaning: "The signature header is not in the endpoint's format.",
    fix: "Fix the caller's signer to send the documented header format (docs/api.md, " +
      '"Signed endpoints").',
  },
  stale: {
    meaning: "The signature's timestamp is older than the accepted window.",
    fix: "Check the caller's clock (NTP) and that it signs each request when it sends it.",
  },
  future: {
    meaning: "The signature's timestamp lies ahead of ExpresSync's clock beyond the window.",
    fix: "Check the clocks of the caller and of ExpresSync (NTP).",
  },
  bad_timestamp: {
    meaning:
      "The event's `timestamp` field is missing or not a time, so its age cannot be checked.",
    fix: "Fix the partner's events to carry `timestamp` as documented (docs/api.md).",
  },
  stale_timestamp: {
    meaning:
      "The event's `timestamp` is older than the accepted window (a replay, or a late retry).",
    fix: "Check the partner's clock (NTP) and that a retry carries a fresh timestamp.",
  },
  future_timestamp: {
    meaning: "The event's `timestamp` lies ahead of ExpresSync's clock beyond the window.",
    fix: "Check the clocks of the partner and of ExpresSync (NTP).",
  },
};

/** The advice for a stored outcome (`unauthorized:<reason>`), or null for any other. */
export function adviceForOutcome(outcome: string): ReasonAdvice | null {
  if (!outcome.startsWith("unauthorized:")) return null;
  const reason = outcome.slice("unauthorized:".length);
  return Object.hasOwn(UNAUTHORIZED_ADVICE, reason)
    ? UNAUTHORIZED_ADVICE[reason as UnauthorizedReason]
    : null;
}

/**
 * The email worker's 401s, by the worker's `error` (we sign, it refuses):
 * lib/email/sender.ts counts its replies as `unauthorized:mismatch` (keys
 * differ) and `unauthorized:stale` (clock skew).
 */
export const EMAIL_WORKER_ADVICE: Record<"mismatch" | "stale", ReasonAdvice> = {
  mismatch: {
    meaning: "The email worker refuses our signature: EMAIL_WORKER_HMAC_KEY is neither of the " +
      "worker's POLARIS_SECRET_A and POLARIS_SECRET_B.",
    fix: "Compare the fingerprints and set EMAIL_WORKER_HMAC_KEY to the worker's secret " +
      "(docs/operations.md, rotating the email worker's secret).",
  },
  stale: {
    meaning: "The email worker refuses our timestamp: its clock and ExpresSync's are more than " +
      "5 minutes apart.",
    fix: "Check the clock of ExpresSync's host (NTP).",
  },
};
