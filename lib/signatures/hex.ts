/**
 * Scheme `hex` (SteVe's `X-Signature`, design doc "The HMAC webhook
 * contract"): the header is the hex HMAC-SHA256 of the raw body bytes,
 * lower-case as SteVe sends it, upper case accepted.
 */
import { matchingSecret, signHmacSha256 } from "./hmac.ts";
import {
  failed,
  matched,
  missingInput,
  type SchemeOptions,
  type SignatureCheck,
} from "./result.ts";

const HEX = /^[0-9a-fA-F]*$/;
/** 32 bytes of HMAC-SHA256 as hex, nothing around it (either case). */
export const HEX_64 = /^[0-9a-fA-F]{64}$/;

/** Decodes hex (either case); null when the length is odd or a character is not hex. */
export function decodeHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !HEX.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

/** Lower-case hex of `bytes`. */
export function encodeHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Verifies a hex signature against each secret in order: `missing_signature`
 * when empty, `no_secret` when the list is, `malformed` when not hex of even
 * length, else the first secret that matches or `mismatch`.
 */
export async function verifyHex(
  signature: string,
  body: Uint8Array<ArrayBuffer>,
  secrets: readonly string[],
  options: SchemeOptions,
): Promise<SignatureCheck> {
  const missing = missingInput(signature, secrets);
  if (missing) return missing;
  // HMAC-SHA256 is 32 bytes: anything but exactly 64 hex characters is malformed.
  if (!HEX_64.test(signature)) return failed("malformed");
  const mac = decodeHex(signature)!;
  // Constant-time compare inside Web Crypto; the key is imported once per secret.
  const index = await matchingSecret(mac, body, secrets, options.subtle ?? crypto.subtle);
  return index < 0 ? failed("mismatch") : matched(index);
}

/** Lower-case hex HMAC-SHA256 of `body`: what SteVe puts in `X-Signature`. */
export async function signHex(secret: string, body: Uint8Array<ArrayBuffer>): Promise<string> {
  return encodeHex(await signHmacSha256(secret, body));
}
