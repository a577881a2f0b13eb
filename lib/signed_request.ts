/**
 * The one verifier every HMAC-signed endpoint uses (design doc "The HMAC
 * webhook contract"): lower-case hex HMAC-SHA256 of the raw body in a header,
 * one secret per hook, checked in five steps whose order and statuses are the
 * contract:
 *
 * 1. raw body unreadable → 400 invalid_body; over 64 KiB → 413 payload_too_large
 * 2. header missing/empty, or key missing/weak → 401 unauthorized
 * 3. signature of odd length or not hex → 401 unauthorized
 * 4. `crypto.subtle.verify` throws → 500 internal; returns false → 401
 * 5. JSON.parse fails → 400 invalid_json; wrong shape → 400 invalid_body
 *
 * The signature covers the bytes on the wire whatever `Content-Type` says, so
 * the body is read as bytes and only parsed after it is verified. Nothing
 * observable may happen before {@link verifySignedRequest} returns.
 */
import type { z } from "zod";
import type { HookKey } from "./config.ts";
import { AppError, invalidBody } from "./errors.ts";
import { errorSummary, type Logger } from "./logging.ts";

/** Bodies above this are refused without reading further. */
export const MAX_SIGNED_BODY_BYTES = 64 * 1024;

export type UnauthorizedReason =
  | "missing_key"
  | "weak_key"
  | "missing_signature"
  | "bad_hex"
  | "mismatch";

/** The part of `crypto.subtle` the verifier needs; tests inject a failing one. */
export type HmacSubtle = Pick<SubtleCrypto, "importKey" | "verify">;

export interface SignedHook<T> {
  /** Hook name used in logs and stats, e.g. "PreAuthorize". */
  name: string;
  /** Header carrying the hex signature, e.g. "X-Signature". */
  header: string;
  key: HookKey;
  /** Shape of the JSON body (step 5). */
  schema: z.ZodType<T>;
  log: Logger;
  subtle?: HmacSubtle;
}

/** A 401, carrying why, so stats and logs can tell the cases apart. */
export class SignatureRejected extends AppError {
  constructor(readonly reason: UnauthorizedReason) {
    super("unauthorized");
  }
}

// The imported CryptoKey is cached per secret for the life of the process:
// importing on every request costs ~6x the verify itself.
const keyCache = new Map<string, Promise<CryptoKey>>();

/** Forgets cached keys. Tests that change a hook secret call this between cases. */
export function resetHmacKeyCache(): void {
  keyCache.clear();
}

function importVerifyKey(
  secret: string,
  subtle: HmacSubtle,
): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    // A failed import must not poison the cache.
    key.catch(() => keyCache.delete(secret));
    keyCache.set(secret, key);
  }
  return key;
}

/** Reads at most `limit` bytes of the body; throws 413 past it, 400 if unreadable. */
export async function readBodyBytes(
  request: Request,
  limit = MAX_SIGNED_BODY_BYTES,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > limit) {
    await request.body?.cancel().catch(() => {});
    throw new AppError("payload_too_large");
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw new AppError("payload_too_large");
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw invalidBody();
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array<ArrayBuffer>;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Decodes hex (either case); null when the length is odd or a character is not hex. */
export function decodeHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Runs the five-step pipeline on `request` and returns the validated body.
 * Throws an {@link AppError} (a {@link SignatureRejected} for every 401).
 */
export async function verifySignedRequest<T>(
  hook: SignedHook<T>,
  request: Request,
): Promise<T> {
  // 1. The raw bytes, bounded.
  const body = await readBodyBytes(request);

  // 2. Header and key present.
  const signature = request.headers.get(hook.header) ?? "";
  const hasSig = signature !== "";
  if (!hook.key.usable || !hasSig) {
    const reason = hook.key.usable ? "missing_signature" : hook.key.problem;
    hook.log.warn("Missing HMAC key or signature", {
      hook: hook.name,
      hasKey: hook.key.usable,
      hasSig,
      reason,
    });
    throw new SignatureRejected(reason);
  }

  // 3. Hex.
  const mac = decodeHex(signature);
  if (!mac) {
    hook.log.warn("HMAC signature is not hex", {
      hook: hook.name,
      hasKey: true,
      hasSig: true,
      reason: "bad_hex",
    });
    throw new SignatureRejected("bad_hex");
  }

  // 4. Constant-time verify with the cached key.
  const subtle = hook.subtle ?? crypto.subtle;
  let valid: boolean;
  try {
    const key = await importVerifyKey(hook.key.secret, subtle);
    valid = await subtle.verify("HMAC", key, mac, body);
  } catch (error) {
    hook.log.error("HMAC verify threw", {
      hook: hook.name,
      error: errorSummary(error),
    });
    throw new AppError("internal");
  }
  if (!valid) {
    hook.log.warn("HMAC verify failed", {
      hook: hook.name,
      hasKey: true,
      hasSig: true,
      reason: "mismatch",
    });
    throw new SignatureRejected("mismatch");
  }

  // 5. JSON, then shape. Unknown fields are ignored by the schema.
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(body));
  } catch {
    throw new AppError("invalid_json");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw invalidBody(undefined, "body must be a JSON object");
  }
  const parsed = hook.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidBody(issue.path.join("."), issue.message);
  }
  return parsed.data;
}

/** Lower-case hex HMAC-SHA256 of `body` — what SteVe puts in `X-Signature`. */
export async function signBody(
  secret: string,
  body: string | Uint8Array,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    bytes as Uint8Array<ArrayBuffer>,
  );
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}
