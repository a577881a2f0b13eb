/**
 * Who is on the other end of a browser request: an admin (cookie `es_admin`),
 * a customer (cookie `es_session`, from scan-to-login), or the automation
 * bearer token. Cookies are HttpOnly, SameSite=Lax, Secure on https.
 */
import { getCookie } from "hono/cookie";
import { deleteCustomerSession, getCustomerBySessionToken } from "../../db/queries/customers.ts";
import { type AdminUser, getAdminForSession } from "../admin_accounts.ts";
import type { AppContext } from "../app_deps.ts";
import { clearCookie, CUSTOMER_SESSION_COOKIE, setSessionCookie } from "./cookies.ts";
import { AppError } from "../errors.ts";
import { secretsEqual, tokenHash } from "../tokens.ts";

export const ADMIN_SESSION_COOKIE = "es_admin";

export function setAdminSessionCookie(
  c: AppContext,
  token: string,
  expiresAt: Date,
): void {
  setSessionCookie(c, ADMIN_SESSION_COOKIE, token, expiresAt);
}

export function adminSessionToken(c: AppContext): string | undefined {
  return getCookie(c, ADMIN_SESSION_COOKIE);
}

/** The logged-in admin, or null. */
export async function currentAdmin(c: AppContext): Promise<AdminUser | null> {
  const token = adminSessionToken(c);
  if (!token) return null;
  const { db, clock } = c.get("deps");
  return await getAdminForSession({ db, clock }, token);
}

/** A stable key per login, for per-login limits: never the token itself. */
export type Login = {
  kind: "admin" | "bearer" | "customer";
  key: string;
  customerId?: string;
};

/** An admin's login (session cookie) or the `ADMIN_API_TOKEN` bearer; else 401. */
export async function requireAdminLogin(c: AppContext): Promise<Login> {
  const expected = c.get("deps").config.adminApiToken;
  const header = c.req.header("authorization") ?? "";
  if (header.startsWith("Bearer ")) {
    const presented = header.slice(7).trim();
    if (expected && presented && secretsEqual(presented, expected)) {
      return { kind: "bearer", key: "bearer" };
    }
    throw new AppError("unauthorized", {}, {
      "www-authenticate": "Bearer",
    });
  }
  const token = adminSessionToken(c);
  if (token && await currentAdmin(c)) {
    return { kind: "admin", key: `admin:${tokenHash(token)}` };
  }
  throw new AppError("unauthorized", {}, { "www-authenticate": "Bearer" });
}

export async function currentCustomer(c: AppContext) {
  const token = getCookie(c, CUSTOMER_SESSION_COOKIE);
  if (!token) return null;
  const { db, clock } = c.get("deps");
  return await getCustomerBySessionToken(db, {
    tokenHash: tokenHash(token),
    now: clock.now(),
  });
}

/** A customer's login (from scan-to-login); else 401. */
export async function requireCustomerLogin(c: AppContext): Promise<Login> {
  const token = getCookie(c, CUSTOMER_SESSION_COOKIE);
  const customer = token ? await currentCustomer(c) : null;
  if (!token || !customer) throw new AppError("unauthorized");
  return {
    kind: "customer",
    key: `customer:${tokenHash(token)}`,
    customerId: customer.id,
  };
}

/** Ends the customer's session on the server and forgets the cookie. */
export async function logoutCustomer(c: AppContext): Promise<void> {
  const token = getCookie(c, CUSTOMER_SESSION_COOKIE);
  if (token) await deleteCustomerSession(c.get("deps").db, tokenHash(token));
  clearCookie(c, CUSTOMER_SESSION_COOKIE);
}
