/**
 * HTML form posts are read through the bounded reader before anything else
 * (CSRF check, handlers) touches them: at most {@link BODY_LIMITS.form} bytes,
 * else a 413 page and nothing written. The request is replaced by one carrying
 * the bounded bytes, so `c.req.parseBody()` downstream never sees the stream.
 */
import { renderToString } from "preact-render-to-string";
import { Page } from "../components/Page.tsx";
import type { AppContext } from "./app_deps.ts";
import { AppError } from "./errors.ts";
import { BODY_LIMITS, readBoundedBody } from "./request_body.ts";

const BODYLESS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Middleware for every page path: bounds the form body of unsafe methods. */
export function boundedFormBody(limit: number = BODY_LIMITS.form) {
  return async (c: AppContext, next: () => Promise<void>) => {
    if (BODYLESS.has(c.req.method)) return await next();
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readBoundedBody(c.req.raw, limit);
    } catch (error) {
      if (error instanceof AppError && error.code === "payload_too_large") {
        c.set("outcome", "payload_too_large");
        return c.html(tooLargePage(limit), 413, { "cache-control": "no-store" });
      }
      throw error;
    }
    // Downstream readers (CSRF, handlers) get the bounded copy, as Hono's own bodyLimit does.
    c.req.raw = new Request(c.req.raw, { body: bytes });
    await next();
  };
}

function tooLargePage(limit: number): string {
  return "<!doctype html>" + renderToString(
    <Page title="Form too large · ExpresSync">
      <h1>That form was too large</h1>
      <p role="alert">
        Forms accept at most {Math.floor(limit / 1024)}{" "}
        KiB. Nothing was saved. Go back, shorten what you entered and send it again.
      </p>
    </Page>,
  );
}
