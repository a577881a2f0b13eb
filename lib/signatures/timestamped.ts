/**
 * Scheme `timestamped` (Envase Connect, seed 004): the header is
 * `t=<unix time>,v1=<hex>[,v1=<hex>…]`, each v1 the hex HMAC-SHA256 of
 * `<t>.` followed by the raw body. The timestamp is signed, so it cannot be
 * moved without the key; a signature outside the replay window is refused.
 *
 * Parsing: entries split on `,`, spaces around them ignored; exactly one `t`,
 * digits only, 10 digits (seconds) or 13 (milliseconds: Envase's own example);
 * any one `v1` matching is enough (senders list several while rotating); a
 * `v1` that is not 64 hex and entries of unknown names are skipped.
 */
import { decodeHex, encodeHex, HEX_64 } from "./hex.ts";
import { bytesEqual, hmacSha256Cached, signHmacSha256 } from "./hmac.ts";
import {
  DEFAULT_TOLERANCE,
  failed,
  matched,
  missingInput,
  type SchemeOptions,
  type SignatureCheck,
} from "./result.ts";

const DIGITS = /^[0-9]+$/;
const encoder = new TextEncoder();

/** A parsed header: the signed timestamp as sent and in milliseconds, and the candidate MACs. */
export interface TimestampedHeader {
  t: string;
  ms: number;
  macs: Uint8Array[];
}

/** Parses the header; null when it is malformed (no usable `t` or no well-formed `v1`). */
export function parseTimestampedHeader(header: string): TimestampedHeader | null {
  let t: string | undefined;
  let tCount = 0;
  const macs: Uint8Array[] = [];
  for (const raw of header.split(",")) {
    const entry = raw.trim();
    const eq = entry.indexOf("=");
    if (eq < 0) continue;
    const name = entry.slice(0, eq);
    const value = entry.slice(eq + 1);
    if (name === "t") {
      tCount++;
      t = value;
    } else if (name === "v1" && HEX_64.test(value)) {
      macs.push(decodeHex(value)!);
    }
  }
  if (tCount !== 1 || t === undefined || !DIGITS.test(t)) return null;
  if (t.length !== 10 && t.length !== 13) return null;
  if (macs.length === 0) return null;
  return { t, ms: t.length === 10 ? Number(t) * 1000 : Number(t), macs };
}

/**
 * Verifies the header against each secret in order. The signature is checked
 * before the window, so `stale` and `future` only ever describe an authentic
 * signature (a replay or a wrong clock), never a forgery. Needs `options.now`.
 */
export async function verifyTimestamped(
  signature: string,
  body: Uint8Array<ArrayBuffer>,
  secrets: readonly string[],
  options: SchemeOptions,
): Promise<SignatureCheck> {
  const missing = missingInput(signature, secrets);
  if (missing) return missing;
  if (!options.now) throw new TypeError("timestamped signatures need options.now");
  const header = parseTimestampedHeader(signature);
  if (!header) return failed("malformed");
  const message = signedMessage(header.t, body);
  const subtle = options.subtle ?? crypto.subtle;
  let index = -1;
  // One HMAC per secret, compared with every candidate: a long header costs no more crypto.
  for (let i = 0; i < secrets.length && index < 0; i++) {
    const expected = await hmacSha256Cached(secrets[i], message, subtle);
    if (header.macs.some((mac) => bytesEqual(mac, expected))) index = i;
  }
  if (index < 0) return failed("mismatch");
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE;
  const ageMs = options.now() - header.ms;
  if (ageMs > tolerance.past * 1000) return failed("stale");
  if (-ageMs > tolerance.future * 1000) return failed("future");
  return matched(index);
}

/** `t=<unix seconds now>,v1=<hex>`: what a sender of this scheme puts in its header. */
export async function signTimestamped(
  secret: string,
  body: Uint8Array<ArrayBuffer>,
  options: SchemeOptions = {},
): Promise<string> {
  if (!options.now) throw new TypeError("timestamped signatures need options.now");
  const t = String(Math.floor(options.now() / 1000));
  return `t=${t},v1=${encodeHex(await signHmacSha256(secret, signedMessage(t, body)))}`;
}

/** `<t>.` followed by the body's bytes. */
function signedMessage(t: string, body: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const prefix = encoder.encode(`${t}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix, 0);
  message.set(body, prefix.length);
  return message;
}
