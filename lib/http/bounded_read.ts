/**
 * Reading a request body with a byte limit, Web-standard only (no Deno, Node
 * or app module): the app's lib/http/request_body.ts and the email
 * worker (workers/email/, bundled for workerd) share it.
 */

/**
 * The body's bytes, at most `limit` of them: `"too_large"` when a declared
 * `Content-Length` or the bytes counted so far pass the limit (the stream is
 * cancelled, the rest never buffered), `"unreadable"` when the stream fails.
 */
export async function readBoundedBytes(
  request: Request,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | "too_large" | "unreadable"> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await request.body?.cancel().catch(() => {});
    return "too_large";
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
        return "too_large";
      }
      chunks.push(value);
    }
  } catch {
    return "unreadable";
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
