/**
 * The seam between the delivery worker and the network: one attempt, one
 * outcome. The worker never follows redirects, never reads a whole body and
 * never throws on a partner's answer; it only maps a {@link SendResult}.
 *
 * {@link fetchTransport} is the plain default. The SSRF-guarded transport
 * (lib/outbound/, resolve once, check every address, connect to the checked
 * one) has exactly the {@link SendOnce} type and replaces it in server.ts.
 */

/** What one attempt came to. */
export type SendResult =
  | { kind: "response"; status: number; retryAfter: string | null; ms: number }
  | { kind: "blocked"; detail: string }
  | { kind: "timeout"; ms: number }
  | { kind: "network"; error: string; ms: number };

/** POSTs `body` to `url` with `headers`, once. */
export type SendOnce = (
  request: { url: string; headers: Record<string, string>; body: Uint8Array },
) => Promise<SendResult>;

/** Bytes of a partner's answer read at most; the rest is cancelled unread. */
export const RESPONSE_READ_LIMIT = 64 * 1024;

/**
 * A {@link SendOnce} over `fetch`: redirects are answered, never followed
 * (`redirect: "manual"`), and `timeoutMs` covers connecting, the headers and
 * reading at most {@link RESPONSE_READ_LIMIT} bytes of the body.
 */
export function fetchTransport(timeoutMs: number): SendOnce {
  return async ({ url, headers, body }) => {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers,
        body: body as Uint8Array<ArrayBuffer>,
        redirect: "manual",
        signal,
      });
      await drainAtMost(response, RESPONSE_READ_LIMIT);
      return {
        kind: "response",
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        ms: ms(),
      };
    } catch (error) {
      if (signal.aborted) return { kind: "timeout", ms: ms() };
      return { kind: "network", error: networkError(error), ms: ms() };
    }
  };
}

/** Reads up to `limit` bytes of the body (the partner's answer is not kept), then cancels. */
async function drainAtMost(response: Response, limit: number): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let read = 0;
  try {
    while (read < limit) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += chunk.value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** A short reason without the URL (it may carry a partner's token in its path). */
function networkError(error: unknown): string {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return `${name}: ${message.replace(/https?:\/\/\S+/g, "<url>")}`.slice(0, 200);
}
