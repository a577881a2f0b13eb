/** Server-side rendering of pages, and the islands bundle's cache-busting id. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { h, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppContext } from "../app_deps.ts";
import { logger } from "../logging.ts";
import { AdminNavContext } from "./admin_nav.ts";

const BUNDLE = fileURLToPath(
  new URL("../../static/build/islands.js", import.meta.url),
);

/** Content hash of the built islands bundle; "missing" (and a warning) before `deno task build`. */
export function islandsBuildId(): string {
  try {
    return createHash("sha256").update(readFileSync(BUNDLE)).digest("hex")
      .slice(0, 12);
  } catch {
    logger("http").warn(
      "static/build/islands.js is missing: run `deno task build`; pages will not be interactive",
    );
    return "missing";
  }
}

export function renderPage(
  c: AppContext,
  page: VNode,
  status: ContentfulStatusCode = 200,
  headers: Record<string, string> = {},
): Response {
  // The nav's counts, when this request counted them (admin pages), reach it through context.
  const adminNav = c.get("adminNav");
  const tree = adminNav
    ? h(AdminNavContext.Provider, { value: adminNav, children: page }) as VNode
    : page;
  return c.html("<!doctype html>" + renderToString(tree), status, {
    "cache-control": "no-store",
    ...headers,
  });
}

/** Pages and forms answer errors with a page; the API, hooks and /health with JSON. */
export function wantsPage(c: AppContext): boolean {
  const path = c.req.path;
  return !path.startsWith("/api/") && !path.startsWith("/static/") && path !== "/health";
}
