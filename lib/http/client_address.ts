/** The client's address, for per-client limits. */
import type { AppContext } from "../app_deps.ts";

/**
 * The connection's peer address; behind a trusted proxy (`TRUST_PROXY=true`)
 * the last `X-Forwarded-For` entry, i.e. the address our proxy saw (earlier
 * entries are whatever the client chose to send).
 */
export function clientAddress(c: AppContext, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for");
    const last = forwarded?.split(",").map((s) => s.trim()).filter(Boolean)
      .pop();
    if (last) return last;
  }
  return c.env?.remoteAddr?.hostname ?? "unknown";
}
