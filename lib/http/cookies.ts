/**
 * Every cookie the app sets goes through here: HttpOnly, SameSite=Lax, path
 * `/`, Secure when the public URL is https, lifetimes from the injected
 * clock. Customers carry the browser binding that owns scan-pairs and the
 * session started by scan-to-login; admins carry `es_admin`. Only hashes of
 * the tokens are stored.
 */
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppContext } from "../app_deps.ts";
import { newToken, tokenHash } from "../tokens.ts";

export const BROWSER_COOKIE = "es_browser";
export const CUSTOMER_SESSION_COOKIE = "es_session";

const BROWSER_COOKIE_MAX_AGE_S = 30 * 24 * 3600;

/** The attributes of every cookie; `maxAge` undefined makes a browser-session cookie. */
export function cookieOptions(c: AppContext, maxAge?: number) {
  return {
    httpOnly: true,
    sameSite: "Lax" as const,
    secure: c.get("deps").config.publicBaseUrl.startsWith("https:"),
    path: "/",
    ...(maxAge === undefined ? {} : { maxAge }),
  };
}

/** Hash of this browser's binding cookie, or null when it has none. */
export function browserHash(c: AppContext): string | null {
  const token = getCookie(c, BROWSER_COOKIE);
  return token ? tokenHash(token) : null;
}

/** Hash of this browser's binding cookie, setting a new cookie first if needed. */
export function ensureBrowserHash(c: AppContext): string {
  let token = getCookie(c, BROWSER_COOKIE);
  if (!token) {
    token = newToken(32);
    setCookie(c, BROWSER_COOKIE, token, cookieOptions(c, BROWSER_COOKIE_MAX_AGE_S));
  }
  return tokenHash(token);
}

/** Sets a login cookie that lives until `expiresAt`, by the app's clock. */
export function setSessionCookie(
  c: AppContext,
  name: string,
  token: string,
  expiresAt: Date,
): void {
  const maxAge = Math.max(
    0,
    Math.floor((expiresAt.getTime() - c.get("deps").clock.now().getTime()) / 1000),
  );
  setCookie(c, name, token, cookieOptions(c, maxAge));
}

/** Forgets a cookie in the browser, with the attributes it was set with. */
export function clearCookie(c: AppContext, name: string): void {
  deleteCookie(c, name, cookieOptions(c));
}
