/**
 * The two cookies customers carry: the browser binding that owns scan-pairs,
 * and the customer session started by scan-to-login. Both HttpOnly,
 * SameSite=Lax, Secure when the public URL is https; only hashes are stored.
 */
import { getCookie, setCookie } from "hono/cookie";
import type { AppContext } from "./app_deps.ts";
import { newToken, tokenHash } from "./tokens.ts";

export const BROWSER_COOKIE = "es_browser";
export const CUSTOMER_SESSION_COOKIE = "es_session";

const BROWSER_COOKIE_MAX_AGE_S = 30 * 24 * 3600;

function options(c: AppContext, maxAge: number) {
  return {
    httpOnly: true,
    sameSite: "Lax" as const,
    secure: c.get("deps").config.publicBaseUrl.startsWith("https:"),
    path: "/",
    maxAge,
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
    setCookie(c, BROWSER_COOKIE, token, options(c, BROWSER_COOKIE_MAX_AGE_S));
  }
  return tokenHash(token);
}

export function setCustomerSessionCookie(
  c: AppContext,
  token: string,
  expiresAt: Date,
): void {
  const maxAge = Math.max(
    0,
    Math.floor((expiresAt.getTime() - Date.now()) / 1000),
  );
  setCookie(c, CUSTOMER_SESSION_COOKIE, token, options(c, maxAge));
}
