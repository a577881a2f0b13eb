/**
 * The seam between the delivery worker and the network: one attempt, one
 * outcome. The worker never follows redirects, never reads a whole body and
 * never throws on a partner's answer; it only maps a {@link SendResult}.
 *
 * {@link outboundTransport} is the app's: lib/outbound/send.ts resolves the
 * name once, checks every address against the SSRF guard and connects to the
 * checked one. Tests may inject any other {@link SendOnce}.
 */
import type { ResolveHostname } from "../outbound/destination.ts";
import { type SendOnce, sendOnce, type SendResult } from "../outbound/send.ts";

export type { SendOnce, SendResult };

/** Bytes of a partner's answer read at most; the rest is never read. */
export const RESPONSE_READ_LIMIT = 64 * 1024;

/**
 * A {@link SendOnce} through the SSRF guard: `timeoutMs` covers resolving,
 * connecting, the headers and reading at most {@link RESPONSE_READ_LIMIT}
 * bytes of the answer; redirects are answered, never followed.
 */
export function outboundTransport(
  options: { allowLocal: boolean; timeoutMs: number; resolve?: ResolveHostname },
): SendOnce {
  return (request) => sendOnce(request, { ...options, maxResponseBytes: RESPONSE_READ_LIMIT });
}
