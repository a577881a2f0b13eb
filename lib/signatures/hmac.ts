/**
 * HMAC-SHA256 with Web Crypto only, the imported key cached per secret:
 * importing on every request costs ~6x the verify itself (docs/performance.md).
 */
import type { HmacSubtle } from "./result.ts";

const verifyKeys = new Map<string, Promise<CryptoKey>>();
const signKeys = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();
/**
 * Keys are cached per secret string. Partners' secrets rotate, so the cache is
 * bounded: past this many it starts afresh (a re-import costs ~25 µs once).
 */
const MAX_CACHED_KEYS = 1024;

function cachedKey(
  cache: Map<string, Promise<CryptoKey>>,
  secret: string,
  usage: "sign" | "verify",
  subtle: Pick<SubtleCrypto, "importKey">,
): Promise<CryptoKey> {
  let key = cache.get(secret);
  if (!key) {
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    key = subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      [usage],
    );
    // A failed import must not poison the cache.
    key.catch(() => cache.delete(secret));
    cache.set(secret, key);
  }
  return key;
}

/** The verify key of `secret` (its UTF-8 bytes), imported once and cached. */
export function hmacVerifyKey(secret: string, subtle: HmacSubtle): Promise<CryptoKey> {
  return cachedKey(verifyKeys, secret, "verify", subtle);
}

/** Forgets cached keys. Tests that change a secret between cases call this. */
export function resetHmacKeyCache(): void {
  verifyKeys.clear();
  signKeys.clear();
}

/**
 * The first secret whose HMAC-SHA256 of `message` is `mac`, by index, or -1.
 * Web Crypto's verify compares in constant time, and every secret is checked
 * even after one matched: how long a call takes never tells which secret of a
 * rotation (current, next) matched or failed.
 */
export async function matchingSecret(
  mac: Uint8Array<ArrayBuffer>,
  message: Uint8Array<ArrayBuffer>,
  secrets: readonly string[],
  subtle: HmacSubtle,
): Promise<number> {
  let index = -1;
  for (let i = 0; i < secrets.length; i++) {
    const key = await hmacVerifyKey(secrets[i], subtle);
    const ok = await subtle.verify("HMAC", key, mac, message);
    if (ok && index < 0) index = i;
  }
  return index;
}

/**
 * HMAC-SHA256(secret, message) with a cached sign key: for a header that lists
 * several candidate MACs, computing each secret's MAC once and comparing it to
 * every candidate costs one HMAC per secret, however many candidates come.
 */
export async function hmacSha256Cached(
  secret: string,
  message: Uint8Array<ArrayBuffer>,
  subtle: Pick<SubtleCrypto, "importKey" | "sign">,
): Promise<Uint8Array> {
  const key = await cachedKey(signKeys, secret, "sign", subtle);
  return new Uint8Array(await subtle.sign("HMAC", key, message));
}

/** Equal lengths and bytes, in time that depends only on the length. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
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
