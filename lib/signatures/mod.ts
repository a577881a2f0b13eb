/**
 * Signature schemes as plain functions over bytes, one module per scheme. Only
 * Web-standard globals (`crypto.subtle`, `TextEncoder`) and each other may be
 * imported here: issue [4/5] bundles this folder into a Cloudflare Worker
 * (`mod_test.ts` holds the folder to that).
 */
import { signHex, verifyHex } from "./hex.ts";
import type { SchemeSigner, SchemeVerifier } from "./result.ts";

export { decodeHex, encodeHex, signHex, verifyHex } from "./hex.ts";
export { hmacVerifyKey, resetHmacKeyCache } from "./hmac.ts";
export * from "./result.ts";

/**
 * The wire formats a signed endpoint may use:
 * - `hex`: `<hex>`, HMAC-SHA256 of the raw body (SteVe).
 * - `sha256`: `sha256=<hex>` (Hubject Plug&Charge; not implemented yet).
 * - `timestamped`: `t=<unix s>,v1=<hex>` over `<t>.<body>` (partner events; not implemented yet).
 */
export type SignatureScheme = "hex" | "sha256" | "timestamped";

/** A scheme's verifier and the signer its callers (and our stand-ins) use. */
export interface Scheme {
  verify: SchemeVerifier;
  sign: SchemeSigner;
}

const SCHEMES: { readonly [S in SignatureScheme]?: Scheme } = {
  hex: { verify: verifyHex, sign: signHex },
};

/** The implementation of `scheme`; throws when none is (caught at start, not per request). */
export function schemeOf(scheme: SignatureScheme): Scheme {
  const found = SCHEMES[scheme];
  if (!found) throw new Error(`signature scheme "${scheme}" is not implemented`);
  return found;
}
