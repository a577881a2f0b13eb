/**
 * HTML form posts are read through the bounded reader before anything else
 * (CSRF check, handlers) touches them: at most {@link BODY_LIMITS.form} bytes,
 * else 413 (a page, from the app's error handler) and nothing written. The request is replaced by one carrying
 * the bounded bytes, so `c.req.parseBody()` downstream never sees the stream.
 */
import type { AppContext } from "../app_deps.ts";
import { BODY_LIMITS, readBoundedBody } from "./request_body.ts";

const BODYLESS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Middleware for every page path: bounds the form body of unsafe methods. */
export function boundedFormBody(limit: number = BODY_LIMITS.form) {
  return async (c: AppContext, next: () => Promise<void>) => {
    if (BODYLESS.has(c.req.method)) return await next();
    // Over the limit this throws 413; the app's error handler answers pages with a page.
    const bytes = await readBoundedBody(c.req.raw, limit);
    // Downstream readers (CSRF, handlers) get the bounded copy, as Hono's own bodyLimit does.
    c.req.raw = new Request(c.req.raw, { body: bytes });
    await next();
  };
}
