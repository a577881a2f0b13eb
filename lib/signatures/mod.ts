/**
 * Signature schemes as plain functions over bytes, one module per scheme. Only
 * Web-standard globals (`crypto.subtle`, `TextEncoder`) and each other may be
 * imported here: issue [4/5] bundles this folder into a Cloudflare Worker
 * (`mod_test.ts` holds the folder to that).
 */
import { signHex, verifyHex } from "./hex.ts";
import type { SchemeSigner, SchemeVerifier } from "./result.ts";
import { signSha256, verifySha256 } from "./sha256.ts";
import { signTimestamped, verifyTimestamped } from "./timestamped.ts";

export { decodeHex, encodeHex, signHex, verifyHex } from "./hex.ts";
export { signSha256, verifySha256 } from "./sha256.ts";
export { parseTimestampedHeader, signTimestamped, verifyTimestamped } from "./timestamped.ts";
export { hmacVerifyKey, resetHmacKeyCache } from "./hmac.ts";
export * from "./result.ts";

/**
 * The wire formats a signed endpoint may use:
 * - `hex`: `<hex>`, HMAC-SHA256 of the raw body (SteVe).
 * - `sha256`: `sha256=<hex>` over the raw body (Hubject Plug&Charge, partners).
 * - `timestamped`: `t=<unix s|ms>,v1=<hex>[,v1=…]` over `<t>.<body>` (Envase; partners).
 */
export type SignatureScheme = "hex" | "sha256" | "timestamped";

/** A scheme's verifier and the signer its callers (and our stand-ins) use. */
export interface Scheme {
  verify: SchemeVerifier;
  sign: SchemeSigner;
}

const SCHEMES: { readonly [S in SignatureScheme]: Scheme } = {
  hex: { verify: verifyHex, sign: signHex },
  sha256: { verify: verifySha256, sign: signSha256 },
  timestamped: { verify: verifyTimestamped, sign: signTimestamped },
};

/** The implementation of `scheme`. */
export function schemeOf(scheme: SignatureScheme): Scheme {
  return SCHEMES[scheme];
}
