/**
 * Request bodies are bounded before they are read: a declared
 * `Content-Length` over the limit is refused without reading a byte, and a
 * chunked body is counted as it streams in and cut at the limit. Nothing
 * reads a body whole and measures it afterwards (six concurrent 300 MB POSTs
 * once grew the process by 1.9 GB before their 413s).
 */
import { AppError, invalidBody } from "../errors.ts";
import { readBoundedBytes } from "./bounded_read.ts";

/** One limit per family of endpoints (issue [1/5]); docs/api.md lists them. */
export const BODY_LIMITS = {
  /** SteVe's signed hooks (`/api/ocpp/*`). */
  steveHook: 64 * 1024,
  /** Public and admin JSON APIs. */
  json: 16 * 1024,
  /** HTML form posts. */
  form: 16 * 1024,
  /** Partner and Plug&Charge webhook receivers. */
  partnerWebhook: 256 * 1024,
} as const;

/**
 * The body's bytes, at most `limit` of them. Throws 413 `payload_too_large`
 * past the limit (declared or counted) after cancelling the stream, so the
 * rest is never buffered; 400 `invalid_body` when the stream fails.
 */
export async function readBoundedBody(
  request: Request,
  limit: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await readBoundedBytes(request, limit);
  if (bytes === "too_large") throw new AppError("payload_too_large");
  if (bytes === "unreadable") throw invalidBody();
  return bytes;
}
