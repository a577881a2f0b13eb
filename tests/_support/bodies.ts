/** Request bodies for limit tests: `size` bytes of `x`, with a length or chunked (no length). */
export function bodyOf(size: number, chunked: boolean): BodyInit {
  const bytes = new TextEncoder().encode("x".repeat(size));
  return chunked ? chunkedBody(bytes) : bytes;
}

/** `bytes` as a stream of 4 KiB chunks, so fetch sends it chunked, without a Content-Length. */
export function chunkedBody(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (offset >= bytes.length) return c.close();
      c.enqueue(bytes.slice(offset, offset += 4096));
    },
  });
}
