/**
 * What every signature scheme answers, whatever its wire format: which of the
 * secrets currently valid matched, or why none did. Web-standard only (no
 * Deno, Node or Hono API): issue [4/5] bundles this folder into a Worker.
 */

/** The part of `crypto.subtle` a verifier needs; tests inject a failing one. */
export type HmacSubtle = Pick<SubtleCrypto, "importKey" | "verify" | "sign">;

/**
 * Why a signature was refused, in the scheme's terms. The HTTP side maps these
 * to its outward names (hex's `malformed` is still `bad_hex` in stats and logs).
 */
export type SignatureFailure =
  /** The header is absent or empty. */
  | "missing_signature"
  /** The header is not in the scheme's format (for hex: odd length or not hex). */
  | "malformed"
  /** Well-formed, but no secret produces it. */
  | "mismatch"
  /** A timestamped signature older than the tolerance. */
  | "stale"
  /** A timestamped signature from further ahead than the tolerance. */
  | "future"
  /** No secret is configured: nothing can match. */
  | "no_secret";

/** A verification's answer; `secretIndex` says which secret of the list matched. */
export type SignatureCheck =
  | { readonly ok: true; readonly secretIndex: number }
  | { readonly ok: false; readonly reason: SignatureFailure };

/** Options a scheme needs besides the request, resolved once per endpoint. */
export interface SchemeOptions {
  /** Default `crypto.subtle`. */
  subtle?: HmacSubtle;
  /** Unix milliseconds now, for schemes that sign a timestamp (required by `timestamped`). */
  now?: () => number;
  /**
   * How far a signed timestamp may lie behind and ahead of `now`, in seconds.
   * Default {@link DEFAULT_TOLERANCE}: seed 003's asymmetric replay window.
   */
  toleranceSeconds?: { readonly past: number; readonly future: number };
  /** `sha256` only: also accept the bare 64 hex without `sha256=` (Hubject's samples show both). */
  bareHex?: boolean;
}

/** 300 s past, 60 s future: a clock a little fast is suspicious, one a little slow is not. */
export const DEFAULT_TOLERANCE = Object.freeze({ past: 300, future: 60 });

/**
 * Checks `signature` (the header's value, "" when absent) over the raw `body`
 * against `secrets` (current first, then any still accepted during a
 * rotation). Resolves a {@link SignatureCheck}; rejects only when the crypto
 * engine itself fails (the HTTP side answers 500 then).
 */
export type SchemeVerifier = (
  signature: string,
  body: Uint8Array<ArrayBuffer>,
  secrets: readonly string[],
  options: SchemeOptions,
) => Promise<SignatureCheck>;

/** Produces the header value a caller of the scheme sends (stand-ins and tests). */
export type SchemeSigner = (
  secret: string,
  body: Uint8Array<ArrayBuffer>,
  options?: SchemeOptions,
) => Promise<string>;

// Answers are shared constants so the hot path allocates none per request.
const FAILURES: { readonly [R in SignatureFailure]: SignatureCheck } = {
  missing_signature: Object.freeze({ ok: false, reason: "missing_signature" }),
  malformed: Object.freeze({ ok: false, reason: "malformed" }),
  mismatch: Object.freeze({ ok: false, reason: "mismatch" }),
  stale: Object.freeze({ ok: false, reason: "stale" }),
  future: Object.freeze({ ok: false, reason: "future" }),
  no_secret: Object.freeze({ ok: false, reason: "no_secret" }),
};
const MATCHES: SignatureCheck[] = [];

/**
 * The refusals every scheme gives before parsing: no header, or no secret to
 * check it with. Null when both are there.
 */
export function missingInput(signature: string, secrets: readonly string[]): SignatureCheck | null {
  if (signature === "") return FAILURES.missing_signature;
  if (secrets.length === 0) return FAILURES.no_secret;
  return null;
}

/** The refusal for `reason`. */
export function failed(reason: SignatureFailure): SignatureCheck {
  return FAILURES[reason];
}

/** The success naming secret `index` of the list. */
export function matched(index: number): SignatureCheck {
  return MATCHES[index] ??= Object.freeze({ ok: true, secretIndex: index });
}
