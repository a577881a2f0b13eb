/**
 * CSRF protection for every HTML form: a double-submit token (an HttpOnly
 * cookie echoed in a hidden `_csrf` field, which another site can neither
 * read nor set) plus an Origin check when the browser sends one. SameSite=Lax
 * session cookies are the first line; this is the second.
 */
import { getCookie, setCookie } from "hono/cookie";
import type { AppContext } from "../app_deps.ts";
import { cookieOptions } from "./cookies.ts";
import { AppError } from "../errors.ts";
import { newToken, secretsEqual } from "../tokens.ts";

export const CSRF_COOKIE = "es_csrf";
export const CSRF_FIELD = "_csrf";

/** The token to put in this page's forms (sets the cookie on first use). */
export function csrfToken(c: AppContext): string {
  let token = getCookie(c, CSRF_COOKIE);
  if (!token || token.length < 32) {
    token = newToken(24);
    setCookie(c, CSRF_COOKIE, token, cookieOptions(c));
  }
  return token;
}

/** Rejects unsafe requests whose form lacks the matching token or that come from another origin. */
export function csrfProtection() {
  return async (c: AppContext, next: () => Promise<void>) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return await next();
    const origin = c.req.header("origin");
    const allowed = [
      new URL(c.req.url).origin,
      new URL(c.get("deps").config.publicBaseUrl).origin,
    ];
    if (origin && !allowed.includes(origin)) {
      throw new AppError("forbidden");
    }
    const cookie = getCookie(c, CSRF_COOKIE) ?? "";
    const form = await c.req.parseBody().catch(
      () => ({} as Record<string, unknown>),
    );
    const field = typeof form[CSRF_FIELD] === "string" ? form[CSRF_FIELD] as string : "";
    if (!cookie || !field || !secretsEqual(cookie, field)) {
      throw new AppError("forbidden");
    }
    await next();
  };
}
