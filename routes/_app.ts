/**
 * The Hono app: middleware, the routes of `_manifest.ts`, and the one place
 * errors become responses.
 */
import { Hono } from "hono";
import { serveStatic } from "hono/deno";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { requireAdmin, requireAdminPage } from "../lib/http/admin_auth.ts";
import { adminNavCounts } from "../lib/http/admin_nav.ts";
import { csrfProtection } from "../lib/http/csrf.ts";
import { boundedFormBody } from "../lib/http/form_body.ts";
import type { AppContext, AppDeps, AppEnv } from "../lib/app_deps.ts";
import { AppError, ERROR_STATUS, type ErrorCode } from "../lib/errors.ts";
import { renderPage, wantsPage } from "../lib/http/html.ts";
import { ErrorPage } from "../components/ErrorPage.tsx";
import { hookStatsMiddleware } from "../lib/hook_stats.ts";
import { errorSummary, logger } from "../lib/logging.ts";
import { createServices } from "../lib/services.ts";
import { SIGNED_ENDPOINT_LIST } from "../lib/signed_endpoints.ts";
import { SignatureRejected } from "../lib/signed_request.ts";
import { routes } from "./_manifest.ts";

const METHODS = ["GET", "POST", "PUT", "DELETE"] as const;
// serveStatic resolves `root` against the working directory; anchor it to this repo.
const STATIC_ROOT = relative(Deno.cwd(), fileURLToPath(new URL("..", import.meta.url))) || ".";

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const services = createServices(deps);
  const log = logger("http");
  const formBodies = boundedFormBody();

  app.use(async (c, next) => {
    c.set("deps", deps);
    c.set("services", services);
    await next();
  });
  for (const [, endpoint] of SIGNED_ENDPOINT_LIST) {
    app.use(endpoint.path, hookStatsMiddleware(endpoint));
  }
  app.use("/api/admin/*", requireAdmin());
  app.use("/static/*", serveStatic({ root: STATIC_ROOT }));
  // Pages: every form body is bounded before CSRF or a handler reads it (API routes bound
  // theirs as they parse them; a path no route answers never reads its body).
  for (const [path] of routes) if (!path.startsWith("/api/")) app.use(path, formBodies);
  // HTML forms: CSRF on every one; admin pages need an admin login.
  app.use("/admin/*", csrfProtection());
  app.use("/admin", csrfProtection());
  app.use("/me/*", csrfProtection());
  app.use("/login", csrfProtection());
  app.use("/login/*", csrfProtection());
  app.use("/admin/*", requireAdminPage());
  app.use("/admin", requireAdminPage());
  app.use("/admin/*", adminNavCounts());
  app.use("/admin", adminNavCounts());

  for (const [path, handlers] of routes) {
    for (const method of METHODS) {
      const handler = handlers[method];
      if (handler) app.on(method, path, (c) => handler(c));
    }
    const allowed = METHODS.filter((m) => handlers[m]).join(", ");
    app.all(path, (c) => refuse(c, "method_not_allowed", {}, { allow: allowed }));
  }

  app.notFound((c) => refuse(c, "not_found"));
  app.onError((error, c) => {
    if (error instanceof AppError) {
      c.set(
        "outcome",
        error instanceof SignatureRejected ? `unauthorized:${error.reason}` : error.code,
      );
      return refuse(c, error.code, error.details, error.headers);
    }
    log.error("unhandled error", {
      path: c.req.path,
      error: errorSummary(error),
    });
    c.set("outcome", "internal");
    return refuse(c, "internal");
  });
  return app;
}

/**
 * The one place a refusal becomes a response: the status follows from the
 * code (lib/errors.ts ERROR_STATUS); pages get a page, everything else JSON.
 */
function refuse(
  c: AppContext,
  code: ErrorCode,
  details: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const status = ERROR_STATUS[code];
  if (wantsPage(c)) return renderPage(c, ErrorPage({ status, code }), status, headers);
  return c.json({ error: code, ...details }, status, headers);
}
