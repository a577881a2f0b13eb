/**
 * The body of `POST /send` (issue [4/5] section 1): its limits and its shape.
 * Hand-written rather than zod so the worker bundle has no npm dependency.
 */

/** The whole raw body, checked before it is read past this many bytes. */
export const BODY_LIMIT_BYTES = 256 * 1024;

/** Field limits. `KB` is 1000 bytes of UTF-8; the others count characters (UTF-16 units). */
export const FIELD_LIMITS = {
  idChars: 128,
  nonceMinChars: 16,
  nonceMaxChars: 128,
  toChars: 254,
  subjectChars: 200,
  textBytes: 100_000,
  htmlBytes: 200_000,
} as const;

/** A validated send request. */
export interface SendRequest {
  /** The message id: deduplication key and the provider's `Idempotency-Key`. */
  id: string;
  /** Unix seconds at signing. */
  ts: number;
  nonce: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Why a body was refused: the field (absent for a body that is not an object) and why. */
export interface ShapeProblem {
  field?: string;
  message: string;
}

/** Printable ASCII without spaces: the id travels as an HTTP header (`Idempotency-Key`). */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
/** One bare address: no display name, no list, no whitespace. */
const ADDRESS = /^[^\s@,;:<>()[\]"\\]+@[^\s@,;:<>()[\]"\\]+\.[^\s@,;:<>()[\]"\\.]+$/;

const utf8 = new TextEncoder();
const utf8Length = (s: string) => utf8.encode(s).byteLength;

function problem(field: string, message: string): { ok: false; problem: ShapeProblem } {
  return { ok: false, problem: { field, message } };
}

/**
 * `json` as a {@link SendRequest}, or the first problem found, fields checked
 * in the order of the contract. Unknown fields are ignored: in particular a
 * `from` is never read (the sender is `EMAIL_FROM`).
 */
export function parseSendRequest(
  json: unknown,
): { ok: true; request: SendRequest } | { ok: false; problem: ShapeProblem } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, problem: { message: "body must be a JSON object" } };
  }
  const body = json as Record<string, unknown>;
  const { id, ts, nonce, to, subject, text, html } = body;
  const L = FIELD_LIMITS;
  if (typeof id !== "string" || id.length < 1 || id.length > L.idChars || !HEADER_SAFE.test(id)) {
    return problem("id", `must be 1-${L.idChars} printable ASCII characters without spaces`);
  }
  if (typeof ts !== "number" || !Number.isSafeInteger(ts)) {
    return problem("ts", "must be an integer (Unix seconds)");
  }
  if (
    typeof nonce !== "string" || nonce.length < L.nonceMinChars || nonce.length > L.nonceMaxChars
  ) {
    return problem("nonce", `must be a string of ${L.nonceMinChars}-${L.nonceMaxChars} characters`);
  }
  if (typeof to !== "string" || to.length > L.toChars || !ADDRESS.test(to)) {
    return problem("to", "must be one email address");
  }
  if (typeof subject !== "string" || subject.length < 1 || subject.length > L.subjectChars) {
    return problem("subject", `must be a string of 1-${L.subjectChars} characters`);
  }
  if (typeof text !== "string" || utf8Length(text) > L.textBytes) {
    return problem("text", `must be a string of at most ${L.textBytes} bytes`);
  }
  if (html !== undefined && (typeof html !== "string" || utf8Length(html) > L.htmlBytes)) {
    return problem("html", `must be a string of at most ${L.htmlBytes} bytes`);
  }
  return {
    ok: true,
    request: { id, ts, nonce, to, subject, text, ...(html === undefined ? {} : { html }) },
  };
}
