/**
 * Scheme `sha256` (Hubject Plug&Charge, seed 002; MakerVera partners, seed
 * 003): the header is `sha256=<hex HMAC-SHA256 of the raw body>`, keyed with
 * the secret's UTF-8 bytes. Exactly 64 hex characters after the prefix, either
 * case; anything else is malformed.
 */
import { decodeHex, encodeHex, HEX_64 } from "./hex.ts";
import { matchingSecret, signHmacSha256 } from "./hmac.ts";
import {
  failed,
  matched,
  missingInput,
  type SchemeOptions,
  type SignatureCheck,
} from "./result.ts";

const PREFIX = "sha256=";

/**
 * Verifies `sha256=<hex>` (or, with `bareHex`, `<hex>` alone) against each
 * secret in order: `missing_signature` when empty, `no_secret` when the list
 * is, `malformed` when not 64 hex after the prefix, else the first secret that
 * matches or `mismatch`.
 */
export async function verifySha256(
  signature: string,
  body: Uint8Array<ArrayBuffer>,
  secrets: readonly string[],
  options: SchemeOptions,
): Promise<SignatureCheck> {
  const missing = missingInput(signature, secrets);
  if (missing) return missing;
  const hasPrefix = signature.slice(0, PREFIX.length).toLowerCase() === PREFIX;
  if (!hasPrefix && !options.bareHex) return failed("malformed");
  const hex = hasPrefix ? signature.slice(PREFIX.length) : signature;
  if (!HEX_64.test(hex)) return failed("malformed");
  const index = await matchingSecret(
    decodeHex(hex)!,
    body,
    secrets,
    options.subtle ?? crypto.subtle,
  );
  return index < 0 ? failed("mismatch") : matched(index);
}

/** `sha256=` and the lower-case hex HMAC-SHA256 of `body`. */
export async function signSha256(secret: string, body: Uint8Array<ArrayBuffer>): Promise<string> {
  return PREFIX + encodeHex(await signHmacSha256(secret, body));
}
