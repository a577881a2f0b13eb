/**
 * HMAC-SHA256 with Web Crypto only, the imported key cached per secret:
 * importing on every request costs ~6x the verify itself (docs/performance.md).
 */
import type { HmacSubtle } from "./result.ts";

const verifyKeys = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();

/** The verify key of `secret`, imported once for the life of the process. */
export function hmacVerifyKey(secret: string, subtle: HmacSubtle): Promise<CryptoKey> {
  let key = verifyKeys.get(secret);
  if (!key) {
    key = subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    // A failed import must not poison the cache.
    key.catch(() => verifyKeys.delete(secret));
    verifyKeys.set(secret, key);
  }
  return key;
}

/** Forgets cached keys. Tests that change a secret between cases call this. */
export function resetHmacKeyCache(): void {
  verifyKeys.clear();
}

/** HMAC-SHA256(secret, body): what a caller signs with. Not on the hot path (no cache). */
export async function signHmacSha256(
  secret: string,
  body: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, body));
}
