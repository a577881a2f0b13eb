/**
 * Guards the admin API: the `ADMIN_API_TOKEN` bearer (automation) or an
 * admin's browser session. With neither, every call is 401.
 */
import type { AppContext } from "../app_deps.ts";
import { currentAdmin, requireAdminLogin } from "./web_sessions.ts";

export function requireAdmin() {
  return async (c: AppContext, next: () => Promise<void>) => {
    await requireAdminLogin(c);
    await next();
  };
}

/** Pages that open without a login: the login form and the first-admin setup link. */
const PUBLIC_ADMIN_PAGES = new Set(["/admin/login", "/admin/setup"]);

/** True for the admin pages that open without a login. */
export const isPublicAdminPage = (path: string): boolean => PUBLIC_ADMIN_PAGES.has(path);

/** Admin pages: without an admin login, go to the login form (and come back after). */
export function requireAdminPage() {
  return async (c: AppContext, next: () => Promise<void>) => {
    if (isPublicAdminPage(c.req.path) || await currentAdmin(c)) {
      return await next();
    }
    if (c.req.method !== "GET") return c.redirect("/admin/login", 303);
    const target = c.req.path + (new URL(c.req.url).search || "");
    return c.redirect(`/admin/login?next=${encodeURIComponent(target)}`, 303);
  };
}
