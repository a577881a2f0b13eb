/**
 * Request bodies are bounded before they are read: a declared
 * `Content-Length` over the limit is refused without reading a byte, and a
 * chunked body is counted as it streams in and cut at the limit. Nothing
 * reads a body whole and measures it afterwards (six concurrent 300 MB POSTs
 * once grew the process by 1.9 GB before their 413s).
 */
import { AppError, invalidBody } from "../errors.ts";

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
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
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
